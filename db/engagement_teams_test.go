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
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
)

// teamOrg makes an organization with n members and returns their ids.
func teamOrg(t *testing.T, d *db.DB, n int) (uuid.UUID, []uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	orgID, first := ledgerMember(t, d)
	users := []uuid.UUID{first}
	for range n - 1 {
		u, _, err := db.CreateUserWithPhone(ctx, d, fmt.Sprintf("+1415%07d", time.Now().UnixNano()%10_000_000))
		require.NoError(t, err)
		users = append(users, u.ID)
	}
	for _, u := range users {
		require.NoError(t, db.InsertMember(ctx, d, &db.Member{ID: db.NewID(), OrganizationID: orgID, UserID: u, Role: db.RoleMember}))
	}
	return orgID, users
}

// TestTeams_PrimaryTeamFollowsMemberships: the first team joined becomes
// the member's primary team; leaving it moves them to their next team,
// leaving that clears it.
func TestTeams_PrimaryTeamFollowsMemberships(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, users := teamOrg(t, d, 1)
	red, blue := &db.Team{OrganizationID: orgID, Name: "Red"}, &db.Team{OrganizationID: orgID, Name: "Blue"}
	require.NoError(t, db.InsertTeam(ctx, d, red))
	require.NoError(t, db.InsertTeam(ctx, d, blue))
	require.ErrorIs(t, db.InsertTeam(ctx, d, &db.Team{OrganizationID: orgID, Name: "red"}), db.ErrTeamNameTaken)

	inTx := func(fn func(ctx context.Context, tx bun.Tx) error) { require.NoError(t, d.InTx(ctx, fn)) }
	primary := func() *uuid.UUID {
		up, err := db.UserPointsOf(ctx, d, orgID, users[0])
		require.NoError(t, err)
		return up.TeamID
	}
	for _, team := range []*db.Team{red, blue} {
		inTx(func(ctx context.Context, tx bun.Tx) error {
			return db.AddTeamMember(ctx, tx, &db.TeamMembership{OrganizationID: orgID, TeamID: team.ID, UserID: users[0], Role: enums.TeamRoleMember})
		})
	}
	assert.Equal(t, &red.ID, primary())
	require.ErrorIs(t, d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return db.AddTeamMember(ctx, tx, &db.TeamMembership{OrganizationID: orgID, TeamID: red.ID, UserID: users[0], Role: enums.TeamRoleMember})
	}), db.ErrAlreadyTeamMember)
	inTx(func(ctx context.Context, tx bun.Tx) error {
		_, err := db.RemoveTeamMember(ctx, tx, orgID, red.ID, users[0])
		return err
	})
	assert.Equal(t, &blue.ID, primary())
	inTx(func(ctx context.Context, tx bun.Tx) error {
		_, err := db.RemoveTeamMember(ctx, tx, orgID, blue.ID, users[0])
		return err
	})
	assert.Nil(t, primary())
}

// TestChallengeStandings_TiesShareRank scores a points challenge: only
// gains inside the window count, ties share a rank and the next skips.
func TestChallengeStandings_TiesShareRank(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, users := teamOrg(t, d, 4)
	start := time.Now().Add(-time.Hour)
	gains := []struct {
		user   int
		amount int64
		at     time.Time
	}{
		{0, 30, start.Add(time.Minute)}, {1, 30, start.Add(2 * time.Minute)}, {2, 10, start.Add(3 * time.Minute)},
		{2, 50, start.Add(-time.Minute)},                                        // before the window
		{3, 5, start.Add(4 * time.Minute)}, {3, -5, start.Add(5 * time.Minute)}, // losses do not count
	}
	for i, g := range gains {
		if g.amount < 0 {
			_, err := award(ctx, d, orgID, users[g.user], g.amount, fmt.Sprintf("loss-%d", i), g.at)
			require.NoError(t, err)
			continue
		}
		_, err := award(ctx, d, orgID, users[g.user], g.amount, fmt.Sprintf("gain-%d", i), g.at)
		require.NoError(t, err)
	}
	c := &db.TeamChallenge{OrganizationID: orgID, Name: "Sprint", Metric: enums.ChallengeMetricPoints,
		StartsAt: start, EndsAt: time.Now(), WinnerCount: 1, PointsPerRank: []int32{100}}
	require.NoError(t, db.InsertChallenge(ctx, d, c))

	rows, err := db.ChallengeStandings(ctx, d, c)
	require.NoError(t, err)
	got := map[uuid.UUID][2]int64{}
	for _, r := range rows {
		got[r.UserID] = [2]int64{r.Score, int64(r.Rank)}
	}
	assert.Equal(t, map[uuid.UUID][2]int64{users[0]: {30, 1}, users[1]: {30, 1}, users[2]: {10, 3}, users[3]: {5, 4}}, got)
}

// TestTeams_ConcurrentJoinsKeepCount joins and leaves a channel 100 times
// at once: member_count equals the rows left.
func TestTeams_ConcurrentJoinsKeepCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, users := teamOrg(t, d, 10)
	ch := &db.Channel{OrganizationID: orgID, Name: "general", Open: true}
	require.NoError(t, db.InsertChannel(ctx, d, ch))
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			u := users[i%len(users)]
			if i%3 == 2 {
				_, err := db.LeaveChannel(ctx, d, ch.ID, u)
				assert.NoError(t, err)
				return
			}
			_, err := db.JoinChannel(ctx, d, &db.ChannelMember{OrganizationID: orgID, ChannelID: ch.ID, UserID: u})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	rows, err := d.NewSelect().Model((*db.ChannelMember)(nil)).Where("channel_id = ?", ch.ID).Count(ctx)
	require.NoError(t, err)
	count, err := db.ChannelMemberCount(ctx, d, ch.ID)
	require.NoError(t, err)
	assert.Equal(t, rows, int64(count))
}
