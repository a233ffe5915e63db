package api_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
)

// notify writes one inbox row for s, committed on its own.
func notify(t *testing.T, a *testenv.API, s testenv.Session, title string) *db.Notification {
	t.Helper()
	n := &db.Notification{RecipientUserID: mustUUID(s.UserID), Type: "test", Title: title, Message: title + " body"}
	require.NoError(t, db.Notify(context.Background(), a.DB, n))
	return n
}

func inboxTitles(t *testing.T, a *testenv.API, s testenv.Session, req *notificationsv1.ListMyNotificationsRequest) []string {
	t.Helper()
	resp, err := a.Notifications.ListMyNotifications(context.Background(), testenv.As(s, req))
	require.NoError(t, err)
	var titles []string
	for _, n := range resp.Msg.GetNotifications() {
		titles = append(titles, n.GetTitle())
	}
	return titles
}

func unread(t *testing.T, a *testenv.API, s testenv.Session) int64 {
	t.Helper()
	resp, err := a.Notifications.UnreadCount(context.Background(), testenv.As(s, &notificationsv1.UnreadCountRequest{}))
	require.NoError(t, err)
	return resp.Msg.GetCount()
}

func TestNotifications_InboxIsPerUser(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	alice, bob := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	first := notify(t, a, alice, "a1")
	notify(t, a, alice, "a2")
	notify(t, a, alice, "a3")
	bobs := notify(t, a, bob, "b1")

	assert.Equal(t, []string{"a3", "a2", "a1"}, inboxTitles(t, a, alice, &notificationsv1.ListMyNotificationsRequest{}), "newest first")
	assert.Equal(t, []string{"b1"}, inboxTitles(t, a, bob, &notificationsv1.ListMyNotificationsRequest{}))
	page, err := a.Notifications.ListMyNotifications(ctx, testenv.As(alice, &notificationsv1.ListMyNotificationsRequest{PageSize: 2}))
	require.NoError(t, err)
	require.Len(t, page.Msg.GetNotifications(), 2)
	require.NotEmpty(t, page.Msg.GetNextPageToken())
	assert.Equal(t, []string{"a1"}, inboxTitles(t, a, alice, &notificationsv1.ListMyNotificationsRequest{PageSize: 2, PageToken: page.Msg.GetNextPageToken()}))
	assert.EqualValues(t, 3, unread(t, a, alice))

	markRead := func(s testenv.Session, ids ...string) int64 {
		resp, err := a.Notifications.MarkRead(ctx, testenv.As(s, &notificationsv1.MarkReadRequest{NotificationIds: ids}))
		require.NoError(t, err)
		return resp.Msg.GetUpdated()
	}
	assert.EqualValues(t, 0, markRead(alice, bobs.ID.String()), "another user's notification is not touched")
	assert.EqualValues(t, 1, unread(t, a, bob))
	assert.EqualValues(t, 1, markRead(alice, first.ID.String()))
	assert.EqualValues(t, 0, markRead(alice, first.ID.String()), "already read")

	assert.Equal(t, []string{"a3", "a2"}, inboxTitles(t, a, alice, &notificationsv1.ListMyNotificationsRequest{UnreadOnly: true}))
	all, err := a.Notifications.ListMyNotifications(ctx, testenv.As(alice, &notificationsv1.ListMyNotificationsRequest{}))
	require.NoError(t, err)
	read := all.Msg.GetNotifications()[2]
	assert.True(t, read.GetIsRead())
	assert.NotNil(t, read.GetReadAt())
	assert.Nil(t, all.Msg.GetNotifications()[0].GetReadAt())

	marked, err := a.Notifications.MarkAllRead(ctx, testenv.As(alice, &notificationsv1.MarkAllReadRequest{}))
	require.NoError(t, err)
	assert.EqualValues(t, 2, marked.Msg.GetUpdated())
	assert.EqualValues(t, 0, unread(t, a, alice))
	assert.EqualValues(t, 1, unread(t, a, bob), "MarkAllRead is the caller's only")
}

func TestWatchNotifications_StreamsOnlyTheCallersNewNotifications(t *testing.T) {
	a := setup(t)
	alice, bob := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	notify(t, a, alice, "before the watch")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := a.Notifications.WatchNotifications(ctx, testenv.As(alice, &notificationsv1.WatchNotificationsRequest{}))
	require.NoError(t, err)
	stream.ResponseHeader() // the server has taken its cursor
	got := make(chan *notificationsv1.Notification, 10)
	go func() {
		defer close(got)
		for stream.Receive() {
			got <- stream.Msg().GetNotification()
		}
	}()

	notify(t, a, bob, "for bob")
	want := notify(t, a, alice, "for alice")
	select {
	case n, ok := <-got:
		require.True(t, ok, "stream ended: %v", stream.Err())
		assert.Equal(t, want.ID.String(), n.GetId(), "neither bob's nor the older notification is delivered")
		assert.Equal(t, "for alice", n.GetTitle())
	case <-time.After(5 * time.Second):
		t.Fatal("the new notification was not streamed within 5s")
	}
	cancel()
	for range got {
	}
}

