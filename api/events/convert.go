package events

import (
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/money"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	"github.com/convene/convene/workflows"
)

// Values of events.visibility and events.allowed_genders the handlers
// branch on.
const (
	visibilityPublic  = "public"
	visibilityPrivate = "private"
	gendersAll        = "all"
)

// Tables of the proto enums and the strings the events tables store.
var (
	genders = rpc.NewEnum(map[eventsv1.AllowedGenders]string{
		eventsv1.AllowedGenders_ALLOWED_GENDERS_ALL:        gendersAll,
		eventsv1.AllowedGenders_ALLOWED_GENDERS_MALE:       "male",
		eventsv1.AllowedGenders_ALLOWED_GENDERS_FEMALE:     "female",
		eventsv1.AllowedGenders_ALLOWED_GENDERS_NON_BINARY: "non_binary",
	})
	feeModes = rpc.NewEnum(map[eventsv1.FeeMode]string{
		eventsv1.FeeMode_FEE_MODE_ABSORBED: string(money.FeeAbsorbed),
		eventsv1.FeeMode_FEE_MODE_PASSED:   string(money.FeePassed),
	})
	visibilities = rpc.NewEnum(map[eventsv1.Visibility]string{
		eventsv1.Visibility_VISIBILITY_PUBLIC:  visibilityPublic,
		eventsv1.Visibility_VISIBILITY_PRIVATE: visibilityPrivate,
	})
	eventStatuses = rpc.NewEnum(map[eventsv1.EventStatus]string{
		eventsv1.EventStatus_EVENT_STATUS_DRAFT:     db.EventDraft,
		eventsv1.EventStatus_EVENT_STATUS_PUBLISHED: db.EventPublished,
		eventsv1.EventStatus_EVENT_STATUS_CANCELLED: db.EventCancelled,
		eventsv1.EventStatus_EVENT_STATUS_COMPLETED: db.EventCompleted,
	})
	requestStatuses = rpc.NewEnum(map[eventsv1.RequestStatus]string{
		eventsv1.RequestStatus_REQUEST_STATUS_PENDING:          workflows.StatusPending,
		eventsv1.RequestStatus_REQUEST_STATUS_WAITLISTED:       workflows.StatusWaitlisted,
		eventsv1.RequestStatus_REQUEST_STATUS_OFFERED:          workflows.StatusOffered,
		eventsv1.RequestStatus_REQUEST_STATUS_AWAITING_PAYMENT: workflows.StatusAwaitingPayment,
		eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED:         workflows.StatusAccepted,
		eventsv1.RequestStatus_REQUEST_STATUS_DECLINED:         workflows.StatusDeclined,
		eventsv1.RequestStatus_REQUEST_STATUS_CANCELLED:        workflows.StatusCancelled,
		eventsv1.RequestStatus_REQUEST_STATUS_EXPIRED:          workflows.StatusExpired,
	})
	eventTypes = rpc.NewEnum(map[eventsv1.EventType]string{
		eventsv1.EventType_EVENT_TYPE_BAR:        enums.EventTypeBar,
		eventsv1.EventType_EVENT_TYPE_CLUB:       enums.EventTypeClub,
		eventsv1.EventType_EVENT_TYPE_CONCERT:    enums.EventTypeConcert,
		eventsv1.EventType_EVENT_TYPE_PARTY:      enums.EventTypeParty,
		eventsv1.EventType_EVENT_TYPE_RESTAURANT: enums.EventTypeRestaurant,
		eventsv1.EventType_EVENT_TYPE_OUTDOOR:    enums.EventTypeOutdoor,
		eventsv1.EventType_EVENT_TYPE_SPORTS:     enums.EventTypeSports,
		eventsv1.EventType_EVENT_TYPE_OTHER:      enums.EventTypeOther,
	})
	attendeeStatuses = rpc.NewEnum(map[eventsv1.AttendeeStatus]string{
		eventsv1.AttendeeStatus_ATTENDEE_STATUS_GOING:      "going",
		eventsv1.AttendeeStatus_ATTENDEE_STATUS_CHECKED_IN: "checked_in",
		eventsv1.AttendeeStatus_ATTENDEE_STATUS_CANCELLED:  "cancelled",
	})
)

