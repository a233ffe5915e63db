package api_test

import (
	"context"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
)

func setRsvp(t *testing.T, a *testenv.API, s testenv.Session, eventID string, status eventsv1.RsvpStatus) *eventsv1.SetRsvpResponse {
	t.Helper()
	resp, err := a.Events.SetRsvp(context.Background(), testenv.As(s, &eventsv1.SetRsvpRequest{EventId: eventID, Status: status}))
	require.NoError(t, err)
	return resp.Msg
}

func myRsvp(t *testing.T, a *testenv.API, s testenv.Session, eventID string) *eventsv1.GetMyRsvpResponse {
	t.Helper()
	resp, err := a.Events.GetMyRsvp(context.Background(), testenv.As(s, &eventsv1.GetMyRsvpRequest{EventId: eventID}))
	require.NoError(t, err)
	return resp.Msg
}

func storedEvent(t *testing.T, a *testenv.API, ev *db.Event) *db.Event {
	t.Helper()
	stored, err := db.EventByID(context.Background(), a.DB, ev.ID)
	require.NoError(t, err)
	return stored
}

func TestSetRsvp_GoingIsAJoinRequestOfOneSeat(t *testing.T) {
	a := setup(t)
	host, first := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	full := publishedEvent(t, a, host, eventSpec{capacity: 1})
	setRsvp(t, a, first, full.ID.String(), eventsv1.RsvpStatus_RSVP_STATUS_GOING)
	tests := []struct {
		name string
		ev   *db.Event
		want eventsv1.RequestStatus
	}{
		{"free event: a ticket", publishedEvent(t, a, host, eventSpec{capacity: 5}), eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED},
		{"full event: the waitlist", full, eventsv1.RequestStatus_REQUEST_STATUS_WAITLISTED},
		{"approval event: the host decides", publishedEvent(t, a, host, eventSpec{capacity: 5, approval: true}), eventsv1.RequestStatus_REQUEST_STATUS_PENDING},
		{"paid event: the checkout", publishedEvent(t, a, host, eventSpec{capacity: 5, priceMinor: 50000}), eventsv1.RequestStatus_REQUEST_STATUS_AWAITING_PAYMENT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			guest := a.NewUser(t, newPhone())
			before := storedEvent(t, a, tc.ev)
			got := setRsvp(t, a, guest, tc.ev.ID.String(), eventsv1.RsvpStatus_RSVP_STATUS_GOING)
			assert.Equal(t, eventsv1.RsvpStatus_RSVP_STATUS_GOING, got.GetStatus())
			require.Equal(t, tc.want, got.GetJoinRequest().GetStatus())
			assert.Equal(t, int32(1), got.GetJoinRequest().GetSeats())

			again := setRsvp(t, a, guest, tc.ev.ID.String(), eventsv1.RsvpStatus_RSVP_STATUS_GOING)
			assert.Equal(t, got.GetJoinRequest().GetId(), again.GetJoinRequest().GetId(), "going again answers the same request")
			mine := myRsvp(t, a, guest, tc.ev.ID.String())
			assert.Equal(t, eventsv1.RsvpStatus_RSVP_STATUS_GOING, mine.GetStatus())
			assert.Equal(t, got.GetJoinRequest().GetId(), mine.GetJoinRequest().GetId())
			assert.EqualValues(t, 1, countRows(t, a, (*db.Request)(nil), "event_id = ? AND requester_user_id = ?", tc.ev.ID, mustUUID(guest.UserID)))
			assert.Zero(t, countRows(t, a, (*db.EventRsvp)(nil), "event_id = ?", tc.ev.ID), "going is never an event_rsvps row")

			after := storedEvent(t, a, tc.ev)
			if tc.want != eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED {
				assert.Equal(t, before.GoingCount, after.GoingCount)
				return
			}
			assert.Equal(t, before.GoingCount+1, after.GoingCount)
			assert.EqualValues(t, 1, countRows(t, a, (*db.Attendee)(nil), "event_id = ? AND user_id = ?", tc.ev.ID, mustUUID(guest.UserID)))
			tickets, err := a.Ticketing.ListMyTickets(context.Background(), testenv.As(guest, &eventsv1.ListMyTicketsRequest{}))
			require.NoError(t, err)
			require.Len(t, tickets.Msg.GetTickets(), 1)
			assert.NotEmpty(t, tickets.Msg.GetTickets()[0].GetCode(), "the check-in code")
		})
	}
}

