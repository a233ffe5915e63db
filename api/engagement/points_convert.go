package engagement

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
)

// pointsTiers maps user_points.tier.
var pointsTiers = rpc.NewEnum(map[engagementv1.PointsTier]string{
	engagementv1.PointsTier_POINTS_TIER_BRONZE:   enums.TierBronze,
	engagementv1.PointsTier_POINTS_TIER_SILVER:   enums.TierSilver,
	engagementv1.PointsTier_POINTS_TIER_GOLD:     enums.TierGold,
	engagementv1.PointsTier_POINTS_TIER_PLATINUM: enums.TierPlatinum,
})

// ledgerTypes maps points_ledger.type.
var ledgerTypes = rpc.NewEnum(map[engagementv1.PointsEntryType]string{
	engagementv1.PointsEntryType_POINTS_ENTRY_TYPE_RULE:                 enums.LedgerRule,
	engagementv1.PointsEntryType_POINTS_ENTRY_TYPE_BADGE:                enums.LedgerBadge,
	engagementv1.PointsEntryType_POINTS_ENTRY_TYPE_RECOGNITION_SENT:     enums.LedgerRecognitionSent,
	engagementv1.PointsEntryType_POINTS_ENTRY_TYPE_RECOGNITION_RECEIVED: enums.LedgerRecognitionReceived,
	engagementv1.PointsEntryType_POINTS_ENTRY_TYPE_RECOGNITION_REFUND:   enums.LedgerRecognitionRefund,
	engagementv1.PointsEntryType_POINTS_ENTRY_TYPE_MODULE:               enums.LedgerModule,
	engagementv1.PointsEntryType_POINTS_ENTRY_TYPE_PATH:                 enums.LedgerPath,
	engagementv1.PointsEntryType_POINTS_ENTRY_TYPE_CHALLENGE:            enums.LedgerChallenge,
	engagementv1.PointsEntryType_POINTS_ENTRY_TYPE_QUEST:                enums.LedgerQuest,
	engagementv1.PointsEntryType_POINTS_ENTRY_TYPE_ONBOARDING:           enums.LedgerOnboarding,
	engagementv1.PointsEntryType_POINTS_ENTRY_TYPE_ACTIVITY:             enums.LedgerActivity,
	engagementv1.PointsEntryType_POINTS_ENTRY_TYPE_MANUAL:               enums.LedgerManual,
})

// memberPointsToProto shows up as of clock's day: gains of an older month
// are not this month's, and a streak whose last gain is before yesterday
// has ended.
func memberPointsToProto(up *db.UserPoints, clock orgClock) *engagementv1.MemberPoints {
	out := &engagementv1.MemberPoints{UserId: up.UserID.String(), TotalPoints: up.TotalPoints,
		LifetimePoints: up.LifetimePoints, Tier: pointsTiers.Value(up.Tier), LongestStreak: int32(up.LongestStreak)}
	if up.MonthKey.Format(time.DateOnly) == clock.month().Format(time.DateOnly) {
		out.PointsThisMonth = up.PointsThisMonth
	}
	yesterday := clock.today.AddDate(0, 0, -1).Format(time.DateOnly)
	if up.LastGainOn != nil && up.LastGainOn.Format(time.DateOnly) >= yesterday {
		out.CurrentStreak = int32(up.CurrentStreak)
	}
	return out
}

func ledgerToProto(rows []db.LedgerEntry) []*engagementv1.PointsLedgerEntry {
	out := make([]*engagementv1.PointsLedgerEntry, len(rows))
	for i := range rows {
		out[i] = ledgerEntryToProto(&rows[i])
	}
	return out
}

func ledgerEntryToProto(e *db.LedgerEntry) *engagementv1.PointsLedgerEntry {
	return &engagementv1.PointsLedgerEntry{Id: e.ID.String(), UserId: e.UserID.String(), Amount: e.Amount,
		Type: ledgerTypes.Value(e.Type), ReferenceType: rpc.Deref(e.ReferenceType), ReferenceId: rpc.Deref(e.ReferenceID),
		Reason: e.Reason, ActorUserId: rpc.IDString(e.ActorUserID), BalanceAfter: e.BalanceAfter,
		CreatedAt: timestamppb.New(e.CreatedAt)}
}
