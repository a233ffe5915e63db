package main

// The second rush of the run (issue 9 §2): the same number of fresh buyers
// on a second event of the same capacity whose seats are split into
// bucket rows, so single-row and bucketed admissions are measured side by
// side on the same stack.

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/db"
)

// bucketedHostPhone is the second event's host, beside hostPhone.
const bucketedHostPhone = "+14155550101"

// bucketedBuyerPhone is the number of buyer i of the bucketed rush,
// outside the first rush's +1415800NNNN range.
func bucketedBuyerPhone(i int) string { return fmt.Sprintf("+1415900%04d", i) }

// maxSmallEventBuckets is the buckets a benchmark event too small for
// db.SeatBucketCount to split still gets, so a quick run measures
// buckets too.
const maxSmallEventBuckets = 8

// benchBuckets is the buckets an event of capacity gets in the benchmark:
// what publishing gives it, or up to maxSmallEventBuckets when publishing
// would keep it in one row.
func benchBuckets(capacity int) int32 {
	if n := db.SeatBucketCount(int32(capacity)); n > 1 {
		return n
	}
	return int32(min(maxSmallEventBuckets, capacity))
}

// bucketedRun is the outcome of the bucketed rush.
type bucketedRun struct {
	buckets int32
	rush    rushResult
	// failures are the rush's mismatches, as checkResult's.
	failures []string
}

// admissionsPerSecond is every answered RequestToJoin per second of wall
// time, as admissions_per_s counts them.
func (b bucketedRun) admissionsPerSecond() float64 {
	return float64(len(b.rush.latencies)) / b.rush.wall.Seconds()
}

// measureBucketed runs the bucketed rush after the single-row one (whose
// workflow backlog has drained) and checks its outcome: the checks of the
// first rush, plus the buckets holding exactly the seats sold, none over
// its capacity.
func measureBucketed(ctx context.Context, s *stack.Stack, o options) (bucketedRun, error) {
	b := bucketedRun{buckets: benchBuckets(o.capacity)}
	progress("bucketed rush: %d fresh buyers, a second event of %d seats in %d buckets", o.buyers, o.capacity, b.buckets)
	ev, buyers, err := seedBucketed(ctx, s, o, b.buckets)
	if err != nil {
		return b, err
	}
	start := time.Now()
	b.rush = rush(ctx, ticketing(s, o.concurrency), ev, buyers, o.concurrency)
	// Both rushes' orders: the backlog drains before the ceilings run.
	backlog, err := awaitBacklog(ctx, s.Temporal(), int64(2*o.buyers), start)
	if err != nil {
		return b, err
	}
	check, err := verify(ctx, s.DB(), ev, o, b.rush, backlog.started-int64(o.buyers))
	if err != nil {
		return b, err
	}
	bucketFailures, err := checkBuckets(ctx, s.DB(), ev, min(o.buyers, o.capacity))
	if err != nil {
		return b, err
	}
	for _, f := range append(check.failures, bucketFailures...) {
		b.failures = append(b.failures, "bucketed event: "+f)
	}
	return b, nil
}

// seedBucketed creates the second host, fresh buyers and the second
// event, published with its seats in buckets.
func seedBucketed(ctx context.Context, s *stack.Stack, o options, buckets int32) (*db.Event, []string, error) {
	var ev *db.Event
	tokens := make([]string, o.buyers)
	err := s.DB().InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		host, _, err := db.CreateUserWithPhone(ctx, tx, bucketedHostPhone)
		if err != nil {
			return fmt.Errorf("create host: %w", err)
		}
		if ev, err = insertEvent(ctx, tx, host, o.capacity); err != nil {
			return err
		}
		if err := db.SplitSeats(ctx, tx, ev, buckets); err != nil {
			return err
		}
		return createBuyers(ctx, tx, s, tokens, bucketedBuyerPhone)
	})
	return ev, tokens, err
}

// checkBuckets reports buckets over their capacity and a sum of bucket
// seats other than sold.
func checkBuckets(ctx context.Context, d *db.DB, ev *db.Event, sold int) ([]string, error) {
	buckets, err := db.SeatBuckets(ctx, d, ev.ID)
	if err != nil {
		return nil, err
	}
	var out []string
	taken := 0
	for _, b := range buckets {
		if b.SeatsTaken > b.Capacity {
			out = append(out, fmt.Sprintf("bucket %d holds %d seats of %d", b.Bucket, b.SeatsTaken, b.Capacity))
		}
		taken += int(b.SeatsTaken)
	}
	if taken != sold {
		out = append(out, fmt.Sprintf("seats in buckets: got %d, want %d", taken, sold))
	}
	return out, nil
}
