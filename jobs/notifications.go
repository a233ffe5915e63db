package jobs

import (
	"github.com/google/uuid"
	"github.com/riverqueue/river"
)

// DeliverNotificationArgs delivers one notification item. It is enqueued in
// the same transaction that writes the item.
type DeliverNotificationArgs struct {
	ItemID uuid.UUID `json:"item_id"`
}

// Kind is the job's stable name in river_job.
func (DeliverNotificationArgs) Kind() string { return "notifications.deliver" }

// InsertOpts retries deliveries with River's exponential backoff.
func (DeliverNotificationArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: NotificationsQueue, MaxAttempts: 8}
}

// NotificationsQueue is the River queue of deliveries, kept apart so a big
// fan-out does not delay other jobs.
const NotificationsQueue = "notifications"

// DeliverInAppBatchArgs writes the inbox rows of a page's in-app items of
// one job in one transaction (jobs enqueued before pages became one job
// hold up to a hundred).
type DeliverInAppBatchArgs struct {
	JobID   uuid.UUID   `json:"job_id"`
	ItemIDs []uuid.UUID `json:"item_ids"`
}

// Kind is the job's stable name in river_job.
func (DeliverInAppBatchArgs) Kind() string { return "notifications.deliver_in_app" }

// InsertOpts puts batches on the notifications queue.
func (DeliverInAppBatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: NotificationsQueue, MaxAttempts: 8}
}
