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

// SafetyQueue is the River queue of safety notices' deliveries, with its
// own workers: a marketing fan-out on NotificationsQueue never delays a
// safety alert.
const SafetyQueue = "safety"

// DeliverInAppBatchArgs writes the inbox rows of listed in-app items of one
// job in one transaction. Resolution now enqueues DeliverInAppPageArgs; this
// kind stays for batches queued before (up to a whole page of IDs).
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

// DeliverInAppPageArgs writes the inbox rows of one resolved page's in-app
// items in one transaction. The page is named by its first and last
// recipient (pages are consecutive ranges of user IDs), so the job stays a
// few bytes however large the page, instead of carrying every item's ID.
type DeliverInAppPageArgs struct {
	JobID       uuid.UUID `json:"job_id"`
	FirstUserID uuid.UUID `json:"first_user_id"`
	LastUserID  uuid.UUID `json:"last_user_id"`
}

// Kind is the job's stable name in river_job.
func (DeliverInAppPageArgs) Kind() string { return "notifications.deliver_in_app_page" }

// InsertOpts puts pages on the notifications queue.
func (DeliverInAppPageArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: NotificationsQueue, MaxAttempts: 8}
}
