package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/internal/testenv"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	"github.com/convene/convene/proto/convene/conferences/v1/conferencesv1connect"
)

// ConferenceService, AgendaService and SpeakerService in both matrices.
// A's rows: a published conference with a speaker on its line-up and an
// agenda item in Matrix Hall, a draft and a cancelled conference, and a
// cancelled item, so the input matrix's writes all fail for a business
// reason: a slug in use, a conference already published or cancelled,
// the hall taken, a cancelled item, a speaker already on the line-up.
const (
	fxConfA          = "@confA"
	fxConfDraftA     = "@confDraftA"
	fxConfCancelledA = "@confCancelledA"
	fxConfItemA      = "@confItemA"
	fxConfItemGoneA  = "@confItemGoneA"
	fxConfSpeakerA   = "@confSpeakerA"
	// fxConfSlug is the published conference's slug (each test has its
	// own database).
	fxConfSlug = "matrix-conf-a"
)

// matrixConference is a conference in Tokyo, 2027-03-10 to 2027-03-12,
// with every field set.
func matrixConference(slug string) *conferencesv1.ConferenceInput {
	return &conferencesv1.ConferenceInput{Slug: slug, Name: "Matrix Conf", Description: "d", StartDate: "2027-03-10",
		EndDate: "2027-03-12", Timezone: "Asia/Tokyo", Venue: "Hall", IsFeatured: true}
}

// matrixAgendaItem is a talk in Matrix Hall on the first day, 10:00-11:00
// in Tokyo, with every field set.
func matrixAgendaItem() *conferencesv1.AgendaItemInput {
	start := time.Date(2027, 3, 10, 1, 0, 0, 0, time.UTC)
	event := fxOrgEvent
	return &conferencesv1.AgendaItemInput{Kind: conferencesv1.AgendaItemKind_AGENDA_ITEM_KIND_TALK, Title: "Matrix talk", Description: "d",
		Track: "Core", Room: "Matrix Hall", StartsAt: timestamppb.New(start), EndsAt: timestamppb.New(start.Add(time.Hour)), EventId: &event,
		Speakers: []*conferencesv1.AgendaSpeakerInput{{SpeakerId: fxConfSpeakerA, Role: conferencesv1.SpeakerRole_SPEAKER_ROLE_SPEAKER}}}
}

// matrixSpeaker is a speaker with every field set.
func matrixSpeaker() *conferencesv1.SpeakerInput {
	return &conferencesv1.SpeakerInput{Name: "Ada", Headline: "h", Company: "c", Bio: "b", PhotoUrl: "https://example.com/a.png",
		TwitterHandle: "ada", LinkedinUrl: "https://linkedin.com/in/ada"}
}