func TestPreferences_RoundTripValidationAndDevices(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	u := a.NewUser(t, newPhone())

	got, err := a.Notifications.GetPreferences(ctx, testenv.As(u, &notificationsv1.GetPreferencesRequest{}))
	require.NoError(t, err)
	assert.Empty(t, got.Msg.GetPreferences().GetEntries())
	assert.Nil(t, got.Msg.GetPreferences().GetQuietHours())

	quiet := &notificationsv1.QuietHours{Start: "22:00", End: "07:00", Timezone: "Asia/Kolkata"}
	_, err = a.Notifications.UpdatePreferences(ctx, testenv.As(u, &notificationsv1.UpdatePreferencesRequest{
		Entries: []*notificationsv1.PreferenceEntry{
			{Category: "marketing", Channel: notificationsv1.Channel_CHANNEL_EMAIL, Enabled: false},
			{Category: "event_updates", Channel: notificationsv1.Channel_CHANNEL_PUSH, Enabled: true},
		},
		QuietHours: quiet,
	}))
	require.NoError(t, err)
	updated, err := a.Notifications.UpdatePreferences(ctx, testenv.As(u, &notificationsv1.UpdatePreferencesRequest{
		Entries: []*notificationsv1.PreferenceEntry{{Category: "marketing", Channel: notificationsv1.Channel_CHANNEL_EMAIL, Enabled: true}},
	}))
	require.NoError(t, err)
	prefs := updated.Msg.GetPreferences()
	require.Len(t, prefs.GetEntries(), 2, "an entry replaces the one of its category and channel")
	assert.Equal(t, "event_updates", prefs.GetEntries()[0].GetCategory())
	assert.Equal(t, "marketing", prefs.GetEntries()[1].GetCategory())
	assert.True(t, prefs.GetEntries()[1].GetEnabled())
	assert.Equal(t, notificationsv1.Channel_CHANNEL_EMAIL, prefs.GetEntries()[1].GetChannel())
	assert.Equal(t, quiet.GetTimezone(), prefs.GetQuietHours().GetTimezone(), "quiet hours are kept when not given")
	assert.Equal(t, "22:00", prefs.GetQuietHours().GetStart())

	_, err = a.Notifications.UpdatePreferences(ctx, testenv.As(u, &notificationsv1.UpdatePreferencesRequest{
		QuietHours: &notificationsv1.QuietHours{Start: "23:00", End: "06:00", Timezone: "Mars/Olympus_Mons"},
	}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	assert.Contains(t, err.Error(), "quiet_hours.timezone")

	cleared, err := a.Notifications.UpdatePreferences(ctx, testenv.As(u, &notificationsv1.UpdatePreferencesRequest{ClearQuietHours: true}))
	require.NoError(t, err)
	assert.Nil(t, cleared.Msg.GetPreferences().GetQuietHours())
	got, err = a.Notifications.GetPreferences(ctx, testenv.As(u, &notificationsv1.GetPreferencesRequest{}))
	require.NoError(t, err)
	assert.Nil(t, got.Msg.GetPreferences().GetQuietHours())
	assert.Len(t, got.Msg.GetPreferences().GetEntries(), 2)

	register := func(token string) string {
		resp, err := a.Notifications.RegisterDevice(ctx, testenv.As(u, &notificationsv1.RegisterDeviceRequest{
			Token: token, Platform: notificationsv1.DevicePlatform_DEVICE_PLATFORM_ANDROID}))
		require.NoError(t, err)
		return resp.Msg.GetDeviceId()
	}
	id := register("fcm-token-1")
	assert.Equal(t, id, register("fcm-token-1"), "the same token is the same device")
	assert.NotEqual(t, id, register("fcm-token-2"))
}

// jobOrg is an organization with people in each role, for job tests.
type jobOrg struct {
	org                  *identityv1.Organization
	owner, admin, member testenv.Session
	otherOrg             *identityv1.Organization
	otherOwner, outsider testenv.Session
}

func newJobOrg(t *testing.T, a *testenv.API) jobOrg {
	t.Helper()
	o := jobOrg{owner: a.NewUser(t, newPhone()), admin: a.NewUser(t, newPhone()), member: a.NewUser(t, newPhone()),
		otherOwner: a.NewUser(t, newPhone()), outsider: a.NewUser(t, newPhone())}
	o.org = createOrg(t, a, o.owner, "job-org")
	o.otherOrg = createOrg(t, a, o.otherOwner, "other-org")
	addAndAccept(t, a, o.owner, o.org.GetId(), o.admin, identityv1.OrganizationRole_ORGANIZATION_ROLE_ADMIN)
	addAndAccept(t, a, o.owner, o.org.GetId(), o.member, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	return o
}

func membersOf(orgID string, roles ...string) *notificationsv1.Audience {
	return &notificationsv1.Audience{Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_ORGANIZATION_MEMBERS, OrganizationId: orgID, Roles: roles}
}

func jobRequest(orgID string, include ...*notificationsv1.Audience) *notificationsv1.CreateNotificationJobRequest {
	return &notificationsv1.CreateNotificationJobRequest{OrganizationId: orgID, Criteria: &notificationsv1.Criteria{Include: include},
		Channels: []notificationsv1.Channel{notificationsv1.Channel_CHANNEL_IN_APP}, Category: "announcements",
		Title: "Doors open at seven", Body: "See you at the venue."}
}

func makeStaff(t *testing.T, a *testenv.API, s testenv.Session) {
	t.Helper()
	_, err := a.DB.NewUpdate().Model((*db.User)(nil)).Set("is_staff = true").Where("id = ?", mustUUID(s.UserID)).Exec(context.Background())
	require.NoError(t, err)
}

func TestCreateNotificationJob_AuthorizationAndValidation(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	o := newJobOrg(t, a)
	staff := a.NewUser(t, newPhone())
	makeStaff(t, a, staff)
	orgID, otherID := o.org.GetId(), o.otherOrg.GetId()
	audits := auditCount(t, a)

	tests := []struct {
		name    string
		by      testenv.Session
		req     *notificationsv1.CreateNotificationJobRequest
		want    connect.Code
		mention string
	}{
		{"a member is not an admin", o.member, jobRequest(orgID, membersOf(orgID)), connect.CodePermissionDenied, ""},
		{"admin targeting another org's members", o.admin, jobRequest(orgID, membersOf(otherID)), connect.CodePermissionDenied,
			"criteria.include[0].organization_id"},
		{"admin sending for another org", o.admin, jobRequest(otherID, membersOf(otherID)), connect.CodePermissionDenied, ""},
		{"admin using all_users", o.admin, jobRequest(orgID, membersOf(orgID),
			&notificationsv1.Audience{Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_ALL_USERS}), connect.CodePermissionDenied, "criteria.include[1]"},
		{"admin without an organization", o.admin, jobRequest("", membersOf(orgID)), connect.CodePermissionDenied, ""},
		{"organization_members without organization_id", o.admin, jobRequest(orgID, membersOf("")), connect.CodeInvalidArgument,
			"criteria.include[0].organization_id"},
		{"a field the kind does not use", o.admin, jobRequest(orgID, &notificationsv1.Audience{
			Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_ORGANIZATION_MEMBERS, OrganizationId: orgID, InterestSlug: "music"}),
			connect.CodeInvalidArgument, "criteria.include[0].interest_slug"},
		{"unknown interest", staff, jobRequest("", &notificationsv1.Audience{
			Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_INTEREST, InterestSlug: "no-such-interest"}),
			connect.CodeInvalidArgument, "criteria.include[0].interest_slug"},
		{"attendee status that does not exist", o.admin, jobRequest(orgID, &notificationsv1.Audience{
			Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_EVENT_ATTENDEES, EventId: db.NewID().String(), Statuses: []string{"accepted"}}),
			connect.CodeInvalidArgument, "criteria.include[0].statuses[0]"},
		{"user list with an outsider", o.admin, jobRequest(orgID, &notificationsv1.Audience{
			Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_USER_LIST, UserIds: []string{o.member.UserID, o.outsider.UserID}}),
			connect.CodePermissionDenied, "criteria.include[0].user_ids[1]"},
		{"exclusions are scoped too", o.admin, &notificationsv1.CreateNotificationJobRequest{OrganizationId: orgID,
			Criteria: &notificationsv1.Criteria{Include: []*notificationsv1.Audience{membersOf(orgID)}, Exclude: []*notificationsv1.Audience{membersOf(otherID)}},
			Channels: []notificationsv1.Channel{notificationsv1.Channel_CHANNEL_IN_APP}, Category: "announcements", Title: "t", Body: "b"},
			connect.CodePermissionDenied, "criteria.exclude[0].organization_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Notifications.CreateNotificationJob(ctx, testenv.As(tc.by, tc.req))
			testenv.RequireCode(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.mention)
		})
	}
	assert.Zero(t, countRows(t, a, (*db.NotificationJob)(nil), "TRUE"), "no refused request creates a job")
	assert.Equal(t, audits, auditCount(t, a), "nor an audit row")
}

func TestNotificationJob_DeliversToOrganizationMembers(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	owner := a.NewUser(t, newPhone())
	org := createOrg(t, a, owner, "delivery-org")
	var members []testenv.Session
	for range 3 {
		m := a.NewUser(t, newPhone())
		addAndAccept(t, a, owner, org.GetId(), m, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
		members = append(members, m)
	}

	req := jobRequest(org.GetId(), membersOf(org.GetId(), "member"))
	req.Title, req.Variables = "Doors open at {{time}}", map[string]string{"time": "seven"}
	req.ScheduledAt = timestamppb.Now()
	created, err := a.Notifications.CreateNotificationJob(ctx, testenv.As(owner, req))
	require.NoError(t, err)
	job := created.Msg.GetJob()
	assert.Equal(t, notificationsv1.JobStatus_JOB_STATUS_SCHEDULED, job.GetStatus())

	var last *notificationsv1.NotificationJob
	testenv.Eventually(t, 30*time.Second, func() bool {
		resp, err := a.Notifications.GetNotificationJob(ctx, testenv.As(owner, &notificationsv1.GetNotificationJobRequest{JobId: job.GetId()}))
		require.NoError(t, err)
		last = resp.Msg.GetJob()
		return last.GetStatus() == notificationsv1.JobStatus_JOB_STATUS_COMPLETED
	}, "job %s never completed", job.GetId())
	assert.EqualValues(t, 3, last.GetProgress().GetSent())
	assert.EqualValues(t, 3, last.GetProgress().GetResolved())

	for _, m := range members {
		assert.Equal(t, []string{"Doors open at seven", "You are invited to Org delivery-org"},
			inboxTitles(t, a, m, &notificationsv1.ListMyNotificationsRequest{}), "rendered, above the invitation they accepted")
	}
	report, err := a.Notifications.ListMyNotifications(ctx, testenv.As(owner, &notificationsv1.ListMyNotificationsRequest{}))
	require.NoError(t, err)
	require.Len(t, report.Msg.GetNotifications(), 1, "the creator is not a recipient, only gets the report")
	assert.Equal(t, "notification_job_report", report.Msg.GetNotifications()[0].GetType())
	assert.Equal(t, job.GetId(), report.Msg.GetNotifications()[0].GetReferenceId())
}

func TestCancelNotificationJob_BeforeItIsSent(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	o := newJobOrg(t, a)
	req := jobRequest(o.org.GetId(), membersOf(o.org.GetId()))
	req.ScheduledAt = timestamppb.New(time.Now().Add(time.Hour))
	created, err := a.Notifications.CreateNotificationJob(ctx, testenv.As(o.admin, req))
	require.NoError(t, err)
	jobID := created.Msg.GetJob().GetId()

	_, err = a.Notifications.GetNotificationJob(ctx, testenv.As(o.member, &notificationsv1.GetNotificationJobRequest{JobId: jobID}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = a.Notifications.CancelNotificationJob(ctx, testenv.As(o.otherOwner, &notificationsv1.CancelNotificationJobRequest{JobId: jobID}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	listed, err := a.Notifications.ListNotificationJobs(ctx, testenv.As(o.owner, &notificationsv1.ListNotificationJobsRequest{}))
	require.NoError(t, err)
	require.Len(t, listed.Msg.GetJobs(), 1, "without organization_id: the jobs of the caller's organizations")
	assert.Equal(t, jobID, listed.Msg.GetJobs()[0].GetId())

	cancelled, err := a.Notifications.CancelNotificationJob(ctx, testenv.As(o.owner, &notificationsv1.CancelNotificationJobRequest{JobId: jobID}))
	require.NoError(t, err)
	job := cancelled.Msg.GetJob()
	assert.Equal(t, notificationsv1.JobStatus_JOB_STATUS_CANCELLED, job.GetStatus())
	assert.NotNil(t, job.GetCompletedAt())
	assert.Zero(t, job.GetProgress().GetResolved())
	assert.Zero(t, countRows(t, a, (*db.NotificationItem)(nil), "job_id = ?", mustUUID(jobID)), "nothing was resolved")

	_, err = a.Notifications.CancelNotificationJob(ctx, testenv.As(o.owner, &notificationsv1.CancelNotificationJobRequest{JobId: jobID}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	listed, err = a.Notifications.ListNotificationJobs(ctx, testenv.As(o.admin, &notificationsv1.ListNotificationJobsRequest{OrganizationId: o.org.GetId()}))
	require.NoError(t, err)
	require.Len(t, listed.Msg.GetJobs(), 1)
	assert.Equal(t, notificationsv1.JobStatus_JOB_STATUS_CANCELLED, listed.Msg.GetJobs()[0].GetStatus())
}
