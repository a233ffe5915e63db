package api_test

// The tenant-isolation matrix: every RPC that takes the ID of something a
// tenant owns (organization, event, request, ticket, job, notification,
// venue…) is called with organization A's IDs by B's owner and by an
// anonymous caller. Each must be refused, and every table in the public
// schema must be exactly as it was (row counts and content) after the
// whole matrix.
//
// A new RPC joins by ONE line, either in tenantMatrix:
//
//	{foov1connect.FooServiceDoBarProcedure, hidden, &foov1.DoBarRequest{EventId: fxPaidEvent}},
//
// (procedure, the codes B's owner may get — refused, hidden, notFound or
// scoped — and A's request, naming the fixture's things by the placeholders
// in matrix_fixture_test.go; the anonymous caller always gets
// unauthenticated), or, when it takes no ID of anything a
// tenant owns, in withoutForeignIDs with the reason. TestTenantMatrix_
// EveryProcedureHasAnEntry fails for a mounted procedure in neither.

import (
	"maps"
	"testing"
	"time"

	"github.com/convene/convene/internal/testenv"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	"github.com/convene/convene/proto/convene/content/v1/contentv1connect"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	"github.com/convene/convene/proto/convene/events/v1/eventsv1connect"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	"github.com/convene/convene/proto/convene/identity/v1/identityv1connect"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
	"github.com/convene/convene/proto/convene/notifications/v1/notificationsv1connect"
)

// The outcomes a foreign caller may get.
var (
	// refused: the caller may know the thing exists but may not act on it.
	refused = []connect.Code{connect.CodePermissionDenied}
	// hidden: refused, or told it does not exist.
	hidden = []connect.Code{connect.CodePermissionDenied, connect.CodeNotFound}
	// notFound: the thing is invisible to the caller.
	notFound = []connect.Code{connect.CodeNotFound}
	// scoped: the call succeeds but acts on the caller's own rows only (the
	// foreign IDs match nothing), which the unchanged snapshot proves.
	scoped = []connect.Code{codeOK, connect.CodePermissionDenied, connect.CodeNotFound}
)

// tenantCase is one line of the matrix.
type tenantCase struct {
	procedure string
	// foreign are the codes B's owner may get.
	foreign []connect.Code
	// request is A's request; fixture placeholders (fxOrgA, fxPaidEvent…) in
	// its strings are replaced by the fixture's IDs before it is sent.
	request proto.Message
}

