package workflowstart

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"go.temporal.io/sdk/client"
)

// SafetyNetDelay is how long a start job committed through a Starter waits
// before River runs it: the direct start has that long to happen (and to
// delete the job) before the job starts the workflow itself. Without the
// delay River would start every workflow a second time, right after the
// direct start made it.
const SafetyNetDelay = 10 * time.Second

// backgroundStartTimeout bounds one background start once it has its slot.
const backgroundStartTimeout = time.Minute

// Starter makes the direct starts that follow a commit. A handler commits
// its rows with the start job (Commit), then starts the workflow before it
// answers (Start) or, through Background, hands the start over and answers
// at once. A start that succeeds deletes its job, so River does not start
// the workflow again; one that fails leaves the start to the job.
type Starter struct {
	temporal  client.Client
	taskQueue string
	river     *river.Client[*sql.Tx]
	log       *slog.Logger
}

// NewStarter returns a Starter on the workflows' task queue.
func NewStarter(c client.Client, taskQueue string, r *river.Client[*sql.Tx], log *slog.Logger) *Starter {
	return &Starter{temporal: c, taskQueue: taskQueue, river: r, log: log}
}

// Commit inserts, in tx, the job that starts the workflow of args if the
// direct start after commit does not happen, and returns its ID.
func (s *Starter) Commit(ctx context.Context, tx *sql.Tx, args Args, now time.Time) (int64, error) {
	res, err := s.river.InsertTx(ctx, tx, args, &river.InsertOpts{ScheduledAt: now.Add(SafetyNetDelay)})
	if err != nil {
		return 0, fmt.Errorf("commit the start job %s: %w", args.Kind(), err)
	}
	return res.Job.ID, nil
}

// Start starts the workflow of args now, on the caller's context, and
// deletes its start job jobID once the workflow runs.
func (s *Starter) Start(ctx context.Context, args Args, jobID int64) error {
	if err := args.start(ctx, s.temporal, s.taskQueue); err != nil {
		return err
	}
	s.Started(ctx, jobID)
	return nil
}

// Started deletes the start job of a workflow started directly. A job
// River already took is left to run: its start finds the workflow started.
func (s *Starter) Started(ctx context.Context, jobID int64) {
	if _, err := s.river.JobDelete(ctx, jobID); err != nil {
		s.log.Debug("start job not deleted", "job_id", jobID, "error", err)
	}
}

// Background returns a BackgroundStarter making at most parallel of s's
// starts at once.
func (s *Starter) Background(parallel int) *BackgroundStarter {
	return &BackgroundStarter{Starter: s, slots: make(chan struct{}, parallel)}
}

// BackgroundStarter makes direct starts off the request path, for
// handlers whose callers need not wait for the workflow. A start that
// cannot get a slot within SafetyNetDelay is left to its job.
type BackgroundStarter struct {
	*Starter
	slots chan struct{}
}

// Go starts the workflow of args in the background; jobID is its start
// job, committed with the rows.
func (b *BackgroundStarter) Go(args Args, jobID int64) {
	go b.start(args, jobID)
}

func (b *BackgroundStarter) start(args Args, jobID int64) {
	wait := time.NewTimer(SafetyNetDelay)
	defer wait.Stop()
	select {
	case b.slots <- struct{}{}:
		defer func() { <-b.slots }()
	case <-wait.C:
		b.log.Warn("direct workflow start waited too long; its River job will start it", "kind", args.Kind(), "job_id", jobID)
		return
	}
	// A start under way is not cut short: cancelled, it would have cost
	// the server its work for nothing and left the start to River.
	ctx, cancel := context.WithTimeout(context.Background(), backgroundStartTimeout)
	defer cancel()
	if err := b.Start(ctx, args, jobID); err != nil {
		b.log.Warn("direct workflow start failed; its River job will start it", "kind", args.Kind(), "job_id", jobID, "error", err)
	}
}
