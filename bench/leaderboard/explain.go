package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
)

// plan is one leaderboard query's EXPLAIN ANALYZE.
type plan struct {
	name  string
	lines []string
}

// sorts reports whether the plan has a sort node.
func (p plan) sorts() bool {
	for _, l := range p.lines {
		if strings.Contains(l, "Sort") {
			return true
		}
	}
	return false
}

// explainAll explains the queries the API runs, built by the same
// functions (db.Leaderboard), with the bench's organization.
func explainAll(ctx context.Context, d *db.DB, w *world) ([]plan, error) {
	var deepPoints int64
	var deepUser uuid.UUID
	err := d.NewSelect().TableExpr("user_points").ColumnExpr("total_points, user_id").Where("organization_id = ?", w.orgID).
		OrderExpr("total_points DESC, user_id").Offset(int64(len(w.members)/2)).Limit(1).Scan(ctx, &deepPoints, &deepUser)
	if err != nil {
		return nil, fmt.Errorf("find the middle member: %w", err)
	}
	now := time.Now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	all := db.Leaderboard{OrganizationID: w.orgID}
	queries := []struct {
		name string
		q    *bun.SelectQuery
	}{
		{"all-time top 50", all.PageQuery(d, 0, uuid.Nil, 51)},
		{"this month top 50", db.Leaderboard{OrganizationID: w.orgID, Month: &month}.PageQuery(d, 0, uuid.Nil, 51)},
		{"all-time page after the middle", all.PageQuery(d, deepPoints, deepUser, 51)},
		{"team top 50", db.Leaderboard{OrganizationID: w.orgID, TeamID: &w.teams[0]}.PageQuery(d, 0, uuid.Nil, 51)},
		{"rank of the middle member (GetMyRank)", all.RankQuery(d, deepPoints, deepUser)},
	}
	var out []plan
	for _, q := range queries {
		var lines []string
		if err := d.NewRaw("EXPLAIN (ANALYZE, COSTS OFF) "+q.q.String()).Scan(ctx, &lines); err != nil {
			return nil, fmt.Errorf("explain %s: %w", q.name, err)
		}
		out = append(out, plan{name: q.name, lines: lines})
	}
	return out, nil
}