func TestSetRsvp_LeavingGoingCancelsAndOffersTheSeat(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, first, second := a.NewUser(t, newPhone()), a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 1})
	going := setRsvp(t, a, first, ev.ID.String(), eventsv1.RsvpStatus_RSVP_STATUS_GOING)
	require.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED, going.GetJoinRequest().GetStatus())
	waiting := setRsvp(t, a, second, ev.ID.String(), eventsv1.RsvpStatus_RSVP_STATUS_GOING)
	require.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_WAITLISTED, waiting.GetJoinRequest().GetStatus())

	left := setRsvp(t, a, first, ev.ID.String(), eventsv1.RsvpStatus_RSVP_STATUS_NOT_GOING)
	assert.Equal(t, eventsv1.RsvpStatus_RSVP_STATUS_NOT_GOING, left.GetStatus())
	assert.Nil(t, left.GetJoinRequest())
	assert.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_CANCELLED, requestStatus(t, a, first, going.GetJoinRequest().GetId()).GetStatus())
	assert.Equal(t, eventsv1.RsvpStatus_RSVP_STATUS_NOT_GOING, myRsvp(t, a, first, ev.ID.String()).GetStatus())
	awaitStatus(t, a, second, waiting.GetJoinRequest().GetId(), eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED)

	stored := storedEvent(t, a, ev)
	assert.Equal(t, int32(1), stored.GoingCount, "the seat went from the first to the second")
	assert.Equal(t, int32(0), stored.WaitlistCount)
	rsvp, err := db.RsvpOf(ctx, a.DB, ev.ID, mustUUID(first.UserID))
	require.NoError(t, err)
	assert.Equal(t, enums.RsvpNotGoing, rsvp)
}

func TestSetRsvp_InterestedTakesNoSeatAndOnlyTheHostSeesWho(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, fan, goer, stranger := a.NewUser(t, newPhone()), a.NewUser(t, newPhone()), a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5})
	id := ev.ID.String()
	assert.Equal(t, eventsv1.RsvpStatus_RSVP_STATUS_UNSPECIFIED, myRsvp(t, a, fan, id).GetStatus())
	setRsvp(t, a, fan, id, eventsv1.RsvpStatus_RSVP_STATUS_NOT_GOING)
	setRsvp(t, a, fan, id, eventsv1.RsvpStatus_RSVP_STATUS_INTERESTED)
	setRsvp(t, a, goer, id, eventsv1.RsvpStatus_RSVP_STATUS_GOING)

	assert.Equal(t, eventsv1.RsvpStatus_RSVP_STATUS_INTERESTED, myRsvp(t, a, fan, id).GetStatus())
	assert.EqualValues(t, 1, countRows(t, a, (*db.EventRsvp)(nil), "event_id = ? AND status = ?", ev.ID, enums.RsvpInterested))
	assert.Equal(t, int32(1), storedEvent(t, a, ev).GoingCount, "interested takes no seat")
	assert.EqualValues(t, 2, countRows(t, a, (*db.AuditLog)(nil), "object_type = 'event_rsvp' AND object_id = ?", id))

	wantCounts := &eventsv1.RsvpCounts{Going: 1, Interested: 1}
	seen, err := a.Events.ListRsvps(ctx, testenv.As(stranger, &eventsv1.ListRsvpsRequest{EventId: id}))
	require.NoError(t, err)
	assert.True(t, proto.Equal(wantCounts, seen.Msg.GetCounts()), "counts: %v", seen.Msg.GetCounts())
	assert.Empty(t, seen.Msg.GetRsvps(), "only the host sees who")

	var people []string
	req := &eventsv1.ListRsvpsRequest{EventId: id, PageSize: 1}
	for {
		page, err := a.Events.ListRsvps(ctx, testenv.As(host, req))
		require.NoError(t, err)
		for _, r := range page.Msg.GetRsvps() {
			people = append(people, r.GetUserId()+" "+r.GetStatus().String())
		}
		if req.PageToken = page.Msg.GetNextPageToken(); req.PageToken == "" {
			break
		}
	}
	assert.ElementsMatch(t, []string{fan.UserID + " RSVP_STATUS_INTERESTED", goer.UserID + " RSVP_STATUS_GOING"}, people)
	going, err := a.Events.ListRsvps(ctx, testenv.As(host, &eventsv1.ListRsvpsRequest{EventId: id, Status: eventsv1.RsvpStatus_RSVP_STATUS_GOING}))
	require.NoError(t, err)
	require.Len(t, going.Msg.GetRsvps(), 1)
	assert.Equal(t, goer.UserID, going.Msg.GetRsvps()[0].GetUserId())
}

