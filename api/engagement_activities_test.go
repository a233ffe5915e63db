package api_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/jobs"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// activityWorld is an organization with an owner, two members and an
// activity, and a second organization whose owner is the outsider.
type activityWorld struct {
	a                       *testenv.API
	owner, alice, bob, outB testenv.Session
	org, orgB, activity     string
}

func setupActivities(t *testing.T) *activityWorld {
	t.Helper()
	a := setup(t)
	w := &activityWorld{a: a, owner: a.NewUser(t, newPhone()), alice: a.NewUser(t, newPhone()),
		bob: a.NewUser(t, newPhone()), outB: a.NewUser(t, newPhone())}
	w.org = createOrg(t, a, w.owner, "act-"+uuid.NewString()[:8]).GetId()
	w.orgB = createOrg(t, a, w.outB, "act-b-"+uuid.NewString()[:8]).GetId()
	addAndAccept(t, a, w.owner, w.org, w.alice, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	addAndAccept(t, a, w.owner, w.org, w.bob, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	resp, err := a.Activities.CreateActivity(context.Background(), testenv.As(w.owner, &engagementv1.CreateActivityRequest{
		OrganizationId: w.org, Name: "Yoga", DefaultDurationMinutes: 60, Capacity: 10}))
	require.NoError(t, err)
	w.activity = resp.Msg.GetActivity().GetId()
	return w
}

// schedule creates an occurrence of the world's activity starting in a
// day, for an hour, repeating as r says (nil: a one-off).
func (w *activityWorld) schedule(t *testing.T, r *engagementv1.ActivityRecurrence) *engagementv1.ActivityOccurrence {
	t.Helper()
	start := w.a.Clock.Now().Add(24 * time.Hour).Truncate(time.Minute)
	resp, err := w.a.Activities.ScheduleActivityEvent(context.Background(), testenv.As(w.owner, &engagementv1.ScheduleActivityEventRequest{
		ActivityId: w.activity, StartsAt: timestamppb.New(start), EndsAt: timestamppb.New(start.Add(time.Hour)), Recurrence: r}))
	require.NoError(t, err)
	return resp.Msg.GetOccurrence()
}

func (w *activityWorld) rsvp(who testenv.Session, eventID string, going bool) (*engagementv1.ActivityParticipation, error) {
	resp, err := w.a.Activities.Rsvp(context.Background(), testenv.As(who, &engagementv1.RsvpRequest{EventId: eventID, Going: going}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetParticipation(), nil
}

// tableRows counts the rows of table matching where.
func tableRows(t *testing.T, a *testenv.API, table, where string, args ...any) int {
	t.Helper()
	n, err := a.DB.NewSelect().TableExpr(table).Where(where, args...).Count(context.Background())
	require.NoError(t, err)
	return int(n)
}

func TestActivities_ConcurrentRsvpsOfOneMemberMakeOneTicket(t *testing.T) {
	w := setupActivities(t)
	occ := w.schedule(t, nil)

	const calls = 10
	var wg sync.WaitGroup
	got := make([]*engagementv1.ActivityParticipation, calls)
	errs := make([]error, calls)
	for i := range calls {
		wg.Go(func() { got[i], errs[i] = w.rsvp(w.alice, occ.GetEventId(), true) })
	}
	wg.Wait()
	for i := range calls {
		require.NoError(t, errs[i])
		assert.Equal(t, engagementv1.ActivityRsvp_ACTIVITY_RSVP_GOING, got[i].GetRsvp())
		assert.Equal(t, got[0].GetRequestId(), got[i].GetRequestId(), "every answer names the one order")
	}
	ev := occ.GetEventId()
	assert.Equal(t, 1, tableRows(t, w.a, "tickets", "event_id = ?", ev))
	assert.Equal(t, 1, tableRows(t, w.a, "event_attendees", "event_id = ? AND status = 'going'", ev))
	assert.Equal(t, 1, tableRows(t, w.a, "activity_participations", "event_id = ?", ev))
	assert.Equal(t, 1, tableRows(t, w.a, "domain_events", "type = 'activity.rsvp' AND reference_id = ?", ev))
	stored, err := db.EventByID(context.Background(), w.a.DB, mustUUID(ev))
	require.NoError(t, err)
	assert.Equal(t, int32(1), stored.GoingCount)
	assert.Equal(t, db.EventVisibilityOrganization, stored.Visibility)
}

func TestActivities_NotGoingCancelsTheTicketOrder(t *testing.T) {
	w := setupActivities(t)
	ev := w.schedule(t, nil).GetEventId()
	going, err := w.rsvp(w.alice, ev, true)
	require.NoError(t, err)

	// A fresh order refuses a cancel until its workflow has registered it.
	var p *engagementv1.ActivityParticipation
	require.Eventually(t, func() bool {
		p, err = w.rsvp(w.alice, ev, false)
		return err == nil || connect.CodeOf(err) != connect.CodeFailedPrecondition
	}, 20*time.Second, 200*time.Millisecond)
	require.NoError(t, err)
	assert.Equal(t, engagementv1.ActivityRsvp_ACTIVITY_RSVP_NOT_GOING, p.GetRsvp())
	assert.Equal(t, 1, tableRows(t, w.a, "event_requests", "id = ? AND status = 'cancelled'", going.GetRequestId()))
	stored, err := db.EventByID(context.Background(), w.a.DB, mustUUID(ev))
	require.NoError(t, err)
	assert.Equal(t, int32(0), stored.GoingCount, "the seat is released")
	assert.Equal(t, 2, tableRows(t, w.a, "domain_events", "type = 'activity.rsvp' AND reference_id = ?", ev))
}

// ticketCode returns who's ticket code for the event.
func ticketCode(t *testing.T, a *testenv.API, who testenv.Session, eventID string) string {
	t.Helper()
	mine, err := a.Ticketing.ListMyTickets(context.Background(), testenv.As(who, &eventsv1.ListMyTicketsRequest{}))
	require.NoError(t, err)
	for _, tk := range mine.Msg.GetTickets() {
		if tk.GetEventId() == eventID {
			return tk.GetCode()
		}
	}
	require.FailNow(t, "no ticket for the event")
	return ""
}

func TestActivities_CheckInRecordsAttendanceOnceAndOpensFeedback(t *testing.T) {
	w := setupActivities(t)
	ctx := context.Background()
	occ := w.schedule(t, nil)
	ev := occ.GetEventId()
	_, err := w.rsvp(w.alice, ev, true)
	require.NoError(t, err)
	code := ticketCode(t, w.a, w.alice, ev)

	feedback := func(who testenv.Session) (*engagementv1.ActivityParticipation, error) {
		resp, err := w.a.Activities.SubmitFeedback(ctx, testenv.As(who, &engagementv1.SubmitFeedbackRequest{EventId: ev, Rating: 5, Comment: "great"}))
		if err != nil {
			return nil, err
		}
		return resp.Msg.GetParticipation(), nil
	}
	_, err = feedback(w.alice)
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err), "no feedback before attending")

	at := occ.GetStartsAt().AsTime().Add(-10 * time.Minute)
	w.owner = advanceTo(t, w.a, at, w.owner)
	w.alice = w.a.Login(t, w.alice.Phone)
	for i, want := range []eventsv1.CheckInResult{eventsv1.CheckInResult_CHECK_IN_RESULT_OK, eventsv1.CheckInResult_CHECK_IN_RESULT_ALREADY_REDEEMED} {
		resp, err := w.a.Ticketing.CheckIn(ctx, testenv.As(w.owner, &eventsv1.CheckInRequest{EventId: ev, Code: code,
			Nonce: uuid.NewString(), DeviceId: "door-" + string(rune('a'+i))}))
		require.NoError(t, err)
		require.Equal(t, want, resp.Msg.GetResult())
	}
	assert.Equal(t, 1, tableRows(t, w.a, "domain_events", "type = 'ticket.checked_in' AND subject_user_id = ? AND payload->>'event_id' = ? AND payload->>'organization_id' = ?",
		w.alice.UserID, ev, w.org))
	assert.Equal(t, 1, tableRows(t, w.a, "domain_events", "type = 'activity.attended' AND subject_user_id = ?", w.alice.UserID))

	p, err := feedback(w.alice)
	require.NoError(t, err)
	assert.Equal(t, engagementv1.ActivityAttendance_ACTIVITY_ATTENDANCE_ATTENDED, p.GetAttendance())
	assert.WithinDuration(t, at, p.GetCheckInTime().AsTime(), 5*time.Second)
	assert.Equal(t, int32(5), p.GetFeedbackRating())
	_, err = feedback(w.a.Login(t, w.bob.Phone))
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err), "bob never went")
}