// tenantMatrix has an entry per RPC that takes a tenant's ID (one line each;
// see the file comment).
var tenantMatrix = []tenantCase{
	{identityv1connect.OrganizationServiceGetOrganizationProcedure, hidden, &identityv1.GetOrganizationRequest{OrganizationId: fxOrgA}},
	{identityv1connect.OrganizationServiceAddMemberProcedure, hidden, &identityv1.AddMemberRequest{OrganizationId: fxOrgA, Contact: &identityv1.AddMemberRequest_Phone{Phone: fxPhoneB}, Role: identityv1.OrganizationRole_ORGANIZATION_ROLE_ADMIN}},
	{identityv1connect.OrganizationServiceListMembersProcedure, hidden, &identityv1.ListMembersRequest{OrganizationId: fxOrgA}},
	{identityv1connect.OrganizationServiceRemoveMemberProcedure, hidden, &identityv1.RemoveMemberRequest{OrganizationId: fxOrgA, UserId: fxMemberA}},
	{identityv1connect.OrganizationServiceAcceptInvitationProcedure, notFound, &identityv1.AcceptInvitationRequest{OrganizationId: fxOrgA}},
	{identityv1connect.OrganizationServiceDeclineInvitationProcedure, notFound, &identityv1.DeclineInvitationRequest{OrganizationId: fxOrgA}},
	{eventsv1connect.EventServiceUpdateEventProcedure, hidden, &eventsv1.UpdateEventRequest{EventId: fxPaidEvent, Event: futureEvent()}},
	{eventsv1connect.EventServicePublishEventProcedure, hidden, &eventsv1.PublishEventRequest{EventId: fxDraftEvent}},
	{eventsv1connect.EventServiceCancelEventProcedure, hidden, &eventsv1.CancelEventRequest{EventId: fxPaidEvent, Reason: "hijack"}},
	{eventsv1connect.EventServiceGetEventProcedure, hidden, &eventsv1.GetEventRequest{EventId: fxDraftEvent}},
	{eventsv1connect.TicketingServiceRequestToJoinProcedure, hidden, &eventsv1.RequestToJoinRequest{EventId: fxPrivateEvent, Seats: 1}},
	{eventsv1connect.TicketingServiceRequestToJoinProcedure, notFound, &eventsv1.RequestToJoinRequest{EventId: fxDraftEvent, Seats: 1}},
	{eventsv1connect.TicketingServiceGetRequestProcedure, hidden, &eventsv1.GetRequestRequest{RequestId: fxPaidRequest}},
	{eventsv1connect.TicketingServiceDecideRequestProcedure, hidden, &eventsv1.DecideRequestRequest{RequestId: fxPaidRequest}},
	{eventsv1connect.TicketingServiceInviteUserProcedure, hidden, &eventsv1.InviteUserRequest{EventId: fxPrivateEvent, Invitee: &eventsv1.InviteUserRequest_UserId{UserId: fxUserB}}},
	{eventsv1connect.TicketingServiceCreateInviteLinkProcedure, hidden, &eventsv1.CreateInviteLinkRequest{EventId: fxPrivateEvent}},
	{eventsv1connect.TicketingServiceCancelRequestProcedure, hidden, &eventsv1.CancelRequestRequest{RequestId: fxFreeRequest}},
	{eventsv1connect.TicketingServiceListRequestsProcedure, hidden, &eventsv1.ListRequestsRequest{EventId: fxPaidEvent}},
	{eventsv1connect.TicketingServiceListAttendeesProcedure, hidden, &eventsv1.ListAttendeesRequest{EventId: fxFreeEvent}},
	{eventsv1connect.TicketingServiceGetTicketProcedure, hidden, &eventsv1.GetTicketRequest{TicketId: fxTicket}},
	{eventsv1connect.TicketingServiceGetCheckinKeyProcedure, hidden, &eventsv1.GetCheckinKeyRequest{EventId: fxFreeEvent}},
	{eventsv1connect.TicketingServiceCheckInProcedure, hidden, &eventsv1.CheckInRequest{EventId: fxFreeEvent, Code: fxTicketCode, Nonce: "matrix-nonce", DeviceId: "matrix-device"}},
	{notificationsv1connect.NotificationServiceMarkReadProcedure, scoped, &notificationsv1.MarkReadRequest{NotificationIds: []string{fxNotification}}},
	{notificationsv1connect.NotificationServiceCreateNotificationJobProcedure, hidden, jobRequest(fxOrgA, membersOf(fxOrgA))},
	{notificationsv1connect.NotificationServiceGetNotificationJobProcedure, hidden, &notificationsv1.GetNotificationJobRequest{JobId: fxJob}},
	{notificationsv1connect.NotificationServiceListNotificationJobsProcedure, hidden, &notificationsv1.ListNotificationJobsRequest{OrganizationId: fxOrgA}},
	{notificationsv1connect.NotificationServiceCancelNotificationJobProcedure, hidden, &notificationsv1.CancelNotificationJobRequest{JobId: fxJob}},
	{notificationsv1connect.NotificationServiceListCategoriesProcedure, hidden, &notificationsv1.ListCategoriesRequest{OrganizationId: fxOrgA}},
	{contentv1connect.CampaignServiceCreateCampaignProcedure, hidden, newCampaign(fxOrgA)},
	{contentv1connect.CampaignServiceUpdateCampaignProcedure, notFound, &contentv1.UpdateCampaignRequest{CampaignId: fxCampaign, Name: proto.String("hijack")}},
	{contentv1connect.CampaignServiceGetCampaignProcedure, notFound, &contentv1.GetCampaignRequest{CampaignId: fxCampaign}},
	{contentv1connect.CampaignServiceListCampaignsProcedure, hidden, &contentv1.ListCampaignsRequest{OrganizationId: fxOrgA}},
	{contentv1connect.CampaignServiceArchiveCampaignProcedure, notFound, &contentv1.ArchiveCampaignRequest{CampaignId: fxCampaign}},
	{contentv1connect.CampaignServiceGetCampaignReportProcedure, notFound, &contentv1.GetCampaignReportRequest{CampaignId: fxCampaign}},
	{contentv1connect.ContentServiceCreateContentProcedure, hidden, &contentv1.CreateContentRequest{OrganizationId: fxOrgA, TemplateId: proto.String(fxTemplate), Variables: map[string]string{"what": "x"}}},
	{contentv1connect.ContentServiceUpdateContentProcedure, notFound, &contentv1.UpdateContentRequest{ContentId: fxContent, ExpectedVersion: 1, Title: "hijack"}},
	{contentv1connect.ContentServiceDeleteContentProcedure, notFound, &contentv1.DeleteContentRequest{ContentId: fxContent}},
	{contentv1connect.ContentServiceGetContentProcedure, notFound, &contentv1.GetContentRequest{ContentId: fxContent}},
	{contentv1connect.ContentServiceListContentProcedure, hidden, &contentv1.ListContentRequest{OrganizationId: fxOrgA}},
	{contentv1connect.ContentServiceListContentVersionsProcedure, notFound, &contentv1.ListContentVersionsRequest{ContentId: fxContent}},
	{contentv1connect.ContentServiceDiffContentVersionsProcedure, notFound, &contentv1.DiffContentVersionsRequest{ContentId: fxContent, FromVersion: 1, ToVersion: 1}},
	{contentv1connect.ContentServiceCreateTemplateProcedure, hidden, &contentv1.CreateTemplateRequest{OrganizationId: fxOrgA, Name: "B's", ContentType: contentv1.ContentType_CONTENT_TYPE_POST}},
	{contentv1connect.ContentServiceListTemplatesProcedure, hidden, &contentv1.ListTemplatesRequest{OrganizationId: fxOrgA}},
	{contentv1connect.ContentServiceCreateUploadProcedure, hidden, &contentv1.CreateUploadRequest{OrganizationId: fxOrgA, Filename: "a.png", MimeType: "image/png", FileSize: 10}},
	{contentv1connect.ContentServiceUploadMediaProcedure, hidden, &contentv1.UploadMediaRequest{OrganizationId: fxOrgA, Filename: "a.png", MimeType: "image/png", Data: []byte("x")}},
	{contentv1connect.ContentServiceListMediaAssetsProcedure, hidden, &contentv1.ListMediaAssetsRequest{OrganizationId: fxOrgA}},
	{notificationsv1connect.NotificationServiceDefineCategoryProcedure, hidden, &notificationsv1.DefineCategoryRequest{OrganizationId: fxOrgA, Name: "workshops", Description: "d"}},
	{contentv1connect.ContentServiceRetryPublishProcedure, notFound, &contentv1.RetryPublishRequest{ContentId: fxContentA}},
	{contentv1connect.EventContentServiceSetEventSocialProfileProcedure, notFound, &contentv1.SetEventSocialProfileRequest{EventId: fxOrgEvent, OfficialHashtags: []string{"hijack"}}},
	{contentv1connect.EventContentServiceCreateDelegateProcedure, notFound, &contentv1.CreateDelegateRequest{EventId: fxOrgEvent, FirstName: "Eve", DelegateType: contentv1.DelegateType_DELEGATE_TYPE_GUEST}},
	{contentv1connect.EventContentServiceUpdateDelegateProcedure, notFound, &contentv1.UpdateDelegateRequest{DelegateId: fxDelegate, VipTier: proto.Int32(0)}},
	{contentv1connect.EventContentServiceSearchDelegatesProcedure, notFound, &contentv1.SearchDelegatesRequest{EventId: fxOrgEvent}},
	{contentv1connect.EventContentServiceCreatePhaseProcedure, notFound, &contentv1.CreatePhaseRequest{EventId: fxOrgEvent, Name: "Day 9", StartsAt: timestamppb.New(time.Now().Add(time.Hour)), EndsAt: timestamppb.New(time.Now().Add(2 * time.Hour))}},
	{contentv1connect.EventContentServiceListPhasesProcedure, notFound, &contentv1.ListPhasesRequest{EventId: fxOrgEvent}},
	{contentv1connect.EventContentServiceGetSentimentSummaryProcedure, notFound, &contentv1.GetSentimentSummaryRequest{Subject: &contentv1.GetSentimentSummaryRequest_EventId{EventId: fxOrgEvent}}},
	{contentv1connect.EventContentServiceGetSentimentSummaryProcedure, notFound, &contentv1.GetSentimentSummaryRequest{Subject: &contentv1.GetSentimentSummaryRequest_PublishedPostId{PublishedPostId: fxPostA}}},
	{contentv1connect.SocialServiceStartConnectProcedure, hidden, &contentv1.StartConnectRequest{OrganizationId: fxOrgA, Platform: "x"}},
	{contentv1connect.SocialServiceListSocialAccountsProcedure, hidden, &contentv1.ListSocialAccountsRequest{OrganizationId: fxOrgA}},
	{contentv1connect.SocialServiceDisconnectSocialAccountProcedure, notFound, &contentv1.DisconnectSocialAccountRequest{SocialAccountId: fxSocialAcct}},
	{contentv1connect.SocialServiceListPublishedPostsProcedure, hidden, &contentv1.ListPublishedPostsRequest{OrganizationId: fxOrgA}},
	{contentv1connect.SocialServiceGetPostMetricsProcedure, notFound, &contentv1.GetPostMetricsRequest{PublishedPostId: fxPost}},
	{contentv1connect.ApprovalServiceCreateApprovalWorkflowProcedure, hidden, &contentv1.CreateApprovalWorkflowRequest{OrganizationId: fxOrgA, Workflow: approvalWorkflowInput()}},
	{contentv1connect.ApprovalServiceUpdateApprovalWorkflowProcedure, notFound, &contentv1.UpdateApprovalWorkflowRequest{ApprovalWorkflowId: fxApprovalWorkflow, Workflow: approvalWorkflowInput()}},
	{contentv1connect.ApprovalServiceListApprovalWorkflowsProcedure, notFound, &contentv1.ListApprovalWorkflowsRequest{OrganizationId: fxOrgA}},
	{contentv1connect.ApprovalServiceApproveProcedure, notFound, &contentv1.ApproveRequest{ContentId: fxApprovalContent, Version: 1, Step: 1}},
	{contentv1connect.ApprovalServiceRejectProcedure, notFound, &contentv1.RejectRequest{ContentId: fxApprovalContent, Version: 1, Step: 1, Comment: "no"}},
	{contentv1connect.ApprovalServiceRequestChangesProcedure, notFound, &contentv1.RequestChangesRequest{ContentId: fxApprovalContent, Version: 1, Step: 1, Comment: "fix"}},
	{contentv1connect.ApprovalServiceListMyPendingApprovalsProcedure, scoped, &contentv1.ListMyPendingApprovalsRequest{OrganizationId: proto.String(fxOrgA)}},
	{contentv1connect.ApprovalServiceGetApprovalHistoryProcedure, notFound, &contentv1.GetApprovalHistoryRequest{ContentId: fxApprovalContent}},
	{contentv1connect.ApprovalServiceSetOutOfOfficeProcedure, notFound, &contentv1.SetOutOfOfficeRequest{OrganizationId: fxOrgA, Clear: true}},
	{contentv1connect.ApprovalServiceCreateExternalReviewLinkProcedure, notFound, &contentv1.CreateExternalReviewLinkRequest{ContentId: fxApprovalContent, Version: 1, Step: 1, ReviewerName: "R", ReviewerEmail: "r@example.com", ExpiresInHours: 1}},
	{contentv1connect.ContentServiceSubmitContentProcedure, notFound, &contentv1.SubmitContentRequest{ContentId: fxApprovalContent, ExpectedVersion: 1}},
	{contentv1connect.ContentServiceRescheduleContentProcedure, notFound, &contentv1.RescheduleContentRequest{ContentId: fxApprovalContent, ScheduledFor: timestamppb.New(time.Now().Add(48 * time.Hour))}},
	{contentv1connect.ContentServiceWithdrawContentProcedure, notFound, &contentv1.WithdrawContentRequest{ContentId: fxApprovalContent}},
}

