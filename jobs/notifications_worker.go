package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/providers/notify"
	"github.com/convene/convene/internal/quiethours"
	"github.com/convene/convene/internal/ratelimit"
)

// DeliverNotificationWorker delivers one push, email, SMS or Telegram item.
// Providers get the item ID as their idempotency key, so a retry never
// sends twice.
type DeliverNotificationWorker struct {
	river.WorkerDefaults[DeliverNotificationArgs]
	DB      *db.DB
	Senders map[string]notify.Sender
	Limits  *ratelimit.PerKey
	Now     func() time.Time
}

// delivery is what Work gathers about one item before sending it: the
// item, its recipient, and the message of its job (rendered for the
// recipient) or of its notice.
type delivery struct {
	item        *db.NotificationItem
	user        *db.User
	category    string
	title, body string
	// data goes to the provider with the message, e.g. the job's ID.
	data map[string]string
}

// Work delivers one item.
func (w *DeliverNotificationWorker) Work(ctx context.Context, job *river.Job[DeliverNotificationArgs]) error {
	d, err := w.load(ctx, job.Args.ItemID)
	if err != nil || d == nil {
		return err
	}
	if skip, err := w.skipReason(ctx, d); err != nil || skip != "" {
		if err != nil {
			return err
		}
		return w.finish(ctx, d.item, enums.ItemSkipped, skip, "")
	}
	if wait, err := w.quietFor(ctx, d); err != nil || wait > 0 {
		if err != nil {
			return err
		}
		return river.JobSnooze(wait)
	}
	return w.deliverExternal(ctx, d, job.Attempt >= job.MaxAttempts)
}

// load reads a pending item with its user and message; nil when there is
// nothing left to do (already delivered, skipped or cancelled).
func (w *DeliverNotificationWorker) load(ctx context.Context, itemID uuid.UUID) (*delivery, error) {
	item, err := db.NotificationItemByID(ctx, w.DB, itemID)
	if err != nil {
		return nil, err
	}
	if item.Status != enums.ItemPending {
		return nil, nil
	}
	user, err := db.UserByID(ctx, w.DB, item.UserID)
	if err != nil {
		return nil, err
	}
	d := &delivery{item: item, user: user}
	if item.NoticeID != uuid.Nil {
		return d, w.loadNotice(ctx, d)
	}
	return d, w.loadJob(ctx, d)
}

// loadJob fills in the message of a job's item, rendered for its recipient.
func (w *DeliverNotificationWorker) loadJob(ctx context.Context, d *delivery) error {
	job, err := db.NotificationJobByID(ctx, w.DB, d.item.JobID)
	if err != nil {
		return err
	}
	name := ""
	if p, err := db.ProfileByUserID(ctx, w.DB, d.user.ID); err == nil {
		name = p.Name
	}
	d.category = job.Category
	d.title, d.body = render(job, name)
	d.data = map[string]string{"job_id": job.ID.String(), "category": job.Category}
	return nil
}

// loadNotice fills in the message of a direct notice's item.
func (w *DeliverNotificationWorker) loadNotice(ctx context.Context, d *delivery) error {
	n, err := db.NoticeByID(ctx, w.DB, d.item.NoticeID)
	if err != nil {
		return err
	}
	d.category, d.title, d.body = n.Category, n.Title, n.Body
	d.data = map[string]string{"notice_id": n.ID.String(), "category": n.Category,
		"reference_type": n.ReferenceType, "reference_id": n.ReferenceID}
	return nil
}

// skipReason is why an item will not be delivered ("" to deliver): the
// recipient muted a category that may be muted, the channel is not
// verified (SMS and email go only to proven phones and addresses), or it
// is not configured.
func (w *DeliverNotificationWorker) skipReason(ctx context.Context, d *delivery) (string, error) {
	if !db.IsTransactional(d.category) {
		enabled, err := db.ChannelEnabled(ctx, w.DB, d.user.ID, d.category, d.item.Channel)
		if err != nil {
			return "", err
		}
		if !enabled {
			return fmt.Sprintf("opted out of %s on %s", d.category, d.item.Channel), nil
		}
	}
	if reason := db.UnverifiedReason(d.user, d.item.Channel); reason != "" {
		return reason, nil
	}
	if _, ok := w.Senders[d.item.Channel]; !ok {
		return "channel " + d.item.Channel + " is not configured", nil
	}
	return "", nil
}

