package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// InboxRowsAfter returns the inbox rows of any of userIDs created after
// (afterCreated, afterID), oldest first, at most limit: one query for every
// watching user, however many there are.
func InboxRowsAfter(ctx context.Context, idb bun.IDB, userIDs []uuid.UUID, afterCreated time.Time, afterID uuid.UUID, limit int) ([]InboxNotification, error) {
	var out []InboxNotification
	if len(userIDs) == 0 {
		return out, nil
	}
	err := idb.NewSelect().Model(&out).Where("n.recipient_user_id = ANY(?::uuid[])", pgUUIDs(userIDs)).
		Where("(n.created_at, n.id) > (?, ?)", afterCreated, afterID).
		OrderExpr("n.created_at, n.id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list new inbox rows: %w", err)
	}
	return out, nil
}
