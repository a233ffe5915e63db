package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// Peer recognition (migration 20261204000400_engagement_recognition):
// recognitions here, the monthly allowances they are paid from in
// engagement_recognition_allowances.go, their comments in
// engagement_recognition_comments.go.

// RecognitionExpiry is how long a recognition may wait for an approver
// before it expires and its points go back to the sender's allowance.
const RecognitionExpiry = 14 * 24 * time.Hour

// Recognition is one member's thanks to another, with points from the
// sender's monthly allowance. Status is an enums.Recognition* value.
type Recognition struct {
	bun.BaseModel `bun:"table:recognitions,alias:rec"`

	ID              uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID  uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	SenderUserID    uuid.UUID  `bun:"sender_user_id,type:uuid,notnull"`
	RecipientUserID uuid.UUID  `bun:"recipient_user_id,type:uuid,notnull"`
	Message         string     `bun:"message,notnull"`
	Points          int        `bun:"points,notnull"`
	Visibility      string     `bun:"visibility,notnull"`
	Status          string     `bun:"status,notnull"`
	AllowanceMonth  time.Time  `bun:"allowance_month,type:date,notnull"`
	DecidedBy       *uuid.UUID `bun:"decided_by,type:uuid"`
	DecidedAt       *time.Time `bun:"decided_at"`
	DecisionNote    string     `bun:"decision_note,notnull"`
	CommentsCount   int        `bun:"comments_count,notnull"`
	ExpiresAt       time.Time  `bun:"expires_at,notnull"`
	Timestamps
}

// InsertRecognition records r as it is.
func InsertRecognition(ctx context.Context, idb bun.IDB, r *Recognition) error {
	if r.ID == uuid.Nil {
		r.ID = NewID()
	}
	if _, err := idb.NewInsert().Model(r).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert recognition: %w", err)
	}
	return nil
}

// RecognitionByID loads a recognition of any organization.
func RecognitionByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Recognition, error) {
	var r Recognition
	if err := idb.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "recognition %s", id)
	}
	return &r, nil
}

// RecognitionForUpdate loads and locks a recognition until tx ends, so
// two decisions on it apply one after the other.
func RecognitionForUpdate(ctx context.Context, tx bun.Tx, id uuid.UUID) (*Recognition, error) {
	var r Recognition
	if err := tx.NewSelect().Model(&r).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "recognition %s", id)
	}
	return &r, nil
}

// DecideRecognition moves a pending recognition (locked by
// RecognitionForUpdate) to status, stamped with who decided (nil for the
// system), when and why. A rejected or expired one gives its points back
// to the allowance of the month that paid for it.
func DecideRecognition(ctx context.Context, tx bun.Tx, r *Recognition, status string, by *uuid.UUID, note string, at time.Time) error {
	if r.Status != enums.RecognitionPending {
		return fmt.Errorf("decide recognition %s: it is %s, not pending", r.ID, r.Status)
	}
	r.Status, r.DecidedBy, r.DecidedAt, r.DecisionNote = status, by, &at, note
	_, err := tx.NewUpdate().Model(r).Column("status", "decided_by", "decided_at", "decision_note").
		Set("updated_at = now()").WherePK().Returning("updated_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("decide recognition %s: %w", r.ID, err)
	}
	if status == enums.RecognitionRejected || status == enums.RecognitionExpired {
		return RefundAllowance(ctx, tx, r.OrganizationID, r.SenderUserID, r.AllowanceMonth, r.Points)
	}
	return nil
}

// recognitionVisible is the condition under which viewer (the ?
// placeholder, three times) sees recognition rec: public ones, their own,
// and team ones of a sender or recipient on the viewer's team.
const recognitionVisible = `(rec.visibility = 'public'
   OR rec.sender_user_id = ?0 OR rec.recipient_user_id = ?0
   OR (rec.visibility = 'team' AND EXISTS (
        SELECT 1 FROM user_points me
          JOIN user_points them ON them.organization_id = me.organization_id AND them.team_id = me.team_id
         WHERE me.organization_id = rec.organization_id AND me.user_id = ?0 AND me.team_id IS NOT NULL
           AND them.user_id IN (rec.sender_user_id, rec.recipient_user_id))))`