func TestSetRsvp_Refusals(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, guest := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5})
	draft := createEvent(t, a, host, eventInput(a))
	tests := []struct {
		name string
		who  testenv.Session
		req  *eventsv1.SetRsvpRequest
		want connect.Code
	}{
		{"no status", guest, &eventsv1.SetRsvpRequest{EventId: ev.ID.String()}, connect.CodeInvalidArgument},
		{"unknown status", guest, &eventsv1.SetRsvpRequest{EventId: ev.ID.String(), Status: 9}, connect.CodeInvalidArgument},
		{"bad id", guest, &eventsv1.SetRsvpRequest{EventId: "nope", Status: eventsv1.RsvpStatus_RSVP_STATUS_INTERESTED}, connect.CodeInvalidArgument},
		{"someone's draft", guest, &eventsv1.SetRsvpRequest{EventId: draft.GetId(), Status: eventsv1.RsvpStatus_RSVP_STATUS_INTERESTED}, connect.CodeNotFound},
		{"the host going", host, &eventsv1.SetRsvpRequest{EventId: ev.ID.String(), Status: eventsv1.RsvpStatus_RSVP_STATUS_GOING}, connect.CodeFailedPrecondition},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Events.SetRsvp(ctx, testenv.As(tc.who, tc.req))
			testenv.RequireCode(t, err, tc.want)
		})
	}
	assert.Zero(t, countRows(t, a, (*db.EventRsvp)(nil), "true"), "refusals store nothing")
	assert.Zero(t, countRows(t, a, (*db.Request)(nil), "true"), "refusals request nothing")
}

func TestListEvents_EventTypes(t *testing.T) {
	a := setup(t)
	host, guest := a.Login(t, newPhone()), a.Login(t, newPhone())
	typed := func(title string, typ eventsv1.EventType, lat float64) *eventsv1.EventInput {
		return eventInput(a, func(in *eventsv1.EventInput) {
			in.Title, in.EventType, in.Latitude, in.Longitude = title, typ, proto.Float64(lat), proto.Float64(77.5946)
		})
	}
	publishEvent(t, a, host, typed("Pub quiz", eventsv1.EventType_EVENT_TYPE_BAR, 12.9716))
	publishEvent(t, a, host, typed("Far pub", eventsv1.EventType_EVENT_TYPE_BAR, 12.9716+4.5))
	publishEvent(t, a, host, typed("Football", eventsv1.EventType_EVENT_TYPE_SPORTS, 12.9716))
	untyped := publishEvent(t, a, host, typed("Meetup", eventsv1.EventType_EVENT_TYPE_UNSPECIFIED, 12.9716))
	assert.Equal(t, eventsv1.EventType_EVENT_TYPE_OTHER, untyped.GetEventType(), "unset means other")

	near := func(req *eventsv1.ListEventsRequest) *eventsv1.ListEventsRequest {
		req.NearLatitude, req.NearLongitude, req.RadiusKm = proto.Float64(12.9716), proto.Float64(77.5946), 50
		return req
	}
	tests := []struct {
		name string
		req  *eventsv1.ListEventsRequest
		want []string
	}{
		{"bars", &eventsv1.ListEventsRequest{EventTypes: []eventsv1.EventType{eventsv1.EventType_EVENT_TYPE_BAR}}, []string{"Pub quiz", "Far pub"}},
		{"bars or sports", &eventsv1.ListEventsRequest{EventTypes: []eventsv1.EventType{eventsv1.EventType_EVENT_TYPE_BAR, eventsv1.EventType_EVENT_TYPE_SPORTS}},
			[]string{"Pub quiz", "Far pub", "Football"}},
		{"bars nearby", near(&eventsv1.ListEventsRequest{EventTypes: []eventsv1.EventType{eventsv1.EventType_EVENT_TYPE_BAR}}), []string{"Pub quiz"}},
		{"other", &eventsv1.ListEventsRequest{EventTypes: []eventsv1.EventType{eventsv1.EventType_EVENT_TYPE_OTHER}}, []string{"Meetup"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.ElementsMatch(t, tc.want, listTitles(t, a, guest, tc.req))
		})
	}
	_, err := a.Events.ListEvents(context.Background(), testenv.As(guest, &eventsv1.ListEventsRequest{EventTypes: []eventsv1.EventType{42}}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	_, err = a.Events.CreateEvent(context.Background(), testenv.As(host, &eventsv1.CreateEventRequest{Event: typed("Bad", 42, 12.9716)}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
}

func TestSetRsvp_ConcurrentGoingMakesOneRequest(t *testing.T) {
	a := setup(t)
	host, guest := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5})
	const calls = 5
	ids := make([]string, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			resp, err := a.Events.SetRsvp(context.Background(), testenv.As(guest, &eventsv1.SetRsvpRequest{
				EventId: ev.ID.String(), Status: eventsv1.RsvpStatus_RSVP_STATUS_GOING}))
			if assert.NoError(t, err) {
				ids[i] = resp.Msg.GetJoinRequest().GetId()
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		assert.Equal(t, ids[0], id, "every call answers the one request")
	}
	assert.EqualValues(t, 1, countRows(t, a, (*db.Request)(nil), "event_id = ?", ev.ID))
	assert.Equal(t, int32(1), storedEvent(t, a, ev).GoingCount)
}
