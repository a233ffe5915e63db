package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// AdmissionOutcome is what an admission does with a join request.
type AdmissionOutcome int

const (
	// AdmitPending leaves the request to the host's decision.
	AdmitPending AdmissionOutcome = iota + 1
	// AdmitHeld takes the seats: a ticket (free) or a hold (paid).
	AdmitHeld
	// AdmitWaitlisted queues the request for a freed seat.
	AdmitWaitlisted
)

// EventAdmission is one admission's change to its event row.
type EventAdmission struct {
	EventID uuid.UUID
	Outcome AdmissionOutcome
	Seats   int32
	// Going is the seats confirmed at once (a free ticket); 0 for a hold.
	Going int32
	// SkipApproval: the request came with an invite, which skips the
	// host's decision.
	SkipApproval bool
	// Buckets is the event's SeatBuckets; a held outcome of a bucketed
	// event claims its seats in a bucket, spread by RequestID, and records
	// the bucket on the request's hold.
	Buckets   int32
	RequestID uuid.UUID
}

// seatsFree holds when a request for ? seats may take them: they fit and
// nobody waits before it.
const seatsFree = "seats_taken + ? <= capacity AND waitlist_count = 0"

// CommitAdmission applies an admission to its event row with one
// conditional update and commits tx with it in the same round trip
// (CommitWith); it reports false, with tx rolled back, when the row no
// longer allows that outcome (a seat taken meanwhile, a waitlist formed,
// the event unpublished). The caller decides the outcome from an unlocked
// read and writes its other rows first, so this update, the one statement
// that locks the event row, is the last: the row is locked for the commit
// alone. The caller ends tx (left open and empty, or, for a bucketed
// hold, holding the admission for the caller's commit) and runs nothing
// else in it.
//
// A bucketed event (events_buckets.go) takes a held outcome's seats in a
// bucket and leaves the event row alone. Its waitlist join locks the event
// row before it looks at the buckets, so it sees seats a release freed
// under that lock (a release offers them to the waitlist while holding it):
// no one joins the waitlist while the seat they wait for is free.
func CommitAdmission(ctx context.Context, tx bun.Tx, a EventAdmission) (bool, error) {
	if a.Buckets > 1 {
		return commitBucketedAdmission(ctx, tx, a)
	}
	q := tx.NewUpdate().Model((*Event)(nil)).
		Set("requests_count = requests_count + 1, updated_at = now()").
		Where("id = ? AND status = ?", a.EventID, EventPublished)
	switch a.Outcome {
	case AdmitPending:
		q = q.Where("requires_approval AND NOT ?", a.SkipApproval)
	case AdmitHeld:
		q = q.Set("seats_taken = seats_taken + ?, going_count = going_count + ?", a.Seats, a.Going).
			Where("(NOT requires_approval OR ?)", a.SkipApproval).Where(seatsFree, a.Seats)
	case AdmitWaitlisted:
		q = q.Set("waitlist_count = waitlist_count + 1").
			Where("(NOT requires_approval OR ?)", a.SkipApproval).Where("NOT ("+seatsFree+")", a.Seats)
	default:
		return false, fmt.Errorf("commit admission to event %s: unknown outcome %d", a.EventID, a.Outcome)
	}
	return commitWith(ctx, tx, a, q.String())
}

// commitWith commits the admission a's transaction with stmts
// (CommitWith) and reports false when the last changed nothing.
func commitWith(ctx context.Context, tx bun.Tx, a EventAdmission, stmts ...string) (bool, error) {
	err := CommitWith(ctx, tx, stmts...)
	if errors.Is(err, ErrNoRowChanged) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("commit admission to event %s: %w", a.EventID, err)
	}
	return true, nil
}

// bucketsFree holds when a request for ? seats may take them on a bucketed
// event: the buckets together have room and nobody waits.
const bucketsFree = `(SELECT sum(sb.capacity - sb.seats_taken) FROM event_seat_buckets AS sb WHERE sb.event_id = e.id) >= ?
	AND waitlist_count = 0`

// commitBucketedAdmission is CommitAdmission for a bucketed event.
func commitBucketedAdmission(ctx context.Context, tx bun.Tx, a EventAdmission) (bool, error) {
	switch a.Outcome {
	case AdmitHeld:
		b, ok, err := ClaimBucketSeats(ctx, tx, BucketClaim{EventID: a.EventID, Buckets: a.Buckets, Key: a.RequestID,
			Seats: a.Seats, Going: a.Going, Requests: 1, NoApprovalNeeded: !a.SkipApproval})
		if err != nil || !ok {
			return false, err
		}
		// The bucket stays locked across a round trip or two: ten buckets
		// share the rush, where the event row alone takes every waitlist join.
		return true, SetReservationBucket(ctx, tx, a.RequestID, b)
	case AdmitWaitlisted:
		// The update is a new statement after the lock: it sees every
		// release committed before it.
		join := tx.NewUpdate().Model((*Event)(nil)).
			Set("requests_count = requests_count + 1, waitlist_count = waitlist_count + 1, updated_at = now()").
			Where("id = ? AND status = ?", a.EventID, EventPublished).
			Where("(NOT requires_approval OR ?)", a.SkipApproval).Where("NOT ("+bucketsFree+")", a.Seats)
		return commitWith(ctx, tx, a, tx.NewRaw(lockEventQuery, a.EventID).String(), join.String())
	}
	single := a
	single.Buckets = 1
	return CommitAdmission(ctx, tx, single)
}

// PredictAdmission is the outcome a request for seats would get from the
// event as read (without a lock); CommitAdmission confirms it.
func PredictAdmission(ev *Event, seats int32, skipApproval bool) AdmissionOutcome {
	switch {
	case ev.RequiresApproval && !skipApproval:
		return AdmitPending
	case ev.SeatsTaken+seats <= ev.Capacity && ev.WaitlistCount == 0:
		return AdmitHeld
	default:
		return AdmitWaitlisted
	}
}

// InsertRequest writes a new request row; the event's requests_count is
// counted by CommitAdmission.
func InsertRequest(ctx context.Context, tx bun.Tx, r *Request) error {
	if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
		return fmt.Errorf("insert request %s: %w", r.ID, err)
	}
	return nil
}
