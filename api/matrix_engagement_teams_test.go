package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/internal/testenv"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
	"github.com/convene/convene/workflows"
)

// TeamService's lines of both matrices. A's rows: a team led by A's
// owner, an open organization channel A's owner is in, and a challenge
// cancelled (its run closed), so the input matrix's requests all fail for
// a business reason or change nothing: a team and channel name in use,
// A's owner already on the team and in the channel, A's member on neither,
// a challenge window starting in the past, a closed challenge run.
const (
	fxTeamA      = "@teamA"
	fxChannelA   = "@channelA"
	fxChallengeA = "@challengeA"
	fxOwnerAUser = "@ownerAUser"
	// fxTeamName and fxChannelName are A's team and channel names.
	fxTeamName    = "Matrix team"
	fxChannelName = "matrix-general"
)

func init() {
	pastStart := time.Now().Add(-time.Hour)
	later := time.Now().Add(3 * time.Hour)
	matrixTopics = append(matrixTopics, matrixTopic{
		name:  "engagement teams",
		build: buildTeamsTopic,
		tenant: []tenantCase{
			{engagementv1connect.TeamServiceCreateTeamProcedure, hidden, &engagementv1.CreateTeamRequest{OrganizationId: fxOrgA, Name: "Foreign"}},
			{engagementv1connect.TeamServiceListTeamsProcedure, hidden, &engagementv1.ListTeamsRequest{OrganizationId: fxOrgA}},
			{engagementv1connect.TeamServiceAddTeamMemberProcedure, hidden, &engagementv1.AddTeamMemberRequest{TeamId: fxTeamA, UserId: fxUserB}},
			{engagementv1connect.TeamServiceRemoveTeamMemberProcedure, hidden, &engagementv1.RemoveTeamMemberRequest{TeamId: fxTeamA, UserId: fxOwnerAUser}},
			{engagementv1connect.TeamServiceSetTeamRoleProcedure, hidden, &engagementv1.SetTeamRoleRequest{TeamId: fxTeamA, UserId: fxOwnerAUser,
				Role: engagementv1.TeamRole_TEAM_ROLE_MEMBER}},
			{engagementv1connect.TeamServiceListTeamMembersProcedure, hidden, &engagementv1.ListTeamMembersRequest{TeamId: fxTeamA}},
			{engagementv1connect.TeamServiceCreateChannelProcedure, hidden, &engagementv1.CreateChannelRequest{OrganizationId: fxOrgA, Name: "foreign", Open: true}},
			{engagementv1connect.TeamServiceJoinChannelProcedure, hidden, &engagementv1.JoinChannelRequest{ChannelId: fxChannelA}},
			{engagementv1connect.TeamServiceLeaveChannelProcedure, hidden, &engagementv1.LeaveChannelRequest{ChannelId: fxChannelA}},
			{engagementv1connect.TeamServiceCreateChallengeProcedure, hidden, &engagementv1.CreateChallengeRequest{OrganizationId: fxOrgA, Name: "Foreign",
				Metric: engagementv1.ChallengeMetric_CHALLENGE_METRIC_POINTS, StartsAt: timestamppb.New(later),
				EndsAt: timestamppb.New(later.Add(time.Hour)), PointsPerRank: []int32{10}}},
			{engagementv1connect.TeamServiceExtendChallengeProcedure, hidden, &engagementv1.ExtendChallengeRequest{ChallengeId: fxChallengeA,
				EndsAt: timestamppb.New(later)}},
			{engagementv1connect.TeamServiceCancelChallengeProcedure, hidden, &engagementv1.CancelChallengeRequest{ChallengeId: fxChallengeA}},
			{engagementv1connect.TeamServiceGetChallengeProcedure, hidden, &engagementv1.GetChallengeRequest{ChallengeId: fxChallengeA}},
		},
		input: []inputCase{
			{engagementv1connect.TeamServiceCreateTeamProcedure, asOwnerA, &engagementv1.CreateTeamRequest{OrganizationId: fxOrgA, Name: fxTeamName, Description: "d"}},
			{engagementv1connect.TeamServiceListTeamsProcedure, asOwnerA, &engagementv1.ListTeamsRequest{OrganizationId: fxOrgA, PageSize: 10, PageToken: ""}},
			{engagementv1connect.TeamServiceAddTeamMemberProcedure, asOwnerA, &engagementv1.AddTeamMemberRequest{TeamId: fxTeamA, UserId: fxOwnerAUser,
				Role: engagementv1.TeamRole_TEAM_ROLE_MEMBER}},
			{engagementv1connect.TeamServiceRemoveTeamMemberProcedure, asOwnerA, &engagementv1.RemoveTeamMemberRequest{TeamId: fxTeamA, UserId: fxMemberA}},
			{engagementv1connect.TeamServiceSetTeamRoleProcedure, asOwnerA, &engagementv1.SetTeamRoleRequest{TeamId: fxTeamA, UserId: fxMemberA,
				Role: engagementv1.TeamRole_TEAM_ROLE_MODERATOR}},
			{engagementv1connect.TeamServiceListTeamMembersProcedure, asOwnerA, &engagementv1.ListTeamMembersRequest{TeamId: fxTeamA, PageSize: 10}},
			{engagementv1connect.TeamServiceCreateChannelProcedure, asOwnerA, &engagementv1.CreateChannelRequest{OrganizationId: fxOrgA, Name: fxChannelName,
				Description: "d", Open: true}},
			{engagementv1connect.TeamServiceJoinChannelProcedure, asOwnerA, &engagementv1.JoinChannelRequest{ChannelId: fxChannelA}},
			{engagementv1connect.TeamServiceLeaveChannelProcedure, asMemberA, &engagementv1.LeaveChannelRequest{ChannelId: fxChannelA}},
			{engagementv1connect.TeamServiceCreateChallengeProcedure, asOwnerA, &engagementv1.CreateChallengeRequest{OrganizationId: fxOrgA, Name: "Sprint",
				Description: "d", Metric: engagementv1.ChallengeMetric_CHALLENGE_METRIC_POINTS, StartsAt: timestamppb.New(pastStart),
				EndsAt: timestamppb.New(pastStart.Add(2 * time.Hour)), PointsPerRank: []int32{100}}},
			{engagementv1connect.TeamServiceExtendChallengeProcedure, asOwnerA, &engagementv1.ExtendChallengeRequest{ChallengeId: fxChallengeA,
				EndsAt: timestamppb.New(later)}},
			{engagementv1connect.TeamServiceCancelChallengeProcedure, asOwnerA, &engagementv1.CancelChallengeRequest{ChallengeId: fxChallengeA}},
			{engagementv1connect.TeamServiceGetChallengeProcedure, asOwnerA, &engagementv1.GetChallengeRequest{ChallengeId: fxChallengeA}},
		},
	})
}

