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

// Groups and their members (GroupService); joining and leaving take and
// free places through AddGroupMember and RemoveGroupMember
// (social_members.go). Join requests and invites are in
// social_groups_requests.go.

// InsertGroup creates a group with no members; the caller then adds its
// creator with AddGroupMember in the same transaction.
func InsertGroup(ctx context.Context, tx bun.Tx, g *Group) error {
	if g.ID == uuid.Nil {
		g.ID = NewID()
	}
	if _, err := tx.NewInsert().Model(g).Returning("*").Exec(ctx); err != nil {
		return fmt.Errorf("insert group at event %s: %w", g.EventID, err)
	}
	return nil
}

// LockGroup reads a group that is not deleted and holds its row lock
// until tx ends: joins, which take the same lock, wait for the change.
func LockGroup(ctx context.Context, tx bun.Tx, id uuid.UUID) (*Group, error) {
	g := new(Group)
	err := tx.NewSelect().Model(g).Where("id = ? AND deleted_at IS NULL", id).For("UPDATE").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("lock group %s: %w", id, err)
	}
	return g, nil
}

// UpdateGroupFields writes a group's name, description, places and
// privacy.
func UpdateGroupFields(ctx context.Context, tx bun.Tx, g *Group) error {
	_, err := tx.NewUpdate().Model(g).Column("name", "description", "max_members", "is_private").
		Set("updated_at = now()").WherePK().Returning("*").Exec(ctx)
	if err != nil {
		return fmt.Errorf("update group %s: %w", g.ID, err)
	}
	return nil
}

// GroupMemberIDs lists the members of a group.
func GroupMemberIDs(ctx context.Context, idb bun.IDB, groupID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := idb.NewSelect().Model((*GroupMember)(nil)).Column("user_id").Where("group_id = ?", groupID).
		Order("joined_at", "user_id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("list members of group %s: %w", groupID, err)
	}
	return ids, nil
}

// MarkGroupDeleted soft-deletes an empty group and withdraws its pending
// join requests and invites.
func MarkGroupDeleted(ctx context.Context, tx bun.Tx, groupID uuid.UUID, at time.Time) error {
	if _, err := tx.NewUpdate().Model((*Group)(nil)).Set("deleted_at = ?", at).Set("updated_at = now()").
		Where("id = ?", groupID).Exec(ctx); err != nil {
		return fmt.Errorf("delete group %s: %w", groupID, err)
	}
	if _, err := tx.NewUpdate().Model((*GroupJoinRequest)(nil)).Set("status = ?", enums.JoinRequestCancelled).
		Set("decided_at = ?", at).Where("group_id = ? AND status = ?", groupID, enums.JoinRequestPending).Exec(ctx); err != nil {
		return fmt.Errorf("withdraw join requests of group %s: %w", groupID, err)
	}
	if _, err := tx.NewUpdate().Model((*GroupInvite)(nil)).Set("status = ?", enums.GroupInviteCancelled).
		Set("responded_at = ?", at).Where("group_id = ? AND status = ?", groupID, enums.GroupInvitePending).Exec(ctx); err != nil {
		return fmt.Errorf("withdraw invites of group %s: %w", groupID, err)
	}
	return nil
}

// EventGroupsPage is one page of an event's groups by (created_at, id),
// after the row (afterAt, afterID) when afterID is set.
func EventGroupsPage(ctx context.Context, idb bun.IDB, eventID uuid.UUID, afterAt time.Time, afterID uuid.UUID, limit int) ([]Group, error) {
	var out []Group
	q := idb.NewSelect().Model(&out).Where("event_id = ? AND deleted_at IS NULL", eventID)
	if afterID != uuid.Nil {
		q = q.Where("(created_at, id) > (?, ?)", afterAt, afterID)
	}
	if err := q.Order("created_at", "id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list groups of event %s: %w", eventID, err)
	}
	return out, nil
}

// MyGroup is a group with the user's membership of it.
type MyGroup struct {
	Group    `bun:",extend"`
	IsAdmin  bool      `bun:"my_is_admin"`
	JoinedAt time.Time `bun:"my_joined_at"`
}

