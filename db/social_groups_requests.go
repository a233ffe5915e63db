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

// Join requests to private groups and invites into groups: at most one
// pending of each per group and user (partial unique indexes).

// ErrAlreadyPending: the user already has a pending request or invite
// for the group.
var ErrAlreadyPending = errors.New("already pending for this group")

// InsertJoinRequest records a pending join request.
func InsertJoinRequest(ctx context.Context, tx bun.Tx, r *GroupJoinRequest) error {
	if r.ID == uuid.Nil {
		r.ID = NewID()
	}
	r.Status = enums.JoinRequestPending
	_, err := tx.NewInsert().Model(r).Returning("*").Exec(ctx)
	if IsUniqueViolation(err, "group_join_requests_one_pending") {
		return ErrAlreadyPending
	}
	if err != nil {
		return fmt.Errorf("insert join request to group %s: %w", r.GroupID, err)
	}
	return nil
}

// LockJoinRequest reads a join request and holds its row lock until tx
// ends, so one decision wins.
func LockJoinRequest(ctx context.Context, tx bun.Tx, id uuid.UUID) (*GroupJoinRequest, error) {
	r := new(GroupJoinRequest)
	err := tx.NewSelect().Model(r).Where("id = ?", id).For("UPDATE").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("lock join request %s: %w", id, err)
	}
	return r, nil
}

// DecideJoinRequest records the decision on a pending request.
func DecideJoinRequest(ctx context.Context, tx bun.Tx, r *GroupJoinRequest, status string, by uuid.UUID, at time.Time) error {
	r.Status, r.DecidedBy, r.DecidedAt = status, &by, &at
	if _, err := tx.NewUpdate().Model(r).Column("status", "decided_by", "decided_at").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("decide join request %s: %w", r.ID, err)
	}
	return nil
}

// NamedJoinRequest is a join request with the requester's name.
type NamedJoinRequest struct {
	GroupJoinRequest `bun:",extend"`
	UserName         string `bun:"user_name"`
}

// PendingJoinRequests lists a group's pending join requests, oldest first.
func PendingJoinRequests(ctx context.Context, idb bun.IDB, groupID uuid.UUID) ([]NamedJoinRequest, error) {
	var out []NamedJoinRequest
	err := idb.NewSelect().Model(&out).ColumnExpr("gjr.*, COALESCE(p.name, '') AS user_name").
		Join("LEFT JOIN user_profiles AS p ON p.user_id = gjr.user_id").
		Where("gjr.group_id = ? AND gjr.status = ?", groupID, enums.JoinRequestPending).
		OrderExpr("gjr.created_at, gjr.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list join requests of group %s: %w", groupID, err)
	}
	return out, nil
}

// InsertGroupInvite records a pending invite.
func InsertGroupInvite(ctx context.Context, tx bun.Tx, inv *GroupInvite) error {
	if inv.ID == uuid.Nil {
		inv.ID = NewID()
	}
	inv.Status = enums.GroupInvitePending
	_, err := tx.NewInsert().Model(inv).Returning("*").Exec(ctx)
	if IsUniqueViolation(err, "group_invites_one_pending") {
		return ErrAlreadyPending
	}
	if err != nil {
		return fmt.Errorf("insert invite to group %s: %w", inv.GroupID, err)
	}
	return nil
}

// LockGroupInvite reads an invite and holds its row lock until tx ends.
func LockGroupInvite(ctx context.Context, tx bun.Tx, id uuid.UUID) (*GroupInvite, error) {
	inv := new(GroupInvite)
	err := tx.NewSelect().Model(inv).Where("id = ?", id).For("UPDATE").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("lock invite %s: %w", id, err)
	}
	return inv, nil
}

// RespondToGroupInvite records the invitee's answer to a pending invite.
func RespondToGroupInvite(ctx context.Context, tx bun.Tx, inv *GroupInvite, status string, at time.Time) error {
	inv.Status, inv.RespondedAt = status, &at
	if _, err := tx.NewUpdate().Model(inv).Column("status", "responded_at").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("answer invite %s: %w", inv.ID, err)
	}
	return nil
}

// WithdrawPendingFor withdraws the user's pending join request and
// invite for a group they just joined some other way.
func WithdrawPendingFor(ctx context.Context, tx bun.Tx, groupID, userID uuid.UUID, at time.Time) error {
	return withdrawPending(ctx, tx, userID, bun.In([]uuid.UUID{groupID}), at)
}

// WithdrawPendingInScope withdraws the user's pending join requests and
// invites of the groups within a ban's place (the group, the event's
// groups, or all), so no moderator's queue keeps asking about them.
func WithdrawPendingInScope(ctx context.Context, tx bun.Tx, userID uuid.UUID, scope string, eventID, groupID *uuid.UUID, at time.Time) error {
	groups := inBanScope(tx.NewSelect().TableExpr("groups AS g").Column("g.id"), scope, eventID, groupID)
	return withdrawPending(ctx, tx, userID, groups, at)
}

// withdrawPending cancels the user's pending join requests and invites
// of the groups (a list or a subquery of group IDs).
func withdrawPending(ctx context.Context, tx bun.Tx, userID uuid.UUID, groups any, at time.Time) error {
	if _, err := tx.NewUpdate().Model((*GroupJoinRequest)(nil)).Set("status = ?, decided_at = ?", enums.JoinRequestCancelled, at).
		Where("user_id = ? AND status = ? AND group_id IN (?)", userID, enums.JoinRequestPending, groups).Exec(ctx); err != nil {
		return fmt.Errorf("withdraw the join requests of %s: %w", userID, err)
	}
	if _, err := tx.NewUpdate().Model((*GroupInvite)(nil)).Set("status = ?, responded_at = ?", enums.GroupInviteCancelled, at).
		Where("user_id = ? AND status = ? AND group_id IN (?)", userID, enums.GroupInvitePending, groups).Exec(ctx); err != nil {
		return fmt.Errorf("withdraw the invites of %s: %w", userID, err)
	}
	return nil
}
