// Package jobs holds Convene's short River jobs: their args (the queue
// contract, enqueued by api/ and activities/ inside their transactions) and
// workers. One file per domain.
package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/convene/convene/db"
)

// PurgeCredentialsArgs asks for expired login codes and refresh tokens to be
// deleted. It runs periodically; credentials past their use are only a
// liability in the database.
type PurgeCredentialsArgs struct{}

// Kind is the job's stable name in river_job.
func (PurgeCredentialsArgs) Kind() string { return "identity.purge_credentials" }

// Retention windows: codes are kept a day for rate limiting and support,
// refresh tokens a week past expiry so reuse of an old token is still
// recognised as such.
const (
	otpRetention     = 24 * time.Hour
	refreshRetention = 7 * 24 * time.Hour
	// wrongCodeRetention outlasts the longest wrong-code window
	// CONVENE_AUTH_LIMITS accepts (auth.MaxWrongCodeWindow).
	wrongCodeRetention = 7 * 24 * time.Hour
	// PurgeCredentialsInterval is how often the purge runs.
	PurgeCredentialsInterval = time.Hour
)

// PurgeCredentialsWorker deletes expired credentials. Deleting is
// idempotent, so a retried or doubled run is harmless.
type PurgeCredentialsWorker struct {
	river.WorkerDefaults[PurgeCredentialsArgs]
	DB  *db.DB
	Now func() time.Time
}

// Work deletes what has expired.
func (w *PurgeCredentialsWorker) Work(ctx context.Context, _ *river.Job[PurgeCredentialsArgs]) error {
	now := w.Now()
	if _, err := db.PurgeExpiredCredentials(ctx, w.DB, now.Add(-otpRetention), now.Add(-refreshRetention)); err != nil {
		return fmt.Errorf("purge expired credentials: %w", err)
	}
	if _, err := db.PurgeWrongCodes(ctx, w.DB, now.Add(-wrongCodeRetention)); err != nil {
		return fmt.Errorf("purge old wrong codes: %w", err)
	}
	return nil
}

// PeriodicPurgeCredentials schedules the purge.
func PeriodicPurgeCredentials() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(PurgeCredentialsInterval),
		func() (river.JobArgs, *river.InsertOpts) { return PurgeCredentialsArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