// UserGroupsPage is one page of the groups userID is a member of, by
// (joined_at, group id).
func UserGroupsPage(ctx context.Context, idb bun.IDB, userID uuid.UUID, afterAt time.Time, afterID uuid.UUID, limit int) ([]MyGroup, error) {
	var out []MyGroup
	q := idb.NewSelect().Model(&out).ColumnExpr("g.*").
		ColumnExpr("gm.is_admin AS my_is_admin, gm.joined_at AS my_joined_at").
		Join("JOIN group_members AS gm ON gm.group_id = g.id AND gm.user_id = ?", userID).
		Where("g.deleted_at IS NULL")
	if afterID != uuid.Nil {
		q = q.Where("(gm.joined_at, g.id) > (?, ?)", afterAt, afterID)
	}
	if err := q.OrderExpr("gm.joined_at, g.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list groups of user %s: %w", userID, err)
	}
	return out, nil
}

// MembershipsIn maps each of groupIDs that userID is a member of to the
// membership.
func MembershipsIn(ctx context.Context, idb bun.IDB, userID uuid.UUID, groupIDs []uuid.UUID) (map[uuid.UUID]GroupMember, error) {
	out := map[uuid.UUID]GroupMember{}
	if len(groupIDs) == 0 {
		return out, nil
	}
	var rows []GroupMember
	if err := idb.NewSelect().Model(&rows).Where("user_id = ? AND group_id IN (?)", userID, bun.In(groupIDs)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read memberships of %s: %w", userID, err)
	}
	for _, m := range rows {
		out[m.GroupID] = m
	}
	return out, nil
}

// NamedMember is a group member with their display name.
type NamedMember struct {
	GroupMember `bun:",extend"`
	Name        string `bun:"name"`
}

// GroupMembersPage is one page of a group's members by (joined_at,
// user_id).
func GroupMembersPage(ctx context.Context, idb bun.IDB, groupID uuid.UUID, afterAt time.Time, afterID uuid.UUID, limit int) ([]NamedMember, error) {
	var out []NamedMember
	q := idb.NewSelect().Model(&out).ColumnExpr("gm.*, COALESCE(p.name, '') AS name").
		Join("LEFT JOIN user_profiles AS p ON p.user_id = gm.user_id").Where("gm.group_id = ?", groupID)
	if afterID != uuid.Nil {
		q = q.Where("(gm.joined_at, gm.user_id) > (?, ?)", afterAt, afterID)
	}
	if err := q.OrderExpr("gm.joined_at, gm.user_id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list members of group %s: %w", groupID, err)
	}
	return out, nil
}

// NamedMembership is one member of a group with their name, ErrNotFound
// when the user is not a member.
func NamedMembership(ctx context.Context, idb bun.IDB, groupID, userID uuid.UUID) (*NamedMember, error) {
	m := new(NamedMember)
	err := idb.NewSelect().Model(m).ColumnExpr("gm.*, COALESCE(p.name, '') AS name").Join("LEFT JOIN user_profiles AS p ON p.user_id = gm.user_id").
		Where("gm.group_id = ? AND gm.user_id = ?", groupID, userID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read member %s of group %s: %w", userID, groupID, err)
	}
	return m, nil
}

// SetGroupAdmin makes a member an admin or not; it reports whether the
// user is a member.
func SetGroupAdmin(ctx context.Context, tx bun.Tx, groupID, userID uuid.UUID, isAdmin bool) (bool, error) {
	res, err := tx.NewUpdate().Model((*GroupMember)(nil)).Set("is_admin = ?", isAdmin).
		Where("group_id = ? AND user_id = ?", groupID, userID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("set admin of %s in group %s: %w", userID, groupID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// PromoteIfNoAdmin makes the longest-standing member an admin when the
// group has members but no admin left, and returns who was promoted
// (uuid.Nil if nobody).
func PromoteIfNoAdmin(ctx context.Context, tx bun.Tx, groupID uuid.UUID) (uuid.UUID, error) {
	var promoted uuid.UUID
	err := tx.NewRaw(`UPDATE group_members SET is_admin = true
		WHERE group_id = ? AND NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = ? AND is_admin)
		AND user_id = (SELECT user_id FROM group_members WHERE group_id = ? ORDER BY joined_at, user_id LIMIT 1)
		RETURNING user_id`, groupID, groupID, groupID).Scan(ctx, &promoted)
	if errors.Is(err, sql.ErrNoRows) {
		return uuid.Nil, nil
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("promote an admin in group %s: %w", groupID, err)
	}
	return promoted, nil
}

// GroupAdminCount counts a group's admins.
func GroupAdminCount(ctx context.Context, idb bun.IDB, groupID uuid.UUID) (int, error) {
	n, err := idb.NewSelect().Model((*GroupMember)(nil)).Where("group_id = ? AND is_admin", groupID).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count admins of group %s: %w", groupID, err)
	}
	return int(n), nil
}
