package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/money"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
)

// Defaults the events contract gives to zero values.
const (
	defaultHoldMinutes        = 15
	defaultMaxSeatsPerRequest = 1
	// defaultCurrency is stored for a free event sent without a currency.
	defaultCurrency = "INR"
	// slugTailLen is how many hex digits of the event ID end its slug.
	slugTailLen = 6
	// slugLongTailLen is the tail used when the short slug is taken.
	slugLongTailLen = 12
	// slugBaseMaxLen caps the part of a slug derived from the title.
	slugBaseMaxLen = 60
)

// eventFromInput builds the host-editable columns of an event from in,
// applying the defaults of the contract and the cross-field rules
// protovalidate cannot express. Rules that need the clock or the database
// (start in the future, venue, interests, organization) are the caller's.
func eventFromInput(in *eventsv1.EventInput) (*db.Event, error) {
	if err := checkEventTimes(in); err != nil {
		return nil, err
	}
	if (in.Latitude == nil) != (in.Longitude == nil) {
		return nil, rpc.InvalidField("event.latitude", "set latitude and longitude together, or neither to use the venue's")
	}
	ev := &db.Event{
		Title: in.GetTitle(), Mood: in.GetMood(), Description: in.GetDescription(), VenueText: in.GetVenueText(),
		Latitude: copyFloat(in.Latitude), Longitude: copyFloat(in.Longitude),
		StartsAt: in.GetStartsAt().AsTime(), EndsAt: in.GetEndsAt().AsTime(), Timezone: in.GetTimezone(),
		Capacity: in.GetCapacity(), MaxSeatsPerRequest: orDefault(in.GetMaxSeatsPerRequest(), defaultMaxSeatsPerRequest),
		AllowedGenders: gendersFromProto(in.GetAllowedGenders()), RequiresApproval: in.GetRequiresApproval(),
		IsPaid: in.GetIsPaid(), TicketPriceMinor: in.GetTicketPriceMinor(), Currency: in.GetCurrency(),
		GSTNumber: in.GetGstNumber(), GSTBps: in.GetGstBps(), FeeMode: feeModeFromProto(in.GetFeeMode()),
		PlatformFeeFixedMinor: in.GetPlatformFeeFixedMinor(), PlatformFeeBps: in.GetPlatformFeeBps(),
		Visibility: visibilityFromProto(in.GetVisibility()), HoldMinutes: orDefault(in.GetHoldMinutes(), defaultHoldMinutes),
		RefundCutoffHours: in.GetRefundCutoffHours(), CoverImages: append([]string{}, in.GetCoverImages()...),
		VenueID: rpc.OptionalID(in.GetVenueId()), OrganizationID: rpc.OptionalID(in.GetOrganizationId()),
	}
	if ev.MaxSeatsPerRequest > ev.Capacity {
		return nil, rpc.InvalidField("event.max_seats_per_request", fmt.Sprintf("%d is more than the capacity of %d", ev.MaxSeatsPerRequest, ev.Capacity))
	}
	return ev, checkPricing(ev)
}

// checkEventTimes checks the order of the times and the time zone.
func checkEventTimes(in *eventsv1.EventInput) error {
	if !in.GetEndsAt().AsTime().After(in.GetStartsAt().AsTime()) {
		return rpc.InvalidField("event.ends_at", "must be after starts_at")
	}
	if _, err := time.LoadLocation(in.GetTimezone()); err != nil || in.GetTimezone() == "Local" {
		return rpc.InvalidField("event.timezone", fmt.Sprintf("%q is not an IANA time zone; use a name such as Asia/Kolkata", in.GetTimezone()))
	}
	return nil
}

// checkPricing keeps is_paid and the price in agreement, defaults the
// currency of a free event, and checks that any order up to the largest
// allowed can be quoted: the fee of one seat must fit in its total and the
// total of the largest order in int64.
func checkPricing(ev *db.Event) error {
	switch {
	case ev.IsPaid && ev.TicketPriceMinor == 0:
		return rpc.InvalidField("event.ticket_price_minor", "must be positive for a paid event")
	case !ev.IsPaid && ev.TicketPriceMinor > 0:
		return rpc.InvalidField("event.is_paid", "must be true when the event has a ticket price; set ticket_price_minor to 0 for a free event")
	case ev.IsPaid && ev.Currency == "":
		return rpc.InvalidField("event.currency", "required for a paid event, e.g. INR")
	case ev.Currency == "":
		ev.Currency = defaultCurrency
	}
	for _, seats := range []int32{1, ev.MaxSeatsPerRequest} {
		if _, err := money.Quote(ev.Pricing(), seats); err != nil {
			return rpc.InvalidField(pricingField(err), err.Error())
		}
	}
	return nil
}

// pricingField names the input field a money error is about.
func pricingField(err error) string {
	switch {
	case errors.Is(err, money.ErrInvalidCurrency):
		return "event.currency"
	case errors.Is(err, money.ErrInvalidFeeMode):
		return "event.fee_mode"
	case errors.Is(err, money.ErrBpsOutOfRange):
		return "event.platform_fee_bps"
	case errors.Is(err, money.ErrFeeExceedsTotal):
		return "event.platform_fee_fixed_minor"
	default:
		return "event.ticket_price_minor"
	}
}

// eventSlug is the title as lower-case ASCII words joined by hyphens, then
// the last tail hex digits of the event's ID (the random end of a UUIDv7),
// e.g. "sunset-jam-3f9a0c".
func eventSlug(title string, id uuid.UUID, tail int) string {
	var b strings.Builder
	gap := false
	for _, r := range strings.ToLower(title) {
		if b.Len() >= slugBaseMaxLen {
			break
		}
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			gap = true
			continue
		}
		if gap && b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteRune(r)
		gap = false
	}
	if b.Len() == 0 {
		b.WriteString("event")
	}
	hex := strings.ReplaceAll(id.String(), "-", "")
	return b.String() + "-" + hex[len(hex)-tail:]
}

