package main

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/convene/convene/db"
)

// world is the seeded organization.
type world struct {
	orgID uuid.UUID
	// members are every member's user ID, in seeding order.
	members []uuid.UUID
	// teams are the team IDs user_points rows carry.
	teams []uuid.UUID
}

// teamID is team n's ID. Members are placed on teams through
// user_points.team_id only (no memberships), which is all the boards read.
func teamID(n int) uuid.UUID {
	return uuid.MustParse(fmt.Sprintf("00000000-0000-4000-8000-%012x", n))
}

// seedSQL writes the organization's members with generate_series, one
// ledger entry each through the trigger (1..5000 points, so many ties),
// makes the teams and spreads the members over them, hides 1% of them from leaderboards and
// refreshes the statistics and visibility map, as autovacuum would.
var seedSQL = []string{
	`INSERT INTO users (id, phone)
	 SELECT gen_random_uuid(), '+1555' || lpad(n::text, 9, '0') FROM generate_series(1, ?1) n`,
	`INSERT INTO user_profiles (id, user_id, name)
	 SELECT gen_random_uuid(), id, 'Member ' || substr(phone, 5) FROM users WHERE phone LIKE '+1555%'`,
	`INSERT INTO organization_members (id, organization_id, user_id, role)
	 SELECT gen_random_uuid(), ?0, id, 'member' FROM users WHERE phone LIKE '+1555%'`,
	`INSERT INTO points_ledger (id, organization_id, user_id, amount, type, reason, idempotency_key)
	 SELECT gen_random_uuid(), ?0, user_id, 1 + floor(random() * 5000)::int, 'manual', 'bench seed', 'bench:' || user_id
	   FROM organization_members WHERE organization_id = ?0`,
	`INSERT INTO teams (id, organization_id, name)
	 SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, ?0, 'Team ' || n FROM generate_series(1, ?2) n`,
	`UPDATE user_points SET team_id = ('00000000-0000-4000-8000-' || lpad(to_hex(1 + abs(hashtext(user_id::text)) % ?2), 12, '0'))::uuid
	  WHERE organization_id = ?0`,
	`INSERT INTO member_profiles (organization_id, user_id, leaderboard_visible)
	 SELECT organization_id, user_id, false FROM organization_members WHERE organization_id = ?0 AND random() < 0.01`,
	`VACUUM (ANALYZE) user_points`,
	`VACUUM (ANALYZE) leaderboard_score_counts`,
	`VACUUM (ANALYZE) member_profiles`,
	`VACUUM (ANALYZE) user_profiles`,
}

// seed writes the world and returns it.
func seed(ctx context.Context, d *db.DB, o options) (*world, error) {
	w := &world{orgID: db.NewID()}
	if _, err := d.ExecContext(ctx, `INSERT INTO organizations (id, name, slug) VALUES (?, 'Leaderboard bench', ?)`,
		w.orgID, "leaderboard-"+w.orgID.String()[24:]); err != nil {
		return nil, fmt.Errorf("create organization: %w", err)
	}
	for _, stmt := range seedSQL {
		if _, err := d.ExecContext(ctx, stmt, w.orgID, o.members, o.teams); err != nil {
			return nil, fmt.Errorf("seed: %w\n%s", err, stmt)
		}
	}
	err := d.NewSelect().TableExpr("organization_members").Column("user_id").
		Where("organization_id = ?", w.orgID).Order("user_id").Scan(ctx, &w.members)
	if err != nil {
		return nil, fmt.Errorf("read members: %w", err)
	}
	for n := 1; n <= o.teams; n++ {
		w.teams = append(w.teams, teamID(n))
	}
	return w, nil
}
