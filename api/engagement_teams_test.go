package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	"github.com/convene/convene/workflows"
)

// teamsWorld is an organization with an owner and members, for the
// TeamService tests.
type teamsWorld struct {
	a       *testenv.API
	owner   testenv.Session
	members []testenv.Session
	org     string
}

func newTeamsWorld(t *testing.T, members int) *teamsWorld {
	t.Helper()
	a := setup(t)
	w := &teamsWorld{a: a, owner: a.NewUser(t, newPhone())}
	w.org = createOrg(t, a, w.owner, "teams-"+uuid.NewString()[:8]).GetId()
	for range members {
		m := a.NewUser(t, newPhone())
		addAndAccept(t, a, w.owner, w.org, m, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
		w.members = append(w.members, m)
	}
	return w
}

func (w *teamsWorld) team(t *testing.T, name string) *engagementv1.Team {
	t.Helper()
	resp, err := w.a.Teams.CreateTeam(context.Background(), testenv.As(w.owner, &engagementv1.CreateTeamRequest{OrganizationId: w.org, Name: name}))
	require.NoError(t, err)
	return resp.Msg.GetTeam()
}

func (w *teamsWorld) addToTeam(by testenv.Session, teamID string, m testenv.Session, role engagementv1.TeamRole) error {
	_, err := w.a.Teams.AddTeamMember(context.Background(), testenv.As(by, &engagementv1.AddTeamMemberRequest{TeamId: teamID, UserId: m.UserID, Role: role}))
	return err
}

func (w *teamsWorld) channel(by testenv.Session, teamID *string, name string) (*engagementv1.Channel, error) {
	resp, err := w.a.Teams.CreateChannel(context.Background(), testenv.As(by, &engagementv1.CreateChannelRequest{OrganizationId: w.org,
		TeamId: teamID, Name: name, Open: true}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetChannel(), nil
}

// TestTeams_ConcurrentJoinsAndLeavesKeepMemberCounts: 100 concurrent
// channel joins and leaves, and concurrent team adds and removes, leave
// member_count equal to the rows.
func TestTeams_ConcurrentJoinsAndLeavesKeepMemberCounts(t *testing.T) {
	w := newTeamsWorld(t, 10)
	ctx := context.Background()
	red := w.team(t, "Red")
	ch, err := w.channel(w.owner, nil, "general")
	require.NoError(t, err)

	var wg sync.WaitGroup
	for i := range 100 {
		m := w.members[i%len(w.members)]
		wg.Go(func() {
			var err error
			if i%3 == 2 {
				_, err = w.a.Teams.LeaveChannel(ctx, testenv.As(m, &engagementv1.LeaveChannelRequest{ChannelId: ch.GetId()}))
			} else {
				_, err = w.a.Teams.JoinChannel(ctx, testenv.As(m, &engagementv1.JoinChannelRequest{ChannelId: ch.GetId()}))
			}
			assert.NoError(t, err)
		})
		if i < 2*len(w.members) {
			wg.Go(func() {
				var err error
				if i < len(w.members) {
					err = w.addToTeam(w.owner, red.GetId(), m, engagementv1.TeamRole_TEAM_ROLE_UNSPECIFIED)
				} else {
					_, err = w.a.Teams.RemoveTeamMember(ctx, testenv.As(w.owner, &engagementv1.RemoveTeamMemberRequest{TeamId: red.GetId(), UserId: m.UserID}))
				}
				if code := connect.CodeOf(err); err != nil && code != connect.CodeNotFound {
					t.Errorf("team change %d: %v", i, err) // a remove before its add is NotFound
				}
			})
		}
	}
	wg.Wait()

	channelRows, err := w.a.DB.NewSelect().Model((*db.ChannelMember)(nil)).Where("channel_id = ?", ch.GetId()).Count(ctx)
	require.NoError(t, err)
	got, err := db.ChannelByID(ctx, w.a.DB, uuid.MustParse(ch.GetId()))
	require.NoError(t, err)
	assert.EqualValues(t, channelRows, got.MemberCount)
	teamRows, err := w.a.DB.NewSelect().Model((*db.TeamMembership)(nil)).Where("team_id = ?", red.GetId()).Count(ctx)
	require.NoError(t, err)
	team, err := db.TeamByID(ctx, w.a.DB, uuid.MustParse(red.GetId()))
	require.NoError(t, err)
	assert.EqualValues(t, teamRows, team.MemberCount)
	joined, err := w.a.DB.NewSelect().Model((*db.DomainEvent)(nil)).Where("organization_id = ? AND type = ?", w.org, enums.EventChannelJoined).Count(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, joined, channelRows, "every member in the channel has a channel.joined event")
}

// TestTeams_LeaderManagesOwnTeamOnly: a team's leader manages its members
// and channels, not another team's; a moderator cannot make leaders; a
// plain member cannot manage.
func TestTeams_LeaderManagesOwnTeamOnly(t *testing.T) {
	w := newTeamsWorld(t, 4)
	ctx := context.Background()
	leader, mod, member, outsider := w.members[0], w.members[1], w.members[2], w.members[3]
	red, blue := w.team(t, "Red"), w.team(t, "Blue")
	require.NoError(t, w.addToTeam(w.owner, red.GetId(), leader, engagementv1.TeamRole_TEAM_ROLE_LEADER))

	require.NoError(t, w.addToTeam(leader, red.GetId(), mod, engagementv1.TeamRole_TEAM_ROLE_MODERATOR))
	require.NoError(t, w.addToTeam(mod, red.GetId(), member, engagementv1.TeamRole_TEAM_ROLE_MEMBER))
	testenv.RequireCode(t, w.addToTeam(leader, blue.GetId(), outsider, engagementv1.TeamRole_TEAM_ROLE_MEMBER), connect.CodePermissionDenied)
	testenv.RequireCode(t, w.addToTeam(mod, red.GetId(), outsider, engagementv1.TeamRole_TEAM_ROLE_LEADER), connect.CodePermissionDenied)
	testenv.RequireCode(t, w.addToTeam(member, red.GetId(), outsider, engagementv1.TeamRole_TEAM_ROLE_MEMBER), connect.CodePermissionDenied)
	_, err := w.a.Teams.SetTeamRole(ctx, testenv.As(mod, &engagementv1.SetTeamRoleRequest{TeamId: red.GetId(), UserId: member.UserID,
		Role: engagementv1.TeamRole_TEAM_ROLE_LEADER}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Teams.SetTeamRole(ctx, testenv.As(leader, &engagementv1.SetTeamRoleRequest{TeamId: red.GetId(), UserId: member.UserID,
		Role: engagementv1.TeamRole_TEAM_ROLE_MODERATOR}))
	require.NoError(t, err)
	_, err = w.a.Teams.CreateTeam(ctx, testenv.As(leader, &engagementv1.CreateTeamRequest{OrganizationId: w.org, Name: "Green"}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	redID, blueID := red.GetId(), blue.GetId()
	redChannel, err := w.channel(leader, &redID, "red-chat")
	require.NoError(t, err)
	_, err = w.channel(leader, &blueID, "blue-chat")
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.channel(leader, nil, "everyone")
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Teams.JoinChannel(ctx, testenv.As(outsider, &engagementv1.JoinChannelRequest{ChannelId: redChannel.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	joined, err := w.a.Teams.JoinChannel(ctx, testenv.As(member, &engagementv1.JoinChannelRequest{ChannelId: redChannel.GetId()}))
	require.NoError(t, err)
	assert.Equal(t, int32(2), joined.Msg.GetChannel().GetMemberCount(), "the leader who created it and the member")

	list, err := w.a.Teams.ListTeamMembers(ctx, testenv.As(member, &engagementv1.ListTeamMembersRequest{TeamId: red.GetId()}))
	require.NoError(t, err)
	roles := map[string]engagementv1.TeamRole{}
	for _, m := range list.Msg.GetMembers() {
		roles[m.GetUserId()] = m.GetRole()
	}
	assert.Equal(t, map[string]engagementv1.TeamRole{leader.UserID: engagementv1.TeamRole_TEAM_ROLE_LEADER,
		mod.UserID: engagementv1.TeamRole_TEAM_ROLE_MODERATOR, member.UserID: engagementv1.TeamRole_TEAM_ROLE_MODERATOR}, roles)
	points, err := db.UserPointsOf(ctx, w.a.DB, uuid.MustParse(w.org), uuid.MustParse(leader.UserID))
	require.NoError(t, err)
	require.NotNil(t, points.TeamID)
	assert.Equal(t, red.GetId(), points.TeamID.String(), "the first team is the primary team")
}

// TestTeams_CrossOrganization: another organization's owner sees none of
// A's teams, channels or challenges, and A cannot use B's team or people.
func TestTeams_CrossOrganization(t *testing.T) {
	w := newTeamsWorld(t, 1)
	ctx := context.Background()
	ownerB := w.a.NewUser(t, newPhone())
	orgB := createOrg(t, w.a, ownerB, "teams-b-"+uuid.NewString()[:8]).GetId()
	teamB, err := w.a.Teams.CreateTeam(ctx, testenv.As(ownerB, &engagementv1.CreateTeamRequest{OrganizationId: orgB, Name: "Red"}))
	require.NoError(t, err, "team names are per organization")
	red := w.team(t, "Red")
	ch, err := w.channel(w.owner, nil, "general")
	require.NoError(t, err)
	start := time.Now().Add(time.Hour)
	created, err := w.a.Teams.CreateChallenge(ctx, testenv.As(w.owner, &engagementv1.CreateChallengeRequest{OrganizationId: w.org,
		Name: "Sprint", Metric: engagementv1.ChallengeMetric_CHALLENGE_METRIC_POINTS, StartsAt: timestamppb.New(start),
		EndsAt: timestamppb.New(start.Add(time.Hour)), PointsPerRank: []int32{100}}))
	require.NoError(t, err)
	challengeID := created.Msg.GetChallenge().GetId()

	_, err = w.a.Teams.ListTeams(ctx, testenv.As(ownerB, &engagementv1.ListTeamsRequest{OrganizationId: w.org}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	testenv.RequireCode(t, w.addToTeam(ownerB, red.GetId(), ownerB, engagementv1.TeamRole_TEAM_ROLE_LEADER), connect.CodeNotFound)
	_, err = w.a.Teams.JoinChannel(ctx, testenv.As(ownerB, &engagementv1.JoinChannelRequest{ChannelId: ch.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = w.a.Teams.GetChallenge(ctx, testenv.As(ownerB, &engagementv1.GetChallengeRequest{ChallengeId: challengeID}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = w.a.Teams.CancelChallenge(ctx, testenv.As(ownerB, &engagementv1.CancelChallengeRequest{ChallengeId: challengeID}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	testenv.RequireCode(t, w.addToTeam(w.owner, red.GetId(), ownerB, engagementv1.TeamRole_TEAM_ROLE_MEMBER), connect.CodeInvalidArgument)
	teamBID := teamB.Msg.GetTeam().GetId()
	_, err = w.channel(w.owner, &teamBID, "theirs")
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	_, err = w.a.Teams.CreateChallenge(ctx, testenv.As(w.owner, &engagementv1.CreateChallengeRequest{OrganizationId: w.org, TeamId: &teamBID,
		Name: "Theirs", Metric: engagementv1.ChallengeMetric_CHALLENGE_METRIC_POINTS, StartsAt: timestamppb.New(start),
		EndsAt: timestamppb.New(start.Add(time.Hour)), PointsPerRank: []int32{100}}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
}

// TestChallenges_ExtendAndCancelThroughTheWorkflow: the run of a created
// challenge takes an extension (the row's end moves), refuses an earlier
// end, takes a cancellation, and then refuses both.
func TestChallenges_ExtendAndCancelThroughTheWorkflow(t *testing.T) {
	w := newTeamsWorld(t, 1)
	ctx := context.Background()
	start := time.Now().Add(time.Hour).Truncate(time.Second)
	created, err := w.a.Teams.CreateChallenge(ctx, testenv.As(w.owner, &engagementv1.CreateChallengeRequest{OrganizationId: w.org,
		Name: "Sprint", Metric: engagementv1.ChallengeMetric_CHALLENGE_METRIC_CHECK_INS, StartsAt: timestamppb.New(start),
		EndsAt: timestamppb.New(start.Add(time.Hour)), PointsPerRank: []int32{100, 50}}))
	require.NoError(t, err)
	c := created.Msg.GetChallenge()
	assert.Equal(t, engagementv1.ChallengeStatus_CHALLENGE_STATUS_SCHEDULED, c.GetStatus())
	assert.Equal(t, int32(2), c.GetWinnerCount())

	_, err = w.a.Teams.ExtendChallenge(ctx, testenv.As(w.members[0], &engagementv1.ExtendChallengeRequest{ChallengeId: c.GetId(),
		EndsAt: timestamppb.New(start.Add(2 * time.Hour))}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Teams.ExtendChallenge(ctx, testenv.As(w.owner, &engagementv1.ExtendChallengeRequest{ChallengeId: c.GetId(),
		EndsAt: timestamppb.New(start.Add(30 * time.Minute))}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	extended, err := w.a.Teams.ExtendChallenge(ctx, testenv.As(w.owner, &engagementv1.ExtendChallengeRequest{ChallengeId: c.GetId(),
		EndsAt: timestamppb.New(start.Add(2 * time.Hour))}))
	require.NoError(t, err)
	assert.Equal(t, start.Add(2*time.Hour).Unix(), extended.Msg.GetChallenge().GetEndsAt().AsTime().Unix())

	cancelled, err := w.a.Teams.CancelChallenge(ctx, testenv.As(w.owner, &engagementv1.CancelChallengeRequest{ChallengeId: c.GetId()}))
	require.NoError(t, err)
	assert.Equal(t, engagementv1.ChallengeStatus_CHALLENGE_STATUS_CANCELLED, cancelled.Msg.GetChallenge().GetStatus())
	require.NoError(t, w.a.Temporal.GetWorkflow(ctx, workflows.TeamChallengeWorkflowID(c.GetId()), "").Get(ctx, nil))
	_, err = w.a.Teams.CancelChallenge(ctx, testenv.As(w.owner, &engagementv1.CancelChallengeRequest{ChallengeId: c.GetId()}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	_, err = w.a.Teams.ExtendChallenge(ctx, testenv.As(w.owner, &engagementv1.ExtendChallengeRequest{ChallengeId: c.GetId(),
		EndsAt: timestamppb.New(start.Add(3 * time.Hour))}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	got, err := w.a.Teams.GetChallenge(ctx, testenv.As(w.members[0], &engagementv1.GetChallengeRequest{ChallengeId: c.GetId()}))
	require.NoError(t, err)
	assert.Equal(t, engagementv1.ChallengeStatus_CHALLENGE_STATUS_CANCELLED, got.Msg.GetChallenge().GetStatus())
	assert.Empty(t, got.Msg.GetResults())
	recordHistory(t, w.a, workflows.TeamChallengeWorkflowID(c.GetId()), "team-challenge-extend-cancel")
}

// TestChallenges_SettlesWithTheRealActivities runs a short challenge in
// real time (settle delay of a second) with the worker's activities: the
// top scorer is paid. With CONVENE_RECORD_HISTORIES=1 it records the
// history the replay test replays.
func TestChallenges_SettlesWithTheRealActivities(t *testing.T) {
	w := newTeamsWorld(t, 2)
	ctx := context.Background()
	start := time.Now().Add(2 * time.Second).Truncate(time.Microsecond)
	c := &db.TeamChallenge{OrganizationID: uuid.MustParse(w.org), Name: "Quick", Metric: enums.ChallengeMetricPoints,
		StartsAt: start, EndsAt: start.Add(2 * time.Second), WinnerCount: 1, PointsPerRank: []int32{100}}
	require.NoError(t, db.InsertChallenge(ctx, w.a.DB, c))
	for i, m := range w.members {
		require.NoError(t, w.a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := db.PointsLedger{}.Award(ctx, tx, db.LedgerEntry{OrganizationID: c.OrganizationID, UserID: uuid.MustParse(m.UserID),
				Amount: int64(10 * (i + 1)), Type: enums.LedgerManual, IdempotencyKey: fmt.Sprintf("quick:%d", i), CreatedAt: start.Add(time.Second)})
			return err
		}))
	}
	require.NoError(t, workflows.StartTeamChallenge(ctx, w.a.Temporal, w.a.TaskQueue, workflows.TeamChallengeInput{
		ChallengeID: c.ID.String(), OrganizationID: w.org, Name: c.Name, StartsAt: c.StartsAt, EndsAt: c.EndsAt, SettleDelay: time.Second}))
	var s workflows.TeamChallengeState
	require.NoError(t, w.a.Temporal.GetWorkflow(ctx, workflows.TeamChallengeWorkflowID(c.ID.String()), "").Get(ctx, &s))
	assert.Equal(t, enums.ChallengeCompleted, s.Status)
	assert.Equal(t, 1, s.Winners)

	got, err := w.a.Teams.GetChallenge(ctx, testenv.As(w.members[0], &engagementv1.GetChallengeRequest{ChallengeId: c.ID.String()}))
	require.NoError(t, err)
	require.Len(t, got.Msg.GetResults(), 2)
	top := got.Msg.GetResults()[0]
	assert.Equal(t, w.members[1].UserID, top.GetUserId())
	assert.Equal(t, int32(100), top.GetPointsAwarded())
	assert.Equal(t, int32(0), got.Msg.GetResults()[1].GetPointsAwarded())
	points, err := db.UserPointsOf(ctx, w.a.DB, c.OrganizationID, uuid.MustParse(w.members[1].UserID))
	require.NoError(t, err)
	assert.Equal(t, int64(120), points.TotalPoints)
	recordHistory(t, w.a, workflows.TeamChallengeWorkflowID(c.ID.String()), "team-challenge-settled")
}
