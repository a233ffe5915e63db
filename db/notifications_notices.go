package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// NotificationNotice is a direct notice: one message to one user about one
// business event, named by DedupeKey so it is written once however often
// the change that sends it is retried. Its items are delivered like a
// job's.
type NotificationNotice struct {
	bun.BaseModel `bun:"table:notification_notices,alias:nn"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	DedupeKey      string     `bun:"dedupe_key,notnull"`
	UserID         uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	OrganizationID *uuid.UUID `bun:"organization_id,type:uuid"`
	SenderUserID   *uuid.UUID `bun:"sender_user_id,type:uuid"`
	Category       string     `bun:"category,notnull"`
	Title          string     `bun:"title,notnull"`
	Body           string     `bun:"body,notnull"`
	ReferenceType  string     `bun:"reference_type,notnull"`
	ReferenceID    string     `bun:"reference_id,notnull"`
	Timestamps
}

// InsertNotice stores n unless a notice with its key exists; it reports
// whether n was stored (false: the event was already notified). A stored
// n gets its created_at from the database.
func InsertNotice(ctx context.Context, idb bun.IDB, n *NotificationNotice) (bool, error) {
	if n.ID == uuid.Nil {
		n.ID = NewID()
	}
	var id uuid.UUID
	err := idb.NewInsert().Model(n).On("CONFLICT (dedupe_key) DO NOTHING").Returning("id, created_at").Scan(ctx, &id, &n.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert notice %s: %w", n.DedupeKey, err)
	}
	return true, nil
}

// NoticeByID loads a notice.
func NoticeByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*NotificationNotice, error) {
	n := new(NotificationNotice)
	if err := idb.NewSelect().Model(n).Where("nn.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "notice %s", id)
	}
	return n, nil
}

// InsertNoticeItems stores the items of a notice.
func InsertNoticeItems(ctx context.Context, idb bun.IDB, items []NotificationItem) error {
	if len(items) == 0 {
		return nil
	}
	if _, err := idb.NewInsert().Model(&items).Exec(ctx); err != nil {
		return fmt.Errorf("insert notice items: %w", err)
	}
	return nil
}

// NoticeItemsOf lists the items of the notice with key, by channel (for
// tests and support: what happened to one business event's notice).
func NoticeItemsOf(ctx context.Context, idb bun.IDB, key string) ([]NotificationItem, error) {
	var out []NotificationItem
	err := idb.NewSelect().Model(&out).Join("JOIN notification_notices AS nn ON nn.id = ni.notice_id").
		Where("nn.dedupe_key = ?", key).Order("ni.channel").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list items of notice %s: %w", key, err)
	}
	return out, nil
}

// Recipient is what deciding a notice's channels needs of its user.
type Recipient struct {
	User *User
	// OptedOutOf holds the channels on which the user muted the category.
	OptedOutOf map[string]bool
}

// recipientRow is a user with the channels they muted for a category.
type recipientRow struct {
	User  `bun:",extend"`
	Muted []string `bun:"muted,array"`
}

// RecipientOf loads the user a notice goes to and the channels on which
// they muted category, in one round trip (it runs inside business
// transactions that hold row locks).
func RecipientOf(ctx context.Context, idb bun.IDB, userID uuid.UUID, category string) (*Recipient, error) {
	var row recipientRow
	err := idb.NewRaw(`SELECT u.*, ARRAY(SELECT np.channel FROM notification_preferences np
			WHERE np.user_id = u.id AND np.category = ? AND NOT np.enabled) AS muted
		FROM users AS u WHERE u.id = ?`, category, userID).Scan(ctx, &row)
	if err != nil {
		return nil, notFound(err, "recipient %s", userID)
	}
	r := &Recipient{User: &row.User, OptedOutOf: map[string]bool{}}
	for _, ch := range row.Muted {
		r.OptedOutOf[ch] = true
	}
	return r, nil
}

// UnverifiedReason is why channel may not reach u ("" if it may): SMS and
// email go only to a phone or address its owner proved.
func UnverifiedReason(u *User, channel string) string {
	switch {
	case channel == enums.ChannelEmail && u.Email == nil:
		return "no email address"
	case channel == enums.ChannelEmail && u.EmailVerifiedAt == nil:
		return "email address not verified"
	case channel == enums.ChannelSMS && u.Phone == nil:
		return "no phone number"
	case channel == enums.ChannelSMS && u.PhoneVerifiedAt == nil:
		return "phone number not verified"
	case channel == enums.ChannelTelegram && u.TelegramID == nil:
		return "no telegram account"
	}
	return ""
}
