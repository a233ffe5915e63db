package db

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// PointsDrift is a member whose user_points aggregates differ from the
// sums of their ledger entries: the trigger that keeps them in step was
// bypassed or is wrong.
type PointsDrift struct {
	OrganizationID uuid.UUID `bun:"organization_id"`
	UserID         uuid.UUID `bun:"user_id"`
	TotalPoints    int64     `bun:"total_points"`
	LedgerTotal    int64     `bun:"ledger_total"`
	LifetimePoints int64     `bun:"lifetime_points"`
	LedgerLifetime int64     `bun:"ledger_lifetime"`
}

// FindPointsDrift compares every member's total_points with the sum of
// their ledger amounts and lifetime_points with the sum of their gains,
// and returns the members where either differs.
func FindPointsDrift(ctx context.Context, idb bun.IDB) ([]PointsDrift, error) {
	var out []PointsDrift
	err := idb.NewRaw(`SELECT up.organization_id, up.user_id,
		       up.total_points, coalesce(l.total, 0) AS ledger_total,
		       up.lifetime_points, coalesce(l.gains, 0) AS ledger_lifetime
		  FROM user_points up
		  LEFT JOIN (SELECT organization_id, user_id, sum(amount) AS total,
		                    coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS gains
		               FROM points_ledger GROUP BY organization_id, user_id) l
		    ON l.organization_id = up.organization_id AND l.user_id = up.user_id
		 WHERE up.total_points <> coalesce(l.total, 0) OR up.lifetime_points <> coalesce(l.gains, 0)
		 ORDER BY up.organization_id, up.user_id`).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("find points drift: %w", err)
	}
	return out, nil
}