// withoutForeignIDs are the mounted procedures that take no ID of anything a
// tenant owns, with the reason (one line each).
var withoutForeignIDs = map[string]string{
	identityv1connect.AuthServiceRequestOtpProcedure:                       "takes a phone; signing in is public",
	identityv1connect.AuthServiceVerifyOtpProcedure:                        "takes a phone and its code; signing in is public",
	identityv1connect.AuthServiceRefreshProcedure:                          "takes a refresh token, a secret, not an ID",
	identityv1connect.AuthServiceLogoutProcedure:                           "takes a refresh token, a secret, not an ID",
	identityv1connect.UserServiceGetMeProcedure:                            "the caller's own user",
	identityv1connect.UserServiceUpdateProfileProcedure:                    "the caller's own profile; interests are a shared catalogue",
	identityv1connect.UserServiceListInterestsProcedure:                    "the shared interest catalogue",
	identityv1connect.UserServiceRequestEmailVerificationProcedure:         "the caller's own email address",
	identityv1connect.UserServiceVerifyEmailProcedure:                      "the caller's own email code",
	identityv1connect.OrganizationServiceListMyInvitationsProcedure:        "the caller's own invitations",
	identityv1connect.OrganizationServiceCreateOrganizationProcedure:       "creates the caller's own organization",
	eventsv1connect.EventServiceCreateEventProcedure:                       "creates the caller's own event; venues are a shared catalogue",
	eventsv1connect.EventServiceListEventsProcedure:                        "lists published public events, which anyone may see",
	eventsv1connect.EventServiceListMyEventsProcedure:                      "the caller's own events",
	eventsv1connect.EventServiceCreateVenueProcedure:                       "venues are a shared catalogue any host may add to",
	eventsv1connect.EventServiceListVenuesProcedure:                        "venues are a shared catalogue any host may use",
	eventsv1connect.TicketingServiceRespondToInviteProcedure:               "takes an invite token, a secret meant to be shared, not an ID",
	eventsv1connect.TicketingServiceListMyTicketsProcedure:                 "the caller's own tickets",
	notificationsv1connect.NotificationServiceListMyNotificationsProcedure: "the caller's own inbox",
	notificationsv1connect.NotificationServiceUnreadCountProcedure:         "the caller's own inbox",
	notificationsv1connect.NotificationServiceMarkAllReadProcedure:         "the caller's own inbox",
	notificationsv1connect.NotificationServiceWatchNotificationsProcedure:  "the caller's own inbox",
	notificationsv1connect.NotificationServiceGetPreferencesProcedure:      "the caller's own preferences",
	notificationsv1connect.NotificationServiceUpdatePreferencesProcedure:   "the caller's own preferences",
	notificationsv1connect.NotificationServiceRegisterDeviceProcedure:      "the caller's own device",
	contentv1connect.ApprovalServiceGetExternalReviewProcedure:             "takes a review link's token, a secret meant to be shared, not an ID",
	contentv1connect.ApprovalServiceActAsExternalReviewerProcedure:         "takes a review link's token, a secret meant to be shared, not an ID",
}

