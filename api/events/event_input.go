package events

import (
	"errors"
	"fmt"
	"time"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/money"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
)

// Defaults the events contract gives to zero values.
const (
	defaultHoldMinutes        = 15
	defaultMaxSeatsPerRequest = 1
	// defaultDoorOpensMinutesBefore opens check-in 4 hours before the start.
	defaultDoorOpensMinutesBefore = 240
	// defaultCurrency is stored for a free event sent without a currency.
	defaultCurrency = "INR"
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
		AllowedGenders: genders.NameOr(in.GetAllowedGenders(), gendersAll), RequiresApproval: in.GetRequiresApproval(),
		IsPaid: in.GetIsPaid(), TicketPriceMinor: in.GetTicketPriceMinor(), Currency: in.GetCurrency(),
		GSTNumber: in.GetGstNumber(), GSTBps: in.GetGstBps(), FeeMode: feeModes.NameOr(in.GetFeeMode(), string(money.FeeAbsorbed)),
		PlatformFeeFixedMinor: in.GetPlatformFeeFixedMinor(), PlatformFeeBps: in.GetPlatformFeeBps(),
		Visibility: visibilities.NameOr(in.GetVisibility(), visibilityPublic), HoldMinutes: orDefault(in.GetHoldMinutes(), defaultHoldMinutes),
		RefundCutoffHours: in.GetRefundCutoffHours(), CoverImages: append([]string{}, in.GetCoverImages()...),
		VenueID: rpc.OptionalID(in.GetVenueId()), OrganizationID: rpc.OptionalID(in.GetOrganizationId()),
		DoorOpensMinutesBefore: orDefault(in.GetDoorOpensMinutesBefore(), defaultDoorOpensMinutesBefore),
		EventType:              eventTypes.NameOr(in.GetEventType(), enums.EventTypeOther),
	}
	if ev.MaxSeatsPerRequest > ev.Capacity {
		return nil, rpc.InvalidField("event.max_seats_per_request", fmt.Sprintf("%d is more than the capacity of %d", ev.MaxSeatsPerRequest, ev.Capacity))
	}
	return ev, checkPricing(ev)
}

// maxEventLength bounds how long one event runs: a festival season, not
// an open-ended order that holds tickets, timers and refunds for ever.
const maxEventLength = 366 * 24 * time.Hour

// checkEventTimes checks the order of the times, the event's length and the
// time zone.
func checkEventTimes(in *eventsv1.EventInput) error {
	starts, ends := in.GetStartsAt().AsTime(), in.GetEndsAt().AsTime()
	if !ends.After(starts) {
		return rpc.InvalidField("event.ends_at", "must be after starts_at")
	}
	if ends.Sub(starts) > maxEventLength {
		return rpc.InvalidField("event.ends_at", "must be at most 366 days after starts_at")
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