// buildTeamsTopic creates A's team, channel and cancelled challenge
// through the API and waits for the challenge's run to close.
func buildTeamsTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	ctx := context.Background()
	team, err := f.a.Teams.CreateTeam(ctx, testenv.As(f.ownerA, &engagementv1.CreateTeamRequest{OrganizationId: f.orgA, Name: fxTeamName}))
	require.NoError(t, err)
	teamID := team.Msg.GetTeam().GetId()
	_, err = f.a.Teams.AddTeamMember(ctx, testenv.As(f.ownerA, &engagementv1.AddTeamMemberRequest{TeamId: teamID, UserId: f.ownerA.UserID,
		Role: engagementv1.TeamRole_TEAM_ROLE_LEADER}))
	require.NoError(t, err)
	ch, err := f.a.Teams.CreateChannel(ctx, testenv.As(f.ownerA, &engagementv1.CreateChannelRequest{OrganizationId: f.orgA, Name: fxChannelName, Open: true}))
	require.NoError(t, err)
	start := time.Now().Add(time.Hour)
	c, err := f.a.Teams.CreateChallenge(ctx, testenv.As(f.ownerA, &engagementv1.CreateChallengeRequest{OrganizationId: f.orgA, Name: "Sprint",
		Metric: engagementv1.ChallengeMetric_CHALLENGE_METRIC_POINTS, StartsAt: timestamppb.New(start),
		EndsAt: timestamppb.New(start.Add(time.Hour)), PointsPerRank: []int32{100}}))
	require.NoError(t, err)
	challengeID := c.Msg.GetChallenge().GetId()
	_, err = f.a.Teams.CancelChallenge(ctx, testenv.As(f.ownerA, &engagementv1.CancelChallengeRequest{ChallengeId: challengeID}))
	require.NoError(t, err)
	require.NoError(t, f.a.Temporal.GetWorkflow(ctx, workflows.TeamChallengeWorkflowID(challengeID), "").Get(ctx, nil))
	return map[string]string{fxTeamA: teamID, fxChannelA: ch.Msg.GetChannel().GetId(), fxChallengeA: challengeID, fxOwnerAUser: f.ownerA.UserID}
}
