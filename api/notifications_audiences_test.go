package api_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
)

// conferenceAudienceFixture is an organization with a conference and a
// quest, and three members: one registered for the conference and approved
// in the quest, one who cancelled the registration and is pending in the
// quest, and two bystanders.
type conferenceAudienceFixture struct {
	owner                 testenv.Session
	orgID, conferenceID   string
	questID               string
	registered, cancelled testenv.Session
	bystander             testenv.Session
	otherConferenceID     string
}

func newConferenceAudienceFixture(t *testing.T, a *testenv.API) conferenceAudienceFixture {
	t.Helper()
	ctx := context.Background()
	f := conferenceAudienceFixture{owner: a.NewUser(t, newPhone())}
	org := createOrg(t, a, f.owner, "audience-org")
	f.orgID = org.GetId()
	for _, s := range []*testenv.Session{&f.registered, &f.cancelled, &f.bystander} {
		*s = a.NewUser(t, newPhone())
		addAndAccept(t, a, f.owner, f.orgID, *s, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	}
	otherOwner := a.NewUser(t, newPhone())
	other := createOrg(t, a, otherOwner, "audience-other-org")

	orgID := mustUUID(f.orgID)
	conf := insertConference(t, a, orgID, "audience-conf")
	f.conferenceID = conf.String()
	f.otherConferenceID = insertConference(t, a, mustUUID(other.GetId()), "audience-other-conf").String()
	for _, s := range []testenv.Session{f.registered, f.cancelled} {
		_, err := db.RegisterAttendee(ctx, a.DB, orgID, conf, mustUUID(s.UserID))
		require.NoError(t, err)
	}
	_, err := db.CancelAttendance(ctx, a.DB, conf, mustUUID(f.cancelled.UserID), time.Now())
	require.NoError(t, err)

	quest := &db.Quest{ID: db.NewID(), OrganizationID: orgID, Title: "Visit every booth", Points: 10,
		Recurrence: enums.RecurrenceNone, StartsAt: time.Now().Add(-time.Hour), EndsAt: time.Now().Add(24 * time.Hour),
		ReviewSLAHours: 24, Status: enums.QuestPublished}
	_, err = a.DB.NewInsert().Model(quest).Exec(ctx)
	require.NoError(t, err)
	f.questID = quest.ID.String()
	for s, status := range map[testenv.Session]string{f.registered: enums.RegistrationApproved, f.cancelled: enums.RegistrationPending} {
		reg := &db.QuestRegistration{ID: db.NewID(), OrganizationID: orgID, QuestID: quest.ID, UserID: mustUUID(s.UserID), Status: status}
		if status != enums.RegistrationPending {
			now := time.Now()
			reg.DecidedAt = &now
		}
		_, err := a.DB.NewInsert().Model(reg).Exec(ctx)
		require.NoError(t, err)
	}
	return f
}

func insertConference(t *testing.T, a *testenv.API, orgID uuid.UUID, slug string) uuid.UUID {
	t.Helper()
	c := &db.Conference{ID: db.NewID(), OrganizationID: orgID, Slug: slug, Name: "Conference " + slug,
		Status: enums.ConferencePublished, StartDate: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC),
		EndDate: time.Date(2027, 3, 3, 0, 0, 0, 0, time.UTC), Timezone: "Europe/Berlin", AgendaVersion: 1}
	_, err := a.DB.NewInsert().Model(c).Exec(context.Background())
	require.NoError(t, err)
	return c.ID
}

func TestNotificationJob_ConferenceAndQuestAudiences(t *testing.T) {
	a := setup(t)
	f := newConferenceAudienceFixture(t, a)

	tests := []struct {
		name     string
		audience *notificationsv1.Audience
		want     []testenv.Session
		notWant  []testenv.Session
	}{
		{"registered attendees only", &notificationsv1.Audience{
			Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_CONFERENCE_ATTENDEES, ConferenceId: f.conferenceID},
			[]testenv.Session{f.registered}, []testenv.Session{f.cancelled, f.bystander}},
		{"attendees who cancelled", &notificationsv1.Audience{
			Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_CONFERENCE_ATTENDEES, ConferenceId: f.conferenceID,
			Statuses: []string{enums.AttendanceCancelled}},
			[]testenv.Session{f.cancelled}, []testenv.Session{f.registered, f.bystander}},
		{"approved quest participants", &notificationsv1.Audience{
			Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_QUEST_PARTICIPANTS, QuestId: f.questID},
			[]testenv.Session{f.registered}, []testenv.Session{f.cancelled, f.bystander}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := jobRequest(f.orgID, tc.audience)
			req.Title = "For " + tc.name
			resp, err := a.Notifications.CreateNotificationJob(context.Background(), testenv.As(f.owner, req))
			require.NoError(t, err)
			job := awaitJob(t, a, f.owner, resp.Msg.GetJob().GetId(), notificationsv1.JobStatus_JOB_STATUS_COMPLETED, 30*time.Second)
			assert.EqualValues(t, len(tc.want), job.GetProgress().GetSent())
			for _, s := range tc.want {
				assert.Contains(t, inboxTitles(t, a, s, &notificationsv1.ListMyNotificationsRequest{}), req.Title)
			}
			for _, s := range tc.notWant {
				assert.NotContains(t, inboxTitles(t, a, s, &notificationsv1.ListMyNotificationsRequest{}), req.Title)
			}
		})
	}
}

func TestNotificationJob_ConferenceAudienceRefusals(t *testing.T) {
	a := setup(t)
	f := newConferenceAudienceFixture(t, a)
	tests := []struct {
		name     string
		audience *notificationsv1.Audience
		want     connect.Code
		mention  string
	}{
		{"another organization's conference", &notificationsv1.Audience{
			Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_CONFERENCE_ATTENDEES, ConferenceId: f.otherConferenceID},
			connect.CodePermissionDenied, "criteria.include[0].conference_id"},
		{"no such conference", &notificationsv1.Audience{
			Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_CONFERENCE_ATTENDEES, ConferenceId: db.NewID().String()},
			connect.CodeInvalidArgument, "no such conference"},
		{"no such quest", &notificationsv1.Audience{
			Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_QUEST_PARTICIPANTS, QuestId: db.NewID().String()},
			connect.CodeInvalidArgument, "no such quest"},
		{"quest audience without its quest", &notificationsv1.Audience{
			Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_QUEST_PARTICIPANTS},
			connect.CodeInvalidArgument, "criteria.include[0].quest_id"},
		{"a status attendees do not have", &notificationsv1.Audience{
			Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_CONFERENCE_ATTENDEES, ConferenceId: f.conferenceID,
			Statuses: []string{"approved"}},
			connect.CodeInvalidArgument, "criteria.include[0].statuses[0]"},
		{"a conference on a quest audience", &notificationsv1.Audience{
			Kind: notificationsv1.AudienceKind_AUDIENCE_KIND_QUEST_PARTICIPANTS, QuestId: f.questID, ConferenceId: f.conferenceID},
			connect.CodeInvalidArgument, "criteria.include[0].conference_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Notifications.CreateNotificationJob(context.Background(), testenv.As(f.owner, jobRequest(f.orgID, tc.audience)))
			testenv.RequireCode(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.mention)
		})
	}
	assert.Zero(t, countRows(t, a, (*db.NotificationJob)(nil), "TRUE"), "no refused request creates a job")
}
