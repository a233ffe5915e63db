package api_test

// Seat buckets (issue 9 §2) through the Connect API: a large event's
// seats split into bucket rows at publish, a rush on a bucketed event, and
// a cancellation on one offering the seat to the head of the waitlist.

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
)

// bucketedEvent is publishedEvent with its seats split into n buckets
// (an event this small would stay in one row when published).
func bucketedEvent(t *testing.T, a *testenv.API, host testenv.Session, spec eventSpec, n int32) *db.Event {
	t.Helper()
	ev := publishedEvent(t, a, host, spec)
	require.NoError(t, a.DB.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		locked, err := db.EventForUpdate(ctx, tx, ev.ID)
		if err != nil {
			return err
		}
		return db.SplitSeats(ctx, tx, locked, n)
	}))
	return ev
}

// requireBucketsWithin checks every bucket of an event is within its
// capacity and returns the seats they hold.
func requireBucketsWithin(t *testing.T, a *testenv.API, eventID string) int32 {
	t.Helper()
	buckets, err := db.SeatBuckets(context.Background(), a.DB, mustUUID(eventID))
	require.NoError(t, err)
	var taken int32
	for _, b := range buckets {
		assert.LessOrEqual(t, b.SeatsTaken, b.Capacity, "bucket %d over capacity", b.Bucket)
		taken += b.SeatsTaken
	}
	return taken
}

