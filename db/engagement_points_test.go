package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
)

// rankedRow is a user_points row as the brute-force ranking reads it.
type rankedRow struct {
	UserID          uuid.UUID  `bun:"user_id,type:uuid"`
	TotalPoints     int64      `bun:"total_points"`
	PointsThisMonth int64      `bun:"points_this_month"`
	MonthKey        time.Time  `bun:"month_key"`
	TeamID          *uuid.UUID `bun:"team_id,type:uuid"`
	Visible         bool       `bun:"visible"`
}

// bruteRank ranks userID on the board by sorting every row of the
// organization: points DESC, user ID ASC, hidden members left out. A
// member off the board (another month's row) stands at zero.
func bruteRank(rows []rankedRow, l db.Leaderboard, userID uuid.UUID) (rank, points int64) {
	type line struct {
		user   uuid.UUID
		points int64
	}
	var board []line
	var mine *line
	for _, r := range rows {
		p, on := r.TotalPoints, true
		switch {
		case l.Month != nil:
			p, on = r.PointsThisMonth, r.MonthKey.Equal(*l.Month)
		case l.TeamID != nil:
			on = r.TeamID != nil && *r.TeamID == *l.TeamID
		}
		if r.UserID == userID {
			mine = &line{userID, 0}
			if on {
				mine.points = p
			}
		}
		if on && (r.Visible || r.UserID == userID) {
			board = append(board, line{r.UserID, p})
		}
	}
	ahead := 0
	for _, b := range board {
		if b.points > mine.points || (b.points == mine.points && b.user.String() < mine.user.String()) {
			ahead++
		}
	}
	return int64(ahead + 1), mine.points
}

