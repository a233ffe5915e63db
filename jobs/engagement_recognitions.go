package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
)

// expireBatch is how many due recognitions one query of the expiry job
// fetches; the job fetches again until none are left.
const expireBatch = 100

// ExpireRecognitionsArgs is the periodic job that expires recognitions
// left pending past their expires_at (db.RecognitionExpiry after sending)
// and gives their points back to the senders' allowances.
type ExpireRecognitionsArgs struct{}

// Kind names the job in River.
func (ExpireRecognitionsArgs) Kind() string { return "engagement.expire_recognitions" }

// ExpireRecognitionsWorker works ExpireRecognitionsArgs: one transaction
// per recognition, which re-checks it under its row lock, so a decision
// made meanwhile wins and a retried or doubled run refunds nothing twice.
type ExpireRecognitionsWorker struct {
	river.WorkerDefaults[ExpireRecognitionsArgs]
	DB  *db.DB
	Now func() time.Time
}

// Work expires every recognition due now.
func (w *ExpireRecognitionsWorker) Work(ctx context.Context, _ *river.Job[ExpireRecognitionsArgs]) error {
	now := w.Now()
	for {
		due, err := db.DueRecognitions(ctx, w.DB, now, expireBatch)
		if err != nil {
			return err
		}
		for _, id := range due {
			if err := w.expire(ctx, id, now); err != nil {
				return err
			}
		}
		if len(due) < expireBatch {
			return nil
		}
	}
}

// expire moves one recognition to expired, refunds its sender's
// allowance and tells them, unless it was decided or is not due.
func (w *ExpireRecognitionsWorker) expire(ctx context.Context, id uuid.UUID, now time.Time) error {
	return w.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := db.RecognitionForUpdate(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("expire recognition: %w", err)
		}
		if r.Status != enums.RecognitionPending || r.ExpiresAt.After(now) {
			return nil
		}
		if err := db.DecideRecognition(ctx, tx, r, enums.RecognitionExpired, nil, "", now); err != nil {
			return err
		}
		if err := db.WriteAudit(ctx, tx, &db.AuditLog{OrganizationID: &r.OrganizationID, ObjectType: "recognition",
			ObjectID: r.ID.String(), Action: "expire", Payload: map[string]any{"points": r.Points}}); err != nil {
			return err
		}
		return db.Notify(ctx, tx, &db.Notification{RecipientUserID: r.SenderUserID, OrganizationID: &r.OrganizationID,
			Type: "recognition_expired", Title: "Recognition expired",
			Message:       fmt.Sprintf("No approver decided on your recognition in time; its %d points are back in your allowance.", r.Points),
			ReferenceType: "recognition", ReferenceID: r.ID.String()})
	})
}

// PeriodicExpireRecognitions schedules the expiry hourly.
func PeriodicExpireRecognitions() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return ExpireRecognitionsArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
