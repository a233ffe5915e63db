package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	"github.com/convene/convene/proto/convene/content/v1/contentv1connect"
)

// stepWait bounds the wait for a run to open a step.
const stepWait = 2 * time.Minute

// results are the measured Approve calls and what the stores say after.
type results struct {
	// latencies of the successful Approve calls, sorted.
	latencies []time.Duration
	// handOffs are the waits from a step's last vote until the run had
	// opened the next step (its approvers assigned), sorted.
	handOffs []time.Duration
	wall     time.Duration
	errors   int
	firstErr error
	// votes are the approve rows written; approved the requests approved.
	votes, approved int
	ceiling         float64
	failures        []string
}

// measure seeds, submits, votes and checks.
func measure(ctx context.Context, s *stack.Stack, o options) (results, error) {
	progress("writing an organization, %d approvers and %d drafts", steps*approversPerStep, o.items)
	w, err := seed(ctx, s.DB(), o.items)
	if err != nil {
		return results{}, err
	}
	progress("defining the chain and submitting %d drafts", o.items)
	if err := defineAndSubmit(ctx, s, w, o.concurrency); err != nil {
		return results{}, err
	}
	progress("%d Approve calls, %d at a time", o.items*steps*approversPerStep, o.concurrency)
	r := vote(ctx, s, w, o)
	if err := r.count(ctx, s.DB(), w); err != nil {
		return r, err
	}
	r.failures = mismatches(r, o)
	return r, nil
}

// ballot is one Approve call to make: an approver's vote on a step.
type ballot struct {
	item, step int
	approver   uuid.UUID
}

// vote keeps o.concurrency Approve calls in flight, as approvers acting
// independently would: every open step's three votes wait in one queue,
// sent at once on the same run. When a step's last vote returns, a
// watcher (holding no call slot) waits for the run to open the next step
// and queues its votes; that hand-off is timed separately.
func vote(ctx context.Context, s *stack.Stack, w *world, o options) results {
	c := contentv1connect.NewApprovalServiceClient(s.HTTPClient(o.concurrency), s.APIURL())
	t := newTally(len(w.contentIDs))
	queue := make(chan ballot, len(w.contentIDs)*approversPerStep)
	steps := newStepWatcher(s.DB(), w.orgID)
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	go func() {
		if err := steps.watch(watchCtx); err != nil {
			progress("step watcher stopped: %v", err)
		}
	}()
	err := forEach(len(w.contentIDs), o.concurrency, func(i int) error { return steps.await(ctx, w.contentIDs[i], 1) })
	if err != nil {
		return results{errors: 1, firstErr: err}
	}
	for i := range w.contentIDs {
		t.open(queue, w, i, 1)
	}
	start := time.Now()
	var calls sync.WaitGroup
	for range o.concurrency {
		calls.Go(func() {
			for b := range queue {
				d, err := approve(ctx, s, c, b.approver, w.contentIDs[b.item], b.step)
				t.record(d, err)
				if t.stepDone(b.item, b.step, err) {
					go t.handOff(ctx, steps, w, queue, b.item, b.step+1)
				}
			}
		})
	}
	t.finished.Wait()
	close(queue)
	calls.Wait()
	r := t.results
	r.wall = time.Since(start)
	slices.Sort(r.latencies)
	slices.Sort(r.handOffs)
	return r
}

// tally collects the calls' outcomes and tracks each item's open step.
type tally struct {
	mu sync.Mutex
	results
	// done counts the returned votes of each item's open step; failed
	// marks a step with a failed vote (the item goes no further).
	done   []int
	failed []bool
	// stepEnded is when each item's open step returned its last vote.
	stepEnded []time.Time
	// finished counts the items still being voted on.
	finished sync.WaitGroup
}

func newTally(items int) *tally {
	t := &tally{done: make([]int, items), failed: make([]bool, items), stepEnded: make([]time.Time, items)}
	t.finished.Add(items)
	return t
}

