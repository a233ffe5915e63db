package api_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
	"github.com/convene/convene/proto/convene/social/v1/socialv1connect"
)

// group creates a group of the world's event with the host as its admin
// and members, straight in the database (GroupService is another topic's).
func (w *trustWorld) group(t *testing.T, members ...testenv.Session) string {
	t.Helper()
	hostID := uuid.MustParse(w.host.UserID)
	g := &db.Group{ID: uuid.New(), EventID: uuid.MustParse(w.event), CreatedBy: &hostID, Name: "After party", MaxMembers: 10}
	err := w.a.DB.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
			return err
		}
		if err := db.AddGroupMember(ctx, tx, g.ID, hostID, true); err != nil {
			return err
		}
		for _, m := range members {
			if err := db.AddGroupMember(ctx, tx, g.ID, uuid.MustParse(m.UserID), false); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	return g.ID.String()
}

func (w *trustWorld) ban(as testenv.Session, user string, scope socialv1.BanScope, target string) (*socialv1.BanUserResponse, error) {
	resp, err := w.moderation.BanUser(context.Background(), testenv.As(as, &socialv1.BanUserRequest{UserId: user, Scope: scope,
		TargetId: target, Reason: "harassment"}))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

// barred reports whether a ban bars the user from the group now, as
// JoinGroup and SendMessage check it.
func (w *trustWorld) barred(t *testing.T, user, group string) bool {
	t.Helper()
	ban, err := db.ActiveBan(context.Background(), w.a.DB, uuid.MustParse(user), uuid.MustParse(w.event), uuid.MustParse(group), time.Now())
	require.NoError(t, err)
	return ban != nil
}

func TestModeration_GroupBanDropsTheMemberAndBars(t *testing.T) {
	w := newTrustWorld(t)
	member, other := w.attendee(t), w.attendee(t)
	group := w.group(t, member, other)

	resp, err := w.ban(w.host, member.UserID, socialv1.BanScope_BAN_SCOPE_GROUP, group)
	require.NoError(t, err)
	assert.Equal(t, []string{group}, resp.GetRemovedFromGroupIds())
	assert.Equal(t, 0, tableRows(t, w.a, "group_members", "group_id = ? AND user_id = ?", group, member.UserID))
	assert.Equal(t, 2, w.groupCount(t, group), "the place is freed: the host and the other member remain")
	assert.True(t, w.barred(t, member.UserID, group))
	assert.False(t, w.barred(t, other.UserID, group))
	assert.Equal(t, 1, tableRows(t, w.a, "audit_logs", "object_type = 'user_ban' AND object_id = ?", resp.GetBan().GetId()))

	_, err = w.ban(w.host, member.UserID, socialv1.BanScope_BAN_SCOPE_GROUP, group)
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)
	_, err = w.ban(other, w.host.UserID, socialv1.BanScope_BAN_SCOPE_GROUP, group)
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	list, err := w.moderation.ListBans(context.Background(), testenv.As(w.host, &socialv1.ListBansRequest{
		Scope: socialv1.BanScope_BAN_SCOPE_GROUP, TargetId: group}))
	require.NoError(t, err)
	require.Len(t, list.Msg.GetBans(), 1)
	assert.Equal(t, member.UserID, list.Msg.GetBans()[0].GetUserId())

	_, err = w.moderation.UnbanUser(context.Background(), testenv.As(w.host, &socialv1.UnbanUserRequest{BanId: resp.GetBan().GetId()}))
	require.NoError(t, err)
	assert.False(t, w.barred(t, member.UserID, group), "a lifted ban no longer bars")
	_, err = w.moderation.UnbanUser(context.Background(), testenv.As(w.host, &socialv1.UnbanUserRequest{BanId: resp.GetBan().GetId()}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
}

func TestModeration_EventBanWithdrawsPendingRequestsAndInvites(t *testing.T) {
	w := newTrustWorld(t)
	banned, bystander := w.attendee(t), w.attendee(t)
	asked, invited := w.group(t), w.group(t)
	bannedID, bystanderID := uuid.MustParse(banned.UserID), uuid.MustParse(bystander.UserID)
	err := w.a.DB.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		for _, r := range []*db.GroupJoinRequest{{GroupID: uuid.MustParse(asked), UserID: bannedID},
			{GroupID: uuid.MustParse(asked), UserID: bystanderID}} {
			if err := db.InsertJoinRequest(ctx, tx, r); err != nil {
				return err
			}
		}
		return db.InsertGroupInvite(ctx, tx, &db.GroupInvite{GroupID: uuid.MustParse(invited), UserID: bannedID})
	})
	require.NoError(t, err)

	_, err = w.ban(w.host, banned.UserID, socialv1.BanScope_BAN_SCOPE_EVENT, w.event)
	require.NoError(t, err)
	assert.Equal(t, 0, tableRows(t, w.a, "group_join_requests", "user_id = ? AND status = 'pending'", banned.UserID))
	assert.Equal(t, 1, tableRows(t, w.a, "group_join_requests", "user_id = ? AND status = 'cancelled'", banned.UserID))
	assert.Equal(t, 0, tableRows(t, w.a, "group_invites", "user_id = ? AND status = 'pending'", banned.UserID))
	assert.Equal(t, 1, tableRows(t, w.a, "group_invites", "user_id = ? AND status = 'cancelled'", banned.UserID))
	assert.Equal(t, 1, tableRows(t, w.a, "group_join_requests", "user_id = ? AND status = 'pending'", bystander.UserID),
		"someone else's request stays in the queue")

	queue, err := socialv1connect.NewGroupServiceClient(w.a.HTTP, w.a.URL).ListJoinRequests(context.Background(), testenv.As(w.host, &socialv1.ListJoinRequestsRequest{GroupId: asked}))
	require.NoError(t, err)
	require.Len(t, queue.Msg.GetJoinRequests(), 1)
	assert.Equal(t, bystander.UserID, queue.Msg.GetJoinRequests()[0].GetUserId())
}

