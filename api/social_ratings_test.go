package api_test

import (
	"context"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/jobs"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
	"github.com/convene/convene/proto/convene/social/v1/socialv1connect"
)

// trustWorld is a published free event with its host, for the ratings
// and moderation tests.
type trustWorld struct {
	a          *testenv.API
	ratings    socialv1connect.RatingServiceClient
	moderation socialv1connect.ModerationServiceClient
	host       testenv.Session
	event      string
}

func newTrustWorld(t *testing.T) *trustWorld {
	t.Helper()
	a := setup(t)
	w := &trustWorld{a: a, ratings: socialv1connect.NewRatingServiceClient(a.HTTP, a.URL),
		moderation: socialv1connect.NewModerationServiceClient(a.HTTP, a.URL), host: a.NewUser(t, newPhone())}
	w.event = publishEvent(t, a, w.host, eventInput(a, func(in *eventsv1.EventInput) { in.Capacity = 200 })).GetId()
	return w
}

// attendee is a new user holding a live attendee row of the world's
// event, written straight in the database as an accepted free order
// leaves it (request accepted, reservation consumed, attendee going).
func (w *trustWorld) attendee(t *testing.T) testenv.Session {
	t.Helper()
	s := w.a.NewUser(t, newPhone())
	seedAttendee(t, w.a, w.event, s.UserID)
	return s
}

func seedAttendee(t *testing.T, a *testenv.API, eventID, userID string) {
	t.Helper()
	ctx := context.Background()
	requestID, reservationID := uuid.New(), uuid.New()
	_, err := a.DB.ExecContext(ctx, `INSERT INTO event_requests (id, event_id, requester_user_id, seats, status, decided_at)
		VALUES (?, ?, ?, 1, 'accepted', now())`, requestID, eventID, userID)
	require.NoError(t, err)
	_, err = a.DB.ExecContext(ctx, `INSERT INTO capacity_reservations (id, reservation_key, event_id, user_id, request_id, seats, consumed, expires_at)
		VALUES (?, ?, ?, ?, ?, 1, true, now() + interval '1 hour')`, reservationID, "test/"+requestID.String(), eventID, userID, requestID)
	require.NoError(t, err)
	_, err = a.DB.ExecContext(ctx, `INSERT INTO event_attendees (id, event_id, user_id, request_id, reservation_id, seats)
		VALUES (?, ?, ?, ?, ?, 1)`, uuid.New(), eventID, userID, requestID, reservationID)
	require.NoError(t, err)
}

// endEvent moves the event into the past: it ended an hour ago.
func endEvent(t *testing.T, a *testenv.API, eventID string) {
	t.Helper()
	_, err := a.DB.ExecContext(context.Background(),
		`UPDATE events SET starts_at = now() - interval '3 hours', ends_at = now() - interval '1 hour' WHERE id = ?`, eventID)
	require.NoError(t, err)
}

