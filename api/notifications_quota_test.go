package api_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/testenv"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
)

// TestNotificationJob_DailyQuotaRefusesTheWholeJob fills an organization's
// daily SMS/email quota to two short of the default, then asks for three
// emails (three verified members): the job is ResourceExhausted and nothing
// is stored or sent. Two emails fit exactly; in-app and push never count.
func TestNotificationJob_DailyQuotaRefusesTheWholeJob(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	limit := int64(config.Default().NotifyDailyQuota)
	owner, orgID := orgWithMembers(t, a, 4)
	var members []string
	require.NoError(t, a.DB.NewRaw(`SELECT user_id::text FROM organization_members WHERE organization_id = ? AND role = 'member' ORDER BY user_id`, mustUUID(orgID)).Scan(ctx, &members))
	_, err := a.DB.ExecContext(ctx, `UPDATE users SET email = 'q-' || id || '@example.com', email_verified_at = now() WHERE id IN (?, ?, ?)`,
		mustUUID(members[0]), mustUUID(members[1]), mustUUID(members[2]))
	require.NoError(t, err, "the fourth member has no verified email and does not count")
	_, err = a.DB.ExecContext(ctx, `INSERT INTO notification_quota_usage (organization_id, day, used) VALUES (?, (now() AT TIME ZONE 'UTC')::date, ?)`,
		mustUUID(orgID), limit-2)
	require.NoError(t, err)

	emailJob := func(userIDs ...string) *notificationsv1.CreateNotificationJobRequest {
		req := jobRequest(orgID, &notificationsv1.Audience{Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_USER_LIST, UserIds: userIDs})
		req.Channels = []notificationsv1.Channel{notificationsv1.Channel_CHANNEL_IN_APP, notificationsv1.Channel_CHANNEL_PUSH, notificationsv1.Channel_CHANNEL_EMAIL}
		return req
	}
	_, err = a.Notifications.CreateNotificationJob(ctx, testenv.As(owner, emailJob(members...)))
	testenv.RequireCode(t, err, connect.CodeResourceExhausted)
	assert.Contains(t, err.Error(), "would send 3 SMS/email messages")
	assert.Zero(t, countRows(t, a, (*db.NotificationJob)(nil), "TRUE"), "no job is stored")
	assert.Zero(t, countRows(t, a, (*db.NotificationItem)(nil), "TRUE"), "no item is created")
	used, err := db.SendQuotaUsed(ctx, a.DB, mustUUID(orgID), time.Now())
	require.NoError(t, err)
	assert.Equal(t, limit-2, used, "a refused job reserves nothing")

	resp, err := a.Notifications.CreateNotificationJob(ctx, testenv.As(owner, emailJob(members[0], members[1], members[3])))
	require.NoError(t, err, "two verified emails fit exactly")
	used, err = db.SendQuotaUsed(ctx, a.DB, mustUUID(orgID), time.Now())
	require.NoError(t, err)
	assert.Equal(t, limit, used)
	awaitJob(t, a, owner, resp.Msg.GetJob().GetId(), notificationsv1.JobStatus_JOB_STATUS_COMPLETED, time.Minute)
	assert.Equal(t, 2, a.Email.Count())

	pushOnly := jobRequest(orgID, membersOf(orgID))
	pushOnly.Channels = []notificationsv1.Channel{notificationsv1.Channel_CHANNEL_IN_APP, notificationsv1.Channel_CHANNEL_PUSH}
	_, err = a.Notifications.CreateNotificationJob(ctx, testenv.As(owner, pushOnly))
	require.NoError(t, err, "in-app and push are not counted")
}