func (w *trustWorld) groupCount(t *testing.T, group string) int {
	t.Helper()
	var n int
	require.NoError(t, w.a.DB.QueryRowContext(context.Background(), `SELECT member_count FROM groups WHERE id = ?`, group).Scan(&n))
	return n
}

func TestModeration_WhoMayBanWhere(t *testing.T) {
	w := newTrustWorld(t)
	member, other := w.attendee(t), w.attendee(t)
	group := w.group(t, member, other)
	otherHost := w.a.NewUser(t, newPhone())
	otherEvent := publishEvent(t, w.a, otherHost, eventInput(w.a)).GetId()
	staff := w.a.NewUser(t, newPhone())
	_, err := w.a.DB.ExecContext(context.Background(), `UPDATE users SET is_staff = true WHERE id = ?`, staff.UserID)
	require.NoError(t, err)

	refusals := []struct {
		name   string
		as     testenv.Session
		scope  socialv1.BanScope
		target string
		code   connect.Code
	}{
		{"the host of another event bans from this one", otherHost, socialv1.BanScope_BAN_SCOPE_EVENT, w.event, connect.CodePermissionDenied},
		{"a host bans from the platform", w.host, socialv1.BanScope_BAN_SCOPE_PLATFORM, "", connect.CodePermissionDenied},
		{"a member bans from their group", other, socialv1.BanScope_BAN_SCOPE_GROUP, group, connect.CodePermissionDenied},
		{"an event ban without the event", w.host, socialv1.BanScope_BAN_SCOPE_EVENT, "", connect.CodeInvalidArgument},
		{"a platform ban naming a target", staff, socialv1.BanScope_BAN_SCOPE_PLATFORM, otherEvent, connect.CodeInvalidArgument},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.ban(tc.as, member.UserID, tc.scope, tc.target)
			testenv.RequireCode(t, err, tc.code)
		})
	}
	assert.Equal(t, 0, tableRows(t, w.a, "user_bans", "user_id = ?", member.UserID), "refusals write nothing")
	assert.Equal(t, 3, w.groupCount(t, group), "refusals remove nobody")

	resp, err := w.ban(w.host, member.UserID, socialv1.BanScope_BAN_SCOPE_EVENT, w.event)
	require.NoError(t, err)
	assert.Equal(t, []string{group}, resp.GetRemovedFromGroupIds(), "an event ban drops the event's groups")
	_, err = w.ban(staff, w.host.UserID, socialv1.BanScope_BAN_SCOPE_PLATFORM, "")
	require.NoError(t, err)
	assert.Equal(t, 0, tableRows(t, w.a, "group_members", "user_id = ?", w.host.UserID), "a platform ban drops every group")
}

