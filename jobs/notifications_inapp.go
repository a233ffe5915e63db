package jobs

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
)

// DeliverInAppPageWorker writes the in-app notifications of one resolved
// page (see deliverInApp).
type DeliverInAppPageWorker struct {
	river.WorkerDefaults[DeliverInAppPageArgs]
	DB *db.DB
}

// Work delivers one page.
func (w *DeliverInAppPageWorker) Work(ctx context.Context, job *river.Job[DeliverInAppPageArgs]) error {
	return deliverInApp(ctx, w.DB, job.Args.JobID, db.InAppScope{FirstUserID: job.Args.FirstUserID, LastUserID: job.Args.LastUserID})
}

// DeliverInAppBatchWorker writes the in-app notifications of listed items
// (batches queued before pages were named by their recipients; see
// deliverInApp).
type DeliverInAppBatchWorker struct {
	river.WorkerDefaults[DeliverInAppBatchArgs]
	DB  *db.DB
	Now func() time.Time
}

// Work delivers one batch.
func (w *DeliverInAppBatchWorker) Work(ctx context.Context, job *river.Job[DeliverInAppBatchArgs]) error {
	if len(job.Args.ItemIDs) == 0 {
		return nil
	}
	return deliverInApp(ctx, w.DB, job.Args.JobID, db.InAppScope{ItemIDs: job.Args.ItemIDs})
}

// deliverInApp settles the still-pending in-app items of a job in scope
// and writes the inbox rows of the sent ones (one COPY) in the same
// transaction, so a retried or doubled delivery never writes a row twice.
// In-app delivery is silent, so quiet hours do not apply; opt-outs do,
// except of transactional categories.
func deliverInApp(ctx context.Context, d *db.DB, jobID uuid.UUID, scope db.InAppScope) error {
	nj, err := db.NotificationJobByID(ctx, d, jobID)
	if err != nil {
		return err
	}
	return d.InCopyTx(ctx, func(ctx context.Context, tx bun.Tx, cp *db.Copier) error {
		claims, err := db.ClaimPendingInApp(ctx, tx, nj.ID, scope, nj.Category, db.IsTransactional(nj.Category))
		if err != nil {
			return err
		}
		return db.CopyNotifications(ctx, cp, inboxRows(nj, claims))
	})
}

// inboxRows renders the inbox rows of the sent claims.
func inboxRows(nj *db.NotificationJob, claims []db.InAppClaim) []*db.Notification {
	notes := make([]*db.Notification, 0, len(claims))
	for _, c := range claims {
		if !c.Sent {
			continue
		}
		title, body := render(nj, c.Name)
		notes = append(notes, &db.Notification{RecipientUserID: c.UserID, SenderUserID: &nj.CreatedBy,
			OrganizationID: nj.OrganizationID, Type: nj.Category, Title: title, Message: body,
			ReferenceType: "notification_job", ReferenceID: nj.ID.String()})
	}
	return notes
}
