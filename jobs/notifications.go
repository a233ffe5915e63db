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