func init() {
	matrixTopics = append(matrixTopics, matrixTopic{
		name:  "conferences",
		build: buildConferencesTopic,
		tenant: []tenantCase{
			{conferencesv1connect.ConferenceServiceCreateConferenceProcedure, hidden, &conferencesv1.CreateConferenceRequest{OrganizationId: fxOrgA, Conference: matrixConference("foreign")}},
			{conferencesv1connect.ConferenceServiceUpdateConferenceProcedure, hidden, &conferencesv1.UpdateConferenceRequest{ConferenceId: fxConfA, Conference: matrixConference("foreign")}},
			{conferencesv1connect.ConferenceServicePublishConferenceProcedure, hidden, &conferencesv1.PublishConferenceRequest{ConferenceId: fxConfDraftA}},
			{conferencesv1connect.ConferenceServiceCancelConferenceProcedure, hidden, &conferencesv1.CancelConferenceRequest{ConferenceId: fxConfA}},
			{conferencesv1connect.ConferenceServiceGetConferenceProcedure, notFound, &conferencesv1.GetConferenceRequest{Conference: &conferencesv1.GetConferenceRequest_Id{Id: fxConfDraftA}}},
			{conferencesv1connect.ConferenceServiceGetConferenceProcedure, notFound, &conferencesv1.GetConferenceRequest{Conference: &conferencesv1.GetConferenceRequest_Slug{Slug: fxConfSlug}}},
			{conferencesv1connect.ConferenceServiceListConferencesProcedure, hidden, &conferencesv1.ListConferencesRequest{OrganizationId: fxOrgA}},
			{conferencesv1connect.ConferenceServiceRegisterForConferenceProcedure, notFound, &conferencesv1.RegisterForConferenceRequest{ConferenceId: fxConfA}},
			{conferencesv1connect.ConferenceServiceCancelRegistrationProcedure, notFound, &conferencesv1.CancelRegistrationRequest{ConferenceId: fxConfA}},
			{conferencesv1connect.ConferenceServiceListAttendeesProcedure, notFound, &conferencesv1.ListAttendeesRequest{ConferenceId: fxConfA}},
			{conferencesv1connect.ConferenceServiceLinkEventProcedure, hidden, &conferencesv1.LinkEventRequest{ConferenceId: fxConfA, EventId: fxOrgEvent}},
			{conferencesv1connect.ConferenceServiceUnlinkEventProcedure, hidden, &conferencesv1.UnlinkEventRequest{ConferenceId: fxConfA, EventId: fxOrgEvent}},
			{conferencesv1connect.AgendaServiceCreateAgendaItemProcedure, hidden, &conferencesv1.CreateAgendaItemRequest{ConferenceId: fxConfA, Item: matrixAgendaItem()}},
			{conferencesv1connect.AgendaServiceUpdateAgendaItemProcedure, hidden, &conferencesv1.UpdateAgendaItemRequest{ItemId: fxConfItemA, Item: matrixAgendaItem()}},
			{conferencesv1connect.AgendaServiceCancelAgendaItemProcedure, hidden, &conferencesv1.CancelAgendaItemRequest{ItemId: fxConfItemA}},
			{conferencesv1connect.SpeakerServiceCreateSpeakerProcedure, hidden, &conferencesv1.CreateSpeakerRequest{OrganizationId: fxOrgA, Speaker: matrixSpeaker()}},
			{conferencesv1connect.SpeakerServiceUpdateSpeakerProcedure, hidden, &conferencesv1.UpdateSpeakerRequest{SpeakerId: fxConfSpeakerA, Speaker: matrixSpeaker()}},
			{conferencesv1connect.SpeakerServiceLinkSpeakerUserProcedure, hidden, &conferencesv1.LinkSpeakerUserRequest{SpeakerId: fxConfSpeakerA, UserId: fxUserB}},
			{conferencesv1connect.SpeakerServiceAddConferenceSpeakerProcedure, hidden, &conferencesv1.AddConferenceSpeakerRequest{ConferenceId: fxConfDraftA, SpeakerId: fxConfSpeakerA}},
			{conferencesv1connect.SpeakerServiceRemoveConferenceSpeakerProcedure, hidden, &conferencesv1.RemoveConferenceSpeakerRequest{ConferenceId: fxConfA, SpeakerId: fxConfSpeakerA}},
			{conferencesv1connect.SpeakerServiceAddEventSpeakerProcedure, hidden, &conferencesv1.AddEventSpeakerRequest{EventId: fxOrgEvent, SpeakerId: fxConfSpeakerA}},
			{conferencesv1connect.SpeakerServiceRemoveEventSpeakerProcedure, hidden, &conferencesv1.RemoveEventSpeakerRequest{EventId: fxOrgEvent, SpeakerId: fxConfSpeakerA}},
			{conferencesv1connect.SpeakerServiceListSpeakersProcedure, hidden, &conferencesv1.ListSpeakersRequest{Scope: &conferencesv1.ListSpeakersRequest_OrganizationId{OrganizationId: fxOrgA}}},
			{conferencesv1connect.SpeakerServiceListSpeakersProcedure, notFound, &conferencesv1.ListSpeakersRequest{Scope: &conferencesv1.ListSpeakersRequest_ConferenceId{ConferenceId: fxConfDraftA}}},
		},
		input: []inputCase{
			{conferencesv1connect.ConferenceServiceCreateConferenceProcedure, asOwnerA, &conferencesv1.CreateConferenceRequest{OrganizationId: fxOrgA, Conference: matrixConference(fxConfSlug)}},
			{conferencesv1connect.ConferenceServiceUpdateConferenceProcedure, asOwnerA, &conferencesv1.UpdateConferenceRequest{ConferenceId: fxConfCancelledA, Conference: matrixConference("renamed")}},
			{conferencesv1connect.ConferenceServicePublishConferenceProcedure, asOwnerA, &conferencesv1.PublishConferenceRequest{ConferenceId: fxConfA}},
			{conferencesv1connect.ConferenceServiceCancelConferenceProcedure, asOwnerA, &conferencesv1.CancelConferenceRequest{ConferenceId: fxConfCancelledA, Reason: "r"}},
			{conferencesv1connect.ConferenceServiceGetConferenceProcedure, asMemberA, &conferencesv1.GetConferenceRequest{Conference: &conferencesv1.GetConferenceRequest_Slug{Slug: fxConfSlug}}},
			{conferencesv1connect.ConferenceServiceListConferencesProcedure, asOwnerA, &conferencesv1.ListConferencesRequest{OrganizationId: fxOrgA,
				Status: conferencesv1.ConferenceStatus_CONFERENCE_STATUS_PUBLISHED, FromDate: "2027-01-01", ToDate: "2027-12-31", FeaturedOnly: true, PageSize: 10}},
			{conferencesv1connect.ConferenceServiceRegisterForConferenceProcedure, asMemberA, &conferencesv1.RegisterForConferenceRequest{ConferenceId: fxConfCancelledA}},
			{conferencesv1connect.ConferenceServiceCancelRegistrationProcedure, asMemberA, &conferencesv1.CancelRegistrationRequest{ConferenceId: fxConfA}},
			{conferencesv1connect.ConferenceServiceListAttendeesProcedure, asOwnerA, &conferencesv1.ListAttendeesRequest{ConferenceId: fxConfA, PageSize: 10}},
			{conferencesv1connect.ConferenceServiceLinkEventProcedure, asOwnerA, &conferencesv1.LinkEventRequest{ConferenceId: fxConfCancelledA, EventId: fxOrgEvent}},
			{conferencesv1connect.ConferenceServiceUnlinkEventProcedure, asOwnerA, &conferencesv1.UnlinkEventRequest{ConferenceId: fxConfA, EventId: fxOrgEvent}},
			{conferencesv1connect.AgendaServiceCreateAgendaItemProcedure, asOwnerA, &conferencesv1.CreateAgendaItemRequest{ConferenceId: fxConfA, Item: matrixAgendaItem()}},
			{conferencesv1connect.AgendaServiceUpdateAgendaItemProcedure, asOwnerA, &conferencesv1.UpdateAgendaItemRequest{ItemId: fxConfItemGoneA, Item: matrixAgendaItem()}},
			{conferencesv1connect.AgendaServiceCancelAgendaItemProcedure, asOwnerA, &conferencesv1.CancelAgendaItemRequest{ItemId: fxConfItemGoneA}},
			{conferencesv1connect.AgendaServiceGetPublicAgendaProcedure, anonymous, &conferencesv1.GetPublicAgendaRequest{Slug: fxConfSlug, Day: "2027-03-10", Track: "Core", Room: "Matrix Hall"}},
			{conferencesv1connect.AgendaServiceListPublicSpeakersProcedure, anonymous, &conferencesv1.ListPublicSpeakersRequest{Slug: fxConfSlug}},
			{conferencesv1connect.SpeakerServiceCreateSpeakerProcedure, asOwnerA, &conferencesv1.CreateSpeakerRequest{OrganizationId: fxOrgA, Speaker: matrixSpeaker()}},
			{conferencesv1connect.SpeakerServiceUpdateSpeakerProcedure, asOwnerA, &conferencesv1.UpdateSpeakerRequest{SpeakerId: fxConfSpeakerA, Speaker: matrixSpeaker()}},
			{conferencesv1connect.SpeakerServiceLinkSpeakerUserProcedure, asOwnerA, &conferencesv1.LinkSpeakerUserRequest{SpeakerId: fxConfSpeakerA, UserId: fxMemberA}},
			{conferencesv1connect.SpeakerServiceAddConferenceSpeakerProcedure, asOwnerA, &conferencesv1.AddConferenceSpeakerRequest{ConferenceId: fxConfA, SpeakerId: fxConfSpeakerA,
				Role: conferencesv1.SpeakerRole_SPEAKER_ROLE_KEYNOTE}},
			{conferencesv1connect.SpeakerServiceRemoveConferenceSpeakerProcedure, asOwnerA, &conferencesv1.RemoveConferenceSpeakerRequest{ConferenceId: fxConfDraftA, SpeakerId: fxConfSpeakerA}},
			{conferencesv1connect.SpeakerServiceAddEventSpeakerProcedure, asOwnerA, &conferencesv1.AddEventSpeakerRequest{EventId: fxOrgEvent, SpeakerId: fxConfSpeakerA,
				Role: conferencesv1.SpeakerRole_SPEAKER_ROLE_HOST}},
			{conferencesv1connect.SpeakerServiceRemoveEventSpeakerProcedure, asOwnerA, &conferencesv1.RemoveEventSpeakerRequest{EventId: fxOrgEvent, SpeakerId: fxConfSpeakerA}},
			{conferencesv1connect.SpeakerServiceListSpeakersProcedure, asMemberA, &conferencesv1.ListSpeakersRequest{
				Scope: &conferencesv1.ListSpeakersRequest_ConferenceId{ConferenceId: fxConfA}, PageSize: 10}},
		},
		free: map[string]string{
			conferencesv1connect.AgendaServiceGetPublicAgendaProcedure:    "the public agenda of a published conference, by slug, for anyone",
			conferencesv1connect.AgendaServiceListPublicSpeakersProcedure: "the public speakers of a published conference, by slug, for anyone",
		},
	})
}