// freeOfForeignIDs is withoutForeignIDs with every topic's lines.
func freeOfForeignIDs() map[string]string {
	out := maps.Clone(withoutForeignIDs)
	for _, topic := range matrixTopics {
		maps.Copy(out, topic.free)
	}
	return out
}

func TestTenantMatrix_EveryProcedureHasAnEntry(t *testing.T) {
	t.Parallel()
	listed := map[string]bool{}
	free := freeOfForeignIDs()
	for _, tc := range tenantCases() {
		listed[tc.procedure] = true
		_, alsoFree := free[tc.procedure]
		assert.False(t, alsoFree, "%s is both in tenantMatrix and in withoutForeignIDs: keep one", tc.procedure)
	}
	mounted := map[string]bool{}
	for _, p := range mountedProcedures(t) {
		mounted[p] = true
		_, isFree := free[p]
		assert.True(t, listed[p] || isFree, "%s has no tenant-matrix entry: add one line to tenantMatrix in "+
			"api/matrix_tenant_test.go (A's IDs, the codes B's owner may get), or to withoutForeignIDs with the reason", p)
	}
	for p := range listed {
		assert.True(t, mounted[p], "tenantMatrix lists %s, which the server does not mount", p)
	}
	for p := range free {
		assert.True(t, mounted[p], "withoutForeignIDs lists %s, which the server does not mount", p)
	}
}

