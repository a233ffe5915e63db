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

// Leaderboard is one leaderboard of an organization: all time, one month
// (points_this_month of the rows whose month_key is Month) or one team's
// all-time board. Each reads one of user_points' keyset indexes in its
// order (points DESC, user_id), so no query sorts.
type Leaderboard struct {
	OrganizationID uuid.UUID
	// Month, when set, is the first day of the month ranked by.
	Month *time.Time
	// TeamID, when set, ranks that team's members (all time).
	TeamID *uuid.UUID
}

// LeaderboardRow is one member's line: the points ranked by and the tier.
type LeaderboardRow struct {
	UserID uuid.UUID `bun:"user_id,type:uuid"`
	Points int64     `bun:"points"`
	Tier   string    `bun:"tier"`
}

// pointsColumn is the column the board ranks by.
func (l Leaderboard) pointsColumn() string {
	if l.Month != nil {
		return "points_this_month"
	}
	return "total_points"
}

// where restricts q to the board's rows, as its index's leading columns.
func (l Leaderboard) where(q *bun.SelectQuery) *bun.SelectQuery {
	q = q.Where("up.organization_id = ?", l.OrganizationID)
	if l.Month != nil {
		q = q.Where("up.month_key = ?", l.Month.Format(time.DateOnly))
	}
	if l.TeamID != nil {
		q = q.Where("up.team_id = ?", *l.TeamID)
	}
	return q
}

// PageQuery is the query of the page after (afterPoints, afterUser) — the
// first page when afterUser is uuid.Nil — leaving out hidden members; it
// is exported so the benchmark can EXPLAIN it.
func (l Leaderboard) PageQuery(idb bun.IDB, afterPoints int64, afterUser uuid.UUID, limit int) *bun.SelectQuery {
	col := bun.Ident("up." + l.pointsColumn())
	q := l.where(idb.NewSelect().TableExpr("user_points AS up").
		ColumnExpr("up.user_id, ? AS points, up.tier", col))
	if afterUser != uuid.Nil {
		// Points DESC then user_id ASC: the bound on points is an index
		// condition, the tie-break a filter on the rows of equal points.
		q = q.Where("? <= ?", col, afterPoints).Where("(? < ? OR up.user_id > ?)", col, afterPoints, afterUser)
	}
	return q.Where("up.leaderboard_visible").OrderExpr("? DESC, up.user_id", col).Limit(int64(limit))
}

// LeaderboardPage returns up to limit visible members after (afterPoints,
// afterUser) in the board's order.
func LeaderboardPage(ctx context.Context, idb bun.IDB, l Leaderboard, afterPoints int64, afterUser uuid.UUID, limit int) ([]LeaderboardRow, error) {
	var rows []LeaderboardRow
	if err := l.PageQuery(idb, afterPoints, afterUser, limit).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("leaderboard of %s: %w", l.OrganizationID, err)
	}
	return rows, nil
}

// key is the board's name in leaderboard_score_counts, as the SQL
// function user_points_boards names it.
func (l Leaderboard) key() string {
	switch {
	case l.Month != nil:
		return "month:" + l.Month.Format(time.DateOnly)
	case l.TeamID != nil:
		return "team:" + l.TeamID.String()
	default:
		return "all"
	}
}

// RankQuery is one more than the visible members ahead of (points,
// userID) on the board, in one statement; exported so the benchmark can
// EXPLAIN it. The visible members at higher scores come from
// leaderboard_score_counts: the buckets of 64 scores above the member's
// bucket, then the scores above theirs within it (a few hundred rows at
// most, whatever the members); only the ties at points are counted in the
// index. A negative month's score also has the members at zero ahead of
// it, whom the counts leave out.
func (l Leaderboard) RankQuery(idb bun.IDB, points int64, userID uuid.UUID) *bun.SelectQuery {
	col := bun.Ident("up." + l.pointsColumn())
	bucket, next := scoreBucket(points)
	higher := idb.NewSelect().TableExpr("leaderboard_score_counts").ColumnExpr("coalesce(sum(members), 0)").
		Where("organization_id = ?", l.OrganizationID).
		Where("(board = ? AND points > ?) OR (board = ? AND points > ? AND points < ?)",
			l.key()+"/64", bucket, l.key(), points, next)
	visible := func(q *bun.SelectQuery) *bun.SelectQuery {
		return l.where(q.TableExpr("user_points AS up").ColumnExpr("count(*)")).Where("up.leaderboard_visible")
	}
	zeros := visible(idb.NewSelect()).Where("? = 0", col).Where("? < 0", points)
	ties := visible(idb.NewSelect()).Where("? = ?", col, points).Where("up.user_id < ?", userID)
	return idb.NewSelect().ColumnExpr("1 + (?) + (?) + (?)", higher, zeros, ties)
}