// TestRankOf_AgreesWithSortingEveryBoardAfterConcurrentMoves moves twelve
// members concurrently on every board (awards and spends, ties, team
// changes, a month rollover, a negative month) and checks the kept score
// counts against user_points and every rank against a full sort.
func TestRankOf_AgreesWithSortingEveryBoardAfterConcurrentMoves(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, first := ledgerMember(t, d)
	members := []uuid.UUID{first}
	for i := range 11 {
		user, _, err := db.CreateUserWithPhone(ctx, d, fmt.Sprintf("+1416%07d", (time.Now().UnixNano()+int64(i))%10_000_000))
		require.NoError(t, err)
		members = append(members, user.ID)
	}
	now := time.Now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)

	// Last month: the first four gain 100 (and so sit off this month's board).
	for i, u := range members[:4] {
		_, err := award(ctx, d, orgID, u, 100, fmt.Sprintf("last-month-%d", i), month.AddDate(0, 0, -3))
		require.NoError(t, err)
	}
	// This month, concurrently: 96 gains of 1..8 (many ties), then spends.
	var wg sync.WaitGroup
	errs := make(chan error, 96)
	for i := range 96 {
		wg.Go(func() {
			_, err := award(ctx, d, orgID, members[4+i%8], int64(i%8+1), fmt.Sprintf("gain-%d", i), time.Time{})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	_, err := award(ctx, d, orgID, members[0], -30, "spend-negative-month", time.Time{})
	require.NoError(t, err, "100 last month, -30 now: 70 in all, -30 this month")
	_, err = award(ctx, d, orgID, members[4], -12, "spend-tie", time.Time{})
	require.NoError(t, err)

	red, blue := &db.Team{OrganizationID: orgID, Name: "Red"}, &db.Team{OrganizationID: orgID, Name: "Blue"}
	require.NoError(t, db.InsertTeam(ctx, d, red))
	require.NoError(t, db.InsertTeam(ctx, d, blue))
	setTeam := func(u uuid.UUID, team *uuid.UUID) {
		_, err := d.NewUpdate().Model((*db.UserPoints)(nil)).Set("team_id = ?", team).
			Where("organization_id = ? AND user_id = ?", orgID, u).Exec(ctx)
		require.NoError(t, err)
	}
	for i, u := range members {
		setTeam(u, []*uuid.UUID{&red.ID, &blue.ID}[i%2])
	}
	setTeam(members[2], &red.ID)
	setTeam(members[3], nil)
	// Hidden: members[6]; members[7] hidden and shown again; a newcomer
	// hidden before their first points, which would top every board.
	newcomer, _, err := db.CreateUserWithPhone(ctx, d, fmt.Sprintf("+1417%07d", time.Now().UnixNano()%10_000_000))
	require.NoError(t, err)
	for _, u := range []uuid.UUID{members[6], members[7], newcomer.ID} {
		_, err = d.ExecContext(ctx, `INSERT INTO organization_members (id, organization_id, user_id, role)
			VALUES (gen_random_uuid(), ?, ?, 'member')`, orgID, u)
		require.NoError(t, err)
		_, err = d.NewInsert().Model(&db.MemberProfile{OrganizationID: orgID, UserID: u, Skills: []string{},
			Interests: []string{}, LeaderboardVisible: false}).Exec(ctx)
		require.NoError(t, err)
	}
	_, err = d.ExecContext(ctx, `UPDATE member_profiles SET leaderboard_visible = true WHERE user_id = ?`, members[7])
	require.NoError(t, err)
	// A visible profile of a member without points puts them on no board.
	shown, _, err := db.CreateUserWithPhone(ctx, d, fmt.Sprintf("+1419%07d", time.Now().UnixNano()%10_000_000))
	require.NoError(t, err)
	_, err = d.ExecContext(ctx, `INSERT INTO organization_members (id, organization_id, user_id, role)
		VALUES (gen_random_uuid(), ?, ?, 'member')`, orgID, shown.ID)
	require.NoError(t, err)
	_, err = d.NewInsert().Model(&db.MemberProfile{OrganizationID: orgID, UserID: shown.ID, Skills: []string{},
		Interests: []string{}, LeaderboardVisible: true}).Exec(ctx)
	require.NoError(t, err)
	n, err := d.NewSelect().Model((*db.UserPoints)(nil)).Where("user_id = ?", shown.ID).Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "no user_points row for a shown member without points")
	_, err = award(ctx, d, orgID, newcomer.ID, 500, "newcomer", time.Time{})
	require.NoError(t, err)
	setTeam(newcomer.ID, &red.ID)
	members = append(members, newcomer.ID)

	drift, err := db.FindBoardDrift(ctx, d)
	require.NoError(t, err)
	assert.Empty(t, drift, "kept counts equal user_points per board and score")

	var rows []rankedRow
	require.NoError(t, d.NewRaw(`SELECT up.user_id, up.total_points, up.points_this_month, up.month_key, up.team_id,
		       coalesce(mp.leaderboard_visible, true) AS visible
		  FROM user_points up LEFT JOIN member_profiles mp USING (organization_id, user_id)
		 WHERE up.organization_id = ?`, orgID).Scan(ctx, &rows))
	require.Len(t, rows, len(members))
	boards := map[string]db.Leaderboard{
		"all time":   {OrganizationID: orgID},
		"this month": {OrganizationID: orgID, Month: &month},
		"red":        {OrganizationID: orgID, TeamID: &red.ID},
		"blue":       {OrganizationID: orgID, TeamID: &blue.ID},
	}
	negative := false
	for name, board := range boards {
		ranks := map[int64]bool{}
		for _, u := range members {
			want, points := bruteRank(rows, board, u)
			negative = negative || points < 0
			got, err := db.RankOf(ctx, d, board, points, u)
			require.NoError(t, err)
			assert.Equal(t, want, got, "%s: rank of %s at %d points", name, u, points)
			ranks[got] = true
		}
		assert.Greater(t, len(ranks), 2, "%s ranks members apart", name)
	}
	assert.True(t, negative, "a member stands below zero this month")

	// An organization's counts go with it.
	_, err = d.ExecContext(ctx, `DELETE FROM organizations WHERE id = ?`, orgID)
	require.NoError(t, err)
	left, err := d.NewSelect().TableExpr("leaderboard_score_counts").Where("organization_id = ?", orgID).Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, left)
}

// TestLeaderboardScoreCounts_ManyMembersReachingOneScoreAtOnce: 40 members
// earn the same first points concurrently (a check-in rush), all sharing
// one count row per board; every one is counted once.
func TestLeaderboardScoreCounts_ManyMembersReachingOneScoreAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, _ := ledgerMember(t, d)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			user, _, err := db.CreateUserWithPhone(ctx, d, fmt.Sprintf("+1418%07d", (time.Now().UnixNano()+int64(i))%10_000_000))
			if err == nil {
				_, err = award(ctx, d, orgID, user.ID, 10, "check-in-"+user.ID.String(), time.Time{})
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var counts []struct {
		Board   string `bun:"board"`
		Members int64  `bun:"members"`
	}
	require.NoError(t, d.NewSelect().TableExpr("leaderboard_score_counts").Column("board", "members").
		Where("organization_id = ? AND points = 10", orgID).Order("board").Scan(ctx, &counts))
	require.Len(t, counts, 2, "all time and this month")
	for _, c := range counts {
		assert.EqualValues(t, 40, c.Members, c.Board)
	}
	drift, err := db.FindBoardDrift(ctx, d)
	require.NoError(t, err)
	assert.Empty(t, drift)
}