// open queues an item's votes on step.
func (t *tally) open(queue chan<- ballot, w *world, item, step int) {
	for _, approver := range w.approvers[step-1] {
		queue <- ballot{item: item, step: step, approver: approver}
	}
}

func (t *tally) record(d time.Duration, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.errors++
		if t.firstErr == nil {
			t.firstErr = err
		}
		return
	}
	t.latencies = append(t.latencies, d)
}

// stepDone counts one returned vote and reports whether it was the step's
// last and the next step should be opened; an item whose step failed or
// whose last step is decided is finished.
func (t *tally) stepDone(item, step int, err error) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done[item]++
	t.failed[item] = t.failed[item] || err != nil
	if t.done[item] < approversPerStep {
		return false
	}
	t.done[item] = 0
	if t.failed[item] || step == steps {
		t.finished.Done()
		return false
	}
	t.stepEnded[item] = time.Now()
	return true
}

// handOff waits for the item's run to open step, then queues its votes.
func (t *tally) handOff(ctx context.Context, steps *stepWatcher, w *world, queue chan<- ballot, item, step int) {
	if err := steps.await(ctx, w.contentIDs[item], step); err != nil {
		t.record(0, err)
		t.finished.Done()
		return
	}
	t.mu.Lock()
	t.handOffs = append(t.handOffs, time.Since(t.stepEnded[item]))
	t.mu.Unlock()
	t.open(queue, w, item, step)
}

// approve sends one Approve and returns its latency.
func approve(ctx context.Context, s *stack.Stack, c contentv1connect.ApprovalServiceClient, approver, contentID uuid.UUID, step int) (time.Duration, error) {
	req, err := authed(s, approver, &contentv1.ApproveRequest{ContentId: contentID.String(), Version: 1, Step: int32(step)})
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	if _, err := c.Approve(ctx, req); err != nil {
		return 0, fmt.Errorf("approve %s step %d: %w", contentID, step, err)
	}
	return time.Since(t0), nil
}

// count reads what the votes wrote: approve actions and approved requests.
func (r *results) count(ctx context.Context, d *db.DB, w *world) error {
	deadline := time.Now().Add(stepWait)
	for {
		votes, err := d.NewSelect().Model((*db.ApprovalAction)(nil)).
			Where("organization_id = ? AND action = ?", w.orgID, enums.ActionApprove).Count(ctx)
		if err != nil {
			return fmt.Errorf("count votes: %w", err)
		}
		approved, err := d.NewSelect().Model((*db.ApprovalRequest)(nil)).
			Where("organization_id = ? AND status = ?", w.orgID, enums.ApprovalApproved).Count(ctx)
		if err != nil {
			return fmt.Errorf("count approved requests: %w", err)
		}
		r.votes, r.approved = int(votes), int(approved)
		if r.approved >= len(w.contentIDs) || time.Now().After(deadline) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// mismatches lists what differs from a correct run: every call answered,
// one vote per call, every request approved.
func mismatches(r results, o options) []string {
	checks := []struct {
		what      string
		got, want int
	}{
		{"failed calls", r.errors, 0},
		{"approve rows", r.votes, o.items * steps * approversPerStep},
		{"approved requests", r.approved, o.items},
	}
	var out []string
	for _, ch := range checks {
		if ch.got != ch.want {
			out = append(out, fmt.Sprintf("%s: got %d, want %d", ch.what, ch.got, ch.want))
		}
	}
	if r.firstErr != nil {
		out = append(out, fmt.Sprintf("first failed call: %v", r.firstErr))
	}
	return out
}

// percentile is the nearest-rank p-th percentile (0 < p ≤ 1) of the sorted
// latencies, or 0 when there are none.
func (r results) percentile(p float64) time.Duration { return stack.Percentile(r.latencies, p) }

// forEach runs fn for 0..n-1, concurrency at a time, and returns the first
// error.
func forEach(n, concurrency int, fn func(i int) error) error {
	next := make(chan int)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for range min(concurrency, n) {
		wg.Go(func() {
			for i := range next {
				errs[i] = fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}
