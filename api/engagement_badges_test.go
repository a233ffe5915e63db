package api_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
)

func (w *pointsWorld) createBadge(t *testing.T, req *engagementv1.CreateBadgeRequest) *engagementv1.Badge {
	t.Helper()
	req.OrganizationId = w.org
	if req.Rarity == engagementv1.BadgeRarity_BADGE_RARITY_UNSPECIFIED {
		req.Rarity = engagementv1.BadgeRarity_BADGE_RARITY_RARE
	}
	resp, err := w.a.Badges.CreateBadge(context.Background(), testenv.As(w.owner, req))
	require.NoError(t, err)
	return resp.Msg.GetBadge()
}

func (w *pointsWorld) memberBadges(t *testing.T, s testenv.Session) []*engagementv1.MemberBadge {
	t.Helper()
	resp, err := w.a.Badges.ListMemberBadges(context.Background(), testenv.As(s, &engagementv1.ListMemberBadgesRequest{OrganizationId: w.org}))
	require.NoError(t, err)
	return resp.Msg.GetBadges()
}

func TestAwardBadge_ConcurrentAwardsGiveOneBadge(t *testing.T) {
	w := setupPoints(t, 1)
	ctx := context.Background()
	m := w.members[0]
	badge := w.createBadge(t, &engagementv1.CreateBadgeRequest{Name: "Helper", Kind: engagementv1.BadgeKind_BADGE_KIND_MANUAL, PointsValue: 25})

	codes := make([]connect.Code, 10)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			_, err := w.a.Badges.AwardBadge(ctx, testenv.As(w.owner, &engagementv1.AwardBadgeRequest{BadgeId: badge.GetId(), UserId: m.UserID, Reason: "thanks"}))
			codes[i] = connect.CodeOf(err)
			if err == nil {
				codes[i] = codeOK
			}
		})
	}
	wg.Wait()
	counts := map[connect.Code]int{}
	for _, c := range codes {
		counts[c]++
	}
	assert.Equal(t, map[connect.Code]int{codeOK: 1, connect.CodeAlreadyExists: 9}, counts)

	held := w.memberBadges(t, m)
	require.Len(t, held, 1)
	assert.EqualValues(t, 1, held[0].GetBadge().GetTimesAwarded())
	assert.Equal(t, w.owner.UserID, held[0].GetAwardedByUserId())
	assert.Equal(t, 1, w.ledgerRows(t, m.UserID), "one ledger entry for the badge's points")
	assert.EqualValues(t, 25, w.myPoints(t, m).GetTotalPoints())
	notices, err := w.a.DB.NewSelect().Model((*db.Notification)(nil)).Where("recipient_user_id = ? AND type = 'badge_awarded'", m.UserID).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, notices)
}

