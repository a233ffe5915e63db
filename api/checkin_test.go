package api_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
)

// ticketFor has buyer join the free event and returns the ticket's code.
func ticketFor(t *testing.T, a *testenv.API, buyer testenv.Session, ev *db.Event) string {
	t.Helper()
	ctx := context.Background()
	joined, err := a.Ticketing.RequestToJoin(ctx, testenv.As(buyer, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
	require.NoError(t, err)
	require.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED, joined.Msg.GetRequest().GetStatus())
	mine, err := a.Ticketing.ListMyTickets(ctx, testenv.As(buyer, &eventsv1.ListMyTicketsRequest{}))
	require.NoError(t, err)
	require.Len(t, mine.Msg.GetTickets(), 1)
	return mine.Msg.GetTickets()[0].GetCode()
}

// advanceTo moves the API's clock to at and signs staff in again (a jump
// of hours expires access tokens).
func advanceTo(t *testing.T, a *testenv.API, at time.Time, staff testenv.Session) testenv.Session {
	t.Helper()
	a.Clock.Advance(at.Sub(a.Clock.Now()))
	return a.Login(t, staff.Phone)
}

func scan(t *testing.T, a *testenv.API, staff testenv.Session, ev *db.Event, code, nonce, device string) *eventsv1.CheckInResponse {
	t.Helper()
	resp, err := a.Ticketing.CheckIn(context.Background(), testenv.As(staff, &eventsv1.CheckInRequest{EventId: ev.ID.String(),
		Code: code, Nonce: nonce, DeviceId: device}))
	require.NoError(t, err)
	return resp.Msg
}

// A scan's nonce is honoured again only from the same device and within
// five minutes; anything else sees the ticket already redeemed.
func TestCheckIn_NonceBoundToDeviceAndWindow(t *testing.T) {
	a := setup(t)
	host, buyer := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5})
	code := ticketFor(t, a, buyer, ev)
	host = advanceTo(t, a, ev.StartsAt.Add(-time.Hour), host)

	first := scan(t, a, host, ev, code, "scan-1", "door-1")
	require.Equal(t, eventsv1.CheckInResult_CHECK_IN_RESULT_OK, first.GetResult())
	steps := []struct {
		name          string
		advance       time.Duration
		nonce, device string
		want          eventsv1.CheckInResult
	}{
		{"same scan retried from the same device", time.Minute, "scan-1", "door-1", eventsv1.CheckInResult_CHECK_IN_RESULT_OK},
		{"same nonce from another device", 0, "scan-1", "door-2", eventsv1.CheckInResult_CHECK_IN_RESULT_ALREADY_REDEEMED},
		{"another nonce from the same device", 0, "scan-2", "door-1", eventsv1.CheckInResult_CHECK_IN_RESULT_ALREADY_REDEEMED},
		{"same scan after the five-minute window", 5 * time.Minute, "scan-1", "door-1", eventsv1.CheckInResult_CHECK_IN_RESULT_ALREADY_REDEEMED},
	}
	for _, step := range steps {
		a.Clock.Advance(step.advance)
		got := scan(t, a, host, ev, code, step.nonce, step.device)
		assert.Equal(t, step.want, got.GetResult(), step.name)
		assert.Equal(t, first.GetFirstCheckedInAt().AsTime(), got.GetFirstCheckedInAt().AsTime(), step.name)
	}
	assert.EqualValues(t, 1, countRows(t, a, (*db.Ticket)(nil), "event_id = ? AND redeemed_at IS NOT NULL AND redeem_device_id = 'door-1'", ev.ID))
}

// Check-in is accepted only from the event's door_opens_minutes_before its
// start until its end; outside that a scan redeems nothing.
func TestCheckIn_OnlyInsideTheDoorWindow(t *testing.T) {
	a := setup(t)
	host := a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5, doorOpensMinutes: 60})
	early, onTime, late := ticketFor(t, a, a.NewUser(t, newPhone()), ev), ticketFor(t, a, a.NewUser(t, newPhone()), ev), ticketFor(t, a, a.NewUser(t, newPhone()), ev)
	steps := []struct {
		name string
		at   time.Time
		code string
		want eventsv1.CheckInResult
	}{
		{"two hours before the start, door opens one hour before", ev.StartsAt.Add(-2 * time.Hour), early, eventsv1.CheckInResult_CHECK_IN_RESULT_NOT_YET_OPEN},
		{"a second before the door opens", ev.StartsAt.Add(-time.Hour - time.Second), early, eventsv1.CheckInResult_CHECK_IN_RESULT_NOT_YET_OPEN},
		{"as the door opens", ev.StartsAt.Add(-time.Hour), onTime, eventsv1.CheckInResult_CHECK_IN_RESULT_OK},
		{"at the end", ev.EndsAt, late, eventsv1.CheckInResult_CHECK_IN_RESULT_CLOSED},
	}
	for i, step := range steps {
		host = advanceTo(t, a, step.at, host)
		got := scan(t, a, host, ev, step.code, "scan-"+string(rune('a'+i)), "door-1")
		assert.Equal(t, step.want, got.GetResult(), step.name)
	}
	assert.EqualValues(t, 1, countRows(t, a, (*db.Ticket)(nil), "event_id = ? AND redeemed_at IS NOT NULL", ev.ID),
		"only the scan inside the window redeemed a ticket")
	assert.EqualValues(t, 1, countRows(t, a, (*db.Attendee)(nil), "event_id = ? AND status = 'checked_in'", ev.ID))
}

func TestCheckIn_DeviceIDRequired(t *testing.T) {
	a := setup(t)
	host := a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5})
	_, err := a.Ticketing.CheckIn(context.Background(), testenv.As(host, &eventsv1.CheckInRequest{EventId: ev.ID.String(), Code: "x", Nonce: "n"}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	assert.Contains(t, err.Error(), "device_id")
}

// The door opens 4 hours before the start unless the host sets another
// time when creating or updating the event.
func TestEvents_DoorOpensSetOnCreateAndUpdate(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host := a.NewUser(t, newPhone())
	byDefault := createEvent(t, a, host, eventInput(a))
	assert.EqualValues(t, 240, byDefault.GetDoorOpensMinutesBefore())

	in := eventInput(a, func(in *eventsv1.EventInput) { in.DoorOpensMinutesBefore = 30 })
	ev := createEvent(t, a, host, in)
	assert.EqualValues(t, 30, ev.GetDoorOpensMinutesBefore())
	in.DoorOpensMinutesBefore = 90
	updated, err := a.Events.UpdateEvent(ctx, testenv.As(host, &eventsv1.UpdateEventRequest{EventId: ev.GetId(), Event: in}))
	require.NoError(t, err)
	assert.EqualValues(t, 90, updated.Msg.GetEvent().GetDoorOpensMinutesBefore())
	stored, err := db.EventByID(ctx, a.DB, mustUUID(ev.GetId()))
	require.NoError(t, err)
	assert.EqualValues(t, 90, stored.DoorOpensMinutesBefore)

	in.DoorOpensMinutesBefore = 10081
	_, err = a.Events.UpdateEvent(ctx, testenv.As(host, &eventsv1.UpdateEventRequest{EventId: ev.GetId(), Event: in}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
}