func TestTenantMatrix_ForeignAndAnonymousCallersChangeNothing(t *testing.T) {
	f := newMatrixFixture(t)
	before := f.settledSnapshot(t)
	for _, tc := range tenantCases() {
		t.Run(tc.procedure[1:], func(t *testing.T) {
			body := f.fill(protoJSON(t, tc.request))
			code, msg := callJSON(t, f.a, tc.procedure, f.ownerB.AccessToken, body)
			assert.Contains(t, codeNames(tc.foreign), codeName(code), "B's owner with A's IDs: %s", msg)
			code, msg = callJSON(t, f.a, tc.procedure, "", body)
			assert.Equal(t, codeName(connect.CodeUnauthenticated), codeName(code), "anonymous: %s", msg)
		})
	}
	f.requireUnchanged(t, before)
}

// requireUnchanged asserts every table is as in before, once the API's
// background work has had a moment to act on anything a call might have
// started.
func (f *matrixFixture) requireUnchanged(t *testing.T, before map[string]testenv.TableState, msgAndArgs ...any) {
	t.Helper()
	for _, table := range []string{"organization_members", "events", "event_requests", "tickets", "notification_jobs", "notifications"} {
		require.Positive(t, before[table].Rows, "the fixture has %s", table)
		require.NotEmpty(t, before[table].Digest, "%s is compared by content", table)
	}
	testenv.RequireUnchanged(t, before, f.settledSnapshot(t), msgAndArgs...)
}

func codeNames(codes []connect.Code) []string {
	names := make([]string, len(codes))
	for i, c := range codes {
		names[i] = codeName(c)
	}
	return names
}
