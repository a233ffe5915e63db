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

// BadgeInOrg returns a badge of the organization, archived or not.
func BadgeInOrg(ctx context.Context, idb bun.IDB, orgID, badgeID uuid.UUID) (*Badge, error) {
	var b Badge
	err := idb.NewSelect().Model(&b).Where("organization_id = ? AND id = ?", orgID, badgeID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("badge %s: %w", badgeID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("badge %s: %w", badgeID, err)
	}
	return &b, nil
}

// InsertBadgeAward records a's award unless the member has the badge
// already; it reports whether this call awarded it. Concurrent calls for
// one badge and member award it once.
func InsertBadgeAward(ctx context.Context, idb bun.IDB, a *BadgeAward) (bool, error) {
	if a.ID == uuid.Nil {
		a.ID = NewID()
	}
	res, err := idb.NewInsert().Model(a).On("CONFLICT (badge_id, user_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("award badge %s to %s: %w", a.BadgeID, a.UserID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("award badge %s to %s: %w", a.BadgeID, a.UserID, err)
	}
	return n == 1, nil
}

// AutomaticBadgesNotHeld lists the organization's active first, threshold
// and streak badges the member does not have yet.
func AutomaticBadgesNotHeld(ctx context.Context, idb bun.IDB, orgID, userID uuid.UUID) ([]Badge, error) {
	var out []Badge
	err := idb.NewSelect().Model(&out).
		Where("bdg.organization_id = ? AND bdg.archived_at IS NULL AND bdg.kind <> 'manual'", orgID).
		Where("NOT EXISTS (SELECT 1 FROM badge_awards ba WHERE ba.badge_id = bdg.id AND ba.user_id = ?)", userID).
		Order("bdg.created_at", "bdg.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("automatic badges for %s: %w", userID, err)
	}
	return out, nil
}

// ErrBadgeNameTaken is returned when an active badge of the organization
// already has the name.
var ErrBadgeNameTaken = errors.New("an active badge of this organization has this name")

// SaveBadge inserts b (a zero ID) or writes its editable columns and
// archived_at; a name another active badge has is ErrBadgeNameTaken.
func SaveBadge(ctx context.Context, idb bun.IDB, b *Badge) error {
	var err error
	if b.ID == uuid.Nil {
		b.ID = NewID()
		_, err = idb.NewInsert().Model(b).Returning("*").Exec(ctx)
	} else {
		_, err = idb.NewUpdate().Model(b).WherePK().Column("name", "description", "icon_url", "criteria", "category",
			"rarity", "points_value", "archived_at").Set("updated_at = now()").Returning("*").Exec(ctx)
	}
	if IsUniqueViolation(err, "badges_name_key") {
		return fmt.Errorf("badge %q: %w", b.Name, ErrBadgeNameTaken)
	}
	if err != nil {
		return fmt.Errorf("save badge %s: %w", b.ID, err)
	}
	return nil
}

// BadgesPage returns up to limit badges of the organization after
// (afterAt, afterID) in (created_at, id) order; archived ones only if asked.
func BadgesPage(ctx context.Context, idb bun.IDB, orgID uuid.UUID, archived bool, afterAt time.Time, afterID uuid.UUID, limit int) ([]Badge, error) {
	var out []Badge
	q := idb.NewSelect().Model(&out).Where("organization_id = ?", orgID)
	if !archived {
		q = q.Where("archived_at IS NULL")
	}
	if afterID != uuid.Nil {
		q = q.Where("(created_at, id) > (?, ?)", afterAt, afterID)
	}
	if err := q.Order("created_at", "id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("badges of %s: %w", orgID, err)
	}
	return out, nil
}

// HeldBadge is a member's award with its badge.
type HeldBadge struct {
	BadgeAward `bun:",extend"`
	Badge      *Badge `bun:"rel:belongs-to,join:badge_id=id"`
}

// MemberBadges returns the badges a member holds in the organization,
// newest award first.
func MemberBadges(ctx context.Context, idb bun.IDB, orgID, userID uuid.UUID) ([]HeldBadge, error) {
	var out []HeldBadge
	err := idb.NewSelect().Model(&out).Relation("Badge").
		Where("ba.organization_id = ? AND ba.user_id = ?", orgID, userID).
		OrderExpr("ba.created_at DESC, ba.id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("badges of %s: %w", userID, err)
	}
	return out, nil
}

// BadgeOrganization returns the organization a badge belongs to.
func BadgeOrganization(ctx context.Context, idb bun.IDB, badgeID uuid.UUID) (uuid.UUID, error) {
	var orgID uuid.UUID
	err := idb.NewSelect().Model((*Badge)(nil)).Column("organization_id").Where("id = ?", badgeID).Scan(ctx, &orgID)
	if errors.Is(err, sql.ErrNoRows) {
		return uuid.Nil, fmt.Errorf("badge %s: %w", badgeID, ErrNotFound)
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("badge %s: %w", badgeID, err)
	}
	return orgID, nil
}

// HeldBadgeOf returns one member's award of a badge.
func HeldBadgeOf(ctx context.Context, idb bun.IDB, badgeID, userID uuid.UUID) (*HeldBadge, error) {
	var h HeldBadge
	err := idb.NewSelect().Model(&h).Relation("Badge").Where("ba.badge_id = ? AND ba.user_id = ?", badgeID, userID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("award of badge %s to %s: %w", badgeID, userID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("award of badge %s to %s: %w", badgeID, userID, err)
	}
	return &h, nil
}
