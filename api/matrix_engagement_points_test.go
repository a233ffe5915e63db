package api_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/internal/testenv"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// Placeholders of the points topic: A's manual badge and a member of A
// who holds it (no points: a spoiled adjustment could only take them
// below zero, and a spoiled award finds the badge held).
const (
	fxBadgeA  = "@badgeA"
	fxPointsA = "@pointsMemberA"
)

func init() {
	allTime := engagementv1.LeaderboardWindow_LEADERBOARD_WINDOW_ALL_TIME
	rare := engagementv1.BadgeRarity_BADGE_RARITY_RARE
	matrixTopics = append(matrixTopics, matrixTopic{name: "points", build: buildPointsTopic,
		tenant: []tenantCase{
			{engagementv1connect.PointsServiceGetMyPointsProcedure, hidden, &engagementv1.GetMyPointsRequest{OrganizationId: fxOrgA, IncludeRank: true}},
			{engagementv1connect.PointsServiceListLedgerProcedure, hidden, &engagementv1.ListLedgerRequest{OrganizationId: fxOrgA, UserId: proto.String(fxMemberA)}},
			{engagementv1connect.PointsServiceAdjustPointsProcedure, hidden, &engagementv1.AdjustPointsRequest{OrganizationId: fxOrgA, UserId: fxMemberA, Amount: 10, Reason: "hijack"}},
			{engagementv1connect.PointsServiceGetLeaderboardProcedure, hidden, &engagementv1.GetLeaderboardRequest{OrganizationId: fxOrgA, Window: allTime}},
			{engagementv1connect.PointsServiceGetMyRankProcedure, hidden, &engagementv1.GetMyRankRequest{OrganizationId: fxOrgA, Window: allTime}},
			{engagementv1connect.PointsServiceExportMemberDataProcedure, hidden, &engagementv1.ExportMemberDataRequest{OrganizationId: fxOrgA}},
			{engagementv1connect.BadgeServiceCreateBadgeProcedure, hidden, &engagementv1.CreateBadgeRequest{OrganizationId: fxOrgA, Name: "Hijack", Kind: engagementv1.BadgeKind_BADGE_KIND_MANUAL, Rarity: rare}},
			{engagementv1connect.BadgeServiceUpdateBadgeProcedure, notFound, &engagementv1.UpdateBadgeRequest{BadgeId: fxBadgeA, Name: proto.String("Hijacked")}},
			{engagementv1connect.BadgeServiceArchiveBadgeProcedure, notFound, &engagementv1.ArchiveBadgeRequest{BadgeId: fxBadgeA}},
			{engagementv1connect.BadgeServiceListBadgesProcedure, hidden, &engagementv1.ListBadgesRequest{OrganizationId: fxOrgA, IncludeArchived: true}},
			{engagementv1connect.BadgeServiceAwardBadgeProcedure, notFound, &engagementv1.AwardBadgeRequest{BadgeId: fxBadgeA, UserId: fxPointsA}},
			{engagementv1connect.BadgeServiceListMemberBadgesProcedure, hidden, &engagementv1.ListMemberBadgesRequest{OrganizationId: fxOrgA, UserId: proto.String(fxMemberA)}},
		},
		input: []inputCase{
			{engagementv1connect.PointsServiceGetMyPointsProcedure, asMemberA, &engagementv1.GetMyPointsRequest{OrganizationId: fxOrgA, IncludeRank: true}},
			{engagementv1connect.PointsServiceListLedgerProcedure, asOwnerA, &engagementv1.ListLedgerRequest{OrganizationId: fxOrgA, UserId: proto.String(fxMemberA), PageSize: 10}},
			{engagementv1connect.PointsServiceAdjustPointsProcedure, asOwnerA, &engagementv1.AdjustPointsRequest{OrganizationId: fxOrgA, UserId: fxPointsA, Amount: 10, Reason: "thanks", IdempotencyKey: proto.String("matrix-1")}},
			{engagementv1connect.PointsServiceGetLeaderboardProcedure, asMemberA, &engagementv1.GetLeaderboardRequest{OrganizationId: fxOrgA, Window: allTime, TeamId: proto.String(fxTeamA), PageSize: 10}},
			{engagementv1connect.PointsServiceGetMyRankProcedure, asMemberA, &engagementv1.GetMyRankRequest{OrganizationId: fxOrgA, Window: allTime}},
			{engagementv1connect.PointsServiceExportMemberDataProcedure, asMemberA, &engagementv1.ExportMemberDataRequest{OrganizationId: fxOrgA}},
			{engagementv1connect.BadgeServiceCreateBadgeProcedure, asOwnerA, &engagementv1.CreateBadgeRequest{OrganizationId: fxOrgA, Name: "Matrix new", Description: "d",
				IconUrl: "https://example.com/b.png", Kind: engagementv1.BadgeKind_BADGE_KIND_THRESHOLD, Criteria: &engagementv1.BadgeCriteria{EventType: "ticket.checked_in", Count: 3},
				Category: "events", Rarity: rare, PointsValue: 5}},
			{engagementv1connect.BadgeServiceUpdateBadgeProcedure, asOwnerA, &engagementv1.UpdateBadgeRequest{BadgeId: fxBadgeA, Name: proto.String("Renamed"),
				Description: proto.String("d"), IconUrl: proto.String("https://example.com/c.png"), Category: proto.String("c"), Rarity: &rare, PointsValue: proto.Int32(3)}},
			{engagementv1connect.BadgeServiceArchiveBadgeProcedure, asOwnerA, &engagementv1.ArchiveBadgeRequest{BadgeId: fxBadgeA}},
			{engagementv1connect.BadgeServiceListBadgesProcedure, asMemberA, &engagementv1.ListBadgesRequest{OrganizationId: fxOrgA, PageSize: 10}},
			{engagementv1connect.BadgeServiceAwardBadgeProcedure, asOwnerA, &engagementv1.AwardBadgeRequest{BadgeId: fxBadgeA, UserId: fxPointsA, Reason: "thanks"}},
			{engagementv1connect.BadgeServiceListMemberBadgesProcedure, asMemberA, &engagementv1.ListMemberBadgesRequest{OrganizationId: fxOrgA, UserId: proto.String(fxMemberA)}},
		},
	})
}

// buildPointsTopic gives A a manual badge (no points) and a member who
// holds it.
func buildPointsTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	ctx := context.Background()
	badge, err := f.a.Badges.CreateBadge(ctx, testenv.As(f.ownerA, &engagementv1.CreateBadgeRequest{OrganizationId: f.orgA,
		Name: "Matrix", Kind: engagementv1.BadgeKind_BADGE_KIND_MANUAL, Rarity: engagementv1.BadgeRarity_BADGE_RARITY_COMMON}))
	require.NoError(t, err)
	pointsMember := f.a.NewUser(t, newPhone())
	addAndAccept(t, f.a, f.ownerA, f.orgA, pointsMember, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	_, err = f.a.Badges.AwardBadge(ctx, testenv.As(f.ownerA, &engagementv1.AwardBadgeRequest{BadgeId: badge.Msg.GetBadge().GetId(), UserId: pointsMember.UserID}))
	require.NoError(t, err)
	return map[string]string{fxBadgeA: badge.Msg.GetBadge().GetId(), fxPointsA: pointsMember.UserID}
}
