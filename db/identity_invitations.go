package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Invitation statuses: only a pending invitation can be accepted or declined.
const (
	InvitationPending  = "pending"
	InvitationAccepted = "accepted"
	InvitationDeclined = "declined"
)

// Invitation offers a role in an organization to a person, who becomes a
// member only by accepting it. The invitee is a user (phone invitations) or
// an email address (email invitations), which is matched against the
// verified email of whoever lists or accepts it.
type Invitation struct {
	bun.BaseModel `bun:"table:organization_invitations,alias:i"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	InviteeUserID  *uuid.UUID `bun:"invitee_user_id,type:uuid"`
	InviteeEmail   *string    `bun:"invitee_email"`
	Role           string     `bun:"role,notnull"`
	InvitedBy      *uuid.UUID `bun:"invited_by,type:uuid"`
	Status         string     `bun:"status,notnull"`
	NotifiedAt     *time.Time `bun:"notified_at"`
	RespondedAt    *time.Time `bun:"responded_at"`
	AcceptedBy     *uuid.UUID `bun:"accepted_by,type:uuid"`
	Timestamps

	// Filled by MyOpenInvitations.
	OrganizationName string `bun:"organization_name,scanonly"`
	InvitedByName    string `bun:"invited_by_name,scanonly"`
}

// Invitee names who an invitation is for: a user, or an email address
// (stored lower-case).
type Invitee struct {
	UserID *uuid.UUID
	Email  string
}

// where restricts q to invitations of the invitee.
func (iv Invitee) where(q *bun.SelectQuery) *bun.SelectQuery {
	if iv.UserID != nil {
		return q.Where("i.invitee_user_id = ?", *iv.UserID)
	}
	return q.Where("i.invitee_email = ?", strings.ToLower(iv.Email))
}

// OpenInvitationFor row-locks the pending invitation of invitee to orgID.
func OpenInvitationFor(ctx context.Context, tx bun.Tx, orgID uuid.UUID, invitee Invitee) (*Invitation, error) {
	inv := new(Invitation)
	q := tx.NewSelect().Model(inv).Where("i.organization_id = ? AND i.status = ?", orgID, InvitationPending)
	if err := invitee.where(q).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "open invitation")
	}
	return inv, nil
}

// LastInvitationNotice is when invitee was last sent an SMS or email about
// an invitation to orgID (any status), nil if never: re-invitations within
// a day, even after a decline, send nothing more.
func LastInvitationNotice(ctx context.Context, idb bun.IDB, orgID uuid.UUID, invitee Invitee) (*time.Time, error) {
	var last *time.Time
	q := idb.NewSelect().Model((*Invitation)(nil)).ColumnExpr("max(i.notified_at)").Where("i.organization_id = ?", orgID)
	if err := invitee.where(q).Scan(ctx, &last); err != nil {
		return nil, fmt.Errorf("last invitation notice: %w", err)
	}
	return last, nil
}

// InsertInvitation stores a new pending invitation; a second open one for
// the same invitee is a unique violation.
func InsertInvitation(ctx context.Context, idb bun.IDB, inv *Invitation) error {
	if inv.InviteeEmail != nil {
		lower := strings.ToLower(*inv.InviteeEmail)
		inv.InviteeEmail = &lower
	}
	if _, err := idb.NewInsert().Model(inv).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert invitation: %w", err)
	}
	return nil
}

// UpdateInvitation writes the role and notified_at of an open invitation.
func UpdateInvitation(ctx context.Context, idb bun.IDB, inv *Invitation) error {
	_, err := idb.NewUpdate().Model(inv).Column("role", "notified_at").Set("updated_at = now()").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("update invitation: %w", err)
	}
	return nil
}

// ClearInvitationNotice forgets that an invitation's SMS or email went out
// (the send failed), so re-inviting tries again.
func ClearInvitationNotice(ctx context.Context, idb bun.IDB, id uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*Invitation)(nil)).Set("notified_at = NULL, updated_at = now()").Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("clear invitation notice: %w", err)
	}
	return nil
}

// myInvitations restricts q to pending invitations of userID or of its
// verified email.
func myInvitations(q *bun.SelectQuery, userID uuid.UUID) *bun.SelectQuery {
	return q.Where("i.status = ?", InvitationPending).WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("i.invitee_user_id = ?", userID).
			WhereOr("i.invitee_email = (SELECT lower(me.email) FROM users AS me WHERE me.id = ? AND me.email_verified_at IS NOT NULL)", userID)
	})
}

// MyOpenInvitations lists the pending invitations of userID, by account or
// by its verified email, newest first, with the organization's and the
// inviter's names.
func MyOpenInvitations(ctx context.Context, idb bun.IDB, userID uuid.UUID, limit int) ([]Invitation, error) {
	var out []Invitation
	q := idb.NewSelect().Model(&out).
		ColumnExpr("i.*, o.name AS organization_name, coalesce(p.name, '') AS invited_by_name").
		Join("JOIN organizations AS o ON o.id = i.organization_id").
		Join("LEFT JOIN user_profiles AS p ON p.user_id = i.invited_by")
	if err := myInvitations(q, userID).OrderExpr("i.created_at DESC, i.id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list my invitations: %w", err)
	}
	return out, nil
}

// MyOpenInvitationsTo row-locks userID's pending invitations to orgID (by
// account or by verified email), oldest first.
func MyOpenInvitationsTo(ctx context.Context, tx bun.Tx, orgID, userID uuid.UUID) ([]Invitation, error) {
	var out []Invitation
	q := tx.NewSelect().Model(&out).Where("i.organization_id = ?", orgID)
	if err := myInvitations(q, userID).OrderExpr("i.created_at, i.id").For("UPDATE OF i").Scan(ctx); err != nil {
		return nil, fmt.Errorf("lock my invitations: %w", err)
	}
	return out, nil
}

// CloseInvitations answers pending invitations with status (accepted or
// declined) on behalf of userID.
func CloseInvitations(ctx context.Context, idb bun.IDB, ids []uuid.UUID, status string, userID uuid.UUID) error {
	q := idb.NewUpdate().Model((*Invitation)(nil)).
		Set("status = ?, responded_at = now(), updated_at = now()", status).
		Where("id IN (?) AND status = ?", bun.In(ids), InvitationPending)
	if status == InvitationAccepted {
		q = q.Set("accepted_by = ?", userID)
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("close invitations: %w", err)
	}
	return nil
}