func TestActivities_NoShowsMarkedAfterTheEnd(t *testing.T) {
	w := setupActivities(t)
	ctx := context.Background()
	occ := w.schedule(t, nil)
	ev := occ.GetEventId()
	for _, who := range []testenv.Session{w.alice, w.bob} {
		_, err := w.rsvp(who, ev, true)
		require.NoError(t, err)
	}
	code := ticketCode(t, w.a, w.alice, ev)
	markNoShows := func() {
		worker := &jobs.MarkNoShowsWorker{DB: w.a.DB, Now: w.a.Clock.Now}
		require.NoError(t, worker.Work(ctx, &river.Job[jobs.MarkNoShowsArgs]{}))
	}
	w.owner = advanceTo(t, w.a, occ.GetStartsAt().AsTime(), w.owner)
	resp, err := w.a.Ticketing.CheckIn(ctx, testenv.As(w.owner, &eventsv1.CheckInRequest{EventId: ev, Code: code, Nonce: "n1", DeviceId: "d1"}))
	require.NoError(t, err)
	require.Equal(t, eventsv1.CheckInResult_CHECK_IN_RESULT_OK, resp.Msg.GetResult())
	markNoShows()
	assert.Zero(t, tableRows(t, w.a, "activity_participations", "event_id = ? AND attendance = 'no_show'", ev), "not before the end")

	w.a.Clock.Advance(occ.GetEndsAt().AsTime().Sub(w.a.Clock.Now()) + time.Minute)
	markNoShows()
	markNoShows()
	attendance := map[string]string{}
	var rows []db.ActivityParticipation
	require.NoError(t, w.a.DB.NewSelect().Model(&rows).Where("event_id = ?", ev).Scan(ctx))
	for _, p := range rows {
		attendance[p.UserID.String()] = *p.Attendance
	}
	assert.Equal(t, map[string]string{w.alice.UserID: db.AttendanceAttended, w.bob.UserID: db.AttendanceNoShow}, attendance)
}

