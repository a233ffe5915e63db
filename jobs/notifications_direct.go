package jobs

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
)

// Notice is one message to one user about one business event: a ticket
// issued, a request declined, a refund, a reminder, a safety alert.
type Notice struct {
	// Key names the business event, e.g. "ticket-issued/<request id>". A
	// second Send with the same key (a retried activity) sends nothing.
	Key string
	// To is the recipient.
	To uuid.UUID
	// Category is a built-in category (db.Category*) or one the
	// organization defined; transactional ones ignore opt-outs and quiet
	// hours.
	Category    string
	Title, Body string
	// Optional: the organization and user it comes from, and the row it is
	// about (shown in the inbox).
	OrganizationID *uuid.UUID
	From           *uuid.UUID
	ReferenceType  string
	ReferenceID    string
	// Channels beside the inbox, which always gets the notice unless the
	// category is muted there; nil means push and email.
	Channels []string
}

// defaultNoticeChannels are where a notice goes beside the inbox: SMS
// costs money per message, so a caller asks for it.
var defaultNoticeChannels = []string{enums.ChannelPush, enums.ChannelEmail}

// Notices is the one direct-send path of the notifications domain: a
// business change calls Send inside its own transaction, so the notice
// commits (or rolls back) with the change it announces. Every later
// workflow's activity sends its messages through it in one line.
type Notices struct {
	// River enqueues each item's delivery in the caller's transaction.
	River *river.Client[*sql.Tx]
}

// Send writes n once per key: the inbox row, one item per channel, and
// each pending item's delivery job, in tx. An item is skipped at once,
// with the reason recorded, when the recipient muted a mutable category on
// its channel or the channel is not verified (SMS and email go only to
// proven phones and addresses). Delivery (DeliverNotificationWorker, the
// fan-out's worker) then applies quiet hours, except to transactional
// categories, and the per-channel rate limits.
func (s *Notices) Send(ctx context.Context, tx bun.Tx, n Notice) error {
	notice := &db.NotificationNotice{DedupeKey: n.Key, UserID: n.To, OrganizationID: n.OrganizationID, SenderUserID: n.From,
		Category: n.Category, Title: n.Title, Body: n.Body, ReferenceType: n.ReferenceType, ReferenceID: n.ReferenceID}
	stored, err := db.InsertNotice(ctx, tx, notice)
	if err != nil || !stored {
		return err
	}
	r, err := db.RecipientOf(ctx, tx, n.To, n.Category)
	if err != nil {
		return fmt.Errorf("notice %s: %w", n.Key, err)
	}
	items, inbox := noticeItems(notice, r, n.Channels)
	if inbox {
		if err := db.Notify(ctx, tx, &db.Notification{RecipientUserID: n.To, SenderUserID: n.From, OrganizationID: n.OrganizationID,
			Type: n.Category, Title: n.Title, Message: n.Body, ReferenceType: n.ReferenceType, ReferenceID: n.ReferenceID}); err != nil {
			return err
		}
	}
	if err := db.InsertNoticeItems(ctx, tx, items); err != nil {
		return err
	}
	return s.enqueue(ctx, tx, n.Category, items)
}

// noticeItems decides each channel of a notice: the inbox row is written
// with the notice (sent), the other channels wait for the worker
// (pending) unless they are skipped now. It reports whether to write the
// inbox row.
func noticeItems(notice *db.NotificationNotice, r *db.Recipient, channels []string) ([]db.NotificationItem, bool) {
	if channels == nil {
		channels = defaultNoticeChannels
	}
	mutable := !db.IsTransactional(notice.Category)
	var items []db.NotificationItem
	inbox := false
	for _, ch := range append([]string{enums.ChannelInApp}, channels...) {
		it := db.NotificationItem{ID: db.NewID(), NoticeID: notice.ID, UserID: notice.UserID, Channel: ch, Status: enums.ItemPending}
		switch {
		case mutable && r.OptedOutOf[ch]:
			it.Status, it.SkipReason = enums.ItemSkipped, fmt.Sprintf("opted out of %s on %s", notice.Category, ch)
		case ch == enums.ChannelInApp:
			it.Status, it.SentAt, inbox = enums.ItemSent, &notice.CreatedAt, true
		default:
			if reason := db.UnverifiedReason(r.User, ch); reason != "" {
				it.Status, it.SkipReason = enums.ItemSkipped, reason
			}
		}
		items = append(items, it)
	}
	return items, inbox
}

// enqueue adds the delivery job of each pending item; a safety notice's
// jobs go on SafetyQueue, so no fan-out queued before them delays them.
func (s *Notices) enqueue(ctx context.Context, tx bun.Tx, category string, items []db.NotificationItem) error {
	var opts *river.InsertOpts
	if category == db.CategorySafety {
		opts = &river.InsertOpts{Queue: SafetyQueue} // the job's own options fill the rest
	}
	var params []river.InsertManyParams
	for _, it := range items {
		if it.Status == enums.ItemPending {
			params = append(params, river.InsertManyParams{Args: DeliverNotificationArgs{ItemID: it.ID}, InsertOpts: opts})
		}
	}
	if len(params) == 0 {
		return nil
	}
	if _, err := s.River.InsertManyTx(ctx, tx.Tx, params); err != nil {
		return fmt.Errorf("enqueue notice deliveries: %w", err)
	}
	return nil
}
