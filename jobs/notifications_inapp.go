package jobs

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
)

// DeliverInAppBatchWorker writes a batch of in-app notifications (a whole
// resolved page). The items are locked and only pending ones are
// delivered, and the inbox rows (one COPY) commit with the items' "sent"
// mark, so a retried or doubled batch never writes a row twice. In-app delivery is silent, so quiet hours do not
// apply; opt-outs do, except of transactional categories.
type DeliverInAppBatchWorker struct {
	river.WorkerDefaults[DeliverInAppBatchArgs]
	DB  *db.DB
	Now func() time.Time
}

// Work delivers one batch.
func (w *DeliverInAppBatchWorker) Work(ctx context.Context, job *river.Job[DeliverInAppBatchArgs]) error {
	nj, err := db.NotificationJobByID(ctx, w.DB, job.Args.JobID)
	if err != nil {
		return err
	}
	return w.DB.InCopyTx(ctx, func(ctx context.Context, tx bun.Tx, cp *db.Copier) error {
		rows, err := db.LockPendingInApp(ctx, tx, nj.ID, nj.Category, job.Args.ItemIDs)
		if err != nil || len(rows) == 0 {
			return err
		}
		var notes []*db.Notification
		var sent, optedOut []uuid.UUID
		for _, r := range rows {
			if !r.Enabled && !db.IsTransactional(nj.Category) {
				optedOut = append(optedOut, r.ItemID)
				continue
			}
			title, body := render(nj, r.Name)
			notes = append(notes, &db.Notification{RecipientUserID: r.UserID, SenderUserID: &nj.CreatedBy,
				OrganizationID: nj.OrganizationID, Type: nj.Category, Title: title, Message: body,
				ReferenceType: "notification_job", ReferenceID: nj.ID.String()})
			sent = append(sent, r.ItemID)
		}
		if err := db.CopyNotifications(ctx, cp, notes); err != nil {
			return err
		}
		if err := db.SetItemsStatus(ctx, tx, sent, enums.ItemSent, ""); err != nil {
			return err
		}
		return db.SetItemsStatus(ctx, tx, optedOut, enums.ItemSkipped, "opted out of "+nj.Category+" on "+enums.ChannelInApp)
	})
}