func (w *trustWorld) rate(as testenv.Session, rated string, rating int32) (*socialv1.RateUserResponse, error) {
	resp, err := w.ratings.RateUser(context.Background(), testenv.As(as, &socialv1.RateUserRequest{EventId: w.event,
		RatedUserId: rated, Rating: rating, Comment: "great company"}))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

// keptReputation is the rated user's kept columns beside the view's.
type keptReputation struct {
	Sum, Count, ViewCount int64
	Reputation, ViewAvg   float64
}

func readReputation(t *testing.T, a *testenv.API, userID string) keptReputation {
	t.Helper()
	var r keptReputation
	err := a.DB.QueryRowContext(context.Background(), `SELECT u.rating_sum, u.rating_count, u.reputation, v.average_rating, v.total_ratings
		FROM users u JOIN user_reputation v ON v.user_id = u.id WHERE u.id = ?`, userID).
		Scan(&r.Sum, &r.Count, &r.Reputation, &r.ViewAvg, &r.ViewCount)
	require.NoError(t, err)
	return r
}

func TestRatings_HundredConcurrentRatingsKeepTheReputationOfTheView(t *testing.T) {
	w := newTrustWorld(t)
	rated := w.attendee(t)
	const raters = 100
	sessions := make([]testenv.Session, raters)
	for i := range sessions {
		sessions[i] = w.attendee(t)
	}
	endEvent(t, w.a, w.event)

	var wg sync.WaitGroup
	errs := make([]error, raters)
	wantSum := int64(0)
	for i, s := range sessions {
		rating := int32(i%5 + 1)
		wantSum += int64(rating)
		wg.Go(func() { _, errs[i] = w.rate(s, rated.UserID, rating) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "rater %d", i)
	}

	got := readReputation(t, w.a, rated.UserID)
	assert.Equal(t, keptReputation{Sum: wantSum, Count: raters, ViewCount: raters, Reputation: got.ViewAvg, ViewAvg: got.ViewAvg}, got)
	assert.InDelta(t, 3.0, got.Reputation, 0.001, "ratings 1..5 twenty times each average 3")
	resp, err := w.ratings.GetReputation(context.Background(), testenv.As(w.host, &socialv1.GetReputationRequest{UserId: rated.UserID}))
	require.NoError(t, err)
	assert.Equal(t, int32(raters), resp.Msg.GetReputation().GetCount())
	assert.InDelta(t, got.ViewAvg, resp.Msg.GetReputation().GetAverage(), 0.001)
}

func TestRatings_OnlyCoAttendeesAfterTheEndAndOnce(t *testing.T) {
	w := newTrustWorld(t)
	x, y := w.attendee(t), w.attendee(t)
	stranger := w.a.NewUser(t, newPhone())

	_, err := w.rate(x, y.UserID, 5)
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	people, err := w.ratings.ListPeopleToRate(context.Background(), testenv.As(x, &socialv1.ListPeopleToRateRequest{EventId: w.event}))
	require.NoError(t, err)
	assert.Empty(t, people.Msg.GetPeople(), "nobody to rate before the end")

	endEvent(t, w.a, w.event)
	refusals := []struct {
		name  string
		as    testenv.Session
		rated string
		code  connect.Code
	}{
		{"a stranger rates an attendee", stranger, y.UserID, connect.CodePermissionDenied},
		{"an attendee rates a stranger", x, stranger.UserID, connect.CodePermissionDenied},
		{"an attendee rates themselves", x, x.UserID, connect.CodeInvalidArgument},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.rate(tc.as, tc.rated, 4)
			testenv.RequireCode(t, err, tc.code)
		})
	}
	assert.Equal(t, 0, tableRows(t, w.a, "ratings", "event_id = ?", w.event), "refusals write nothing")

	resp, err := w.rate(x, y.UserID, 4)
	require.NoError(t, err)
	assert.Equal(t, int32(1), resp.GetReputation().GetCount())
	assert.InDelta(t, 4.0, resp.GetReputation().GetAverage(), 0.001)
	_, err = w.rate(x, y.UserID, 1)
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)
	assert.Equal(t, keptReputation{Sum: 4, Count: 1, ViewCount: 1, Reputation: 4, ViewAvg: 4}, readReputation(t, w.a, y.UserID))

	ratingID := resp.GetRating().GetId()
	assert.Equal(t, 1, tableRows(t, w.a, "audit_logs", "object_type = 'rating' AND object_id = ?", ratingID))
	assert.Equal(t, 1, tableRows(t, w.a, "notification_notices", "dedupe_key = ? AND user_id = ?", "rating/"+ratingID, y.UserID))

	toRate := func(as testenv.Session) []string {
		resp, err := w.ratings.ListPeopleToRate(context.Background(), testenv.As(as, &socialv1.ListPeopleToRateRequest{EventId: w.event}))
		require.NoError(t, err)
		var ids []string
		for _, p := range resp.Msg.GetPeople() {
			ids = append(ids, p.GetUserId())
		}
		return ids
	}
	assert.Equal(t, []string{x.UserID}, toRate(y))
	assert.Empty(t, toRate(x), "x rated everyone they met")
	_, err = w.ratings.ListPeopleToRate(context.Background(), testenv.As(stranger, &socialv1.ListPeopleToRateRequest{EventId: w.event}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
}

func TestRatings_PromptSweepTellsEachAttendeeOnce(t *testing.T) {
	w := newTrustWorld(t)
	x, y := w.attendee(t), w.attendee(t)
	rc, err := river.NewClient(w.a.DB.RiverDriver(), &river.Config{})
	require.NoError(t, err)
	sweep := &jobs.RatingPromptWorker{DB: w.a.DB, Notices: &jobs.Notices{River: rc}, Now: w.a.Clock.Now}
	prompts := func() int {
		return tableRows(t, w.a, "notification_notices", "dedupe_key LIKE ?", "rating-prompt/"+w.event+"/%")
	}

	require.NoError(t, sweep.Work(context.Background(), nil))
	assert.Equal(t, 0, prompts(), "no prompt before the end")
	endEvent(t, w.a, w.event)
	require.NoError(t, sweep.Work(context.Background(), nil))
	require.NoError(t, sweep.Work(context.Background(), nil))
	assert.Equal(t, 2, prompts(), "one prompt per attendee, however many sweeps")
	for _, s := range []testenv.Session{x, y} {
		assert.Equal(t, 1, tableRows(t, w.a, "notification_notices", "dedupe_key = ? AND user_id = ?",
			"rating-prompt/"+w.event+"/"+s.UserID, s.UserID))
	}
}