func TestModeration_ExpiredBanNoLongerBars(t *testing.T) {
	w := newTrustWorld(t)
	member := w.attendee(t)
	group := w.group(t, member)
	_, err := w.a.DB.ExecContext(context.Background(), `INSERT INTO user_bans (id, user_id, scope, group_id, banned_by, expires_at, created_at)
		VALUES (?, ?, 'group', ?, ?, now() - interval '1 hour', now() - interval '2 hours')`, uuid.New(), member.UserID, group, w.host.UserID)
	require.NoError(t, err)
	assert.False(t, w.barred(t, member.UserID, group))

	_, err = w.moderation.BanUser(context.Background(), testenv.As(w.host, &socialv1.BanUserRequest{UserId: member.UserID,
		Scope: socialv1.BanScope_BAN_SCOPE_GROUP, TargetId: group, ExpiresAt: timestamppb.New(time.Now().Add(-time.Minute))}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	_, err = w.moderation.BanUser(context.Background(), testenv.As(w.host, &socialv1.BanUserRequest{UserId: member.UserID,
		Scope: socialv1.BanScope_BAN_SCOPE_GROUP, TargetId: group, ExpiresAt: timestamppb.New(time.Now().Add(time.Hour))}))
	require.NoError(t, err, "the expired ban does not block a new one")
	assert.True(t, w.barred(t, member.UserID, group))
}

func TestModeration_ReportOpenResolveListed(t *testing.T) {
	w := newTrustWorld(t)
	reporter, reported := w.attendee(t), w.attendee(t)
	stranger := w.a.NewUser(t, newPhone())
	ctx := context.Background()

	_, err := w.moderation.ReportUser(ctx, testenv.As(stranger, &socialv1.ReportUserRequest{UserId: reported.UserID, Reason: "rude"}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.moderation.ReportUser(ctx, testenv.As(reporter, &socialv1.ReportUserRequest{UserId: reported.UserID, EventId: w.event, Reason: "  "}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	rep, err := w.moderation.ReportUser(ctx, testenv.As(reporter, &socialv1.ReportUserRequest{UserId: reported.UserID, EventId: w.event, Reason: "rude"}))
	require.NoError(t, err)
	_, err = w.moderation.ReportUser(ctx, testenv.As(reporter, &socialv1.ReportUserRequest{UserId: reported.UserID, EventId: w.event, Reason: "again"}))
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)

	listed := func(status socialv1.ReportStatus) []*socialv1.Report {
		resp, err := w.moderation.ListReports(ctx, testenv.As(w.host, &socialv1.ListReportsRequest{EventId: w.event, Status: status}))
		require.NoError(t, err)
		return resp.Msg.GetReports()
	}
	require.Len(t, listed(socialv1.ReportStatus_REPORT_STATUS_OPEN), 1)
	_, err = w.moderation.ListReports(ctx, testenv.As(reporter, &socialv1.ListReportsRequest{EventId: w.event}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.moderation.ResolveReport(ctx, testenv.As(reporter, &socialv1.ResolveReportRequest{ReportId: rep.Msg.GetReport().GetId(),
		Status: socialv1.ReportStatus_REPORT_STATUS_DISMISSED}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	resolved, err := w.moderation.ResolveReport(ctx, testenv.As(w.host, &socialv1.ResolveReportRequest{ReportId: rep.Msg.GetReport().GetId(),
		Status: socialv1.ReportStatus_REPORT_STATUS_ACTIONED, Note: "warned"}))
	require.NoError(t, err)
	assert.Equal(t, w.host.UserID, resolved.Msg.GetReport().GetResolvedBy())
	_, err = w.moderation.ResolveReport(ctx, testenv.As(w.host, &socialv1.ResolveReportRequest{ReportId: rep.Msg.GetReport().GetId(),
		Status: socialv1.ReportStatus_REPORT_STATUS_DISMISSED}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Empty(t, listed(socialv1.ReportStatus_REPORT_STATUS_OPEN))
	actioned := listed(socialv1.ReportStatus_REPORT_STATUS_ACTIONED)
	require.Len(t, actioned, 1)
	assert.Equal(t, "warned", actioned[0].GetResolutionNote())

	_, err = w.moderation.ReportUser(ctx, testenv.As(reporter, &socialv1.ReportUserRequest{UserId: reported.UserID, EventId: w.event, Reason: "again"}))
	require.NoError(t, err, "a resolved report leaves room for a new one")
}

func TestModeration_ReportMessage(t *testing.T) {
	w := newTrustWorld(t)
	sender, reader := w.attendee(t), w.attendee(t)
	outsider := w.attendee(t)
	group := w.group(t, sender, reader)
	msgID := uuid.New()
	_, err := w.a.DB.ExecContext(context.Background(), `INSERT INTO group_messages (id, group_id, sender_id, client_message_id, content, seq, change_seq)
		VALUES (?, ?, ?, 'c1', 'hello', 1, 1)`, msgID, group, sender.UserID)
	require.NoError(t, err)
	report := func(as testenv.Session) (*socialv1.Report, error) {
		resp, err := w.moderation.ReportMessage(context.Background(), testenv.As(as, &socialv1.ReportMessageRequest{MessageId: msgID.String(), Reason: "spam"}))
		if err != nil {
			return nil, err
		}
		return resp.Msg.GetReport(), nil
	}

	_, err = report(outsider)
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = report(sender)
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	rep, err := report(reader)
	require.NoError(t, err)
	assert.Equal(t, sender.UserID, rep.GetReportedUserId())
	assert.Equal(t, group, rep.GetGroupId())
	_, err = report(reader)
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)

	resp, err := w.moderation.ListReports(context.Background(), testenv.As(w.host, &socialv1.ListReportsRequest{GroupId: group}))
	require.NoError(t, err)
	require.Len(t, resp.Msg.GetReports(), 1)
}
