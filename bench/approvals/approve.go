package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	"github.com/convene/convene/proto/convene/content/v1/contentv1connect"
	"github.com/convene/convene/workflows"
)

// stepWait bounds the wait for a run to open a step.
const stepWait = 2 * time.Minute

// results are the measured Approve calls and what the stores say after.
type results struct {
	// latencies of the successful Approve calls, sorted.
	latencies []time.Duration
	wall      time.Duration
	errors    int
	firstErr  error
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

// vote has every approver approve every item, step by step: a worker takes
// an item, waits for its run to open each step (a state query) and sends
// the step's three Approve calls one after another, each timed.
func vote(ctx context.Context, s *stack.Stack, w *world, o options) results {
	c := contentv1connect.NewApprovalServiceClient(s.HTTPClient(o.concurrency), s.APIURL())
	var mu sync.Mutex
	var r results
	record := func(d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			r.errors++
			if r.firstErr == nil {
				r.firstErr = err
			}
			return
		}
		r.latencies = append(r.latencies, d)
	}
	start := time.Now()
	_ = forEach(len(w.contentIDs), o.concurrency, func(i int) error {
		for st := range steps {
			if err := awaitStep(ctx, s, w.contentIDs[i], st+1); err != nil {
				record(0, err)
				return nil
			}
			for _, approver := range w.approvers[st] {
				record(approve(ctx, s, c, approver, w.contentIDs[i], st+1))
			}
		}
		return nil
	})
	r.wall = time.Since(start)
	slices.Sort(r.latencies)
	return r
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

// awaitStep polls the run's state until step is the current step with its
// approvers assigned.
func awaitStep(ctx context.Context, s *stack.Stack, contentID uuid.UUID, step int) error {
	deadline := time.Now().Add(stepWait)
	for {
		v, err := s.Temporal().QueryWorkflow(ctx, workflows.ContentApprovalWorkflowID(contentID.String(), 1), "", workflows.QueryState)
		var st workflows.ContentApprovalState
		if err == nil {
			err = v.Get(&st)
		}
		if err == nil && st.CurrentStep == step && len(st.Assignees) == approversPerStep {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.Join(fmt.Errorf("run of %s never opened step %d", contentID, step), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
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
func (r results) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(len(r.latencies))))
	return r.latencies[max(rank, 1)-1]
}

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
