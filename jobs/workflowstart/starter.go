package workflowstart

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"go.temporal.io/sdk/client"
)

// SafetyNetDelay is how long a start job committed for a Starter waits
// before River runs it: the direct start has that long to happen (and to
// delete the job) before the job starts the workflow itself.
const SafetyNetDelay = 10 * time.Second

// startTimeout bounds one direct start once it has its slot.
const startTimeout = time.Minute

// SafetyNetOpts schedules a start job as the safety net of a direct start
// made through a Starter.
func SafetyNetOpts(now time.Time) *river.InsertOpts {
	return &river.InsertOpts{ScheduledAt: now.Add(SafetyNetDelay)}
}

// Starter makes direct starts off the request path: a handler that
// committed its rows and a start job (SafetyNetOpts) hands the start over
// and answers at once. At most Parallel starts run together; one that
// cannot start within SafetyNetDelay is left to its job. A start that
// succeeds deletes its job, so River does not start the workflow again.
type Starter struct {
	temporal  client.Client
	taskQueue string
	river     *river.Client[*sql.Tx]
	log       *slog.Logger
	slots     chan struct{}
}

// NewStarter returns a Starter making at most parallel starts at once.
func NewStarter(c client.Client, taskQueue string, r *river.Client[*sql.Tx], log *slog.Logger, parallel int) *Starter {
	return &Starter{temporal: c, taskQueue: taskQueue, river: r, log: log, slots: make(chan struct{}, parallel)}
}

// Go starts the workflow of args in the background; jobID is its start
// job, committed with the rows.
func (s *Starter) Go(args Args, jobID int64) {
	go s.start(args, jobID)
}

func (s *Starter) start(args Args, jobID int64) {
	wait := time.NewTimer(SafetyNetDelay)
	defer wait.Stop()
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-wait.C:
		s.log.Warn("direct workflow start waited too long; its River job will start it", "kind", args.Kind(), "job_id", jobID)
		return
	}
	// A start under way is not cut short: cancelled, it would have cost
	// the server its work for nothing and left the start to River.
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := args.start(ctx, s.temporal, s.taskQueue); err != nil {
		s.log.Warn("direct workflow start failed; its River job will start it", "kind", args.Kind(), "job_id", jobID, "error", err)
		return
	}
	s.Started(ctx, jobID)
}

// Started deletes the start job of a workflow started directly. A job
// River already took is left to run: its start finds the workflow started.
func (s *Starter) Started(ctx context.Context, jobID int64) {
	if _, err := s.river.JobDelete(ctx, jobID); err != nil {
		s.log.Debug("start job not deleted", "job_id", jobID, "error", err)
	}
}
