package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	"github.com/convene/convene/proto/convene/conferences/v1/conferencesv1connect"
)

// phase is one round of timed calls, one per member.
type phase struct {
	// latencies of the successful calls, sorted.
	latencies []time.Duration
	wall      time.Duration
	errors    int
	firstErr  error
}

// perSecond is the successful calls per second of wall time.
func (p phase) perSecond() float64 { return float64(len(p.latencies)) / max(p.wall.Seconds(), 1e-9) }

// percentile is the nearest-rank p-th percentile (0 < p ≤ 1) of the
// latencies, or 0 when there are none.
func (p phase) percentile(q float64) time.Duration { return stack.Percentile(p.latencies, q) }

// results are the three rounds and what the database says after.
type results struct {
	joins, ceiling, submissions phase
	// completedTasks are the task's completed user_quest_tasks rows;
	// ledgerRows the quest's ledger entries.
	completedTasks, ledgerRows int
	failures                   []string
}

// measure seeds, joins every member, measures the ceiling on the open
// runs, then the submissions, and checks.
func measure(ctx context.Context, s *stack.Stack, o options) (results, error) {
	progress("writing an organization, its owner and %d members", o.members)
	w, err := seed(ctx, s.DB(), o.members)
	if err != nil {
		return results{}, err
	}
	c := conferencesv1connect.NewQuestServiceClient(s.HTTPClient(o.concurrency), s.APIURL())
	progress("creating and publishing a quest of one secret_code task")
	if err := createQuest(ctx, s, c, w); err != nil {
		return results{}, err
	}
	var r results
	join := func(i int) error { return joinQuest(ctx, s, c, w, i) }
	progress("%d members join, %d at a time", o.members, o.concurrency)
	if r.joins = timed(o.members, o.concurrency, join); r.joins.errors > 0 {
		return r, fmt.Errorf("%d of %d joins failed: %w", r.joins.errors, o.members, r.joins.firstErr)
	}
	progress("ceiling: %d repeated JoinQuest on the open runs, %d at a time", o.members, o.concurrency)
	r.ceiling = timed(o.members, o.concurrency, join)
	progress("%d SubmitTask with the code, %d at a time", o.members, o.concurrency)
	r.submissions = timed(o.members, o.concurrency, func(i int) error { return submit(ctx, s, c, w, i) })
	if err := r.count(ctx, s.DB(), w); err != nil {
		return r, err
	}
	r.failures = mismatches(r, o)
	return r, nil
}

// joinQuest sends member i's JoinQuest and expects an active run.
func joinQuest(ctx context.Context, s *stack.Stack, c conferencesv1connect.QuestServiceClient, w *world, i int) error {
	req, err := authed(s, w.members[i], &conferencesv1.JoinQuestRequest{QuestId: w.questID})
	if err != nil {
		return err
	}
	resp, err := c.JoinQuest(ctx, req)
	if err != nil {
		return fmt.Errorf("join as %s: %w", w.members[i], err)
	}
	if st := resp.Msg.GetRun().GetStatus(); st != conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_ACTIVE {
		return fmt.Errorf("join as %s: run is %s, want active", w.members[i], st)
	}
	return nil
}

// submit sends member i's code and expects the task verified (completed)
// in the answer.
func submit(ctx context.Context, s *stack.Stack, c conferencesv1connect.QuestServiceClient, w *world, i int) error {
	req, err := authed(s, w.members[i], &conferencesv1.SubmitTaskRequest{QuestId: w.questID, TaskId: w.taskID,
		Answer: &conferencesv1.SubmitTaskRequest_Code{Code: code}})
	if err != nil {
		return err
	}
	resp, err := c.SubmitTask(ctx, req)
	if err != nil {
		return fmt.Errorf("submit as %s: %w", w.members[i], err)
	}
	if st := resp.Msg.GetTask().GetStatus(); st != conferencesv1.QuestTaskStatus_QUEST_TASK_STATUS_COMPLETED {
		return fmt.Errorf("submit as %s: task is %s, want completed", w.members[i], st)
	}
	return nil
}

// timed calls call(0..n-1), concurrency at a time, and times each call
// (minting its access token, microseconds, included).
func timed(n, concurrency int, call func(i int) error) phase {
	var (
		mu   sync.Mutex
		p    phase
		wg   sync.WaitGroup
		next = make(chan int)
	)
	start := time.Now()
	for range min(concurrency, n) {
		wg.Go(func() {
			for i := range next {
				t0 := time.Now()
				err := call(i)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					p.errors++
					if p.firstErr == nil {
						p.firstErr = err
					}
				} else {
					p.latencies = append(p.latencies, d)
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	p.wall = time.Since(start)
	slices.Sort(p.latencies)
	return p
}

// count reads what the submissions wrote: completed task rows and quest
// ledger entries.
func (r *results) count(ctx context.Context, d *db.DB, w *world) error {
	done, err := d.NewSelect().Model((*db.UserQuestTask)(nil)).
		Where("quest_task_id = ? AND status = ?", w.taskID, enums.UserTaskCompleted).Count(ctx)
	if err != nil {
		return fmt.Errorf("count completed tasks: %w", err)
	}
	paid, err := d.NewSelect().Model((*db.LedgerEntry)(nil)).
		Where("type = ? AND reference_type = 'quest' AND reference_id = ?", enums.LedgerQuest, w.questID).Count(ctx)
	if err != nil {
		return fmt.Errorf("count quest ledger entries: %w", err)
	}
	r.completedTasks, r.ledgerRows = int(done), int(paid)
	return nil
}

// mismatches lists what differs from a correct run: every call answered
// as expected, one completed task row and one ledger entry per member.
func mismatches(r results, o options) []string {
	checks := []struct {
		what      string
		got, want int
	}{
		{"failed repeated joins", r.ceiling.errors, 0},
		{"failed or unverified submissions", r.submissions.errors, 0},
		{"completed task rows", r.completedTasks, o.members},
		{"quest ledger entries", r.ledgerRows, o.members},
	}
	var out []string
	for _, ch := range checks {
		if ch.got != ch.want {
			out = append(out, fmt.Sprintf("%s: got %d, want %d", ch.what, ch.got, ch.want))
		}
	}
	for _, first := range []error{r.ceiling.firstErr, r.submissions.firstErr} {
		if first != nil {
			out = append(out, fmt.Sprintf("first failed call: %v", first))
		}
	}
	return out
}
