package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
)

func TestSeatBucketCount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		capacity, want int32
	}{
		{1, 1}, {999, 1}, {1000, 10}, {1099, 10}, {2500, 25}, {3200, 32}, {50000, 32},
	} {
		assert.Equal(t, tc.want, db.SeatBucketCount(tc.capacity), "capacity %d", tc.capacity)
	}
}

// bucketedEvent inserts a published free event of capacity split into n
// buckets.
func bucketedEvent(t *testing.T, d *db.DB, capacity, n int32) *db.Event {
	t.Helper()
	ctx := context.Background()
	host, _, err := db.CreateUserWithPhone(ctx, d, fmt.Sprintf("+1415%07d", time.Now().UnixNano()%10_000_000))
	require.NoError(t, err)
	start := time.Now().Add(72 * time.Hour)
	ev := &db.Event{ID: db.NewID(), HostUserID: host.ID, Title: "Stadium", Slug: "stadium-" + uuid.NewString()[:8],
		StartsAt: start, EndsAt: start.Add(3 * time.Hour), Timezone: "UTC", Capacity: capacity, MaxSeatsPerRequest: 20,
		AllowedGenders: "all", Currency: "INR", FeeMode: "absorbed", Visibility: "public", Status: db.EventPublished,
		HoldMinutes: 15, RefundCutoffHours: 24, CoverImages: []string{}, DoorOpensMinutesBefore: 240}
	require.NoError(t, db.InsertEvent(ctx, d, ev))
	require.NoError(t, d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		locked, err := db.EventForUpdate(ctx, tx, ev.ID)
		if err != nil {
			return err
		}
		return db.SplitSeats(ctx, tx, locked, n)
	}))
	ev, err = db.EventByID(ctx, d, ev.ID)
	require.NoError(t, err)
	return ev
}

// admit is what internal/admission does to the counters: predict from an
// unlocked read, commit, read again and retry when the event moved.
func admit(ctx context.Context, d *db.DB, eventID uuid.UUID, seats int32) (db.AdmissionOutcome, error) {
	for range 20 {
		ev, err := db.EventByID(ctx, d, eventID)
		if err != nil {
			return 0, err
		}
		outcome := db.PredictAdmission(ev, seats, false)
		going := int32(0)
		if outcome == db.AdmitHeld {
			going = seats
		}
		var ok bool
		err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			ok, err = db.CommitAdmission(ctx, tx, db.EventAdmission{EventID: eventID, Outcome: outcome, Seats: seats,
				Going: going, Buckets: ev.SeatBuckets, RequestID: db.NewID()})
			return err
		})
		if err != nil || ok {
			return outcome, err
		}
	}
	return 0, fmt.Errorf("event %s kept moving", eventID)
}

func TestSplitSeats_CapacitiesSumToTheEvent(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	ev := bucketedEvent(t, d, 1003, 10)
	buckets, err := db.SeatBuckets(context.Background(), d, ev.ID)
	require.NoError(t, err)
	require.Len(t, buckets, 10)
	var sum int32
	for _, b := range buckets {
		assert.Contains(t, []int32{100, 101}, b.Capacity)
		sum += b.Capacity
	}
	assert.EqualValues(t, 1003, sum)
	assert.EqualValues(t, 10, ev.SeatBuckets)
	assert.Zero(t, ev.SeatsTaken)
}

// TestCommitAdmission_BucketedRushSellsExactlyCapacity: 200 buyers on 40
// connections rush 100 seats in 8 buckets.
func TestCommitAdmission_BucketedRushSellsExactlyCapacity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	ev := bucketedEvent(t, d, 100, 8)
	buyers := make(chan struct{}, 200)
	for range 200 {
		buyers <- struct{}{}
	}
	close(buyers)
	var mu sync.Mutex
	outcomes := map[db.AdmissionOutcome]int{}
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			for range buyers {
				o, err := admit(ctx, d, ev.ID, 1)
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				outcomes[o]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 100, outcomes[db.AdmitHeld])
	assert.Equal(t, 100, outcomes[db.AdmitWaitlisted])

	stored, err := db.EventByID(ctx, d, ev.ID)
	require.NoError(t, err)
	assert.EqualValues(t, 100, stored.SeatsTaken)
	assert.EqualValues(t, 100, stored.GoingCount)
	assert.EqualValues(t, 200, stored.RequestsCount)
	assert.EqualValues(t, 100, stored.WaitlistCount)
	buckets, err := db.SeatBuckets(ctx, d, ev.ID)
	require.NoError(t, err)
	var taken int32
	for _, b := range buckets {
		assert.LessOrEqual(t, b.SeatsTaken, b.Capacity, "bucket %d", b.Bucket)
		taken += b.SeatsTaken
	}
	assert.EqualValues(t, 100, taken)
	raw := new(db.Event)
	require.NoError(t, d.NewSelect().Model(raw).Where("id = ?", ev.ID).Scan(ctx))
	assert.Zero(t, raw.SeatsTaken, "a bucketed claim never touches the event row's seats")
}

