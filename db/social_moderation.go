package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// Moderation outcomes.
var (
	// ErrBanExists: the user has an open ban in that place already.
	ErrBanExists = errors.New("the user is banned there already")
	// ErrBanLifted: the ban was lifted already.
	ErrBanLifted = errors.New("the ban was lifted already")
	// ErrReportExists: the reporter has an open report of that target.
	ErrReportExists = errors.New("you reported this already; a moderator will look at it")
	// ErrReportClosed: the report was resolved already.
	ErrReportClosed = errors.New("the report was resolved already")
)

// InsertBan records b (its ID is set here) at now. A ban of the same user
// and place that has expired is closed first (lifted at now), since the
// one-open-ban index would hold it; a live one is ErrBanExists.
func InsertBan(ctx context.Context, tx bun.Tx, b *UserBan, now time.Time) error {
	if _, err := tx.NewUpdate().Model((*UserBan)(nil)).Set("lifted_at = ?", now).
		Where("user_id = ? AND scope = ? AND event_id IS NOT DISTINCT FROM ? AND group_id IS NOT DISTINCT FROM ?",
			b.UserID, b.Scope, b.EventID, b.GroupID).
		Where("lifted_at IS NULL AND expires_at <= ?", now).Exec(ctx); err != nil {
		return fmt.Errorf("close the expired bans of %s: %w", b.UserID, err)
	}
	b.ID = NewID()
	res, err := tx.NewInsert().Model(b).On("CONFLICT DO NOTHING").Returning("created_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("ban %s (%s): %w", b.UserID, b.Scope, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrBanExists
	}
	return nil
}

// MemberGroupsInScope lists the groups (not deleted) the user is a member
// of within a ban's place: the group, the event's groups, or all.
func MemberGroupsInScope(ctx context.Context, idb bun.IDB, userID uuid.UUID, scope string, eventID, groupID *uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	q := idb.NewSelect().TableExpr("group_members AS gm").Column("gm.group_id").
		Join("JOIN groups AS g ON g.id = gm.group_id").
		Where("gm.user_id = ? AND g.deleted_at IS NULL", userID)
	if err := inBanScope(q, scope, eventID, groupID).OrderExpr("gm.group_id").Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("list the groups of %s in scope %s: %w", userID, scope, err)
	}
	return ids, nil
}

// inBanScope restricts q, which reads groups AS g, to the groups of a
// ban's place: the group, the event's groups, or all.
func inBanScope(q *bun.SelectQuery, scope string, eventID, groupID *uuid.UUID) *bun.SelectQuery {
	switch scope {
	case enums.BanScopeGroup:
		return q.Where("g.id = ?", groupID)
	case enums.BanScopeEvent:
		return q.Where("g.event_id = ?", eventID)
	}
	return q
}

// BanByID reads a ban; ErrNotFound if none.
func BanByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*UserBan, error) {
	b := new(UserBan)
	err := idb.NewSelect().Model(b).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read ban %s: %w", id, err)
	}
	return b, nil
}

// LiftBan lifts an open ban at now; ErrBanLifted if it was lifted.
func LiftBan(ctx context.Context, tx bun.Tx, b *UserBan, by uuid.UUID, now time.Time) error {
	res, err := tx.NewUpdate().Model(b).Set("lifted_at = ?, lifted_by = ?", now, by).
		Where("id = ? AND lifted_at IS NULL", b.ID).Returning("*").Exec(ctx)
	if err != nil {
		return fmt.Errorf("lift ban %s: %w", b.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrBanLifted
	}
	return nil
}

// OpenBansPage lists the bans of one place that bar at now, newest first,
// after the (created_at, id) key (zero ID: from the start), at most limit.
func OpenBansPage(ctx context.Context, idb bun.IDB, scope string, eventID, groupID *uuid.UUID, now, after time.Time, afterID uuid.UUID, limit int) ([]UserBan, error) {
	var out []UserBan
	q := idb.NewSelect().Model(&out).
		Where("scope = ? AND event_id IS NOT DISTINCT FROM ? AND group_id IS NOT DISTINCT FROM ?", scope, eventID, groupID).
		Where("lifted_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", now)
	if afterID != uuid.Nil {
		q = q.Where("(created_at, id) < (?, ?)", after, afterID)
	}
	if err := q.OrderExpr("created_at DESC, id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list the %s bans: %w", scope, err)
	}
	return out, nil
}

