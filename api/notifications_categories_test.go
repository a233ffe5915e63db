package api_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
)

// joinOrg makes s a member of orgID with role, straight in SQL: these
// tests are about notifications, not membership.
func joinOrg(t *testing.T, a *testenv.API, orgID string, s testenv.Session, role string) {
	t.Helper()
	_, err := a.DB.ExecContext(context.Background(), `INSERT INTO organization_members (id, organization_id, user_id, role) VALUES (?, ?, ?, ?)`,
		db.NewID(), mustUUID(orgID), mustUUID(s.UserID), role)
	require.NoError(t, err)
}

func TestNotificationCategories_AreAClosedListPerOrganization(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	owner, orgID := orgWithMembers(t, a, 1)
	member, outsider := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	joinOrg(t, a, orgID, member, db.RoleMember)
	audits := auditCount(t, a)

	withCategory := func(category string) *notificationsv1.CreateNotificationJobRequest {
		req := jobRequest(orgID, membersOf(orgID))
		req.Category = category
		return req
	}
	_, err := a.Notifications.CreateNotificationJob(ctx, testenv.As(owner, withCategory("flash_sale")))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	assert.Contains(t, err.Error(), "category")
	assert.Zero(t, countRows(t, a, (*db.NotificationJob)(nil), "TRUE"), "a refused job is not stored")
	assert.Equal(t, audits, auditCount(t, a), "nor audited")

	define := func(s testenv.Session, org, name string) error {
		_, err := a.Notifications.DefineCategory(ctx, testenv.As(s, &notificationsv1.DefineCategoryRequest{
			OrganizationId: org, Name: name, Description: "Weekend flash sales"}))
		return err
	}
	testenv.RequireCode(t, define(member, orgID, "flash_sale"), connect.CodePermissionDenied)
	testenv.RequireCode(t, define(outsider, orgID, "flash_sale"), connect.CodePermissionDenied)
	testenv.RequireCode(t, define(owner, orgID, "ticketing"), connect.CodeAlreadyExists)
	testenv.RequireCode(t, define(owner, orgID, "Flash Sale"), connect.CodeInvalidArgument)
	require.NoError(t, define(owner, orgID, "flash_sale"))
	testenv.RequireCode(t, define(owner, orgID, "flash_sale"), connect.CodeAlreadyExists)

	list, err := a.Notifications.ListCategories(ctx, testenv.As(member, &notificationsv1.ListCategoriesRequest{OrganizationId: orgID}))
	require.NoError(t, err)
	var names, transactional []string
	for _, c := range list.Msg.GetCategories() {
		names = append(names, c.GetName())
		if c.GetTransactional() {
			transactional = append(transactional, c.GetName())
		}
	}
	assert.Equal(t, []string{"ticketing", "account", "safety", "event_updates", "announcements", "marketing", "reminders", "onboarding", "quests", "connections",
		"flash_sale"}, names)
	assert.Equal(t, []string{"ticketing", "account", "safety"}, transactional)
	_, err = a.Notifications.ListCategories(ctx, testenv.As(outsider, &notificationsv1.ListCategoriesRequest{OrganizationId: orgID}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	_, err = a.Notifications.CreateNotificationJob(ctx, testenv.As(owner, withCategory("flash_sale")))
	require.NoError(t, err, "a defined category is in the list")

	// Another organization's category is not in this one's list.
	otherOwner, otherOrg := orgWithMembers(t, a, 1)
	req := jobRequest(otherOrg, membersOf(otherOrg))
	req.Category = "flash_sale"
	_, err = a.Notifications.CreateNotificationJob(ctx, testenv.As(otherOwner, req))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
}

func TestUpdatePreferences_TransactionalCategoriesCannotBeMuted(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	user := a.NewUser(t, newPhone())
	entry := func(category string, enabled bool) *notificationsv1.PreferenceEntry {
		return &notificationsv1.PreferenceEntry{Category: category, Channel: notificationsv1.Channel_CHANNEL_EMAIL, Enabled: enabled}
	}
	for _, category := range []string{"ticketing", "account", "safety"} {
		t.Run(category, func(t *testing.T) {
			_, err := a.Notifications.UpdatePreferences(ctx, testenv.As(user, &notificationsv1.UpdatePreferencesRequest{
				Entries: []*notificationsv1.PreferenceEntry{entry("marketing", false), entry(category, false)}}))
			testenv.RequireCode(t, err, connect.CodeInvalidArgument)
			assert.Contains(t, err.Error(), "entries[1].category")
		})
	}
	assert.Zero(t, countRows(t, a, (*db.Preference)(nil), "user_id = ?", mustUUID(user.UserID)), "a refused update changes nothing")

	_, err := a.Notifications.UpdatePreferences(ctx, testenv.As(user, &notificationsv1.UpdatePreferencesRequest{
		Entries: []*notificationsv1.PreferenceEntry{entry("marketing", false), entry("ticketing", true)}}))
	require.NoError(t, err, "muting a mutable category and keeping a transactional one on are fine")
}

// TestNotificationJob_SMSAndEmailOnlyToVerifiedChannels sends an account
// notice on in-app, email and SMS to a member who proved their email and
// phone (and once muted account emails, before that was refused) and to
// one who did not: the second gets the inbox row only, and the items say
// why.
func TestNotificationJob_SMSAndEmailOnlyToVerifiedChannels(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	owner, orgID := orgWithMembers(t, a, 2)
	var members []string
	require.NoError(t, a.DB.NewRaw(`SELECT user_id::text FROM organization_members WHERE organization_id = ? AND role = 'member' ORDER BY user_id`, mustUUID(orgID)).Scan(ctx, &members))
	verified, unverified := members[0], members[1]
	_, err := a.DB.ExecContext(ctx, `UPDATE users SET email = 'v-' || id || '@example.com', email_verified_at = now(), phone_verified_at = now() WHERE id = ?`, mustUUID(verified))
	require.NoError(t, err)
	_, err = a.DB.ExecContext(ctx, `UPDATE users SET email = 'u-' || id || '@example.com' WHERE id = ?`, mustUUID(unverified))
	require.NoError(t, err)
	require.NoError(t, db.UpsertPreferences(ctx, a.DB, []db.Preference{{UserID: mustUUID(verified), Category: "account", Channel: enums.ChannelEmail, Enabled: false}}))

	req := jobRequest(orgID, membersOf(orgID, "member"))
	req.Category = "account"
	req.Channels = []notificationsv1.Channel{notificationsv1.Channel_CHANNEL_IN_APP, notificationsv1.Channel_CHANNEL_EMAIL, notificationsv1.Channel_CHANNEL_SMS}
	resp, err := a.Notifications.CreateNotificationJob(ctx, testenv.As(owner, req))
	require.NoError(t, err)
	jobID := resp.Msg.GetJob().GetId()
	job := awaitJob(t, a, owner, jobID, notificationsv1.JobStatus_JOB_STATUS_COMPLETED, time.Minute)

	items := map[string]db.NotificationItem{}
	var rows []db.NotificationItem
	require.NoError(t, a.DB.NewSelect().Model(&rows).Where("job_id = ?", mustUUID(jobID)).Scan(ctx))
	for _, it := range rows {
		items[it.UserID.String()+"/"+it.Channel] = it
	}
	assert.Equal(t, enums.ItemSent, items[verified+"/email"].Status, "a transactional category ignores a stored opt-out")
	assert.Len(t, a.Email.SentTo("v-"+verified+"@example.com"), 1)
	assert.Equal(t, enums.ItemSkipped, items[unverified+"/email"].Status)
	assert.Equal(t, "email address not verified", items[unverified+"/email"].SkipReason)
	assert.Empty(t, a.Email.SentTo("u-"+unverified+"@example.com"))
	assert.Equal(t, enums.ItemSkipped, items[unverified+"/sms"].Status)
	assert.Equal(t, "phone number not verified", items[unverified+"/sms"].SkipReason)
	assert.Equal(t, enums.ItemSent, items[unverified+"/in_app"].Status, "the unverified member still gets the inbox row")
	inbox, err := db.NotificationsOf(ctx, a.DB, mustUUID(unverified))
	require.NoError(t, err)
	assert.Len(t, inbox, 1)
	assert.EqualValues(t, 6, job.GetProgress().GetResolved())
	assert.Equal(t, enums.ItemSent, items[verified+"/sms"].Status, "a verified phone gets the SMS")
	assert.EqualValues(t, 2, job.GetProgress().GetSkipped(), "the two unverified channels")
}