// TestCommitAdmission_WaitlistJoinSeesSeatFreedWhileItWaited: the event is
// full; a release frees a seat and, under the event row lock, finds nobody
// waiting; a waitlist join decided from the full event commits right
// after. It must be refused (and retried as a claim), not left waiting for
// a free seat nobody will offer.
func TestCommitAdmission_WaitlistJoinSeesSeatFreedWhileItWaited(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	ev := bucketedEvent(t, d, 4, 2)
	for range 4 {
		o, err := admit(ctx, d, ev.ID, 1)
		require.NoError(t, err)
		require.Equal(t, db.AdmitHeld, o)
	}

	release, err := d.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer func() { _ = release.Rollback() }()
	bucket := int32(1)
	require.NoError(t, db.ChangeSeats(ctx, release, db.SeatChange{EventID: ev.ID, Bucket: &bucket, SeatsTaken: -1, Going: -1}))

	joined := make(chan bool)
	go func() {
		var ok bool
		err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			ok, err = db.CommitAdmission(ctx, tx, db.EventAdmission{EventID: ev.ID, Outcome: db.AdmitWaitlisted, Seats: 1,
				Buckets: ev.SeatBuckets, RequestID: db.NewID()})
			return err
		})
		assert.NoError(t, err)
		joined <- ok
	}()
	awaitLockWait(t, d)
	require.NoError(t, release.Commit())

	assert.False(t, <-joined, "the join must see the freed seat")
	stored, err := db.EventByID(ctx, d, ev.ID)
	require.NoError(t, err)
	assert.Zero(t, stored.WaitlistCount)
	assert.EqualValues(t, 3, stored.SeatsTaken)
	o, err := admit(ctx, d, ev.ID, 1)
	require.NoError(t, err)
	assert.Equal(t, db.AdmitHeld, o, "the retried request takes the freed seat")
}

// awaitLockWait waits until a session of the test's database waits on a
// lock.
func awaitLockWait(t *testing.T, d *db.DB) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, func() bool {
		var n int
		err := d.NewRaw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).
			Scan(context.Background(), &n)
		return err == nil && n > 0
	}, "no session waits on a lock")
}

// TestClaimBucketSeats_GathersScatteredSeats: one free seat left in each
// of three buckets; a request for three seats gets them in one bucket.
func TestClaimBucketSeats_GathersScatteredSeats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	ev := bucketedEvent(t, d, 6, 3)
	for range 3 {
		o, err := admit(ctx, d, ev.ID, 1)
		require.NoError(t, err)
		require.Equal(t, db.AdmitHeld, o)
	}
	_, err := d.NewRaw("UPDATE event_seat_buckets SET seats_taken = 1 WHERE event_id = ?", ev.ID).Exec(ctx)
	require.NoError(t, err)

	o, err := admit(ctx, d, ev.ID, 3)
	require.NoError(t, err)
	assert.Equal(t, db.AdmitHeld, o)
	buckets, err := db.SeatBuckets(ctx, d, ev.ID)
	require.NoError(t, err)
	var capacity, taken int32
	for _, b := range buckets {
		assert.Equal(t, b.Capacity, b.SeatsTaken, "bucket %d is full", b.Bucket)
		capacity += b.Capacity
		taken += b.SeatsTaken
	}
	assert.EqualValues(t, 6, capacity)
	assert.EqualValues(t, 6, taken)

	o, err = admit(ctx, d, ev.ID, 1)
	require.NoError(t, err)
	assert.Equal(t, db.AdmitWaitlisted, o)
}
