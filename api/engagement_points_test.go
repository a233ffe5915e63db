package api_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// pointsWorld is an organization with its owner, members and a foreign
// organization's owner.
type pointsWorld struct {
	a       *testenv.API
	owner   testenv.Session
	members []testenv.Session
	org     string
	outside testenv.Session
}

func setupPoints(t *testing.T, members int) *pointsWorld {
	t.Helper()
	a := setup(t)
	w := &pointsWorld{a: a, owner: a.NewUser(t, newPhone()), outside: a.NewUser(t, newPhone())}
	w.org = createOrg(t, a, w.owner, "points-"+uuid.NewString()[:8]).GetId()
	createOrg(t, a, w.outside, "other-"+uuid.NewString()[:8])
	for range members {
		m := a.NewUser(t, newPhone())
		addAndAccept(t, a, w.owner, w.org, m, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
		w.members = append(w.members, m)
	}
	return w
}

// adjust gives (or takes) points of s as the owner.
func (w *pointsWorld) adjust(t *testing.T, s testenv.Session, amount int64) (*engagementv1.PointsLedgerEntry, error) {
	t.Helper()
	resp, err := w.a.Points.AdjustPoints(context.Background(), testenv.As(w.owner, &engagementv1.AdjustPointsRequest{
		OrganizationId: w.org, UserId: s.UserID, Amount: amount, Reason: "test"}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetEntry(), nil
}

func (w *pointsWorld) myPoints(t *testing.T, s testenv.Session) *engagementv1.MemberPoints {
	t.Helper()
	resp, err := w.a.Points.GetMyPoints(context.Background(), testenv.As(s, &engagementv1.GetMyPointsRequest{OrganizationId: w.org, IncludeRank: true}))
	require.NoError(t, err)
	return resp.Msg.GetPoints()
}

func (w *pointsWorld) ledgerRows(t *testing.T, userID string) int {
	t.Helper()
	n, err := w.a.DB.NewSelect().Model((*db.LedgerEntry)(nil)).Where("organization_id = ? AND user_id = ?", w.org, userID).Count(context.Background())
	require.NoError(t, err)
	return int(n)
}

func TestAdjustPoints_NegativeTotalIsRefusedAndChangesNothing(t *testing.T) {
	w := setupPoints(t, 2)
	ctx := context.Background()
	m := w.members[0]
	entry, err := w.adjust(t, m, 100)
	require.NoError(t, err)
	assert.EqualValues(t, 100, entry.GetBalanceAfter())
	assert.Equal(t, engagementv1.PointsEntryType_POINTS_ENTRY_TYPE_MANUAL, entry.GetType())

	_, err = w.adjust(t, m, -150)
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.EqualValues(t, 100, w.myPoints(t, m).GetTotalPoints())
	assert.Equal(t, 1, w.ledgerRows(t, m.UserID), "the refused adjustment left no entry")
	events, err := w.a.DB.NewSelect().Model((*db.DomainEvent)(nil)).
		Where("organization_id = ? AND type = ?", w.org, enums.EventPointsAdjusted).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, events, "one points.adjusted event, none for the refused call")

	entry, err = w.adjust(t, m, -100)
	require.NoError(t, err)
	assert.EqualValues(t, 0, entry.GetBalanceAfter(), "down to zero is allowed")

	for _, tc := range []struct {
		name string
		as   testenv.Session
		req  *engagementv1.AdjustPointsRequest
		code connect.Code
	}{
		{"a member may not adjust", w.members[1], &engagementv1.AdjustPointsRequest{OrganizationId: w.org, UserId: m.UserID, Amount: 5, Reason: "x"}, connect.CodePermissionDenied},
		{"zero amount", w.owner, &engagementv1.AdjustPointsRequest{OrganizationId: w.org, UserId: m.UserID, Amount: 0, Reason: "x"}, connect.CodeInvalidArgument},
		{"not a member", w.owner, &engagementv1.AdjustPointsRequest{OrganizationId: w.org, UserId: w.outside.UserID, Amount: 5, Reason: "x"}, connect.CodeInvalidArgument},
		{"another organization", w.outside, &engagementv1.AdjustPointsRequest{OrganizationId: w.org, UserId: m.UserID, Amount: 5, Reason: "x"}, connect.CodePermissionDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.a.Points.AdjustPoints(ctx, testenv.As(tc.as, tc.req))
			testenv.RequireCode(t, err, tc.code)
		})
	}
	assert.Equal(t, 2, w.ledgerRows(t, m.UserID))
	assert.Equal(t, 0, w.ledgerRows(t, w.outside.UserID))
}

func TestAdjustPoints_RepeatedKeyRecordsOnce(t *testing.T) {
	w := setupPoints(t, 1)
	ctx := context.Background()
	m := w.members[0]
	req := &engagementv1.AdjustPointsRequest{OrganizationId: w.org, UserId: m.UserID, Amount: 30, Reason: "bonus", IdempotencyKey: proto.String("bonus-1")}
	first, err := w.a.Points.AdjustPoints(ctx, testenv.As(w.owner, req))
	require.NoError(t, err)
	again, err := w.a.Points.AdjustPoints(ctx, testenv.As(w.owner, req))
	require.NoError(t, err)
	assert.Equal(t, first.Msg.GetEntry().GetId(), again.Msg.GetEntry().GetId())
	assert.EqualValues(t, 30, w.myPoints(t, m).GetTotalPoints())

	req.Amount = 40
	_, err = w.a.Points.AdjustPoints(ctx, testenv.As(w.owner, req))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	assert.Equal(t, 1, w.ledgerRows(t, m.UserID))
}

func TestPoints_MyPointsLedgerAndExport(t *testing.T) {
	w := setupPoints(t, 2)
	ctx := context.Background()
	m, other := w.members[0], w.members[1]
	for _, amount := range []int64{10, 20, 30, -5} {
		_, err := w.adjust(t, m, amount)
		require.NoError(t, err)
	}
	_, err := w.adjust(t, other, 100)
	require.NoError(t, err)

	p := w.myPoints(t, m)
	assert.EqualValues(t, 55, p.GetTotalPoints())
	assert.EqualValues(t, 55, p.GetPointsThisMonth())
	assert.EqualValues(t, 60, p.GetLifetimePoints())
	assert.Equal(t, engagementv1.PointsTier_POINTS_TIER_BRONZE, p.GetTier())
	assert.EqualValues(t, 1, p.GetCurrentStreak())
	assert.EqualValues(t, 2, p.GetRank(), "other has more")

	var amounts []int64
	token := ""
	for {
		resp, err := w.a.Points.ListLedger(ctx, testenv.As(m, &engagementv1.ListLedgerRequest{OrganizationId: w.org, PageSize: 3, PageToken: token}))
		require.NoError(t, err)
		for _, e := range resp.Msg.GetEntries() {
			amounts = append(amounts, e.GetAmount())
		}
		if token = resp.Msg.GetNextPageToken(); token == "" {
			break
		}
	}
	assert.Equal(t, []int64{-5, 30, 20, 10}, amounts, "newest first over two pages")

	_, err = w.a.Points.ListLedger(ctx, testenv.As(m, &engagementv1.ListLedgerRequest{OrganizationId: w.org, UserId: &other.UserID}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	theirs, err := w.a.Points.ListLedger(ctx, testenv.As(w.owner, &engagementv1.ListLedgerRequest{OrganizationId: w.org, UserId: &other.UserID}))
	require.NoError(t, err)
	require.Len(t, theirs.Msg.GetEntries(), 1)
	assert.EqualValues(t, 100, theirs.Msg.GetEntries()[0].GetAmount())

	export, err := w.a.Points.ExportMemberData(ctx, testenv.As(m, &engagementv1.ExportMemberDataRequest{OrganizationId: w.org}))
	require.NoError(t, err)
	assert.EqualValues(t, 55, export.Msg.GetPoints().GetTotalPoints())
	assert.Len(t, export.Msg.GetLedger(), 4)
	assert.True(t, export.Msg.GetProfile().GetLeaderboardVisible())
	assert.Empty(t, export.Msg.GetBadges())
}

// leaderboard reads every page of a board, page size 2.
func (w *pointsWorld) leaderboard(t *testing.T, as testenv.Session, window engagementv1.LeaderboardWindow, team *string) []*engagementv1.LeaderboardEntry {
	t.Helper()
	var out []*engagementv1.LeaderboardEntry
	token := ""
	for {
		resp, err := w.a.Points.GetLeaderboard(context.Background(), testenv.As(as, &engagementv1.GetLeaderboardRequest{
			OrganizationId: w.org, Window: window, TeamId: team, PageSize: 2, PageToken: token}))
		require.NoError(t, err)
		out = append(out, resp.Msg.GetEntries()...)
		if token = resp.Msg.GetNextPageToken(); token == "" {
			return out
		}
	}
}

// boardLine is what a leaderboard shows, for comparing.
type boardLine struct {
	rank   int64
	user   string
	points int64
}

func linesOf(entries []*engagementv1.LeaderboardEntry) []boardLine {
	out := make([]boardLine, len(entries))
	for i, e := range entries {
		out[i] = boardLine{e.GetRank(), e.GetUserId(), e.GetPoints()}
	}
	return out
}

// expectedBoard ranks points by points DESC, user ID ASC.
func expectedBoard(points map[string]int64) []boardLine {
	var out []boardLine
	for u, p := range points {
		out = append(out, boardLine{user: u, points: p})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].points != out[j].points {
			return out[i].points > out[j].points
		}
		return out[i].user < out[j].user
	})
	for i := range out {
		out[i].rank = int64(i + 1)
	}
	return out
}

func TestLeaderboard_PagesTiesHiddenMonthAndTeam(t *testing.T) {
	w := setupPoints(t, 6)
	ctx := context.Background()
	m := w.members
	gains := []int64{50, 80, 50, 50, 120, 80}
	for i, g := range gains {
		_, err := w.adjust(t, m[i], g)
		require.NoError(t, err)
	}
	// m[5] hides from leaderboards; the owner gained only last month.
	_, err := w.a.DB.NewInsert().Model(&db.MemberProfile{OrganizationID: mustUUID(w.org), UserID: mustUUID(m[5].UserID),
		Skills: []string{}, Interests: []string{}, LeaderboardVisible: false}).Exec(ctx)
	require.NoError(t, err)
	require.NoError(t, w.a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := db.PointsLedger{}.Award(ctx, tx, db.LedgerEntry{OrganizationID: mustUUID(w.org), UserID: mustUUID(w.owner.UserID),
			Amount: 60, Type: enums.LedgerManual, IdempotencyKey: "test:last-month", CreatedAt: time.Now().AddDate(0, -1, -1)})
		return err
	}))

	allTime := map[string]int64{w.owner.UserID: 60}
	month := map[string]int64{}
	for i := range 5 {
		allTime[m[i].UserID], month[m[i].UserID] = gains[i], gains[i]
	}
	got := w.leaderboard(t, m[0], engagementv1.LeaderboardWindow_LEADERBOARD_WINDOW_ALL_TIME, nil)
	assert.Equal(t, expectedBoard(allTime), linesOf(got), "ties by user id, the hidden member left out")
	got = w.leaderboard(t, m[0], engagementv1.LeaderboardWindow_LEADERBOARD_WINDOW_THIS_MONTH, nil)
	assert.Equal(t, expectedBoard(month), linesOf(got), "last month's gains are not this month's")

	// The team row only; the board reads user_points.team_id, which
	// memberships set (TeamService's tests cover that).
	teamRow := &db.Team{OrganizationID: mustUUID(w.org), Name: "Board"}
	require.NoError(t, db.InsertTeam(ctx, w.a.DB, teamRow))
	team := teamRow.ID.String()
	for _, s := range []testenv.Session{m[1], m[2], m[3], m[5]} {
		_, err := w.a.DB.NewUpdate().Model((*db.UserPoints)(nil)).Set("team_id = ?", team).
			Where("organization_id = ? AND user_id = ?", w.org, s.UserID).Exec(ctx)
		require.NoError(t, err)
	}
	got = w.leaderboard(t, m[0], engagementv1.LeaderboardWindow_LEADERBOARD_WINDOW_ALL_TIME, &team)
	teamBoard := expectedBoard(map[string]int64{m[1].UserID: 80, m[2].UserID: 50, m[3].UserID: 50})
	assert.Equal(t, teamBoard, linesOf(got))

	// GetMyRank agrees with the boards for every visible member.
	for _, line := range expectedBoard(allTime) {
		s := w.sessionOf(line.user)
		resp, err := w.a.Points.GetMyRank(ctx, testenv.As(s, &engagementv1.GetMyRankRequest{OrganizationId: w.org,
			Window: engagementv1.LeaderboardWindow_LEADERBOARD_WINDOW_ALL_TIME}))
		require.NoError(t, err)
		assert.Equal(t, line.rank, resp.Msg.GetRank(), "rank of %s", line.user)
		assert.Equal(t, line.points, resp.Msg.GetPoints())
	}
	for _, line := range teamBoard {
		rank, err := w.a.Points.GetMyRank(ctx, testenv.As(w.sessionOf(line.user), &engagementv1.GetMyRankRequest{OrganizationId: w.org,
			Window: engagementv1.LeaderboardWindow_LEADERBOARD_WINDOW_ALL_TIME, TeamId: &team}))
		require.NoError(t, err)
		assert.Equal(t, line.rank, rank.Msg.GetRank(), "team rank of %s; hidden m[5] (80) not counted", line.user)
	}
	_, err = w.a.Points.GetMyRank(ctx, testenv.As(m[0], &engagementv1.GetMyRankRequest{OrganizationId: w.org,
		Window: engagementv1.LeaderboardWindow_LEADERBOARD_WINDOW_ALL_TIME, TeamId: &team}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
}

func (w *pointsWorld) sessionOf(userID string) testenv.Session {
	for _, s := range append([]testenv.Session{w.owner}, w.members...) {
		if s.UserID == userID {
			return s
		}
	}
	panic("no session for " + userID)
}

func TestPoints_AnotherOrganizationIsDenied(t *testing.T) {
	w := setupPoints(t, 1)
	ctx := context.Background()
	allTime := engagementv1.LeaderboardWindow_LEADERBOARD_WINDOW_ALL_TIME
	calls := map[string]func() error{
		"GetMyPoints": func() error {
			_, err := w.a.Points.GetMyPoints(ctx, testenv.As(w.outside, &engagementv1.GetMyPointsRequest{OrganizationId: w.org}))
			return err
		},
		"ListLedger": func() error {
			_, err := w.a.Points.ListLedger(ctx, testenv.As(w.outside, &engagementv1.ListLedgerRequest{OrganizationId: w.org, UserId: &w.members[0].UserID}))
			return err
		},
		"GetLeaderboard": func() error {
			_, err := w.a.Points.GetLeaderboard(ctx, testenv.As(w.outside, &engagementv1.GetLeaderboardRequest{OrganizationId: w.org, Window: allTime}))
			return err
		},
		"GetMyRank": func() error {
			_, err := w.a.Points.GetMyRank(ctx, testenv.As(w.outside, &engagementv1.GetMyRankRequest{OrganizationId: w.org, Window: allTime}))
			return err
		},
		"ExportMemberData": func() error {
			_, err := w.a.Points.ExportMemberData(ctx, testenv.As(w.outside, &engagementv1.ExportMemberDataRequest{OrganizationId: w.org}))
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) { testenv.RequireCode(t, call(), connect.CodePermissionDenied) })
	}
}
