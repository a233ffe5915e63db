package jobs

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/engagement"
)

// EvaluateRulesWorker reacts to one domain event: the organization's
// active rules act on it, then its subject's automatic badges are
// checked, all in one transaction, so a retried job repeats nothing.
type EvaluateRulesWorker struct {
	river.WorkerDefaults[engagement.EvaluateRulesArgs]
	DB       *db.DB
	Recorder engagement.Recorder
}

// Work evaluates the event.
func (w *EvaluateRulesWorker) Work(ctx context.Context, job *river.Job[engagement.EvaluateRulesArgs]) error {
	return w.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ev, err := db.DomainEventByID(ctx, tx, job.Args.DomainEventID)
		if err != nil {
			return fmt.Errorf("evaluate rules: %w", err)
		}
		if ev.SubjectUserID == nil {
			return nil
		}
		_, err = w.Recorder.AwardEarnedBadges(ctx, tx, ev.OrganizationID, *ev.SubjectUserID, ev.CauseDepth)
		return err
	})
}
