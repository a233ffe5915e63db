package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/convene/convene/db"
)

// stepPoll is how often the watcher reads the open assignments.
const stepPoll = 20 * time.Millisecond

// stepKey is a content's step.
type stepKey struct {
	content uuid.UUID
	step    int
}

// stepWatcher tells waiters when a step's approvers are assigned, as their
// inboxes (ListMyPendingApprovals) would: one read of the organization's
// open assignments per poll, whatever the number of waiters. Asking the
// runs instead (a Temporal query per waiter per poll) put thousands of
// queries on the same two cores as the votes being measured.
type stepWatcher struct {
	d     *db.DB
	orgID uuid.UUID

	mu      sync.Mutex
	waiting map[stepKey]chan struct{}
}

func newStepWatcher(d *db.DB, orgID uuid.UUID) *stepWatcher {
	return &stepWatcher{d: d, orgID: orgID, waiting: map[stepKey]chan struct{}{}}
}

// await waits until content's step has all its approvers assigned.
func (w *stepWatcher) await(ctx context.Context, content uuid.UUID, step int) error {
	k := stepKey{content, step}
	w.mu.Lock()
	ch, ok := w.waiting[k]
	if !ok {
		ch = make(chan struct{})
		w.waiting[k] = ch
	}
	w.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("run of %s never opened step %d: %w", content, step, ctx.Err())
	case <-time.After(stepWait):
		return fmt.Errorf("run of %s never opened step %d within %s", content, step, stepWait)
	}
}

// watch polls until ctx ends, waking the waiters of every step found
// with all its approvers assigned.
func (w *stepWatcher) watch(ctx context.Context) error {
	t := time.NewTicker(stepPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := w.wake(ctx); err != nil && ctx.Err() == nil {
			return err
		}
	}
}

func (w *stepWatcher) wake(ctx context.Context) error {
	w.mu.Lock()
	n := len(w.waiting)
	w.mu.Unlock()
	if n == 0 {
		return nil
	}
	var open []struct {
		ContentID  uuid.UUID `bun:"content_id"`
		StepNumber int       `bun:"step_number"`
	}
	err := w.d.NewRaw(`SELECT content_id, step_number FROM approval_assignments
		WHERE organization_id = ? AND status = 'open' GROUP BY content_id, step_number HAVING count(*) = ?`,
		w.orgID, approversPerStep).Scan(ctx, &open)
	if err != nil {
		return fmt.Errorf("read open assignments: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, o := range open {
		k := stepKey{o.ContentID, o.StepNumber}
		if ch, ok := w.waiting[k]; ok {
			close(ch)
			delete(w.waiting, k)
		}
	}
	return nil
}
