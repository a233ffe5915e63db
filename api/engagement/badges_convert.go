package engagement

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
)

// badgeKinds maps badges.kind.
var badgeKinds = rpc.NewEnum(map[engagementv1.BadgeKind]string{
	engagementv1.BadgeKind_BADGE_KIND_FIRST:     enums.BadgeFirst,
	engagementv1.BadgeKind_BADGE_KIND_THRESHOLD: enums.BadgeThreshold,
	engagementv1.BadgeKind_BADGE_KIND_STREAK:    enums.BadgeStreak,
	engagementv1.BadgeKind_BADGE_KIND_MANUAL:    enums.BadgeManual,
})

// badgeRarities maps badges.rarity.
var badgeRarities = rpc.NewEnum(map[engagementv1.BadgeRarity]string{
	engagementv1.BadgeRarity_BADGE_RARITY_COMMON:    enums.RarityCommon,
	engagementv1.BadgeRarity_BADGE_RARITY_UNCOMMON:  enums.RarityUncommon,
	engagementv1.BadgeRarity_BADGE_RARITY_RARE:      enums.RarityRare,
	engagementv1.BadgeRarity_BADGE_RARITY_EPIC:      enums.RarityEpic,
	engagementv1.BadgeRarity_BADGE_RARITY_LEGENDARY: enums.RarityLegendary,
})

// checkCriteria refuses criteria an automatic badge of kind could never be
// earned by (or a manual badge would carry for nothing), naming the field.
func checkCriteria(kind string, c db.BadgeCriteria) error {
	switch kind {
	case enums.BadgeFirst:
		if c.EventType == "" {
			return rpc.InvalidField("criteria.event_type", "a first badge needs the event type it rewards")
		}
		if c.Count > 1 || c.Points != 0 || c.Days != 0 {
			return rpc.InvalidField("criteria", "a first badge takes only event_type")
		}
	case enums.BadgeThreshold:
		if c.EventType == "" && c.Points <= 0 {
			return rpc.InvalidField("criteria.event_type", "a threshold badge needs an event type (with count) or points")
		}
		if c.EventType != "" && c.Points != 0 {
			return rpc.InvalidField("criteria.points", "a threshold badge counts events or points, not both")
		}
		if c.Days != 0 {
			return rpc.InvalidField("criteria.days", "days are for streak badges")
		}
	case enums.BadgeStreak:
		if c.Days <= 0 {
			return rpc.InvalidField("criteria.days", "a streak badge needs the days in a row it rewards")
		}
		if c.EventType != "" || c.Count != 0 || c.Points != 0 {
			return rpc.InvalidField("criteria", "a streak badge takes only days")
		}
	case enums.BadgeManual:
		if c != (db.BadgeCriteria{}) {
			return rpc.InvalidField("criteria", "a manual badge has no criteria")
		}
	}
	return nil
}

func criteriaFromProto(c *engagementv1.BadgeCriteria) db.BadgeCriteria {
	return db.BadgeCriteria{EventType: c.GetEventType(), Count: int(c.GetCount()), Points: c.GetPoints(), Days: int(c.GetDays())}
}

func badgeToProto(b *db.Badge) *engagementv1.Badge {
	out := &engagementv1.Badge{Id: b.ID.String(), OrganizationId: b.OrganizationID.String(), Name: b.Name,
		Description: b.Description, IconUrl: b.IconURL, Kind: badgeKinds.Value(b.Kind),
		Criteria: &engagementv1.BadgeCriteria{EventType: b.Criteria.EventType, Count: int32(b.Criteria.Count),
			Points: b.Criteria.Points, Days: int32(b.Criteria.Days)},
		Category: b.Category, Rarity: badgeRarities.Value(b.Rarity), PointsValue: int32(b.PointsValue),
		TimesAwarded: int32(b.TimesAwarded), CreatedAt: timestamppb.New(b.CreatedAt)}
	if b.ArchivedAt != nil {
		out.ArchivedAt = timestamppb.New(*b.ArchivedAt)
	}
	return out
}

func memberBadgeToProto(h *db.HeldBadge) *engagementv1.MemberBadge {
	out := &engagementv1.MemberBadge{UserId: h.UserID.String(), AwardedByUserId: rpc.IDString(h.AwardedBy),
		Reason: h.Reason, AwardedAt: timestamppb.New(h.CreatedAt)}
	if h.Badge != nil {
		out.Badge = badgeToProto(h.Badge)
	}
	return out
}

func memberBadgesToProto(rows []db.HeldBadge) []*engagementv1.MemberBadge {
	out := make([]*engagementv1.MemberBadge, len(rows))
	for i := range rows {
		out[i] = memberBadgeToProto(&rows[i])
	}
	return out
}
