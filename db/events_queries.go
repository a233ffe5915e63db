package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// ListHostedEvents lists the events hostID hosts, in every status and
// visibility, newest start time first, with keyset pagination on
// (starts_at, id): rows after the cursor sort before it. A zero beforeID
// starts at the newest event.
func ListHostedEvents(ctx context.Context, idb bun.IDB, hostID uuid.UUID, beforeStarts time.Time, beforeID uuid.UUID, limit int) ([]Event, error) {
	var out []Event
	q := idb.NewSelect().Model(&out).Where("e.host_user_id = ?", hostID).
		OrderExpr("e.starts_at DESC, e.id DESC").Limit(int64(limit))
	if beforeID != uuid.Nil {
		q = q.Where("(e.starts_at, e.id) < (?, ?)", beforeStarts, beforeID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list hosted events: %w", err)
	}
	return out, addListSeatBucketTotals(ctx, idb, out)
}

// SaveEventDetails writes the host-editable columns of e, bumps
// updated_at and reloads e.
func SaveEventDetails(ctx context.Context, idb bun.IDB, e *Event) error {
	_, err := idb.NewUpdate().Model(e).ExcludeColumn("id", "host_user_id", "slug", "status", "seats_taken", "going_count",
		"requests_count", "waitlist_count", "seat_buckets", "created_at", "updated_at").Set("updated_at = now()").WherePK().Returning("*").Exec(ctx)
	if err != nil {
		return fmt.Errorf("update event: %w", err)
	}
	return AddSeatBucketTotals(ctx, idb, e)
}
