package api_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	"github.com/convene/convene/proto/convene/conferences/v1/conferencesv1connect"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// confWorld is an organization with its owner and a member, a second
// organization with its own owner, and the conferences clients.
type confWorld struct {
	a                      *testenv.API
	owner, member, outside testenv.Session
	org, otherOrg          string
	conferences            conferencesv1connect.ConferenceServiceClient
	agenda                 conferencesv1connect.AgendaServiceClient
	speakers               conferencesv1connect.SpeakerServiceClient
}

func newConfWorld(t *testing.T) *confWorld {
	t.Helper()
	a := setup(t)
	w := &confWorld{a: a, owner: a.NewUser(t, newPhone()), member: a.NewUser(t, newPhone()), outside: a.NewUser(t, newPhone()),
		conferences: conferencesv1connect.NewConferenceServiceClient(a.HTTP, a.URL),
		agenda:      conferencesv1connect.NewAgendaServiceClient(a.HTTP, a.URL),
		speakers:    conferencesv1connect.NewSpeakerServiceClient(a.HTTP, a.URL)}
	w.org = createOrg(t, a, w.owner, "conf-"+uuid.NewString()[:8]).GetId()
	w.otherOrg = createOrg(t, a, w.outside, "conf-"+uuid.NewString()[:8]).GetId()
	addAndAccept(t, a, w.owner, w.org, w.member, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	return w
}

// conferenceInput is a three-day conference in Tokyo, 2027-03-10 to
// 2027-03-12, with a slug of its own.
func conferenceInput() *conferencesv1.ConferenceInput {
	return &conferencesv1.ConferenceInput{Slug: "tokyo-" + uuid.NewString()[:8], Name: "Tokyo Dev Days", Description: "Three days of talks",
		StartDate: "2027-03-10", EndDate: "2027-03-12", Timezone: "Asia/Tokyo", Venue: "Shibuya Hall"}
}

func (w *confWorld) create(t *testing.T, in *conferencesv1.ConferenceInput) *conferencesv1.Conference {
	t.Helper()
	resp, err := w.conferences.CreateConference(context.Background(), testenv.As(w.owner,
		&conferencesv1.CreateConferenceRequest{OrganizationId: w.org, Conference: in}))
	require.NoError(t, err)
	return resp.Msg.GetConference()
}

// published creates and publishes a conference.
func (w *confWorld) published(t *testing.T, in *conferencesv1.ConferenceInput) *conferencesv1.Conference {
	t.Helper()
	c := w.create(t, in)
	resp, err := w.conferences.PublishConference(context.Background(), testenv.As(w.owner,
		&conferencesv1.PublishConferenceRequest{ConferenceId: c.GetId()}))
	require.NoError(t, err)
	return resp.Msg.GetConference()
}

func (w *confWorld) get(s testenv.Session, id string) (*conferencesv1.Conference, error) {
	resp, err := w.conferences.GetConference(context.Background(), testenv.As(s,
		&conferencesv1.GetConferenceRequest{Conference: &conferencesv1.GetConferenceRequest_Id{Id: id}}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetConference(), nil
}

func (w *confWorld) register(s testenv.Session, id string) (*conferencesv1.Attendee, error) {
	resp, err := w.conferences.RegisterForConference(context.Background(), testenv.As(s,
		&conferencesv1.RegisterForConferenceRequest{ConferenceId: id}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetAttendee(), nil
}

// count is the number of rows of model matching where.
func (w *confWorld) count(t *testing.T, model any, where string, args ...any) int {
	t.Helper()
	n, err := w.a.DB.NewSelect().Model(model).Where(where, args...).Count(context.Background())
	require.NoError(t, err)
	return int(n)
}

func TestConferences_DraftPublishedCancelled(t *testing.T) {
	w := newConfWorld(t)
	ctx := context.Background()
	c := w.create(t, conferenceInput())
	assert.Equal(t, conferencesv1.ConferenceStatus_CONFERENCE_STATUS_DRAFT, c.GetStatus())
	assert.Equal(t, "Asia/Tokyo", c.GetTimezone())

	_, err := w.get(w.member, c.GetId())
	testenv.RequireCode(t, err, connect.CodeNotFound)
	list, err := w.conferences.ListConferences(ctx, testenv.As(w.member, &conferencesv1.ListConferencesRequest{OrganizationId: w.org}))
	require.NoError(t, err)
	assert.Empty(t, list.Msg.GetConferences(), "a member lists no drafts")
	_, err = w.register(w.member, c.GetId())
	testenv.RequireCode(t, err, connect.CodeNotFound)

	pub, err := w.conferences.PublishConference(ctx, testenv.As(w.owner, &conferencesv1.PublishConferenceRequest{ConferenceId: c.GetId()}))
	require.NoError(t, err)
	assert.Equal(t, conferencesv1.ConferenceStatus_CONFERENCE_STATUS_PUBLISHED, pub.Msg.GetConference().GetStatus())
	_, err = w.conferences.PublishConference(ctx, testenv.As(w.owner, &conferencesv1.PublishConferenceRequest{ConferenceId: c.GetId()}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)

	_, err = w.register(w.member, c.GetId())
	require.NoError(t, err)
	seen, err := w.get(w.member, c.GetId())
	require.NoError(t, err)
	assert.EqualValues(t, 1, seen.GetAttendeeCount())
	assert.Equal(t, conferencesv1.AttendanceStatus_ATTENDANCE_STATUS_REGISTERED, seen.GetMyRegistration())

	_, err = w.conferences.CancelConference(ctx, testenv.As(w.member, &conferencesv1.CancelConferenceRequest{ConferenceId: c.GetId()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	cancelled, err := w.conferences.CancelConference(ctx, testenv.As(w.owner,
		&conferencesv1.CancelConferenceRequest{ConferenceId: c.GetId(), Reason: "The venue flooded."}))
	require.NoError(t, err)
	assert.Equal(t, conferencesv1.ConferenceStatus_CONFERENCE_STATUS_CANCELLED, cancelled.Msg.GetConference().GetStatus())
	assert.NotNil(t, cancelled.Msg.GetConference().GetCancelledAt())
	_, err = w.conferences.CancelConference(ctx, testenv.As(w.owner, &conferencesv1.CancelConferenceRequest{ConferenceId: c.GetId()}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)

	assert.Equal(t, 1, w.count(t, (*db.Notification)(nil), "recipient_user_id = ? AND reference_type = 'conference' AND reference_id = ?",
		w.member.UserID, c.GetId()), "the attendee is told of the cancellation")
	_, err = w.register(w.member, c.GetId())
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	for _, action := range []string{"create", "published", "register", "cancelled"} {
		assert.Equal(t, 1, setupAuditCount(t, w.a, "conference", c.GetId(), action), action)
	}
}

func TestConferences_CreateRefusesBadInputAndChangesNothing(t *testing.T) {
	w := newConfWorld(t)
	taken := w.create(t, conferenceInput())
	tests := []struct {
		name  string
		as    testenv.Session
		mod   func(*conferencesv1.ConferenceInput)
		code  connect.Code
		field string
	}{
		{"unknown time zone", w.owner, func(in *conferencesv1.ConferenceInput) { in.Timezone = "Mars/Olympus_Mons" }, connect.CodeInvalidArgument, "timezone"},
		{"the server's local zone", w.owner, func(in *conferencesv1.ConferenceInput) { in.Timezone = "Local" }, connect.CodeInvalidArgument, "timezone"},
		{"end before start", w.owner, func(in *conferencesv1.ConferenceInput) { in.EndDate = "2027-03-09" }, connect.CodeInvalidArgument, "end_date"},
		{"longer than 31 days", w.owner, func(in *conferencesv1.ConferenceInput) { in.EndDate = "2027-05-01" }, connect.CodeInvalidArgument, "end_date"},
		{"a date that does not exist", w.owner, func(in *conferencesv1.ConferenceInput) { in.StartDate = "2027-02-30" }, connect.CodeInvalidArgument, "start_date"},
		{"slug of another conference", w.owner, func(in *conferencesv1.ConferenceInput) { in.Slug = taken.GetSlug() }, connect.CodeAlreadyExists, "slug"},
		{"slug with capitals", w.owner, func(in *conferencesv1.ConferenceInput) { in.Slug = "Tokyo" }, connect.CodeInvalidArgument, "slug"},
		{"a member", w.member, func(*conferencesv1.ConferenceInput) {}, connect.CodePermissionDenied, ""},
		{"another organization's owner", w.outside, func(*conferencesv1.ConferenceInput) {}, connect.CodePermissionDenied, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := conferenceInput()
			tt.mod(in)
			_, err := w.conferences.CreateConference(context.Background(), testenv.As(tt.as,
				&conferencesv1.CreateConferenceRequest{OrganizationId: w.org, Conference: in}))
			testenv.RequireCode(t, err, tt.code)
			assert.Contains(t, err.Error(), tt.field)
		})
	}
	assert.Equal(t, 1, w.count(t, (*db.Conference)(nil), "organization_id = ?", w.org), "only the first conference exists")
}

func TestConferences_RegisterTwiceKeepsOneRow(t *testing.T) {
	w := newConfWorld(t)
	ctx := context.Background()
	c := w.published(t, conferenceInput())

	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = w.register(w.member, c.GetId())
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, w.count(t, (*db.ConferenceAttendee)(nil), "conference_id = ?", c.GetId()))

	cancelled, err := w.conferences.CancelRegistration(ctx, testenv.As(w.member, &conferencesv1.CancelRegistrationRequest{ConferenceId: c.GetId()}))
	require.NoError(t, err)
	assert.Equal(t, conferencesv1.AttendanceStatus_ATTENDANCE_STATUS_CANCELLED, cancelled.Msg.GetAttendee().GetStatus())
	_, err = w.conferences.CancelRegistration(ctx, testenv.As(w.member, &conferencesv1.CancelRegistrationRequest{ConferenceId: c.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	again, err := w.register(w.member, c.GetId())
	require.NoError(t, err)
	assert.Equal(t, conferencesv1.AttendanceStatus_ATTENDANCE_STATUS_REGISTERED, again.GetStatus())
	assert.Nil(t, again.GetCancelledAt())
	assert.Equal(t, 1, w.count(t, (*db.ConferenceAttendee)(nil), "conference_id = ?", c.GetId()), "registering again reuses the row")
	registered, err := db.IsRegisteredAttendee(ctx, w.a.DB, mustUUID(c.GetId()), mustUUID(w.member.UserID))
	require.NoError(t, err)
	assert.True(t, registered)

	attendees, err := w.conferences.ListAttendees(ctx, testenv.As(w.owner, &conferencesv1.ListAttendeesRequest{ConferenceId: c.GetId()}))
	require.NoError(t, err)
	require.Len(t, attendees.Msg.GetAttendees(), 1)
	assert.Equal(t, w.member.UserID, attendees.Msg.GetAttendees()[0].GetUserId())
	_, err = w.conferences.ListAttendees(ctx, testenv.As(w.member, &conferencesv1.ListAttendeesRequest{ConferenceId: c.GetId()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
}

func TestConferences_AnotherOrganizationSeesAndChangesNothing(t *testing.T) {
	w := newConfWorld(t)
	ctx := context.Background()
	draft := w.create(t, conferenceInput())
	pub := w.published(t, conferenceInput())

	for _, id := range []string{draft.GetId(), pub.GetId()} {
		_, err := w.get(w.outside, id)
		testenv.RequireCode(t, err, connect.CodeNotFound)
		_, err = w.register(w.outside, id)
		testenv.RequireCode(t, err, connect.CodeNotFound)
	}
	_, err := w.conferences.GetConference(ctx, testenv.As(w.outside,
		&conferencesv1.GetConferenceRequest{Conference: &conferencesv1.GetConferenceRequest_Slug{Slug: draft.GetSlug()}}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = w.conferences.UpdateConference(ctx, testenv.As(w.outside, &conferencesv1.UpdateConferenceRequest{ConferenceId: pub.GetId(), Conference: conferenceInput()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.conferences.PublishConference(ctx, testenv.As(w.outside, &conferencesv1.PublishConferenceRequest{ConferenceId: draft.GetId()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.conferences.ListConferences(ctx, testenv.As(w.outside, &conferencesv1.ListConferencesRequest{OrganizationId: w.org}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	after, err := w.get(w.owner, draft.GetId())
	require.NoError(t, err)
	assert.Equal(t, conferencesv1.ConferenceStatus_CONFERENCE_STATUS_DRAFT, after.GetStatus())
	assert.Equal(t, 0, w.count(t, (*db.ConferenceAttendee)(nil), "user_id = ?", w.outside.UserID))
}

func TestConferences_LinkEventOfTheSameOrganizationOnly(t *testing.T) {
	w := newConfWorld(t)
	ctx := context.Background()
	c := w.create(t, conferenceInput())
	ours := createEvent(t, w.a, w.owner, eventInput(w.a, func(in *eventsv1.EventInput) { in.OrganizationId = &w.org }))
	theirs := createEvent(t, w.a, w.outside, eventInput(w.a, func(in *eventsv1.EventInput) { in.OrganizationId = &w.otherOrg }))
	conferenceOf := func(eventID string) string {
		var id *uuid.UUID
		require.NoError(t, w.a.DB.NewSelect().Table("events").Column("conference_id").Where("id = ?", eventID).Scan(ctx, &id))
		if id == nil {
			return ""
		}
		return id.String()
	}

	_, err := w.conferences.LinkEvent(ctx, testenv.As(w.owner, &conferencesv1.LinkEventRequest{ConferenceId: c.GetId(), EventId: theirs.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	assert.Empty(t, conferenceOf(theirs.GetId()))

	for range 2 {
		_, err = w.conferences.LinkEvent(ctx, testenv.As(w.owner, &conferencesv1.LinkEventRequest{ConferenceId: c.GetId(), EventId: ours.GetId()}))
		require.NoError(t, err)
	}
	assert.Equal(t, c.GetId(), conferenceOf(ours.GetId()))
	assert.Equal(t, 1, setupAuditCount(t, w.a, "conference", c.GetId(), "link_event"), "linking again changes nothing")

	_, err = w.conferences.UnlinkEvent(ctx, testenv.As(w.owner, &conferencesv1.UnlinkEventRequest{ConferenceId: c.GetId(), EventId: ours.GetId()}))
	require.NoError(t, err)
	assert.Empty(t, conferenceOf(ours.GetId()))
	_, err = w.conferences.UnlinkEvent(ctx, testenv.As(w.owner, &conferencesv1.UnlinkEventRequest{ConferenceId: c.GetId(), EventId: ours.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
}

func TestSpeakers_OneSpeakerPerUserAndLineups(t *testing.T) {
	w := newConfWorld(t)
	ctx := context.Background()
	c := w.published(t, conferenceInput())
	newSpeaker := func(name string) *conferencesv1.Speaker {
		resp, err := w.speakers.CreateSpeaker(ctx, testenv.As(w.owner, &conferencesv1.CreateSpeakerRequest{OrganizationId: w.org,
			Speaker: &conferencesv1.SpeakerInput{Name: name, Headline: "Engineer"}}))
		require.NoError(t, err)
		return resp.Msg.GetSpeaker()
	}
	ada, grace := newSpeaker("Ada"), newSpeaker("Grace")

	linked, err := w.speakers.LinkSpeakerUser(ctx, testenv.As(w.owner, &conferencesv1.LinkSpeakerUserRequest{SpeakerId: ada.GetId(), UserId: w.member.UserID}))
	require.NoError(t, err)
	assert.Equal(t, w.member.UserID, linked.Msg.GetSpeaker().GetUserId())
	_, err = w.speakers.LinkSpeakerUser(ctx, testenv.As(w.owner, &conferencesv1.LinkSpeakerUserRequest{SpeakerId: grace.GetId(), UserId: w.member.UserID}))
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)
	assert.Contains(t, err.Error(), `"Ada"`, "the refusal names the other speaker")
	_, err = w.speakers.LinkSpeakerUser(ctx, testenv.As(w.owner, &conferencesv1.LinkSpeakerUserRequest{SpeakerId: grace.GetId(), UserId: w.outside.UserID}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	added, err := w.speakers.AddConferenceSpeaker(ctx, testenv.As(w.owner, &conferencesv1.AddConferenceSpeakerRequest{ConferenceId: c.GetId(),
		SpeakerId: grace.GetId(), Role: conferencesv1.SpeakerRole_SPEAKER_ROLE_KEYNOTE}))
	require.NoError(t, err)
	assert.Greater(t, added.Msg.GetAgendaVersion(), c.GetAgendaVersion(), "a line-up change moves the agenda version")
	_, err = w.speakers.AddConferenceSpeaker(ctx, testenv.As(w.owner, &conferencesv1.AddConferenceSpeakerRequest{ConferenceId: c.GetId(), SpeakerId: grace.GetId()}))
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)
	_, err = w.speakers.AddConferenceSpeaker(ctx, testenv.As(w.outside, &conferencesv1.AddConferenceSpeakerRequest{ConferenceId: c.GetId(), SpeakerId: ada.GetId()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	lineup, err := w.speakers.ListSpeakers(ctx, testenv.As(w.member, &conferencesv1.ListSpeakersRequest{
		Scope: &conferencesv1.ListSpeakersRequest_ConferenceId{ConferenceId: c.GetId()}}))
	require.NoError(t, err)
	require.Len(t, lineup.Msg.GetSpeakers(), 1)
	assert.Equal(t, "Grace", lineup.Msg.GetSpeakers()[0].GetSpeaker().GetName())
	assert.Equal(t, conferencesv1.SpeakerRole_SPEAKER_ROLE_KEYNOTE, lineup.Msg.GetSpeakers()[0].GetRole())

	_, err = w.speakers.RemoveConferenceSpeaker(ctx, testenv.As(w.owner, &conferencesv1.RemoveConferenceSpeakerRequest{ConferenceId: c.GetId(), SpeakerId: grace.GetId()}))
	require.NoError(t, err)
	_, err = w.speakers.RemoveConferenceSpeaker(ctx, testenv.As(w.owner, &conferencesv1.RemoveConferenceSpeakerRequest{ConferenceId: c.GetId(), SpeakerId: grace.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	event := createEvent(t, w.a, w.owner, eventInput(w.a, func(in *eventsv1.EventInput) { in.OrganizationId = &w.org }))
	_, err = w.speakers.AddEventSpeaker(ctx, testenv.As(w.owner, &conferencesv1.AddEventSpeakerRequest{EventId: event.GetId(), SpeakerId: ada.GetId()}))
	require.NoError(t, err)
	_, err = w.speakers.AddEventSpeaker(ctx, testenv.As(w.owner, &conferencesv1.AddEventSpeakerRequest{EventId: event.GetId(), SpeakerId: ada.GetId()}))
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)
	assert.Equal(t, 1, w.count(t, (*db.EventSpeaker)(nil), "event_id = ?", event.GetId()))
}

// connectMessage is a Connect error's message, for asserting what it names.
func connectMessage(err error) string {
	var cerr *connect.Error
	if errors.As(err, &cerr) {
		return cerr.Message()
	}
	return strings.TrimSpace(err.Error())
}
