package db

// Seat buckets (issue 9 §2). A large event's capacity is split into
// event_seat_buckets rows when it is published, so concurrent admissions
// claim seats in different rows rather than queueing on the event row.
// The waitlist stays on the event row, strictly first come first served.
//
// Lock order: whoever needs the event row and a bucket locks the event row
// first (a release, an offer, a waitlist join); a claim locks only one
// bucket (or, gathering scattered seats, several in bucket order), never
// the event row. So no two of them wait on each other in a circle.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
)

const (
	// minBucketedCapacity is the smallest capacity split into buckets:
	// below it one row takes the rush easily.
	minBucketedCapacity = 1000
	// seatsPerBucket is the fewest seats a bucket gets, so a bucket runs
	// dry rarely before the event does.
	seatsPerBucket = 100
	// maxSeatBuckets bounds the rows: past a few dozen, more rows no
	// longer spread the rush on a small Postgres.
	maxSeatBuckets = 32
)

// SeatBucketCount is how many buckets an event of capacity gets when it
// is published: 1 (the event row alone) below minBucketedCapacity, else
// one per seatsPerBucket seats, at most maxSeatBuckets.
func SeatBucketCount(capacity int32) int32 {
	if capacity < minBucketedCapacity {
		return 1
	}
	return min(maxSeatBuckets, capacity/seatsPerBucket)
}

// Bucketed reports whether the event's seats live in bucket rows.
func (e *Event) Bucketed() bool { return e.SeatBuckets > 1 }

// SplitSeats splits the capacity of ev, which no seat has been taken of,
// into n buckets whose capacities differ by at most one and sum to the
// event's. n <= 1 leaves the event in the single-row mode. The caller
// holds the event row lock.
func SplitSeats(ctx context.Context, tx bun.Tx, ev *Event, n int32) error {
	if n <= 1 {
		return nil
	}
	if ev.Bucketed() || ev.SeatsTaken != 0 {
		return fmt.Errorf("split seats of event %s: already split or seats taken", ev.ID)
	}
	_, err := tx.NewRaw(`INSERT INTO event_seat_buckets (event_id, bucket, capacity)
		SELECT ?, b, ?::int / ?::int + (b < ?::int % ?::int)::int FROM generate_series(0, ?::int - 1) AS b`,
		ev.ID, ev.Capacity, n, ev.Capacity, n, n).Exec(ctx)
	if err != nil {
		return fmt.Errorf("split seats of event %s into %d buckets: %w", ev.ID, n, err)
	}
	if _, err := tx.NewUpdate().Model((*Event)(nil)).Set("seat_buckets = ?, updated_at = now()", n).Where("id = ?", ev.ID).Exec(ctx); err != nil {
		return fmt.Errorf("mark event %s bucketed: %w", ev.ID, err)
	}
	ev.SeatBuckets = n
	return nil
}

// bucketTotals are the sums of an event's buckets.
type bucketTotals struct {
	EventID                               uuid.UUID `bun:"event_id,type:uuid"`
	SeatsTaken, GoingCount, RequestsCount int32
}

// AddSeatBucketTotals adds the buckets' counts to the seats_taken,
// going_count and requests_count of the bucketed events among evs, so
// they read as the event's figures. Every reader of events goes through
// it (EventByID, EventForUpdate, the listings).
func AddSeatBucketTotals(ctx context.Context, idb bun.IDB, evs ...*Event) error {
	byID := make(map[uuid.UUID]*Event)
	for _, e := range evs {
		if e.Bucketed() {
			byID[e.ID] = e
		}
	}
	if len(byID) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	var totals []bucketTotals
	err := idb.NewRaw(`SELECT event_id, sum(seats_taken) AS seats_taken, sum(going_count) AS going_count,
		sum(requests_count) AS requests_count FROM event_seat_buckets WHERE event_id IN (?) GROUP BY event_id`, bun.In(ids)).
		Scan(ctx, &totals)
	if err != nil {
		return fmt.Errorf("sum seat buckets: %w", err)
	}
	for _, t := range totals {
		e := byID[t.EventID]
		e.SeatsTaken += t.SeatsTaken
		e.GoingCount += t.GoingCount
		e.RequestsCount += t.RequestsCount
	}
	return nil
}

// addListSeatBucketTotals is AddSeatBucketTotals over a listing.
func addListSeatBucketTotals(ctx context.Context, idb bun.IDB, evs []Event) error {
	ptrs := make([]*Event, len(evs))
	for i := range evs {
		ptrs[i] = &evs[i]
	}
	return AddSeatBucketTotals(ctx, idb, ptrs...)
}

// SeatBucket is one bucket's row.
type SeatBucket struct {
	bun.BaseModel `bun:"table:event_seat_buckets,alias:sb"`

	EventID       uuid.UUID `bun:"event_id,pk,type:uuid"`
	Bucket        int32     `bun:"bucket,pk"`
	Capacity      int32     `bun:"capacity,notnull"`
	SeatsTaken    int32     `bun:"seats_taken,notnull"`
	GoingCount    int32     `bun:"going_count,notnull"`
	RequestsCount int32     `bun:"requests_count,notnull"`
	Timestamps
}

