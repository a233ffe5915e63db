package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/uptrace/bun"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/db"
)

const (
	// noopQueue is a queue only the benchmark's own River client works, so
	// the stack's worker never fetches the no-op jobs.
	noopQueue = "bench_noop"
	// noopMaxWorkers is the notifications queue's MaxWorkers in
	// worker/worker.go.
	noopMaxWorkers = 100
	// noopFetchPollInterval is the worker's RiverPollInterval default in
	// worker/worker.go.
	noopFetchPollInterval = 200 * time.Millisecond
)

// noopArgs is a job that does nothing: what remains is River's own cost
// per job (insert, fetch, complete).
type noopArgs struct {
	N int `json:"n"`
}

func (noopArgs) Kind() string { return "bench.noop" }

func (noopArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: noopQueue} }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
}

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

// riverCeiling inserts n no-op jobs in batches of o.pageSize, one
// InsertManyTx per transaction as ResolvePage enqueues, into a queue worked
// by a River client on the stack's database, and returns jobs completed per
// second from the first insert to the last completion.
func riverCeiling(ctx context.Context, s *stack.Stack, o options) (float64, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, noopWorker{})
	rc, err := river.NewClient(riverdatabasesql.New(s.DB().SQL()), &river.Config{
		Queues:            map[string]river.QueueConfig{noopQueue: {MaxWorkers: noopMaxWorkers}},
		Workers:           workers,
		FetchPollInterval: noopFetchPollInterval,
		FetchCooldown:     20 * time.Millisecond,
		Logger:            stack.QuietLogger(),
	})
	if err != nil {
		return 0, fmt.Errorf("create no-op river client: %w", err)
	}
	if err := rc.Start(ctx); err != nil {
		return 0, fmt.Errorf("start no-op river client: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = rc.Stop(stopCtx)
	}()
	start := time.Now()
	for i := 0; i < o.recipients; i += o.pageSize {
		if err := insertBatch(ctx, s.DB().SQL(), rc, i, min(o.pageSize, o.recipients-i)); err != nil {
			return 0, err
		}
	}
	if err := awaitNoops(ctx, s, o.recipients, start.Add(o.timeout)); err != nil {
		return 0, err
	}
	return float64(o.recipients) / time.Since(start).Seconds(), nil
}

func insertBatch(ctx context.Context, d *sql.DB, rc *river.Client[*sql.Tx], from, n int) error {
	params := make([]river.InsertManyParams, n)
	for i := range params {
		params[i] = river.InsertManyParams{Args: noopArgs{N: from + i}}
	}
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin no-op insert: %w", err)
	}
	if _, err := rc.InsertManyTx(ctx, tx, params); err != nil {
		return errors.Join(fmt.Errorf("insert no-op jobs: %w", err), tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit no-op insert: %w", err)
	}
	return nil
}

// awaitNoops polls until n no-op jobs are completed.
func awaitNoops(ctx context.Context, s *stack.Stack, n int, deadline time.Time) error {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		var done int
		if err := s.DB().SQL().QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'completed'`,
			noopArgs{}.Kind()).Scan(&done); err != nil {
			return fmt.Errorf("count completed no-op jobs: %w", err)
		}
		if done >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d no-op jobs completed within -timeout", done, n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// copyCeiling writes n inbox rows of the fan-out's shape (recipient, sender,
// organization, type, rendered title and body, reference) into the same
// notifications table with one COPY in one transaction, as the in-app
// worker writes a page, and returns its seconds including the commit. The
// rows reference no job, so the fan-out's counts do not see them.
func copyCeiling(ctx context.Context, s *stack.Stack, n int) (float64, error) {
	var recipients []uuid.UUID
	if err := s.DB().NewRaw(`SELECT id FROM users ORDER BY id LIMIT ?`, n).Scan(ctx, &recipients); err != nil {
		return 0, fmt.Errorf("read recipients: %w", err)
	}
	notes := make([]*db.Notification, len(recipients))
	for i, u := range recipients {
		notes[i] = &db.Notification{RecipientUserID: u, SenderUserID: &recipients[0], Type: "announcements",
			Title: "Hello ", Message: "Doors open at 7pm", ReferenceType: "notification_job", ReferenceID: "copy-ceiling"}
	}
	start := time.Now()
	err := s.DB().InCopyTx(ctx, func(ctx context.Context, _ bun.Tx, cp *db.Copier) error {
		return db.CopyNotifications(ctx, cp, notes)
	})
	if err != nil {
		return 0, err
	}
	return time.Since(start).Seconds(), nil
}