// eventToProto converts an event and its interest slugs.
func eventToProto(ev *db.Event, interestSlugs []string) *eventsv1.Event {
	return &eventsv1.Event{
		Id: ev.ID.String(), HostUserId: ev.HostUserID.String(), OrganizationId: rpc.IDString(ev.OrganizationID),
		Slug: ev.Slug, Title: ev.Title, Mood: ev.Mood, Description: ev.Description,
		VenueId: rpc.IDString(ev.VenueID), VenueText: ev.VenueText, Latitude: ev.Latitude, Longitude: ev.Longitude,
		StartsAt: timestamppb.New(ev.StartsAt), EndsAt: timestamppb.New(ev.EndsAt), Timezone: ev.Timezone,
		Capacity: ev.Capacity, MaxSeatsPerRequest: ev.MaxSeatsPerRequest, AllowedGenders: genders.ValueOr(ev.AllowedGenders, eventsv1.AllowedGenders_ALLOWED_GENDERS_ALL),
		IsPaid: ev.IsPaid, TicketPrice: &eventsv1.Money{AmountMinor: ev.TicketPriceMinor, Currency: ev.Currency},
		GstNumber: ev.GSTNumber, GstBps: ev.GSTBps, PlatformFeeFixedMinor: ev.PlatformFeeFixedMinor,
		PlatformFeeBps: ev.PlatformFeeBps, FeeMode: feeModes.ValueOr(ev.FeeMode, eventsv1.FeeMode_FEE_MODE_ABSORBED), RequiresApproval: ev.RequiresApproval,
		Visibility: visibilities.ValueOr(ev.Visibility, eventsv1.Visibility_VISIBILITY_PUBLIC), HoldMinutes: ev.HoldMinutes, RefundCutoffHours: ev.RefundCutoffHours,
		InterestSlugs: interestSlugs, CoverImages: ev.CoverImages, Status: eventStatuses.Value(ev.Status),
		GoingCount: ev.GoingCount, RequestsCount: ev.RequestsCount, WaitlistCount: ev.WaitlistCount,
		SeatsAvailable: seatsAvailable(ev), CreatedAt: timestamppb.New(ev.CreatedAt),
		DoorOpensMinutesBefore: ev.DoorOpensMinutesBefore, EventType: eventTypes.ValueOr(ev.EventType, eventsv1.EventType_EVENT_TYPE_OTHER),
	}
}

// seatsAvailable is what is left to request: nothing once the event is
// cancelled or over.
func seatsAvailable(ev *db.Event) int32 {
	if ev.Status == db.EventCancelled || ev.Status == db.EventCompleted {
		return 0
	}
	return max(ev.Capacity-ev.SeatsTaken, 0)
}

func venueToProto(v *db.Venue) *eventsv1.Venue {
	return &eventsv1.Venue{Id: v.ID.String(), Name: v.Name, Address: v.Address, Latitude: v.Latitude,
		Longitude: v.Longitude, CreatedAt: timestamppb.New(v.CreatedAt)}
}

// eventKey is an event's place in lists sorted by start time.
func eventKey(ev *db.Event) (time.Time, uuid.UUID) { return ev.StartsAt, ev.ID }

func attendeeToProto(a *db.Attendee) *eventsv1.Attendee {
	out := &eventsv1.Attendee{Id: a.ID.String(), EventId: a.EventID.String(), UserId: a.UserID.String(), RequestId: a.RequestID.String(),
		Seats: a.Seats, TicketType: a.TicketType, Status: attendeeStatuses.Value(a.Status),
		PricePaid: moneyOf(a.PricePaidMinor, a.Currency), Tax: moneyOf(a.TaxMinor, a.Currency),
		PlatformFee: moneyOf(a.PlatformFeeMinor, a.Currency), CreatedAt: timestamppb.New(a.CreatedAt), Name: a.Name, Phone: rpc.Deref(a.Phone)}
	if a.CheckedInAt != nil {
		out.CheckedInAt = timestamppb.New(*a.CheckedInAt)
	}
	return out
}

func breakdownToProto(b money.Breakdown) *eventsv1.PriceBreakdown {
	return &eventsv1.PriceBreakdown{Seats: b.Seats, UnitPrice: moneyOf(b.UnitPrice, b.Currency), Subtotal: moneyOf(b.Subtotal, b.Currency),
		Gst: moneyOf(b.GST, b.Currency), PlatformFee: moneyOf(b.PlatformFee, b.Currency), Total: moneyOf(b.Total, b.Currency),
		HostPayout: moneyOf(b.HostPayout, b.Currency)}
}

func moneyOf(minor int64, currency string) *eventsv1.Money {
	return &eventsv1.Money{AmountMinor: minor, Currency: currency}
}

func inviteToProto(inv *db.Invite) *eventsv1.Invite {
	out := &eventsv1.Invite{Id: inv.ID.String(), EventId: inv.EventID.String(), Token: inv.Token, InviteType: inv.InviteType,
		Status: inv.Status, Message: inv.Message}
	if inv.InvitedUserID != nil {
		out.InvitedUserId = inv.InvitedUserID.String()
	}
	if inv.ExpiresAt != nil {
		out.ExpiresAt = timestamppb.New(*inv.ExpiresAt)
	}
	return out
}