func TestActivities_SeriesMaterializesEachOccurrenceOnce(t *testing.T) {
	cases := []struct {
		name       string
		recurrence func(start time.Time) *engagementv1.ActivityRecurrence
		want       int
	}{
		{"weekly, three in all", func(time.Time) *engagementv1.ActivityRecurrence {
			return &engagementv1.ActivityRecurrence{Freq: engagementv1.ActivityRecurrenceFreq_ACTIVITY_RECURRENCE_FREQ_WEEKLY, Interval: 1, Count: 3}
		}, 3},
		{"every other day until day 9", func(start time.Time) *engagementv1.ActivityRecurrence {
			return &engagementv1.ActivityRecurrence{Freq: engagementv1.ActivityRecurrenceFreq_ACTIVITY_RECURRENCE_FREQ_DAILY, Interval: 2,
				Until: timestamppb.New(start.Add(9 * 24 * time.Hour))}
		}, 5},
	}
	w := setupActivities(t)
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := w.a.Clock.Now().Add(24 * time.Hour).Truncate(time.Minute)
			occ := w.schedule(t, tc.recurrence(start))
			series := mustUUID(occ.GetSeriesId())
			horizon := w.a.Clock.Now().Add(jobs.SeriesHorizon)
			// The job enqueued by the schedule may run beside these two.
			for range 2 {
				_, err := jobs.MaterializeSeries(ctx, w.a.DB, series, horizon)
				require.NoError(t, err)
			}
			assert.Equal(t, tc.want, tableRows(t, w.a, "events", "series_id = ? AND visibility = 'organization' AND status = 'published'", series))
			assert.Equal(t, 1, tableRows(t, w.a, "events", "series_id = ? AND id = ?", series, occ.GetEventId()), "the first occurrence is the scheduled event")
		})
	}
}

func TestActivities_OtherOrganizationsAndRoles(t *testing.T) {
	w := setupActivities(t)
	ctx := context.Background()
	ev := w.schedule(t, nil).GetEventId()
	cases := []struct {
		name string
		call func() error
		want connect.Code
	}{
		{"outsider RSVPs", func() error { _, err := w.rsvp(w.outB, ev, true); return err }, connect.CodeNotFound},
		{"outsider lists participants", func() error {
			_, err := w.a.Activities.ListParticipants(ctx, testenv.As(w.outB, &engagementv1.ListParticipantsRequest{EventId: ev}))
			return err
		}, connect.CodeNotFound},
		{"outsider lists activities", func() error {
			_, err := w.a.Activities.ListActivities(ctx, testenv.As(w.outB, &engagementv1.ListActivitiesRequest{OrganizationId: w.org}))
			return err
		}, connect.CodePermissionDenied},
		{"outsider schedules", func() error {
			start := w.a.Clock.Now().Add(time.Hour)
			_, err := w.a.Activities.ScheduleActivityEvent(ctx, testenv.As(w.outB, &engagementv1.ScheduleActivityEventRequest{
				ActivityId: w.activity, StartsAt: timestamppb.New(start), EndsAt: timestamppb.New(start.Add(time.Hour))}))
			return err
		}, connect.CodeNotFound},
		{"member creates", func() error {
			_, err := w.a.Activities.CreateActivity(ctx, testenv.As(w.alice, &engagementv1.CreateActivityRequest{
				OrganizationId: w.org, Name: "Run", DefaultDurationMinutes: 30, Capacity: 5}))
			return err
		}, connect.CodePermissionDenied},
		{"outsider RSVPs through ticketing", func() error {
			_, err := w.a.Ticketing.RequestToJoin(ctx, testenv.As(w.outB, &eventsv1.RequestToJoinRequest{EventId: ev, Seats: 1}))
			return err
		}, connect.CodePermissionDenied},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, connect.CodeOf(tc.call()))
		})
	}
	assert.Zero(t, tableRows(t, w.a, "event_requests", "event_id = ?", ev), "nothing was admitted")
	list, err := w.a.Activities.ListActivities(ctx, testenv.As(w.alice, &engagementv1.ListActivitiesRequest{OrganizationId: w.org}))
	require.NoError(t, err)
	require.Len(t, list.Msg.GetActivities(), 1, "members list")
}