func TestEvents_PublishSplitsALargeEventIntoSeatBuckets(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host := a.NewUser(t, newPhone())
	small := publishEvent(t, a, host, eventInput(a))
	large := publishEvent(t, a, host, eventInput(a, func(in *eventsv1.EventInput) { in.Capacity = 5000 }))

	for _, tc := range []struct {
		ev      *eventsv1.Event
		buckets int32
	}{{small, 1}, {large, 32}} {
		stored, err := db.EventByID(ctx, a.DB, mustUUID(tc.ev.GetId()))
		require.NoError(t, err)
		assert.Equal(t, tc.buckets, stored.SeatBuckets)
		assert.Zero(t, stored.SeatsTaken)
	}
	buckets, err := db.SeatBuckets(ctx, a.DB, mustUUID(large.GetId()))
	require.NoError(t, err)
	var capacity int32
	for _, b := range buckets {
		capacity += b.Capacity
	}
	assert.EqualValues(t, 5000, capacity)

	in := eventInput(a, func(in *eventsv1.EventInput) { in.Capacity = 6000 })
	_, err = a.Events.UpdateEvent(ctx, testenv.As(host, &eventsv1.UpdateEventRequest{EventId: large.GetId(), Event: in}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Contains(t, err.Error(), "event.capacity")
	in.Capacity, in.Title = 5000, "Stadium night"
	updated, err := a.Events.UpdateEvent(ctx, testenv.As(host, &eventsv1.UpdateEventRequest{EventId: large.GetId(), Event: in}))
	require.NoError(t, err, "other changes to a bucketed event still go through")
	assert.EqualValues(t, 5000, updated.Msg.GetEvent().GetCapacity())
	stored, err := db.EventByID(ctx, a.DB, mustUUID(large.GetId()))
	require.NoError(t, err)
	assert.EqualValues(t, 32, stored.SeatBuckets, "an update keeps the buckets")
}

// TestTicketing_RushOnBucketedEventNeverOversells: 200 people on 40
// connections request a 100-seat free event split into 8 buckets.
func TestTicketing_RushOnBucketedEventNeverOversells(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host := a.NewUser(t, newPhone())
	people, seats := 200, 100
	if testing.Short() {
		people, seats = 40, 20
	}
	ev := bucketedEvent(t, a, host, eventSpec{capacity: int32(seats)}, 8)
	buyers := make(chan testenv.Session, people)
	for i := range people {
		buyers <- a.NewUser(t, fmt.Sprintf("+1415666%04d", i))
	}
	close(buyers)
	var mu sync.Mutex
	statuses := map[eventsv1.RequestStatus]int{}
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			for b := range buyers {
				resp, err := a.Ticketing.RequestToJoin(ctx, testenv.As(b, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
				if !assert.NoError(t, err) {
					continue
				}
				mu.Lock()
				statuses[resp.Msg.GetRequest().GetStatus()]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	waiting := people - seats
	assert.Equal(t, map[eventsv1.RequestStatus]int{
		eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED:   seats,
		eventsv1.RequestStatus_REQUEST_STATUS_WAITLISTED: waiting,
	}, statuses)
	assert.EqualValues(t, seats, countRows(t, a, (*db.Ticket)(nil), "event_id = ?", ev.ID))
	assert.EqualValues(t, waiting, countRows(t, a, (*db.Request)(nil), "event_id = ? AND status = 'waitlisted'", ev.ID))
	assert.EqualValues(t, seats, requireBucketsWithin(t, a, ev.ID.String()))
	assert.Zero(t, countRows(t, a, (*db.Reservation)(nil), "event_id = ? AND bucket IS NULL", ev.ID), "every hold names its bucket")

	shown, err := a.Events.GetEvent(ctx, testenv.As(host, &eventsv1.GetEventRequest{EventId: ev.ID.String()}))
	require.NoError(t, err)
	assert.EqualValues(t, seats, shown.Msg.GetEvent().GetGoingCount())
	assert.EqualValues(t, people, shown.Msg.GetEvent().GetRequestsCount())
	assert.EqualValues(t, waiting, shown.Msg.GetEvent().GetWaitlistCount())
}

// TestTicketing_BucketedCancelOffersSeatToHeadOfWaitlist: on a full
// bucketed event a cancelled ticket's seat goes back to its bucket and on
// to the first waitlisted request; the second keeps waiting.
func TestTicketing_BucketedCancelOffersSeatToHeadOfWaitlist(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host := a.NewUser(t, newPhone())
	ev := bucketedEvent(t, a, host, eventSpec{capacity: 2}, 2)
	var ids []string
	var people []testenv.Session
	for i, want := range []eventsv1.RequestStatus{
		eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED, eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED,
		eventsv1.RequestStatus_REQUEST_STATUS_WAITLISTED, eventsv1.RequestStatus_REQUEST_STATUS_WAITLISTED,
	} {
		p := a.NewUser(t, newPhone())
		resp, err := a.Ticketing.RequestToJoin(ctx, testenv.As(p, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
		require.NoError(t, err)
		require.Equal(t, want, resp.Msg.GetRequest().GetStatus(), "request %d", i)
		ids, people = append(ids, resp.Msg.GetRequest().GetId()), append(people, p)
	}

	_, err := a.Ticketing.CancelRequest(ctx, testenv.As(people[0], &eventsv1.CancelRequestRequest{RequestId: ids[0], Reason: "sick"}))
	require.NoError(t, err)

	awaitStatus(t, a, people[2], ids[2], eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED)
	assert.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_WAITLISTED, requestStatus(t, a, people[3], ids[3]).GetStatus())
	assert.EqualValues(t, 2, requireBucketsWithin(t, a, ev.ID.String()))
	stored, err := db.EventByID(ctx, a.DB, ev.ID)
	require.NoError(t, err)
	assert.EqualValues(t, 2, stored.SeatsTaken)
	assert.EqualValues(t, 2, stored.GoingCount)
	assert.EqualValues(t, 1, stored.WaitlistCount)
	var buckets []int32
	require.NoError(t, a.DB.NewSelect().Model((*db.Reservation)(nil)).Column("bucket").
		Where("request_id IN (?, ?)", mustUUID(ids[0]), mustUUID(ids[2])).OrderExpr("created_at").Scan(ctx, &buckets))
	require.Len(t, buckets, 2)
	assert.Equal(t, buckets[0], buckets[1], "the offer took the seat the cancellation gave back")
}