// quietFor is how long to wait for the recipient's quiet hours to end;
// transactional categories do not wait. (In-app items are written by
// DeliverInAppBatchWorker or with their notice: the inbox is silent.)
func (w *DeliverNotificationWorker) quietFor(ctx context.Context, d *delivery) (time.Duration, error) {
	if db.IsTransactional(d.category) {
		return 0, nil
	}
	s, err := db.SettingsOf(ctx, w.DB, d.user.ID)
	if err != nil || s.QuietStart == nil {
		return 0, err
	}
	now := w.Now()
	next, err := quiethours.Window{Start: *s.QuietStart, End: *s.QuietEnd, Timezone: s.Timezone}.Next(now)
	if err != nil || !next.After(now) {
		return 0, nil // a broken window never blocks delivery
	}
	d.item.DeliverAfter = &next
	return next.Sub(now), db.UpdateItem(ctx, w.DB, d.item)
}

// deliverExternal sends through the channel's provider within its rate
// limit. Transient failures return an error so River retries with backoff;
// permanent ones (or the last attempt) mark the item failed.
func (w *DeliverNotificationWorker) deliverExternal(ctx context.Context, d *delivery, lastAttempt bool) error {
	to, err := w.address(ctx, d)
	if err != nil || to == "" {
		if err != nil {
			return err
		}
		return w.finish(ctx, d.item, enums.ItemSkipped, "no registered device", "")
	}
	if err := w.Limits.Wait(ctx, d.item.Channel); err != nil {
		return fmt.Errorf("wait for %s rate limit: %w", d.item.Channel, err)
	}
	// The wait can be long: a job cancelled meanwhile must not send.
	if still, err := w.stillPending(ctx, d.item.ID); err != nil || !still {
		return err
	}
	id, err := w.Senders[d.item.Channel].Send(ctx, notify.Message{IdempotencyKey: d.item.ID.String(), To: to, Title: d.title, Body: d.body,
		Data: d.data})
	if err == nil {
		return w.finish(ctx, d.item, enums.ItemSent, "", id)
	}
	d.item.Attempts++
	d.item.LastError = err.Error()
	if errors.Is(err, notify.ErrPermanent) || lastAttempt {
		return w.finish(ctx, d.item, enums.ItemFailed, "", "")
	}
	if uerr := db.UpdateItem(ctx, w.DB, d.item); uerr != nil {
		return uerr
	}
	return fmt.Errorf("send %s notification: %w", d.item.Channel, err)
}

func (w *DeliverNotificationWorker) stillPending(ctx context.Context, id uuid.UUID) (bool, error) {
	status, err := db.NotificationItemStatus(ctx, w.DB, id)
	if err != nil {
		return false, fmt.Errorf("recheck notification item: %w", err)
	}
	return status == enums.ItemPending, nil
}

func (w *DeliverNotificationWorker) address(ctx context.Context, d *delivery) (string, error) {
	switch d.item.Channel {
	case enums.ChannelEmail:
		return *d.user.Email, nil
	case enums.ChannelSMS:
		return *d.user.Phone, nil
	case enums.ChannelTelegram:
		return *d.user.TelegramID, nil
	}
	devices, err := db.ActiveDevices(ctx, w.DB, d.user.ID)
	if err != nil || len(devices) == 0 {
		return "", err
	}
	return devices[0].Token, nil
}

func (w *DeliverNotificationWorker) finish(ctx context.Context, item *db.NotificationItem, status, skipReason, providerID string) error {
	item.Status, item.SkipReason, item.ProviderMessageID = status, skipReason, providerID
	if status == enums.ItemSent {
		now := w.Now()
		item.SentAt = &now
		item.Attempts++
	}
	return db.UpdateItem(ctx, w.DB, item)
}

// Caps of a rendered title and body, in characters: the limits of the
// literal title and body of CreateNotificationJobRequest. The API refuses
// templates that could render longer; the worker still cuts, so a profile
// name longer than today's limit cannot push a message past them.
const (
	maxRenderedTitle = 200
	maxRenderedBody  = 4000
)

// render fills {{variable}} placeholders of the job's templates; {{name}}
// is the recipient's profile name. The results are cut to the caps above.
func render(job *db.NotificationJob, name string) (string, string) {
	pairs := []string{"{{name}}", name}
	for k, v := range job.Variables {
		pairs = append(pairs, "{{"+k+"}}", v)
	}
	r := strings.NewReplacer(pairs...)
	return truncate(r.Replace(job.TitleTemplate), maxRenderedTitle), truncate(r.Replace(job.BodyTemplate), maxRenderedBody)
}

// truncate cuts s to at most limit characters, ending in "…" when cut.
func truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return string([]rune(s)[:limit-1]) + "…"
}
