package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/providers/enrichment"
)

// EnrichProfileArgs enriches one member's profile of one kind with what
// the profile holds when the job runs.
type EnrichProfileArgs struct {
	UserID uuid.UUID `json:"user_id"`
	// Profile is the profile's kind, one of enums.Enrichment*.
	Profile string `json:"profile"`
}

// Kind names the job.
func (EnrichProfileArgs) Kind() string { return "conferences_enrich_profile" }

// InsertOpts keep one job per member and kind while it waits or runs: a
// second SetSocialProfiles or RefreshEnrichment meanwhile adds nothing
// (the job reads the profile when it runs, so it enriches the newest
// input). A finished job does not count, so a later refresh runs again.
func (EnrichProfileArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: enrichAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}}}
}

// enrichAttempts is how often a provider that fails transiently is asked
// before the profile is marked failed.
const enrichAttempts = 3

// EnrichProfileWorker asks the provider and marks the profile done with
// its answer, or failed with its error: at once when the provider knows
// no such profile, after the last attempt otherwise.
type EnrichProfileWorker struct {
	river.WorkerDefaults[EnrichProfileArgs]
	DB       *db.DB
	Provider enrichment.Provider
	Now      func() time.Time
}

// Work enriches the profile's current input. If the member changes it
// while the provider is asked, the answer is dropped and the new input
// asked for (its own job was not added: this one was still running).
func (w *EnrichProfileWorker) Work(ctx context.Context, job *river.Job[EnrichProfileArgs]) error {
	a := job.Args
	for range enrichAttempts {
		p, err := db.SocialProfileOf(ctx, w.DB, a.UserID, a.Profile)
		if errors.Is(err, db.ErrNotFound) {
			return nil // the member removed the profile
		}
		if err != nil {
			return err
		}
		result, perr := w.Provider.Enrich(ctx, a.Profile, p.Input)
		lastAttempt := job.Attempt >= job.MaxAttempts
		if perr != nil && !errors.Is(perr, enrichment.ErrNoProfile) && !lastAttempt {
			return fmt.Errorf("enrich %s profile of %s: %w", a.Profile, a.UserID, perr)
		}
		finished, err := w.finish(ctx, job, p.InputHash, result, errorText(perr))
		if err != nil || finished {
			return err
		}
	}
	return fmt.Errorf("enrich %s profile of %s: the profile kept changing", a.Profile, a.UserID)
}

// finish records the answer and completes the job in one transaction.
// Completing it there, not after Work returns, closes a gap: a refresh
// that commits after the answer finds the job completed and adds its own,
// and one that commits before is answered by this job (both take the
// profile's row lock first, so one waits for the other). No profile is
// left pending without a job.
func (w *EnrichProfileWorker) finish(ctx context.Context, job *river.Job[EnrichProfileArgs], inputHash string, result json.RawMessage, errText string) (bool, error) {
	var finished bool
	err := w.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		finished, err = db.FinishEnrichment(ctx, tx, job.Args.UserID, job.Args.Profile, inputHash, result, errText, w.Now())
		if err != nil || !finished {
			return err
		}
		_, err = river.JobCompleteTx[*riverdatabasesql.Driver](ctx, tx.Tx, job)
		return err
	})
	return finished, err
}

// NextRetry retries a transient failure after a second, then two: an
// enrichment nobody waits on should still settle within seconds.
func (w *EnrichProfileWorker) NextRetry(job *river.Job[EnrichProfileArgs]) time.Time {
	return time.Now().Add(time.Duration(job.Attempt) * time.Second)
}

// errorText is what the profile shows of a provider's error.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