func TestCreateBadge_CriteriaMustSuitTheKind(t *testing.T) {
	w := setupPoints(t, 1)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		kind     engagementv1.BadgeKind
		criteria *engagementv1.BadgeCriteria
		field    string
	}{
		{"first without an event type", engagementv1.BadgeKind_BADGE_KIND_FIRST, &engagementv1.BadgeCriteria{}, "criteria.event_type"},
		{"threshold without event type or points", engagementv1.BadgeKind_BADGE_KIND_THRESHOLD, &engagementv1.BadgeCriteria{Count: 3}, "criteria.event_type"},
		{"threshold with both", engagementv1.BadgeKind_BADGE_KIND_THRESHOLD, &engagementv1.BadgeCriteria{EventType: "ticket.checked_in", Points: 10}, "criteria.points"},
		{"streak without days", engagementv1.BadgeKind_BADGE_KIND_STREAK, &engagementv1.BadgeCriteria{}, "criteria.days"},
		{"manual with criteria", engagementv1.BadgeKind_BADGE_KIND_MANUAL, &engagementv1.BadgeCriteria{Days: 3}, "criteria"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.a.Badges.CreateBadge(ctx, testenv.As(w.owner, &engagementv1.CreateBadgeRequest{OrganizationId: w.org,
				Name: tc.name, Kind: tc.kind, Criteria: tc.criteria, Rarity: engagementv1.BadgeRarity_BADGE_RARITY_COMMON}))
			testenv.RequireCode(t, err, connect.CodeInvalidArgument)
			assert.Contains(t, err.Error(), tc.field+":")
		})
	}
	n, err := w.a.DB.NewSelect().Model((*db.Badge)(nil)).Where("organization_id = ?", w.org).Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "no badge was stored")

	w.createBadge(t, &engagementv1.CreateBadgeRequest{Name: "Regular", Kind: engagementv1.BadgeKind_BADGE_KIND_STREAK,
		Criteria: &engagementv1.BadgeCriteria{Days: 5}})
	_, err = w.a.Badges.CreateBadge(ctx, testenv.As(w.owner, &engagementv1.CreateBadgeRequest{OrganizationId: w.org, Name: "regular",
		Kind: engagementv1.BadgeKind_BADGE_KIND_MANUAL, Rarity: engagementv1.BadgeRarity_BADGE_RARITY_COMMON}))
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)
	_, err = w.a.Badges.CreateBadge(ctx, testenv.As(w.members[0], &engagementv1.CreateBadgeRequest{OrganizationId: w.org, Name: "Mine",
		Kind: engagementv1.BadgeKind_BADGE_KIND_MANUAL, Rarity: engagementv1.BadgeRarity_BADGE_RARITY_COMMON}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
}

func TestBadges_UpdateArchiveListAndForeignCallers(t *testing.T) {
	w := setupPoints(t, 1)
	ctx := context.Background()
	m := w.members[0]
	badge := w.createBadge(t, &engagementv1.CreateBadgeRequest{Name: "Speaker", Kind: engagementv1.BadgeKind_BADGE_KIND_FIRST,
		Criteria: &engagementv1.BadgeCriteria{EventType: "activity.attended"}})

	name := "Keynote speaker"
	updated, err := w.a.Badges.UpdateBadge(ctx, testenv.As(w.owner, &engagementv1.UpdateBadgeRequest{BadgeId: badge.GetId(), Name: &name}))
	require.NoError(t, err)
	assert.Equal(t, name, updated.Msg.GetBadge().GetName())
	assert.Equal(t, "activity.attended", updated.Msg.GetBadge().GetCriteria().GetEventType(), "criteria kept")
	_, err = w.a.Badges.UpdateBadge(ctx, testenv.As(w.owner, &engagementv1.UpdateBadgeRequest{BadgeId: badge.GetId(),
		Criteria: &engagementv1.BadgeCriteria{Days: 3}}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)

	// Another organization's owner cannot see or touch A's badge.
	_, err = w.a.Badges.AwardBadge(ctx, testenv.As(w.outside, &engagementv1.AwardBadgeRequest{BadgeId: badge.GetId(), UserId: m.UserID}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = w.a.Badges.ArchiveBadge(ctx, testenv.As(w.outside, &engagementv1.ArchiveBadgeRequest{BadgeId: badge.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = w.a.Badges.ListBadges(ctx, testenv.As(w.outside, &engagementv1.ListBadgesRequest{OrganizationId: w.org}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Badges.ListMemberBadges(ctx, testenv.As(w.outside, &engagementv1.ListMemberBadgesRequest{OrganizationId: w.org, UserId: &m.UserID}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Badges.AwardBadge(ctx, testenv.As(m, &engagementv1.AwardBadgeRequest{BadgeId: badge.GetId(), UserId: m.UserID}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	archived, err := w.a.Badges.ArchiveBadge(ctx, testenv.As(w.owner, &engagementv1.ArchiveBadgeRequest{BadgeId: badge.GetId()}))
	require.NoError(t, err)
	assert.NotNil(t, archived.Msg.GetBadge().GetArchivedAt())
	_, err = w.a.Badges.AwardBadge(ctx, testenv.As(w.owner, &engagementv1.AwardBadgeRequest{BadgeId: badge.GetId(), UserId: m.UserID}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	_, err = w.a.Badges.UpdateBadge(ctx, testenv.As(w.owner, &engagementv1.UpdateBadgeRequest{BadgeId: badge.GetId(), Name: &name}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Empty(t, w.memberBadges(t, m))

	list := func(archived bool) int {
		resp, err := w.a.Badges.ListBadges(ctx, testenv.As(m, &engagementv1.ListBadgesRequest{OrganizationId: w.org, IncludeArchived: archived}))
		require.NoError(t, err)
		return len(resp.Msg.GetBadges())
	}
	assert.Equal(t, 0, list(false), "archived badges are left out")
	assert.Equal(t, 1, list(true), "and kept")
}

func TestBadges_ThresholdBadgeIsAwardedByTheRulesJobAfterAdjustPoints(t *testing.T) {
	w := setupPoints(t, 1)
	m := w.members[0]
	badge := w.createBadge(t, &engagementv1.CreateBadgeRequest{Name: "Century", Kind: engagementv1.BadgeKind_BADGE_KIND_THRESHOLD,
		Criteria: &engagementv1.BadgeCriteria{Points: 100}, PointsValue: 10})
	_, err := w.adjust(t, m, 60)
	require.NoError(t, err)
	_, err = w.adjust(t, m, 50)
	require.NoError(t, err)

	testenv.Eventually(t, 20*time.Second, func() bool { return len(w.memberBadges(t, m)) == 1 }, "the rules job awards the badge")
	held := w.memberBadges(t, m)
	assert.Equal(t, badge.GetId(), held[0].GetBadge().GetId())
	assert.Empty(t, held[0].GetAwardedByUserId(), "an automatic award")
	testenv.Eventually(t, 10*time.Second, func() bool { return w.myPoints(t, m).GetTotalPoints() == 120 }, "the badge's points")
	time.Sleep(500 * time.Millisecond) // the badge.awarded event's own rules job must not award it again
	assert.Len(t, w.memberBadges(t, m), 1)
	assert.Equal(t, 3, w.ledgerRows(t, m.UserID))
}
