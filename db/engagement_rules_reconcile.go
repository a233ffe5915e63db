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

// BoardDrift is a score of a leaderboard whose member count in
// leaderboard_score_counts differs from the user_points rows at it.
type BoardDrift struct {
	OrganizationID uuid.UUID `bun:"organization_id"`
	Board          string    `bun:"board"`
	Points         int64     `bun:"points"`
	Counted        int64     `bun:"counted"`
	Members        int64     `bun:"members"`
}

// FindBoardDrift recounts every board's visible members per non-zero
// score from user_points and returns the scores whose kept count differs.
func FindBoardDrift(ctx context.Context, idb bun.IDB) ([]BoardDrift, error) {
	var out []BoardDrift
	err := idb.NewRaw(`WITH actual AS (
		     SELECT up.organization_id, b.board, b.points, count(*) AS members
		       FROM user_points up, user_points_boards(up.total_points, up.points_this_month, up.month_key, up.team_id, up.leaderboard_visible) b
		      WHERE b.points <> 0
		      GROUP BY up.organization_id, b.board, b.points)
		SELECT coalesce(a.organization_id, c.organization_id) AS organization_id,
		       coalesce(a.board, c.board) AS board, coalesce(a.points, c.points) AS points,
		       coalesce(c.members, 0) AS counted, coalesce(a.members, 0) AS members
		  FROM actual a
		  FULL JOIN leaderboard_score_counts c
		    ON c.organization_id = a.organization_id AND c.board = a.board AND c.points = a.points
		 WHERE coalesce(c.members, 0) <> coalesce(a.members, 0)
		 ORDER BY 1, 2, 3`).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("find leaderboard drift: %w", err)
	}
	return out, nil
}
