package db

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Notification is one in-app inbox row.
type Notification struct {
	bun.BaseModel `bun:"table:notifications,alias:n"`

	ID              uuid.UUID      `bun:"id,pk,type:uuid"`
	RecipientUserID uuid.UUID      `bun:"recipient_user_id,type:uuid,notnull"`
	SenderUserID    *uuid.UUID     `bun:"sender_user_id,type:uuid"`
	OrganizationID  *uuid.UUID     `bun:"organization_id,type:uuid"`
	Type            string         `bun:"type,notnull"`
	Title           string         `bun:"title,notnull"`
	Message         string         `bun:"message,notnull"`
	ReferenceType   string         `bun:"reference_type,notnull"`
	ReferenceID     string         `bun:"reference_id,notnull"`
	Link            string         `bun:"link,notnull"`
	IsRead          bool           `bun:"is_read,notnull"`
	Metadata        map[string]any `bun:"metadata,type:jsonb,notnull"`
	Timestamps
}

// Notify writes inbox rows inside the caller's transaction, so a
// notification commits or rolls back with the change it announces.
func Notify(ctx context.Context, idb bun.IDB, notes ...*Notification) error {
	if len(notes) == 0 {
		return nil
	}
	for _, n := range notes {
		if n.ID == uuid.Nil {
			n.ID = NewID()
		}
		if n.Metadata == nil {
			n.Metadata = map[string]any{}
		}
	}
	if _, err := idb.NewInsert().Model(&notes).Exec(ctx); err != nil {
		return fmt.Errorf("insert notifications: %w", err)
	}
	return nil
}

// NotificationsOf lists a user's inbox, newest first.
func NotificationsOf(ctx context.Context, idb bun.IDB, userID uuid.UUID) ([]Notification, error) {
	var out []Notification
	err := idb.NewSelect().Model(&out).Where("n.recipient_user_id = ?", userID).OrderExpr("n.created_at DESC, n.id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}