// SeatBuckets lists an event's buckets in order.
func SeatBuckets(ctx context.Context, idb bun.IDB, eventID uuid.UUID) ([]SeatBucket, error) {
	var out []SeatBucket
	if err := idb.NewSelect().Model(&out).Where("sb.event_id = ?", eventID).Order("sb.bucket").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list seat buckets of event %s: %w", eventID, err)
	}
	return out, nil
}

// BucketClaim asks for seats in some bucket of a bucketed event.
type BucketClaim struct {
	EventID uuid.UUID
	Buckets int32
	// Key spreads claims over the buckets (the request ID).
	Key                    uuid.UUID
	Seats, Going, Requests int32
	// IgnoreWaitlist claims although requests wait: an offer to them, a
	// late payment reopening its request.
	IgnoreWaitlist bool
	// NoApprovalNeeded refuses when the event wants the host's decision.
	NoApprovalNeeded bool
}

// ClaimBucketSeats takes c.Seats in one bucket with room, adding c.Going
// and c.Requests to it, on a published event (nobody waiting unless
// c.IgnoreWaitlist). It returns the bucket, or false and changes nothing.
// It tries the key's bucket, then the first unlocked bucket with room,
// then waits for a locked one, then gathers seats scattered over buckets.
// An offer (c.IgnoreWaitlist) takes several holds in one transaction, so
// it skips the key's bucket and takes buckets in order, the order
// gatherSeats locks them in.
func ClaimBucketSeats(ctx context.Context, tx bun.Tx, c BucketClaim) (int32, bool, error) {
	admits := c.eventAdmits()
	roomy := "(SELECT bucket FROM event_seat_buckets WHERE event_id = ? AND seats_taken + ? <= capacity AND ? ORDER BY bucket LIMIT 1 FOR UPDATE"
	picks := []any{
		bun.SafeQuery(roomy+" SKIP LOCKED)", c.EventID, c.Seats, admits),
		bun.SafeQuery(roomy+")", c.EventID, c.Seats, admits),
	}
	if !c.IgnoreWaitlist {
		h := fnv.New32a()
		_, _ = h.Write(c.Key[:])
		picks = append([]any{int32(h.Sum32() % uint32(max(c.Buckets, 1)))}, picks...)
	}
	// A pick that claims nothing may still hold its bucket's row lock (a
	// recheck after waiting keeps it); held while waiting for another
	// bucket, two claims could deadlock. Each failed pick is rolled back to
	// the savepoint, which releases that lock.
	if _, err := tx.ExecContext(ctx, "SAVEPOINT bucket_claim"); err != nil {
		return 0, false, fmt.Errorf("claim seats of event %s: %w", c.EventID, err)
	}
	for _, pick := range picks {
		b, ok, err := claimIn(ctx, tx, c, pick)
		if err != nil || ok {
			return b, ok, err
		}
		if err := releasePick(ctx, tx); err != nil {
			return 0, false, err
		}
	}
	b, ok, err := gatherSeats(ctx, tx, c.EventID, c.Seats, admits)
	if err != nil || !ok {
		return 0, false, err
	}
	return claimIn(ctx, tx, c, b)
}

// releasePick undoes a pick that claimed nothing, with its row locks.
func releasePick(ctx context.Context, tx bun.Tx) error {
	if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT bucket_claim"); err != nil {
		return fmt.Errorf("release a bucket pick: %w", err)
	}
	return nil
}

// eventAdmits holds when the event takes the claim: published, nobody
// waiting (unless c.IgnoreWaitlist), no host decision wanted (if
// c.NoApprovalNeeded). It reads the event row without locking it.
func (c BucketClaim) eventAdmits() schema.QueryAppender {
	return bun.SafeQuery(`EXISTS (SELECT 1 FROM events AS e WHERE e.id = ? AND e.status = ?
		AND (? OR e.waitlist_count = 0) AND (NOT ? OR NOT e.requires_approval))`,
		c.EventID, EventPublished, c.IgnoreWaitlist, c.NoApprovalNeeded)
}

// claimIn claims c in the bucket that pick (a number or a subquery) names.
func claimIn(ctx context.Context, tx bun.Tx, c BucketClaim, pick any) (int32, bool, error) {
	var b int32
	err := tx.NewRaw(`UPDATE event_seat_buckets
		SET seats_taken = seats_taken + ?, going_count = going_count + ?, requests_count = requests_count + ?, updated_at = now()
		WHERE event_id = ? AND bucket = ? AND seats_taken + ? <= capacity AND ?
		RETURNING bucket`,
		c.Seats, c.Going, c.Requests, c.EventID, pick, c.Seats, c.eventAdmits()).Scan(ctx, &b)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("claim %d seats of event %s in a bucket: %w", c.Seats, c.EventID, err)
	}
	return b, true, nil
}

