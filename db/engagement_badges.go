package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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