// buildConferencesTopic gives A, through the API, a published conference
// with a speaker on its line-up and on an item in Matrix Hall, a
// cancelled item, a draft and a cancelled conference.
func buildConferencesTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	ctx := context.Background()
	confs := conferencesv1connect.NewConferenceServiceClient(f.a.HTTP, f.a.URL)
	agenda := conferencesv1connect.NewAgendaServiceClient(f.a.HTTP, f.a.URL)
	speakers := conferencesv1connect.NewSpeakerServiceClient(f.a.HTTP, f.a.URL)
	create := func(slug string) string {
		resp, err := confs.CreateConference(ctx, testenv.As(f.ownerA, &conferencesv1.CreateConferenceRequest{OrganizationId: f.orgA,
			Conference: matrixConference(slug)}))
		require.NoError(t, err)
		return resp.Msg.GetConference().GetId()
	}
	conf, draft, cancelled := create(fxConfSlug), create("matrix-conf-draft"), create("matrix-conf-cancelled")
	_, err := confs.PublishConference(ctx, testenv.As(f.ownerA, &conferencesv1.PublishConferenceRequest{ConferenceId: conf}))
	require.NoError(t, err)
	_, err = confs.CancelConference(ctx, testenv.As(f.ownerA, &conferencesv1.CancelConferenceRequest{ConferenceId: cancelled}))
	require.NoError(t, err)

	sp, err := speakers.CreateSpeaker(ctx, testenv.As(f.ownerA, &conferencesv1.CreateSpeakerRequest{OrganizationId: f.orgA, Speaker: matrixSpeaker()}))
	require.NoError(t, err)
	speakerID := sp.Msg.GetSpeaker().GetId()
	_, err = speakers.AddConferenceSpeaker(ctx, testenv.As(f.ownerA, &conferencesv1.AddConferenceSpeakerRequest{ConferenceId: conf, SpeakerId: speakerID}))
	require.NoError(t, err)
	_, err = speakers.AddEventSpeaker(ctx, testenv.As(f.ownerA, &conferencesv1.AddEventSpeakerRequest{EventId: f.orgEvent, SpeakerId: speakerID}))
	require.NoError(t, err)

	held := matrixAgendaItem()
	held.EventId, held.Speakers[0].SpeakerId = nil, speakerID
	item, err := agenda.CreateAgendaItem(ctx, testenv.As(f.ownerA, &conferencesv1.CreateAgendaItemRequest{ConferenceId: conf, Item: held}))
	require.NoError(t, err)
	gone := matrixAgendaItem()
	gone.EventId, gone.Speakers, gone.Room = nil, nil, "Side room"
	goneItem, err := agenda.CreateAgendaItem(ctx, testenv.As(f.ownerA, &conferencesv1.CreateAgendaItemRequest{ConferenceId: conf, Item: gone}))
	require.NoError(t, err)
	_, err = agenda.CancelAgendaItem(ctx, testenv.As(f.ownerA, &conferencesv1.CancelAgendaItemRequest{ItemId: goneItem.Msg.GetItem().GetId()}))
	require.NoError(t, err)
	return map[string]string{fxConfA: conf, fxConfDraftA: draft, fxConfCancelledA: cancelled, fxConfItemA: item.Msg.GetItem().GetId(),
		fxConfItemGoneA: goneItem.Msg.GetItem().GetId(), fxConfSpeakerA: speakerID}
}