// scoreBucket is the bucket of 64 scores points is in, as the SQL function
// leaderboard_bucket numbers it (zero, counted nowhere, has bucket 0 to
// itself), and the first score of the next bucket.
func scoreBucket(points int64) (bucket, next int64) {
	switch {
	case points > 0:
		bucket = points>>6 + 1
		return bucket, bucket * 64
	case points < 0:
		bucket = points >> 6
		return bucket, (bucket + 1) * 64
	default:
		return 0, 1
	}
}

// RankOf is the member's rank on the board (see RankQuery).
func RankOf(ctx context.Context, idb bun.IDB, l Leaderboard, points int64, userID uuid.UUID) (int64, error) {
	var rank int64
	if err := l.RankQuery(idb, points, userID).Scan(ctx, &rank); err != nil {
		return 0, fmt.Errorf("rank of %s: %w", userID, err)
	}
	return rank, nil
}

// DisplayNames returns the profile names of users (users without a name
// are absent).
func DisplayNames(ctx context.Context, idb bun.IDB, userIDs []uuid.UUID) (map[uuid.UUID]string, error) {
	out := make(map[uuid.UUID]string, len(userIDs))
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		UserID uuid.UUID `bun:"user_id,type:uuid"`
		Name   string    `bun:"name"`
	}
	err := idb.NewSelect().TableExpr("user_profiles").Column("user_id", "name").
		Where("user_id IN (?) AND name <> ''", bun.List(userIDs)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("display names: %w", err)
	}
	for _, r := range rows {
		out[r.UserID] = r.Name
	}
	return out, nil
}

// LedgerPage returns up to limit of a member's ledger entries, newest
// first, after the entry (afterAt, afterID) — from the newest when afterID
// is uuid.Nil.
func LedgerPage(ctx context.Context, idb bun.IDB, orgID, userID uuid.UUID, afterAt time.Time, afterID uuid.UUID, limit int) ([]LedgerEntry, error) {
	var out []LedgerEntry
	q := idb.NewSelect().Model(&out).Where("organization_id = ? AND user_id = ?", orgID, userID)
	if afterID != uuid.Nil {
		q = q.Where("(created_at, id) < (?, ?)", afterAt, afterID)
	}
	if limit > 0 {
		q = q.Limit(int64(limit))
	}
	if err := q.OrderExpr("created_at DESC, id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("ledger of %s: %w", userID, err)
	}
	return out, nil
}

// EngagementSettingsOf returns the organization's engagement settings,
// the column defaults when it has no row.
func EngagementSettingsOf(ctx context.Context, idb bun.IDB, orgID uuid.UUID) (*EngagementSettings, error) {
	s := EngagementSettings{OrganizationID: orgID}
	err := idb.NewRaw(`SELECT coalesce(s.time_zone, 'UTC') AS time_zone,
	        coalesce(s.monthly_allowance, 100) AS monthly_allowance,
	        coalesce(s.approval_threshold, 50) AS approval_threshold,
	        coalesce(s.buddy_max_load, 2) AS buddy_max_load
	   FROM (SELECT 1) AS one LEFT JOIN engagement_settings s ON s.organization_id = ?`, orgID).
		Scan(ctx, &s.TimeZone, &s.MonthlyAllowance, &s.ApprovalThreshold, &s.BuddyMaxLoad)
	if err != nil {
		return nil, fmt.Errorf("engagement settings of %s: %w", orgID, err)
	}
	return &s, nil
}

// EngagementTimeZone is the organization's engagement zone, "UTC" when it
// has no settings.
func EngagementTimeZone(ctx context.Context, idb bun.IDB, orgID uuid.UUID) (string, error) {
	s, err := EngagementSettingsOf(ctx, idb, orgID)
	if err != nil {
		return "", err
	}
	return s.TimeZone, nil
}

// MemberProfileOf returns a member's engagement profile, the defaults if
// none is stored.
func MemberProfileOf(ctx context.Context, idb bun.IDB, orgID, userID uuid.UUID) (*MemberProfile, error) {
	p := MemberProfile{OrganizationID: orgID, UserID: userID, LeaderboardVisible: true, Skills: []string{}, Interests: []string{}}
	err := idb.NewSelect().Model(&p).Where("organization_id = ? AND user_id = ?", orgID, userID).Scan(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("member profile of %s: %w", userID, err)
	}
	return &p, nil
}

// LedgerEntryByKey returns the entry recorded with an idempotency key.
func LedgerEntryByKey(ctx context.Context, idb bun.IDB, key string) (*LedgerEntry, error) {
	return ledgerEntryByKey(ctx, idb, key)
}