// eventToProto converts an event and its interest slugs.
func eventToProto(ev *db.Event, interestSlugs []string) *eventsv1.Event {
	return &eventsv1.Event{
		Id: ev.ID.String(), HostUserId: ev.HostUserID.String(), OrganizationId: rpc.IDString(ev.OrganizationID),
		Slug: ev.Slug, Title: ev.Title, Mood: ev.Mood, Description: ev.Description,
		VenueId: rpc.IDString(ev.VenueID), VenueText: ev.VenueText, Latitude: ev.Latitude, Longitude: ev.Longitude,
		StartsAt: timestamppb.New(ev.StartsAt), EndsAt: timestamppb.New(ev.EndsAt), Timezone: ev.Timezone,
		Capacity: ev.Capacity, MaxSeatsPerRequest: ev.MaxSeatsPerRequest, AllowedGenders: gendersToProto(ev.AllowedGenders),
		IsPaid: ev.IsPaid, TicketPrice: &eventsv1.Money{AmountMinor: ev.TicketPriceMinor, Currency: ev.Currency},
		GstNumber: ev.GSTNumber, GstBps: ev.GSTBps, PlatformFeeFixedMinor: ev.PlatformFeeFixedMinor,
		PlatformFeeBps: ev.PlatformFeeBps, FeeMode: feeModeToProto(ev.FeeMode), RequiresApproval: ev.RequiresApproval,
		Visibility: visibilityToProto(ev.Visibility), HoldMinutes: ev.HoldMinutes, RefundCutoffHours: ev.RefundCutoffHours,
		InterestSlugs: interestSlugs, CoverImages: ev.CoverImages, Status: eventStatusToProto(ev.Status),
		GoingCount: ev.GoingCount, RequestsCount: ev.RequestsCount, WaitlistCount: ev.WaitlistCount,
		SeatsAvailable: seatsAvailable(ev), CreatedAt: timestamppb.New(ev.CreatedAt),
	}
}

func eventWithInterests(ctx context.Context, idb bun.IDB, ev *db.Event) (*eventsv1.Event, error) {
	out, err := eventsWithInterests(ctx, idb, []db.Event{*ev})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// eventsWithInterests converts a page of events, loading their interest
// slugs in one query.
func eventsWithInterests(ctx context.Context, idb bun.IDB, events []db.Event) ([]*eventsv1.Event, error) {
	ids := make([]uuid.UUID, 0, len(events))
	for _, ev := range events {
		ids = append(ids, ev.ID)
	}
	slugs, err := db.EventInterestSlugs(ctx, idb, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*eventsv1.Event, 0, len(events))
	for i := range events {
		out = append(out, eventToProto(&events[i], slugs[events[i].ID]))
	}
	return out, nil
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

func gendersFromProto(g eventsv1.AllowedGenders) string {
	switch g {
	case eventsv1.AllowedGenders_ALLOWED_GENDERS_MALE:
		return "male"
	case eventsv1.AllowedGenders_ALLOWED_GENDERS_FEMALE:
		return "female"
	case eventsv1.AllowedGenders_ALLOWED_GENDERS_NON_BINARY:
		return "non_binary"
	default:
		return "all"
	}
}

func gendersToProto(g string) eventsv1.AllowedGenders {
	switch g {
	case "male":
		return eventsv1.AllowedGenders_ALLOWED_GENDERS_MALE
	case "female":
		return eventsv1.AllowedGenders_ALLOWED_GENDERS_FEMALE
	case "non_binary":
		return eventsv1.AllowedGenders_ALLOWED_GENDERS_NON_BINARY
	default:
		return eventsv1.AllowedGenders_ALLOWED_GENDERS_ALL
	}
}

func feeModeFromProto(m eventsv1.FeeMode) string {
	if m == eventsv1.FeeMode_FEE_MODE_PASSED {
		return string(money.FeePassed)
	}
	return string(money.FeeAbsorbed)
}

func feeModeToProto(m string) eventsv1.FeeMode {
	if m == string(money.FeePassed) {
		return eventsv1.FeeMode_FEE_MODE_PASSED
	}
	return eventsv1.FeeMode_FEE_MODE_ABSORBED
}

func visibilityFromProto(v eventsv1.Visibility) string {
	if v == eventsv1.Visibility_VISIBILITY_PRIVATE {
		return "private"
	}
	return "public"
}

func visibilityToProto(v string) eventsv1.Visibility {
	if v == "private" {
		return eventsv1.Visibility_VISIBILITY_PRIVATE
	}
	return eventsv1.Visibility_VISIBILITY_PUBLIC
}

func eventStatusToProto(s string) eventsv1.EventStatus {
	switch s {
	case db.EventDraft:
		return eventsv1.EventStatus_EVENT_STATUS_DRAFT
	case db.EventPublished:
		return eventsv1.EventStatus_EVENT_STATUS_PUBLISHED
	case db.EventCancelled:
		return eventsv1.EventStatus_EVENT_STATUS_CANCELLED
	case db.EventCompleted:
		return eventsv1.EventStatus_EVENT_STATUS_COMPLETED
	default:
		return eventsv1.EventStatus_EVENT_STATUS_UNSPECIFIED
	}
}

func orDefault(v, def int32) int32 {
	if v == 0 {
		return def
	}
	return v
}

func copyFloat(f *float64) *float64 {
	if f == nil {
		return nil
	}
	v := *f
	return &v
}

// eventKey is an event's place in lists sorted by start time.
func eventKey(ev *db.Event) (time.Time, uuid.UUID) { return ev.StartsAt, ev.ID }