// RecognitionVisibleTo reports whether viewer may see r (its visibility,
// whatever its status).
func RecognitionVisibleTo(ctx context.Context, idb bun.IDB, r *Recognition, viewer uuid.UUID) (bool, error) {
	ok, err := idb.NewSelect().Model((*Recognition)(nil)).Where("rec.id = ?", r.ID).
		Where(recognitionVisible, viewer).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("visibility of recognition %s: %w", r.ID, err)
	}
	return ok, nil
}

// RecognitionFeed pages through the organization's approved
// recognitions viewer may see, newest approval first, after the keyset
// (beforeDecided, beforeID); a zero beforeDecided starts at the newest.
func RecognitionFeed(ctx context.Context, idb bun.IDB, orgID, viewer uuid.UUID, beforeDecided time.Time, beforeID uuid.UUID, limit int) ([]Recognition, error) {
	var out []Recognition
	q := idb.NewSelect().Model(&out).
		Where("rec.organization_id = ? AND rec.status = ?", orgID, enums.RecognitionApproved).
		Where(recognitionVisible, viewer)
	if !beforeDecided.IsZero() {
		q = q.Where("(rec.decided_at, rec.id) < (?, ?)", beforeDecided, beforeID)
	}
	if err := q.OrderExpr("rec.decided_at DESC, rec.id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("recognition feed of %s: %w", orgID, err)
	}
	return out, nil
}

// PendingRecognitions pages through the organization's recognitions
// waiting for an approver, oldest first, after (afterCreated, afterID).
func PendingRecognitions(ctx context.Context, idb bun.IDB, orgID uuid.UUID, afterCreated time.Time, afterID uuid.UUID, limit int) ([]Recognition, error) {
	var out []Recognition
	q := idb.NewSelect().Model(&out).Where("rec.organization_id = ? AND rec.status = ?", orgID, enums.RecognitionPending)
	if !afterCreated.IsZero() {
		q = q.Where("(rec.created_at, rec.id) > (?, ?)", afterCreated, afterID)
	}
	if err := q.OrderExpr("rec.created_at, rec.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("pending recognitions of %s: %w", orgID, err)
	}
	return out, nil
}

// RecognitionApprovers lists the members who may decide recognitions of
// the organization (approvers, admins, owners), leaving out the sender
// and recipient of the one at hand.
func RecognitionApprovers(ctx context.Context, idb bun.IDB, orgID uuid.UUID, exclude ...uuid.UUID) ([]uuid.UUID, error) {
	var out []uuid.UUID
	q := idb.NewSelect().Model((*Member)(nil)).Column("user_id").
		Where("organization_id = ? AND role IN (?)", orgID, bun.In([]string{RoleOwner, RoleAdmin, RoleApprover}))
	if len(exclude) > 0 {
		q = q.Where("user_id NOT IN (?)", bun.In(exclude))
	}
	if err := q.OrderExpr("user_id").Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("recognition approvers of %s: %w", orgID, err)
	}
	return out, nil
}

// DueRecognitions lists up to limit pending recognitions whose time ran
// out at now, oldest expiry first.
func DueRecognitions(ctx context.Context, idb bun.IDB, now time.Time, limit int) ([]uuid.UUID, error) {
	var out []uuid.UUID
	err := idb.NewSelect().Model((*Recognition)(nil)).Column("id").
		Where("status = ? AND expires_at <= ?", enums.RecognitionPending, now).
		OrderExpr("expires_at, id").Limit(int64(limit)).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("due recognitions: %w", err)
	}
	return out, nil
}
