package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	socialv1 "github.com/convene/convene/proto/convene/social/v1"
	"github.com/convene/convene/proto/convene/social/v1/socialv1connect"
)

// RatingService and ModerationService in both matrices. A's rows, written
// straight in the database (groups and chat are other topics'): a user
// with an open event ban at A's free event and a lifted group ban, a group
// of that event with one message of A's owner, and a dismissed report. So
// the input matrix's writes all fail for a business reason: a rating of
// someone who did not attend, a ban that exists, a lifted ban, a report of
// one's own message, a report of someone never met, a closed report.
const (
	fxTrustBanned    = "@trustBanned"
	fxTrustOpenBan   = "@trustOpenBan"
	fxTrustLiftedBan = "@trustLiftedBan"
	fxTrustMessage   = "@trustMessage"
	fxTrustReport    = "@trustReport"
)

func init() {
	future := timestamppb.New(time.Now().Add(30 * 24 * time.Hour))
	matrixTopics = append(matrixTopics, matrixTopic{
		name:  "social trust",
		build: buildTrustTopic,
		tenant: []tenantCase{
			{socialv1connect.RatingServiceRateUserProcedure, refused, &socialv1.RateUserRequest{EventId: fxFreeEvent, RatedUserId: fxMemberA, Rating: 5}},
			{socialv1connect.RatingServiceListPeopleToRateProcedure, scoped, &socialv1.ListPeopleToRateRequest{EventId: fxFreeEvent}},
			{socialv1connect.ModerationServiceBanUserProcedure, hidden, &socialv1.BanUserRequest{UserId: fxMemberA,
				Scope: socialv1.BanScope_BAN_SCOPE_EVENT, TargetId: fxFreeEvent}},
			{socialv1connect.ModerationServiceUnbanUserProcedure, hidden, &socialv1.UnbanUserRequest{BanId: fxTrustOpenBan}},
			{socialv1connect.ModerationServiceListBansProcedure, hidden, &socialv1.ListBansRequest{Scope: socialv1.BanScope_BAN_SCOPE_EVENT,
				TargetId: fxFreeEvent}},
			{socialv1connect.ModerationServiceReportMessageProcedure, hidden, &socialv1.ReportMessageRequest{MessageId: fxTrustMessage, Reason: "spam"}},
			{socialv1connect.ModerationServiceReportUserProcedure, hidden, &socialv1.ReportUserRequest{UserId: fxMemberA, EventId: fxFreeEvent,
				Reason: "rude"}},
			{socialv1connect.ModerationServiceListReportsProcedure, hidden, &socialv1.ListReportsRequest{EventId: fxFreeEvent}},
			{socialv1connect.ModerationServiceResolveReportProcedure, hidden, &socialv1.ResolveReportRequest{ReportId: fxTrustReport,
				Status: socialv1.ReportStatus_REPORT_STATUS_ACTIONED}},
		},
		input: []inputCase{
			{socialv1connect.RatingServiceRateUserProcedure, asBuyerA, &socialv1.RateUserRequest{EventId: fxFreeEvent, RatedUserId: fxMemberA,
				Rating: 5, Comment: "c"}},
			{socialv1connect.RatingServiceListPeopleToRateProcedure, asBuyerA, &socialv1.ListPeopleToRateRequest{EventId: fxFreeEvent}},
			{socialv1connect.RatingServiceGetReputationProcedure, asOwnerB, &socialv1.GetReputationRequest{UserId: fxMemberA}},
			{socialv1connect.ModerationServiceBanUserProcedure, asOwnerA, &socialv1.BanUserRequest{UserId: fxTrustBanned,
				Scope: socialv1.BanScope_BAN_SCOPE_EVENT, TargetId: fxFreeEvent, Reason: "r", ExpiresAt: future}},
			{socialv1connect.ModerationServiceUnbanUserProcedure, asOwnerA, &socialv1.UnbanUserRequest{BanId: fxTrustLiftedBan}},
			{socialv1connect.ModerationServiceListBansProcedure, asOwnerA, &socialv1.ListBansRequest{Scope: socialv1.BanScope_BAN_SCOPE_EVENT,
				TargetId: fxFreeEvent, PageSize: 10}},
			{socialv1connect.ModerationServiceReportMessageProcedure, asOwnerA, &socialv1.ReportMessageRequest{MessageId: fxTrustMessage, Reason: "spam"}},
			{socialv1connect.ModerationServiceReportUserProcedure, asOwnerB, &socialv1.ReportUserRequest{UserId: fxMemberA, EventId: fxFreeEvent,
				Reason: "rude"}},
			{socialv1connect.ModerationServiceListReportsProcedure, asOwnerA, &socialv1.ListReportsRequest{
				Status: socialv1.ReportStatus_REPORT_STATUS_OPEN, EventId: fxFreeEvent, PageSize: 10}},
			{socialv1connect.ModerationServiceResolveReportProcedure, asOwnerA, &socialv1.ResolveReportRequest{ReportId: fxTrustReport,
				Status: socialv1.ReportStatus_REPORT_STATUS_DISMISSED, Note: "n"}},
		},
		free: map[string]string{
			socialv1connect.RatingServiceGetReputationProcedure: "a user's reputation is public: no tenant's row",
		},
	})
}

// buildTrustTopic writes A's moderation rows at A's free event.
func buildTrustTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	ctx := context.Background()
	banned := f.a.NewUser(t, newPhone())
	group, message, openBan, liftedBan, report := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO groups (id, event_id, created_by, name, member_count, last_seq) VALUES (?, ?, ?, 'Matrix group', 1, 1)`,
			[]any{group, f.freeEvent, f.ownerA.UserID}},
		{`INSERT INTO group_members (group_id, user_id, is_admin) VALUES (?, ?, true)`, []any{group, f.ownerA.UserID}},
		{`INSERT INTO group_messages (id, group_id, sender_id, client_message_id, content, seq, change_seq) VALUES (?, ?, ?, 'm1', 'hello', 1, 1)`,
			[]any{message, group, f.ownerA.UserID}},
		{`INSERT INTO user_bans (id, user_id, scope, event_id, banned_by) VALUES (?, ?, 'event', ?, ?)`,
			[]any{openBan, banned.UserID, f.freeEvent, f.ownerA.UserID}},
		{`INSERT INTO user_bans (id, user_id, scope, group_id, banned_by, lifted_at, lifted_by) VALUES (?, ?, 'group', ?, ?, now(), ?)`,
			[]any{liftedBan, banned.UserID, group, f.ownerA.UserID, f.ownerA.UserID}},
		{`INSERT INTO reports (id, reporter_id, target_type, reported_user_id, event_id, reason, status, resolved_by, resolved_at)
			VALUES (?, ?, 'user', ?, ?, 'rude', 'dismissed', ?, now())`,
			[]any{report, f.buyerA.UserID, banned.UserID, f.freeEvent, f.ownerA.UserID}},
	} {
		_, err := f.a.DB.ExecContext(ctx, stmt.sql, stmt.args...)
		require.NoError(t, err, stmt.sql)
	}
	return map[string]string{fxTrustBanned: banned.UserID, fxTrustOpenBan: openBan.String(), fxTrustLiftedBan: liftedBan.String(),
		fxTrustMessage: message.String(), fxTrustReport: report.String()}
}
