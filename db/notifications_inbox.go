package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/convene/convene/db/enums"
)

// InboxNotification is an inbox row as the API shows it: the Notification
// plus when it was read, which only readers need.
type InboxNotification struct {
	Notification `bun:",extend"`

	ReadAt *time.Time `bun:"read_at"`
}

// InboxPage lists a user's inbox newest first, before the keyset
// (beforeCreated, beforeID) unless beforeID is nil, at most limit rows.
func InboxPage(ctx context.Context, idb bun.IDB, userID uuid.UUID, unreadOnly bool, beforeCreated time.Time, beforeID uuid.UUID, limit int) ([]InboxNotification, error) {
	var out []InboxNotification
	q := idb.NewSelect().Model(&out).Where("n.recipient_user_id = ?", userID).
		OrderExpr("n.created_at DESC, n.id DESC").Limit(int64(limit))
	if unreadOnly {
		q = q.Where("NOT n.is_read")
	}
	if beforeID != uuid.Nil {
		q = q.Where("(n.created_at, n.id) < (?, ?)", beforeCreated, beforeID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list inbox: %w", err)
	}
	return out, nil
}

// CountUnread counts a user's unread inbox rows.
func CountUnread(ctx context.Context, idb bun.IDB, userID uuid.UUID) (int64, error) {
	n, err := idb.NewSelect().Model((*Notification)(nil)).Where("recipient_user_id = ? AND NOT is_read", userID).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", err)
	}
	return int64(n), nil
}

// MarkRead marks the unread rows among ids that belong to userID as read
// and returns how many changed; other users' rows are never touched.
func MarkRead(ctx context.Context, idb bun.IDB, userID uuid.UUID, ids []uuid.UUID) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	return markRead(ctx, idb.NewUpdate().Model((*Notification)(nil)).
		Where("recipient_user_id = ? AND NOT is_read AND id IN (?)", userID, bun.In(ids)))
}

// MarkAllRead marks every unread row of userID as read and returns how
// many changed.
func MarkAllRead(ctx context.Context, idb bun.IDB, userID uuid.UUID) (int64, error) {
	return markRead(ctx, idb.NewUpdate().Model((*Notification)(nil)).Where("recipient_user_id = ? AND NOT is_read", userID))
}

func markRead(ctx context.Context, q *bun.UpdateQuery) (int64, error) {
	res, err := q.Set("is_read = true, read_at = now(), updated_at = now()").Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("mark notifications read: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("mark notifications read: %w", err)
	}
	return n, nil
}

// DatabaseNow is the database's clock, the one that stamps created_at:
// cursors compared with created_at start from it, not from an API host's
// clock, which may differ.
func DatabaseNow(ctx context.Context, idb bun.IDB) (time.Time, error) {
	var now time.Time
	if err := idb.NewRaw("SELECT clock_timestamp()").Scan(ctx, &now); err != nil {
		return time.Time{}, fmt.Errorf("read database clock: %w", err)
	}
	return now, nil
}

// NonMembers returns the IDs among userIDs that are not members of orgID,
// in the order given; empty if all are.
func NonMembers(ctx context.Context, idb bun.IDB, orgID uuid.UUID, userIDs []uuid.UUID) ([]uuid.UUID, error) {
	var out []uuid.UUID
	if len(userIDs) == 0 {
		return out, nil
	}
	err := idb.NewRaw(`SELECT u.id FROM unnest(?::uuid[]) WITH ORDINALITY AS u (id, pos)
		WHERE NOT EXISTS (SELECT 1 FROM organization_members om WHERE om.organization_id = ? AND om.user_id = u.id)
		ORDER BY u.pos`, pgUUIDs(userIDs), orgID).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("check organization membership: %w", err)
	}
	return out, nil
}

// VisibleNotificationJobs lists, newest first, the jobs of every
// organization userID owns or administers, plus the platform-wide jobs
// (no organization) when staff is true.
func VisibleNotificationJobs(ctx context.Context, idb bun.IDB, userID uuid.UUID, staff bool, beforeCreated time.Time, beforeID uuid.UUID, limit int) ([]NotificationJob, error) {
	var out []NotificationJob
	q := idb.NewSelect().Model(&out).
		Where(`(nj.organization_id IN (SELECT om.organization_id FROM organization_members om
			WHERE om.user_id = ? AND om.role IN (?, ?)) OR (? AND nj.organization_id IS NULL))`, userID, RoleOwner, RoleAdmin, staff).
		OrderExpr("nj.created_at DESC, nj.id DESC").Limit(int64(limit))
	if beforeID != uuid.Nil {
		q = q.Where("(nj.created_at, nj.id) < (?, ?)", beforeCreated, beforeID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list notification jobs: %w", err)
	}
	return out, nil
}

// pgUUIDs passes ids as a Postgres array (of text, cast to uuid[] in SQL).
func pgUUIDs(ids []uuid.UUID) any {
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = id.String()
	}
	return pgdialect.Array(strs)
}

// NotificationJobsProgress counts the items of several jobs by status in
// one query, for listing jobs; a job without items has zero progress.
func NotificationJobsProgress(ctx context.Context, idb bun.IDB, jobIDs []uuid.UUID) (map[uuid.UUID]JobProgress, error) {
	out := make(map[uuid.UUID]JobProgress, len(jobIDs))
	if len(jobIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		JobID  uuid.UUID `bun:"job_id"`
		Status string    `bun:"status"`
		N      int64     `bun:"n"`
	}
	err := idb.NewSelect().Model((*NotificationItem)(nil)).ColumnExpr("job_id, status, count(*) AS n").
		Where("job_id IN (?)", bun.In(jobIDs)).GroupExpr("job_id, status").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("count items of jobs: %w", err)
	}
	for _, r := range rows {
		p := out[r.JobID]
		p.Resolved += r.N
		switch r.Status {
		case enums.ItemPending:
			p.Pending = r.N
		case enums.ItemSent:
			p.Sent = r.N
		case enums.ItemFailed:
			p.Failed = r.N
		case enums.ItemSkipped:
			p.Skipped = r.N
		case enums.ItemCancelled:
			p.Cancelled = r.N
		}
		out[r.JobID] = p
	}
	return out, nil
}