// gatherSeats moves free capacity of other buckets into the first bucket
// with room until it has room for seats (a request for several seats
// when only scattered ones are left). The capacities still sum to the
// event's. It reports false, changing nothing, when the buckets together
// lack the room.
func gatherSeats(ctx context.Context, tx bun.Tx, eventID uuid.UUID, seats int32, admits schema.QueryAppender) (int32, bool, error) {
	var roomy []SeatBucket
	err := tx.NewSelect().Model(&roomy).Where("sb.event_id = ? AND sb.seats_taken < sb.capacity AND ?", eventID, admits).
		Order("sb.bucket").For("UPDATE").Scan(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("lock buckets of event %s with room: %w", eventID, err)
	}
	var room int32
	for _, b := range roomy {
		room += b.Capacity - b.SeatsTaken
	}
	if room < seats || len(roomy) == 0 {
		return 0, false, nil
	}
	into := roomy[0]
	need := seats - (into.Capacity - into.SeatsTaken)
	for _, from := range roomy[1:] {
		if need <= 0 {
			break
		}
		moved := min(need, from.Capacity-from.SeatsTaken)
		if err := moveCapacity(ctx, tx, eventID, from.Bucket, into.Bucket, moved); err != nil {
			return 0, false, err
		}
		need -= moved
	}
	return into.Bucket, true, nil
}

// moveCapacity moves seats of free capacity from one bucket to another.
func moveCapacity(ctx context.Context, tx bun.Tx, eventID uuid.UUID, from, to, seats int32) error {
	_, err := tx.NewRaw(`UPDATE event_seat_buckets SET capacity = capacity + CASE WHEN bucket = ? THEN ?::int ELSE -?::int END,
		updated_at = now() WHERE event_id = ? AND bucket IN (?, ?)`, to, seats, seats, eventID, from, to).Exec(ctx)
	if err != nil {
		return fmt.Errorf("move %d seats of event %s from bucket %d to %d: %w", seats, eventID, from, to, err)
	}
	return nil
}

// SeatChange changes the counters of one hold's seats: its bucket's for
// a bucketed event, the event row's otherwise.
type SeatChange struct {
	EventID uuid.UUID
	// Bucket is the hold's (Reservation.Bucket); nil for the event row.
	Bucket            *int32
	SeatsTaken, Going int32
}

// ChangeSeats applies c. A change that frees seats in a bucket locks the
// event row first: the release's offer to the waitlist (which locks it
// anyway) then comes in the lock order, and a waitlist join, which looks
// at the buckets only once it holds that lock, sees the freed seats or
// is offered them.
func ChangeSeats(ctx context.Context, tx bun.Tx, c SeatChange) error {
	if c.Bucket == nil {
		return AdjustEventCounts(ctx, tx, c.EventID, c.SeatsTaken, c.Going, 0)
	}
	if c.SeatsTaken < 0 {
		if err := lockEvent(ctx, tx, c.EventID); err != nil {
			return err
		}
	}
	_, err := tx.NewUpdate().Model((*SeatBucket)(nil)).
		Set("seats_taken = seats_taken + ?, going_count = going_count + ?, updated_at = now()", c.SeatsTaken, c.Going).
		Where("event_id = ? AND bucket = ?", c.EventID, *c.Bucket).Exec(ctx)
	if err != nil {
		return fmt.Errorf("change seats of event %s in bucket %d: %w", c.EventID, *c.Bucket, err)
	}
	return nil
}

// lockEventQuery row-locks the event ? without reading it.
const lockEventQuery = "SELECT 1 FROM events WHERE id = ? FOR NO KEY UPDATE"

// lockEvent row-locks an event without reading it, as EventForUpdate
// does (FOR NO KEY UPDATE: see there why).
func lockEvent(ctx context.Context, tx bun.Tx, id uuid.UUID) error {
	if _, err := tx.NewRaw(lockEventQuery, id).Exec(ctx); err != nil {
		return fmt.Errorf("lock event %s: %w", id, err)
	}
	return nil
}

// ReservationBucket is the bucket a hold's seats came from (nil for the
// event row).
func ReservationBucket(ctx context.Context, idb bun.IDB, id uuid.UUID) (*int32, error) {
	var b sql.NullInt32
	if err := idb.NewSelect().Model((*Reservation)(nil)).Column("bucket").Where("id = ?", id).Scan(ctx, &b); err != nil {
		return nil, notFound(err, "reservation %s", id)
	}
	if !b.Valid {
		return nil, nil
	}
	return &b.Int32, nil
}

// SetReservationBucket records the bucket the live hold of a request took
// its seats from.
func SetReservationBucket(ctx context.Context, tx bun.Tx, requestID uuid.UUID, bucket int32) error {
	_, err := tx.NewUpdate().Model((*Reservation)(nil)).Set("bucket = ?", bucket).
		Where("request_id = ? AND bucket IS NULL AND NOT released", requestID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record bucket of the hold of request %s: %w", requestID, err)
	}
	return nil
}
