package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// ChatChannel is the Postgres NOTIFY channel of chat and membership
// changes; the payload is the group ID. A notification only wakes the
// API processes' chat hubs, which read the changes from the tables, so a
// lost one loses nothing.
const ChatChannel = "convene_chat"

// Membership outcomes of AddGroupMember.
var (
	// ErrGroupFull: the group has max_members members.
	ErrGroupFull = errors.New("the group is full")
	// ErrGroupGone: the group does not exist or was deleted.
	ErrGroupGone = errors.New("the group does not exist or was deleted")
	// ErrAlreadyMember: the user is a member already.
	ErrAlreadyMember = errors.New("already a member of this group")
)

// AddGroupMember takes a place in the group and adds the member, in tx:
// the group row is updated only while member_count < max_members, so
// concurrent joins never overfill it. On ErrAlreadyMember the caller must
// roll tx back (the place was taken before the insert found the member).
func AddGroupMember(ctx context.Context, tx bun.Tx, groupID, userID uuid.UUID, isAdmin bool) error {
	res, err := tx.NewUpdate().Model((*Group)(nil)).
		Set("member_count = member_count + 1").Set("updated_at = now()").
		Where("id = ? AND deleted_at IS NULL AND member_count < max_members", groupID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("take a place in group %s: %w", groupID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return groupFullOrGone(ctx, tx, groupID)
	}
	res, err = tx.NewInsert().Model(&GroupMember{GroupID: groupID, UserID: userID, IsAdmin: isAdmin}).
		On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return fmt.Errorf("add member %s to group %s: %w", userID, groupID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrAlreadyMember
	}
	return NotifyGroupChange(ctx, tx, groupID)
}

// groupFullOrGone tells a full group from a missing or deleted one.
func groupFullOrGone(ctx context.Context, tx bun.Tx, groupID uuid.UUID) error {
	exists, err := tx.NewSelect().Model((*Group)(nil)).Where("id = ? AND deleted_at IS NULL", groupID).Exists(ctx)
	if err != nil {
		return fmt.Errorf("read group %s: %w", groupID, err)
	}
	if exists {
		return ErrGroupFull
	}
	return ErrGroupGone
}

// RemoveGroupMember removes the member and frees the place, in tx, and
// wakes the chat hubs (the member's streams end with "removed"). It
// reports whether the user was a member.
func RemoveGroupMember(ctx context.Context, tx bun.Tx, groupID, userID uuid.UUID) (bool, error) {
	res, err := tx.NewDelete().Model((*GroupMember)(nil)).Where("group_id = ? AND user_id = ?", groupID, userID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("remove member %s from group %s: %w", userID, groupID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := tx.NewUpdate().Model((*Group)(nil)).Set("member_count = member_count - 1").Set("updated_at = now()").
		Where("id = ?", groupID).Exec(ctx); err != nil {
		return false, fmt.Errorf("free a place in group %s: %w", groupID, err)
	}
	return true, NotifyGroupChange(ctx, tx, groupID)
}

// NextGroupSeq hands out the group's next chat sequence under its row
// lock, which the lock holds until tx ends: sequences commit in order.
func NextGroupSeq(ctx context.Context, tx bun.Tx, groupID uuid.UUID) (int64, error) {
	var seq int64
	err := tx.NewUpdate().Model((*Group)(nil)).Set("last_seq = last_seq + 1").
		Where("id = ? AND deleted_at IS NULL", groupID).Returning("last_seq").Scan(ctx, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrGroupGone
	}
	if err != nil {
		return 0, fmt.Errorf("next chat sequence of group %s: %w", groupID, err)
	}
	return seq, nil
}

// NotifyGroupChange wakes every API process's chat hub about groupID when
// tx commits (Postgres sends NOTIFY on commit, never on rollback).
func NotifyGroupChange(ctx context.Context, tx bun.Tx, groupID uuid.UUID) error {
	if _, err := tx.ExecContext(ctx, "SELECT pg_notify(?, ?)", ChatChannel, groupID.String()); err != nil {
		return fmt.Errorf("notify chat change of group %s: %w", groupID, err)
	}
	return nil
}

// GroupMembership is the caller's membership of a group, nil if none.
func GroupMembership(ctx context.Context, idb bun.IDB, groupID, userID uuid.UUID) (*GroupMember, error) {
	m := new(GroupMember)
	err := idb.NewSelect().Model(m).Where("group_id = ? AND user_id = ?", groupID, userID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read membership of %s in group %s: %w", userID, groupID, err)
	}
	return m, nil
}

// ActiveBan returns the ban that bars userID from groupID of eventID at
// now (a platform, event or group ban neither lifted nor expired), nil
// if none. uuid.Nil skips the event or group.
func ActiveBan(ctx context.Context, idb bun.IDB, userID, eventID, groupID uuid.UUID, now time.Time) (*UserBan, error) {
	ban := new(UserBan)
	err := idb.NewSelect().Model(ban).
		Where("user_id = ? AND lifted_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", userID, now).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			q = q.Where("scope = 'platform'")
			if eventID != uuid.Nil {
				q = q.WhereOr("scope = 'event' AND event_id = ?", eventID)
			}
			if groupID != uuid.Nil {
				q = q.WhereOr("scope = 'group' AND group_id = ?", groupID)
			}
			return q
		}).
		OrderExpr("created_at").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read bans of %s: %w", userID, err)
	}
	return ban, nil
}

// GroupByID reads a group that is not deleted.
func GroupByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Group, error) {
	g := new(Group)
	err := idb.NewSelect().Model(g).Where("id = ? AND deleted_at IS NULL", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read group %s: %w", id, err)
	}
	return g, nil
}