// ReportedMessage is the message a report names, with its group's event.
type ReportedMessage struct {
	ID       uuid.UUID `bun:"id,type:uuid"`
	GroupID  uuid.UUID `bun:"group_id,type:uuid"`
	SenderID uuid.UUID `bun:"sender_id,type:uuid"`
	EventID  uuid.UUID `bun:"event_id,type:uuid"`
}

// MessageToReport reads a message of a group that is not deleted;
// ErrNotFound if none.
func MessageToReport(ctx context.Context, idb bun.IDB, id uuid.UUID) (*ReportedMessage, error) {
	m := new(ReportedMessage)
	err := idb.NewSelect().TableExpr("group_messages AS msg").
		ColumnExpr("msg.id, msg.group_id, msg.sender_id, g.event_id").
		Join("JOIN groups AS g ON g.id = msg.group_id").
		Where("msg.id = ? AND g.deleted_at IS NULL", id).Scan(ctx, m)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read message %s: %w", id, err)
	}
	return m, nil
}

// SharesPlace reports whether two users share a group (not deleted) or
// are both live attendees of an event; eventID, when set, limits both to
// that event.
func SharesPlace(ctx context.Context, idb bun.IDB, a, b uuid.UUID, eventID *uuid.UUID) (bool, error) {
	var shared bool
	err := idb.NewRaw(`SELECT EXISTS (
    SELECT 1 FROM group_members AS x JOIN group_members AS y ON y.group_id = x.group_id
    JOIN groups AS g ON g.id = x.group_id
    WHERE x.user_id = ?0 AND y.user_id = ?1 AND g.deleted_at IS NULL AND (?2::uuid IS NULL OR g.event_id = ?2)
) OR EXISTS (
    SELECT 1 FROM event_attendees AS x JOIN event_attendees AS y ON y.event_id = x.event_id
    WHERE x.user_id = ?0 AND y.user_id = ?1 AND x.status <> 'cancelled' AND y.status <> 'cancelled'
      AND (?2::uuid IS NULL OR x.event_id = ?2)
)`, a, b, eventID).Scan(ctx, &shared)
	if err != nil {
		return false, fmt.Errorf("read whether %s and %s met: %w", a, b, err)
	}
	return shared, nil
}

// InsertReport records r (ID and open status set here);
// ErrReportExists when the reporter has an open report of the target.
func InsertReport(ctx context.Context, tx bun.Tx, r *Report) error {
	r.ID, r.Status = NewID(), enums.ReportOpen
	res, err := tx.NewInsert().Model(r).On("CONFLICT DO NOTHING").Returning("created_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("report %s: %w", r.ReportedUserID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrReportExists
	}
	return nil
}

// ReportByID reads a report; ErrNotFound if none.
func ReportByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Report, error) {
	r := new(Report)
	err := idb.NewSelect().Model(r).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read report %s: %w", id, err)
	}
	return r, nil
}

// ResolveReport closes an open report; ErrReportClosed if it was closed.
func ResolveReport(ctx context.Context, tx bun.Tx, r *Report, status, note string, by uuid.UUID, now time.Time) error {
	res, err := tx.NewUpdate().Model(r).Set("status = ?, resolution_note = ?, resolved_by = ?, resolved_at = ?", status, note, by, now).
		Where("id = ? AND status = ?", r.ID, enums.ReportOpen).Returning("*").Exec(ctx)
	if err != nil {
		return fmt.Errorf("resolve report %s: %w", r.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrReportClosed
	}
	return nil
}

// ReportFilter selects reports; zero fields select all.
type ReportFilter struct {
	Status  string
	EventID *uuid.UUID
	GroupID *uuid.UUID
}

// ReportsPage lists reports newest first after the (created_at, id) key
// (zero ID: from the start), at most limit.
func ReportsPage(ctx context.Context, idb bun.IDB, f ReportFilter, after time.Time, afterID uuid.UUID, limit int) ([]Report, error) {
	var out []Report
	q := idb.NewSelect().Model(&out)
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.EventID != nil {
		q = q.Where("event_id = ?", *f.EventID)
	}
	if f.GroupID != nil {
		q = q.Where("group_id = ?", *f.GroupID)
	}
	if afterID != uuid.Nil {
		q = q.Where("(created_at, id) < (?, ?)", after, afterID)
	}
	if err := q.OrderExpr("created_at DESC, id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	return out, nil
}
