package api_test

// The bad-input matrix: every RPC gets, over real Connect HTTP with raw
// JSON, an empty body and bodies that are not a JSON object, and — one
// field at a time, over a valid request of the RPC — oversized strings,
// malformed IDs, values of the wrong JSON type, and boundary values (page
// sizes 0, -1 and huge, times far in the past and future, negative money,
// NaN). No case may answer internal or unknown, and every table in the
// public schema must be exactly as it was after the whole matrix.
//
// A new RPC joins by ONE line in inputMatrix:
//
//	{foov1connect.FooServiceDoBarProcedure, asOwnerA, &foov1.DoBarRequest{EventId: fxPaidEvent, Note: "x"}},
//
// (procedure, who calls — asOwnerA, asMemberA, asBuyerA, asOwnerB or
// anonymous — and a valid request naming the fixture's things by the
// placeholders in matrix_fixture_test.go; the cases are derived from the
// request's descriptor). TestInputMatrix_EveryProcedureHasAnEntry fails for
// a mounted procedure without one.

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
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

// caller is who sends a matrix request.
type caller int

// The fixture's callers.
const (
	anonymous caller = iota
	asOwnerA
	asMemberA
	asBuyerA
	asOwnerB
)

// token is c's access token, empty for the anonymous caller.
func (f *matrixFixture) token(c caller) string {
	switch c {
	case asOwnerA:
		return f.ownerA.AccessToken
	case asMemberA:
		return f.memberA.AccessToken
	case asBuyerA:
		return f.buyerA.AccessToken
	case asOwnerB:
		return f.ownerB.AccessToken
	}
	return ""
}

// inputCase is one line of the matrix.
type inputCase struct {
	procedure string
	as        caller
	// valid is a request the caller may make; each case spoils one field.
	valid proto.Message
}

// inputMatrix has an entry per mounted RPC (one line each; see the file comment).
var inputMatrix = []inputCase{
	{identityv1connect.AuthServiceRequestOtpProcedure, anonymous, &identityv1.RequestOtpRequest{Phone: fxPhoneB}},
	{identityv1connect.AuthServiceVerifyOtpProcedure, anonymous, &identityv1.VerifyOtpRequest{Phone: fxPhoneB, Code: "123456"}},
	{identityv1connect.AuthServiceRefreshProcedure, anonymous, &identityv1.RefreshRequest{RefreshToken: "a-refresh-token"}},
	{identityv1connect.AuthServiceLogoutProcedure, anonymous, &identityv1.LogoutRequest{RefreshToken: "a-refresh-token"}},
	{identityv1connect.UserServiceGetMeProcedure, asOwnerB, &identityv1.GetMeRequest{}},
	{identityv1connect.UserServiceUpdateProfileProcedure, asOwnerB, &identityv1.UpdateProfileRequest{Name: proto.String("Bee"), Bio: proto.String("b"), InterestSlugs: []string{"music"}}},
	{identityv1connect.UserServiceListInterestsProcedure, asOwnerB, &identityv1.ListInterestsRequest{}},
	{identityv1connect.OrganizationServiceCreateOrganizationProcedure, asOwnerB, &identityv1.CreateOrganizationRequest{Name: "N", Slug: "new-org", Description: "d", CountryCode: proto.String("IN")}},
	{identityv1connect.OrganizationServiceGetOrganizationProcedure, asOwnerA, &identityv1.GetOrganizationRequest{OrganizationId: fxOrgA}},
	{identityv1connect.OrganizationServiceAddMemberProcedure, asOwnerA, &identityv1.AddMemberRequest{OrganizationId: fxOrgA, Contact: &identityv1.AddMemberRequest_Phone{Phone: fxPhoneB}, Role: identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER}},
	{identityv1connect.OrganizationServiceListMembersProcedure, asOwnerA, &identityv1.ListMembersRequest{OrganizationId: fxOrgA, PageSize: 10}},
	{identityv1connect.OrganizationServiceRemoveMemberProcedure, asOwnerA, &identityv1.RemoveMemberRequest{OrganizationId: fxOrgA, UserId: fxMemberA}},
	{identityv1connect.OrganizationServiceListMyInvitationsProcedure, asOwnerB, &identityv1.ListMyInvitationsRequest{}},
	{identityv1connect.OrganizationServiceAcceptInvitationProcedure, asOwnerB, &identityv1.AcceptInvitationRequest{OrganizationId: fxOrgA}},
	{identityv1connect.OrganizationServiceDeclineInvitationProcedure, asOwnerB, &identityv1.DeclineInvitationRequest{OrganizationId: fxOrgA}},
	{identityv1connect.UserServiceRequestEmailVerificationProcedure, asOwnerB, &identityv1.RequestEmailVerificationRequest{Email: "bee@example.com"}},
	{identityv1connect.UserServiceVerifyEmailProcedure, asOwnerB, &identityv1.VerifyEmailRequest{Code: "123456"}},
	{eventsv1connect.EventServiceCreateEventProcedure, asOwnerA, &eventsv1.CreateEventRequest{Event: paidEventInput()}},
	{eventsv1connect.EventServiceUpdateEventProcedure, asOwnerA, &eventsv1.UpdateEventRequest{EventId: fxDraftEvent, Event: paidEventInput()}},
	{eventsv1connect.EventServicePublishEventProcedure, asOwnerA, &eventsv1.PublishEventRequest{EventId: fxDraftEvent}},
	{eventsv1connect.EventServiceCancelEventProcedure, asOwnerA, &eventsv1.CancelEventRequest{EventId: fxPaidEvent, Reason: "rain"}},
	{eventsv1connect.EventServiceGetEventProcedure, asOwnerA, &eventsv1.GetEventRequest{EventId: fxPaidEvent}},
	{eventsv1connect.EventServiceListEventsProcedure, asOwnerB, &eventsv1.ListEventsRequest{InterestSlugs: []string{"music"}, StartsAfter: timestamppb.Now(), StartsBefore: timestamppb.Now(), IsPaid: proto.Bool(true), Query: "jam", NearLatitude: proto.Float64(12.9), NearLongitude: proto.Float64(77.6), RadiusKm: 10, PageSize: 10}},
	{eventsv1connect.EventServiceListMyEventsProcedure, asOwnerA, &eventsv1.ListMyEventsRequest{PageSize: 10}},
	{eventsv1connect.EventServiceCreateVenueProcedure, asOwnerA, &eventsv1.CreateVenueRequest{Name: "Hall", Address: "1 Main St", Latitude: 12.9, Longitude: 77.6}},
	{eventsv1connect.EventServiceListVenuesProcedure, asOwnerA, &eventsv1.ListVenuesRequest{Query: "Hall", PageSize: 10}},
	{eventsv1connect.TicketingServiceRequestToJoinProcedure, asMemberA, &eventsv1.RequestToJoinRequest{EventId: fxFreeEvent, Seats: 1, Message: "hi", InviteToken: "an-invite-token"}},
	{eventsv1connect.TicketingServiceGetRequestProcedure, asBuyerA, &eventsv1.GetRequestRequest{RequestId: fxPaidRequest}},
	{eventsv1connect.TicketingServiceDecideRequestProcedure, asOwnerA, &eventsv1.DecideRequestRequest{RequestId: fxPaidRequest, Accept: true, HostMessage: "ok"}},
	{eventsv1connect.TicketingServiceInviteUserProcedure, asOwnerA, &eventsv1.InviteUserRequest{EventId: fxPrivateEvent, Invitee: &eventsv1.InviteUserRequest_UserId{UserId: fxUserB}, Message: "m", ExpiresInHours: 24}},
	{eventsv1connect.TicketingServiceCreateInviteLinkProcedure, asOwnerA, &eventsv1.CreateInviteLinkRequest{EventId: fxPrivateEvent, ExpiresInHours: 24, MaxUses: 10}},
	{eventsv1connect.TicketingServiceRespondToInviteProcedure, asMemberA, &eventsv1.RespondToInviteRequest{Token: "an-invite-token", Accept: true, Seats: 1}},
	{eventsv1connect.TicketingServiceCancelRequestProcedure, asBuyerA, &eventsv1.CancelRequestRequest{RequestId: fxFreeRequest, Reason: "ill"}},
	{eventsv1connect.TicketingServiceListRequestsProcedure, asOwnerA, &eventsv1.ListRequestsRequest{EventId: fxPaidEvent, Status: eventsv1.RequestStatus_REQUEST_STATUS_PENDING, PageSize: 10}},
	{eventsv1connect.TicketingServiceListAttendeesProcedure, asOwnerA, &eventsv1.ListAttendeesRequest{EventId: fxFreeEvent, PageSize: 10}},
	{eventsv1connect.TicketingServiceListMyTicketsProcedure, asBuyerA, &eventsv1.ListMyTicketsRequest{PageSize: 10}},
	{eventsv1connect.TicketingServiceGetTicketProcedure, asBuyerA, &eventsv1.GetTicketRequest{TicketId: fxTicket}},
	{eventsv1connect.TicketingServiceGetCheckinKeyProcedure, asOwnerA, &eventsv1.GetCheckinKeyRequest{EventId: fxFreeEvent}},
	{eventsv1connect.TicketingServiceCheckInProcedure, asOwnerA, &eventsv1.CheckInRequest{EventId: fxFreeEvent, Code: fxTicketCode, Nonce: "matrix-nonce", DeviceId: "matrix-device"}},
	{notificationsv1connect.NotificationServiceListMyNotificationsProcedure, asMemberA, &notificationsv1.ListMyNotificationsRequest{UnreadOnly: true, PageSize: 10}},
	{notificationsv1connect.NotificationServiceUnreadCountProcedure, asMemberA, &notificationsv1.UnreadCountRequest{}},
	{notificationsv1connect.NotificationServiceMarkReadProcedure, asMemberA, &notificationsv1.MarkReadRequest{NotificationIds: []string{fxNotification}}},
	{notificationsv1connect.NotificationServiceMarkAllReadProcedure, asOwnerB, &notificationsv1.MarkAllReadRequest{}},
	{notificationsv1connect.NotificationServiceWatchNotificationsProcedure, asMemberA, &notificationsv1.WatchNotificationsRequest{}},
	{notificationsv1connect.NotificationServiceGetPreferencesProcedure, asMemberA, &notificationsv1.GetPreferencesRequest{}},
	{notificationsv1connect.NotificationServiceUpdatePreferencesProcedure, asMemberA, &notificationsv1.UpdatePreferencesRequest{Entries: []*notificationsv1.PreferenceEntry{{Category: "announcements", Channel: notificationsv1.Channel_CHANNEL_PUSH}}, QuietHours: &notificationsv1.QuietHours{Start: "22:00", End: "07:00", Timezone: "Asia/Kolkata"}}},
	{notificationsv1connect.NotificationServiceRegisterDeviceProcedure, asMemberA, &notificationsv1.RegisterDeviceRequest{Token: "device-token", Platform: notificationsv1.DevicePlatform_DEVICE_PLATFORM_ANDROID}},
	{notificationsv1connect.NotificationServiceCreateNotificationJobProcedure, asOwnerA, scheduledJob()},
	{notificationsv1connect.NotificationServiceGetNotificationJobProcedure, asOwnerA, &notificationsv1.GetNotificationJobRequest{JobId: fxJob}},
	{notificationsv1connect.NotificationServiceListNotificationJobsProcedure, asOwnerA, &notificationsv1.ListNotificationJobsRequest{OrganizationId: fxOrgA, PageSize: 10}},
	{notificationsv1connect.NotificationServiceCancelNotificationJobProcedure, asOwnerA, &notificationsv1.CancelNotificationJobRequest{JobId: fxJob}},
	{notificationsv1connect.NotificationServiceListCategoriesProcedure, asMemberA, &notificationsv1.ListCategoriesRequest{OrganizationId: fxOrgA}},
	// Content writes are sent by callers who may not make them (a member,
	// or B's owner into A), so a spoiled field that is still valid changes
	// nothing either.
	{contentv1connect.CampaignServiceCreateCampaignProcedure, asMemberA, newCampaign(fxOrgA)},
	{contentv1connect.CampaignServiceUpdateCampaignProcedure, asMemberA, &contentv1.UpdateCampaignRequest{CampaignId: fxCampaign, Name: proto.String("n"), EventId: proto.String(fxFreeEvent), StartDate: timestamppb.Now(), EndDate: timestamppb.Now(), TargetPlatforms: &contentv1.PlatformList{Platforms: []string{"x"}}}},
	{contentv1connect.CampaignServiceGetCampaignProcedure, asMemberA, &contentv1.GetCampaignRequest{CampaignId: fxCampaign}},
	{contentv1connect.CampaignServiceListCampaignsProcedure, asMemberA, &contentv1.ListCampaignsRequest{OrganizationId: fxOrgA, EventId: proto.String(fxFreeEvent), PageSize: 10}},
	{contentv1connect.CampaignServiceArchiveCampaignProcedure, asMemberA, &contentv1.ArchiveCampaignRequest{CampaignId: fxCampaign}},
	{contentv1connect.CampaignServiceGetCampaignReportProcedure, asMemberA, &contentv1.GetCampaignReportRequest{CampaignId: fxCampaign}},
	{contentv1connect.ContentServiceCreateContentProcedure, asOwnerB, &contentv1.CreateContentRequest{OrganizationId: fxOrgA, TemplateId: proto.String(fxTemplate), CampaignId: proto.String(fxCampaign), Variables: map[string]string{"what": "x"}, Hashtags: []string{"go"}, MediaAssetIds: []string{fxMedia}, ScheduledFor: timestamppb.Now()}},
	{contentv1connect.ContentServiceUpdateContentProcedure, asMemberA, &contentv1.UpdateContentRequest{ContentId: fxContent, ExpectedVersion: 1, Title: "t", Hashtags: []string{"go"}, MediaAssetIds: []string{fxMedia}, ScheduledFor: timestamppb.Now()}},
	{contentv1connect.ContentServiceDeleteContentProcedure, asMemberA, &contentv1.DeleteContentRequest{ContentId: fxContent}},
	{contentv1connect.ContentServiceGetContentProcedure, asMemberA, &contentv1.GetContentRequest{ContentId: fxContent}},
	{contentv1connect.ContentServiceListContentProcedure, asMemberA, &contentv1.ListContentRequest{OrganizationId: fxOrgA, Query: "matrix", CampaignId: proto.String(fxCampaign), PageSize: 10}},
	{contentv1connect.ContentServiceListContentVersionsProcedure, asMemberA, &contentv1.ListContentVersionsRequest{ContentId: fxContent}},
	{contentv1connect.ContentServiceDiffContentVersionsProcedure, asMemberA, &contentv1.DiffContentVersionsRequest{ContentId: fxContent, FromVersion: 1, ToVersion: 1}},
	{contentv1connect.ContentServiceCreateTemplateProcedure, asMemberA, &contentv1.CreateTemplateRequest{OrganizationId: fxOrgA, Name: "n", ContentType: contentv1.ContentType_CONTENT_TYPE_POST, Title: "{{a}}", ThumbnailUrl: "https://example.com/t.png"}},
	{contentv1connect.ContentServiceListTemplatesProcedure, asMemberA, &contentv1.ListTemplatesRequest{OrganizationId: fxOrgA, PageSize: 10}},
	{contentv1connect.ContentServiceCreateUploadProcedure, asOwnerB, &contentv1.CreateUploadRequest{OrganizationId: fxOrgA, Filename: "a.png", MimeType: "image/png", FileSize: 10}},
	{contentv1connect.ContentServiceUploadMediaProcedure, asOwnerB, &contentv1.UploadMediaRequest{OrganizationId: fxOrgA, Filename: "a.png", MimeType: "image/png", Data: []byte("x")}},
	{contentv1connect.ContentServiceListMediaAssetsProcedure, asMemberA, &contentv1.ListMediaAssetsRequest{OrganizationId: fxOrgA, PageSize: 10}},
	{notificationsv1connect.NotificationServiceDefineCategoryProcedure, asOwnerA, &notificationsv1.DefineCategoryRequest{OrganizationId: fxOrgA, Name: "workshops", Description: "d"}},
	{contentv1connect.ContentServiceRetryPublishProcedure, asOwnerA, &contentv1.RetryPublishRequest{ContentId: fxContentA, SocialAccountId: proto.String(fxMemberA)}},
	{contentv1connect.EventContentServiceSetEventSocialProfileProcedure, asMemberA, &contentv1.SetEventSocialProfileRequest{EventId: fxOrgEvent, SocialHandles: map[string]string{"x": "@a"}, OfficialHashtags: []string{"tag"}}},
	{contentv1connect.EventContentServiceCreateDelegateProcedure, asMemberA, &contentv1.CreateDelegateRequest{EventId: fxOrgEvent, Title: "Dr.", FirstName: "Eve", LastName: "L", Designation: "d", OrganizationName: "o", Country: "IN", DelegateType: contentv1.DelegateType_DELEGATE_TYPE_GUEST, VipTier: 2, AutoTag: true}},
	{contentv1connect.EventContentServiceUpdateDelegateProcedure, asMemberA, &contentv1.UpdateDelegateRequest{DelegateId: fxDelegate, Title: proto.String("Dr."), FirstName: proto.String("Eve"), LastName: proto.String("L"), Designation: proto.String("d"), OrganizationName: proto.String("o"), Country: proto.String("IN"), DelegateType: contentv1.DelegateType_DELEGATE_TYPE_MEDIA.Enum(), VipTier: proto.Int32(1), AutoTag: proto.Bool(true)}},
	{contentv1connect.EventContentServiceSearchDelegatesProcedure, asOwnerA, &contentv1.SearchDelegatesRequest{EventId: fxOrgEvent, Query: "asha", MinVipTier: 1, PageSize: 10}},
	{contentv1connect.EventContentServiceCreatePhaseProcedure, asMemberA, &contentv1.CreatePhaseRequest{EventId: fxOrgEvent, Name: "Day 9", StartsAt: timestamppb.Now(), EndsAt: timestamppb.New(time.Now().Add(time.Hour))}},
	{contentv1connect.EventContentServiceListPhasesProcedure, asOwnerA, &contentv1.ListPhasesRequest{EventId: fxOrgEvent}},
	{contentv1connect.EventContentServiceGetSentimentSummaryProcedure, asOwnerA, &contentv1.GetSentimentSummaryRequest{Subject: &contentv1.GetSentimentSummaryRequest_EventId{EventId: fxOrgEvent}, From: timestamppb.New(time.Now().Add(-time.Hour)), To: timestamppb.Now()}},
	{contentv1connect.SocialServiceStartConnectProcedure, asOwnerA, &contentv1.StartConnectRequest{OrganizationId: fxOrgA, Platform: "x", EventId: proto.String(fxFreeEvent)}},
	{contentv1connect.SocialServiceListSocialAccountsProcedure, asMemberA, &contentv1.ListSocialAccountsRequest{OrganizationId: fxOrgA}},
	{contentv1connect.SocialServiceDisconnectSocialAccountProcedure, asOwnerA, &contentv1.DisconnectSocialAccountRequest{SocialAccountId: fxSocialAcct}},
	{contentv1connect.SocialServiceListPublishedPostsProcedure, asMemberA, &contentv1.ListPublishedPostsRequest{OrganizationId: fxOrgA, ContentId: proto.String(fxPost), Status: contentv1.PublishStatus_PUBLISH_STATUS_PUBLISHED, PageSize: 10}},
	{contentv1connect.SocialServiceGetPostMetricsProcedure, asMemberA, &contentv1.GetPostMetricsRequest{PublishedPostId: fxPost}},
	{contentv1connect.ApprovalServiceCreateApprovalWorkflowProcedure, asMemberA, &contentv1.CreateApprovalWorkflowRequest{OrganizationId: fxOrgA, Workflow: approvalWorkflowInput()}},
	{contentv1connect.ApprovalServiceUpdateApprovalWorkflowProcedure, asMemberA, &contentv1.UpdateApprovalWorkflowRequest{ApprovalWorkflowId: fxApprovalWorkflow, Workflow: approvalWorkflowInput(), IsActive: true}},
	{contentv1connect.ApprovalServiceListApprovalWorkflowsProcedure, asMemberA, &contentv1.ListApprovalWorkflowsRequest{OrganizationId: fxOrgA}},
	{contentv1connect.ApprovalServiceApproveProcedure, asOwnerA, &contentv1.ApproveRequest{ContentId: fxApprovalContent, Version: 1, Step: 1, Comment: "ok"}},
	{contentv1connect.ApprovalServiceRejectProcedure, asOwnerA, &contentv1.RejectRequest{ContentId: fxApprovalContent, Version: 1, Step: 1, Comment: "no"}},
	{contentv1connect.ApprovalServiceRequestChangesProcedure, asOwnerA, &contentv1.RequestChangesRequest{ContentId: fxApprovalContent, Version: 1, Step: 1, Comment: "fix"}},
	{contentv1connect.ApprovalServiceListMyPendingApprovalsProcedure, asMemberA, &contentv1.ListMyPendingApprovalsRequest{OrganizationId: proto.String(fxOrgA), PageSize: 10}},
	{contentv1connect.ApprovalServiceGetApprovalHistoryProcedure, asMemberA, &contentv1.GetApprovalHistoryRequest{ContentId: fxApprovalContent}},
	{contentv1connect.ApprovalServiceSetOutOfOfficeProcedure, asOwnerB, &contentv1.SetOutOfOfficeRequest{OrganizationId: fxOrgA, DelegateUserId: fxMemberA, StartsAt: timestamppb.Now(), EndsAt: timestamppb.New(time.Now().Add(time.Hour))}},
	{contentv1connect.ApprovalServiceCreateExternalReviewLinkProcedure, asOwnerA, &contentv1.CreateExternalReviewLinkRequest{ContentId: fxApprovalContent, Version: 1, Step: 1, ReviewerName: "R", ReviewerEmail: "r@example.com", ExpiresInHours: 1}},
	{contentv1connect.ApprovalServiceGetExternalReviewProcedure, anonymous, &contentv1.GetExternalReviewRequest{Token: "a-review-token-0123456789"}},
	{contentv1connect.ApprovalServiceActAsExternalReviewerProcedure, anonymous, &contentv1.ActAsExternalReviewerRequest{Token: "a-review-token-0123456789", Action: contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_REJECT, Comment: "no"}},
	{contentv1connect.ContentServiceSubmitContentProcedure, asOwnerB, &contentv1.SubmitContentRequest{ContentId: fxApprovalContent, ExpectedVersion: 1}},
	{contentv1connect.ContentServiceRescheduleContentProcedure, asOwnerB, &contentv1.RescheduleContentRequest{ContentId: fxApprovalContent, ScheduledFor: timestamppb.New(time.Now().Add(48 * time.Hour))}},
	{contentv1connect.ContentServiceWithdrawContentProcedure, asOwnerB, &contentv1.WithdrawContentRequest{ContentId: fxApprovalContent, Reason: "r"}},
}

// acceptedWrites are the cases that write RPCs take on purpose, keyed
// "procedure case", with the reason (one line each). They run after the
// snapshot is compared, checked only for never failing internally; any
// other case that changes a table fails the matrix.
var acceptedWrites = map[string]string{
	notificationsv1connect.NotificationServiceCreateNotificationJobProcedure + " scheduledAt = year 1": "a schedule in the past means now, as documented",
}

// newCampaign is a valid week-long campaign of orgID with every field set.
func newCampaign(orgID string) *contentv1.CreateCampaignRequest {
	start := time.Now().Truncate(time.Second)
	kpi, _ := structpb.NewStruct(map[string]any{"impressions": 1000})
	return &contentv1.CreateCampaignRequest{OrganizationId: orgID, Name: "Launch", CampaignType: contentv1.CampaignType_CAMPAIGN_TYPE_AWARENESS,
		StartDate: timestamppb.New(start), EndDate: timestamppb.New(start.Add(7 * 24 * time.Hour)), TargetPlatforms: []string{"x"}, KpiTargets: kpi}
}

// paidEventInput is a valid paid event with every optional field set, so
// each is spoiled in turn.
func paidEventInput() *eventsv1.EventInput {
	in := futureEvent()
	in.Mood, in.Description, in.VenueId, in.VenueText = "chill", "d", proto.String(fxVenueA), "Hall A"
	in.Latitude, in.Longitude, in.MaxSeatsPerRequest = proto.Float64(12.9), proto.Float64(77.6), 2
	in.IsPaid, in.TicketPriceMinor, in.Currency, in.GstNumber, in.GstBps = true, 50000, "INR", "29ABCDE1234F1Z5", 1800
	in.PlatformFeeFixedMinor, in.PlatformFeeBps, in.HoldMinutes = 100, 200, 15
	return in
}

// scheduledJob is a valid notification job for A's members, scheduled and
// with a variable, so each field is spoiled in turn.
func scheduledJob() *notificationsv1.CreateNotificationJobRequest {
	req := jobRequest(fxOrgA, membersOf(fxOrgA, "member"))
	req.Variables, req.ScheduledAt = map[string]string{"time": "seven"}, timestamppb.Now()
	return req
}

func TestInputMatrix_EveryProcedureHasAnEntry(t *testing.T) {
	t.Parallel()
	listed := map[string]bool{}
	for _, tc := range inputCases() {
		assert.False(t, listed[tc.procedure], "inputMatrix lists %s twice", tc.procedure)
		listed[tc.procedure] = true
	}
	mounted := mountedProcedures(t)
	for _, p := range mounted {
		assert.True(t, listed[p], "%s has no bad-input entry: add one line to inputMatrix in api/matrix_input_test.go "+
			"(who calls, and a valid request)", p)
	}
	for p := range listed {
		assert.True(t, slices.Contains(mounted, p), "inputMatrix lists %s, which the server does not mount", p)
	}
}

func TestInputMatrix_BadInputNeverFailsInternallyAndChangesNothing(t *testing.T) {
	f := newMatrixFixture(t)
	before := f.settledSnapshot(t)
	var accepted []string // the cases a server took, named if the snapshot then differs
	later := map[string][]badInput{}
	for _, tc := range inputCases() {
		t.Run(tc.procedure[1:], func(t *testing.T) {
			var valid map[string]any
			require.NoError(t, json.Unmarshal(f.fill(protoJSON(t, tc.valid)), &valid))
			for _, bad := range badInputs(tc.valid.ProtoReflect().Descriptor(), valid) {
				if _, ok := acceptedWrites[tc.procedure+" "+bad.name]; ok {
					later[tc.procedure] = append(later[tc.procedure], bad)
					continue
				}
				if f.sendBadInput(t, tc, bad) == codeOK {
					accepted = append(accepted, tc.procedure+" "+bad.name)
				}
			}
		})
	}
	f.requireUnchanged(t, before, "tables changed; the cases accepted: %s", strings.Join(accepted, "; "))
	runAcceptedWrites(t, f, later)
}

// runAcceptedWrites sends the acceptedWrites cases, once the snapshot is
// compared, and checks every listed case still exists.
func runAcceptedWrites(t *testing.T, f *matrixFixture, later map[string][]badInput) {
	seen := 0
	for _, tc := range inputCases() {
		for _, bad := range later[tc.procedure] {
			f.sendBadInput(t, tc, bad)
			seen++
		}
	}
	assert.Equal(t, len(acceptedWrites), seen, "acceptedWrites names a case the matrix no longer makes")
}

// sendBadInput sends one case as tc's caller and checks its code.
func (f *matrixFixture) sendBadInput(t *testing.T, tc inputCase, bad badInput) connect.Code {
	t.Helper()
	code, msg := callJSON(t, f.a, tc.procedure, f.token(tc.as), bad.body)
	assert.NotContains(t, []connect.Code{connect.CodeInternal, connect.CodeUnknown}, code,
		"%s: %s answered %s: %s", bad.name, tc.procedure, codeName(code), msg)
	if bad.refused {
		assert.NotEqual(t, codeOK, code, "%s: %s accepted it", bad.name, tc.procedure)
	}
	return code
}

// badInput is one request body of the matrix.
type badInput struct {
	name string
	body []byte
	// refused: no server may accept this body (malformed, oversized, wrong
	// type); boundary values and the empty request may be valid for some RPCs.
	refused bool
}

// oversized is longer than any string field Convene accepts.
var oversized = strings.Repeat("x", 100_000)

// badInputs derives the cases for a request of md, valid being a valid one
// as decoded JSON.
func badInputs(md protoreflect.MessageDescriptor, valid map[string]any) []badInput {
	cases := []badInput{
		{name: "empty request", body: []byte(`{}`)},
		{name: "body is an array", body: []byte(`[]`), refused: true},
		{name: "body is a number", body: []byte(`12`), refused: true},
		{name: "body is not JSON", body: []byte(`{"`), refused: true},
	}
	for _, m := range fieldMutations(md, nil) {
		body, err := json.Marshal(setPath(valid, m.path, m.value))
		if err != nil {
			panic(err) // every value built here marshals
		}
		cases = append(cases, badInput{name: fmt.Sprintf("%s = %s", pathString(m.path), m.what), body: body, refused: m.refused})
	}
	return cases
}

// mutation puts value at path.
type mutation struct {
	path    []string
	value   any
	what    string
	refused bool
}

// fieldMutations spoils each field of md (nested messages too) in turn.
func fieldMutations(md protoreflect.MessageDescriptor, prefix []string) []mutation {
	var out []mutation
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		path := append(slices.Clone(prefix), fd.JSONName())
		add := func(value any, what string, refused bool) {
			out = append(out, mutation{path: path, value: value, what: what, refused: refused})
		}
		switch {
		case fd.IsMap():
			add("a string", "a string for a map", true)
		case fd.IsList():
			add("a string", "a string for a list", true)
			if fd.Kind() == protoreflect.StringKind {
				add([]any{oversized}, "[oversized string]", true)
				add([]any{12345}, "[number for a string]", true)
				if isID(fd) {
					add([]any{"not-a-uuid"}, "[malformed ID]", true)
				}
			}
			if fd.Kind() == protoreflect.MessageKind && len(prefix) < 3 {
				out = append(out, fieldMutations(fd.Message(), append(slices.Clone(path), "0"))...)
			}
		default:
			out = append(out, scalarMutations(fd, path)...)
		}
	}
	return out
}

// scalarMutations spoils one singular field.
func scalarMutations(fd protoreflect.FieldDescriptor, path []string) []mutation {
	var out []mutation
	add := func(value any, what string, refused bool) {
		out = append(out, mutation{path: path, value: value, what: what, refused: refused})
	}
	switch fd.Kind() {
	case protoreflect.StringKind:
		add(oversized, "oversized string", true)
		add(12345, "a number for a string", true)
		if isID(fd) {
			add("not-a-uuid", "malformed ID", true)
		}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		add("abc", "a string for a number", true)
		add(-1, "-1", false)
		add(math.MaxInt32, "max int32", false)
		add(math.MinInt32, "min int32", false)
		if fd.Name() == "page_size" {
			add(0, "0", false)
		}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		add("abc", "a string for a number", true)
		add(-1, "-1 (negative money)", false)
		add(fmt.Sprint(int64(math.MaxInt64)), "max int64", false)
	case protoreflect.DoubleKind, protoreflect.FloatKind:
		add("abc", "a string for a number", true)
		for _, v := range []string{"NaN", "Infinity", "-Infinity"} {
			add(v, v, false)
		}
		add(1e308, "1e308", false)
	case protoreflect.BoolKind:
		add("yes", "a string for a bool", true)
	case protoreflect.EnumKind:
		add(999, "an undefined enum number", false)
		add(map[string]any{}, "an object for an enum", true)
	case protoreflect.MessageKind:
		out = append(out, messageMutations(fd, path)...)
	}
	return out
}

// messageMutations spoils a message field: timestamps get far past and
// future times, other messages a wrong type and each of their fields.
func messageMutations(fd protoreflect.FieldDescriptor, path []string) []mutation {
	if fd.Message().FullName() == "google.protobuf.Timestamp" {
		return []mutation{
			{path: path, value: "0001-01-01T00:00:00Z", what: "year 1"},
			{path: path, value: "9999-12-31T23:59:59Z", what: "year 9999"},
			{path: path, value: 12345, what: "a number for a time", refused: true},
			{path: path, value: "yesterday", what: "not a time", refused: true},
		}
	}
	out := []mutation{{path: path, value: "a string", what: "a string for a message", refused: true}}
	if len(path) < 4 {
		out = append(out, fieldMutations(fd.Message(), path)...)
	}
	return out
}

// isID says whether fd holds IDs: the proto declares it a UUID, or it is
// named like one and has no free-form length rule.
func isID(fd protoreflect.FieldDescriptor) bool {
	rules, _ := proto.GetExtension(fd.Options(), validate.E_Field).(*validate.FieldRules)
	if rules.GetString().GetUuid() || rules.GetRepeated().GetItems().GetString().GetUuid() {
		return true
	}
	name := string(fd.Name())
	named := name == "id" || strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "_ids")
	return named && rules.GetString().GetMaxLen() == 0
}

// setPath returns a deep copy of doc with value at path (a list index is a
// decimal path element), creating objects and lists on the way.
func setPath(doc any, path []string, value any) any {
	if len(path) == 0 {
		return value
	}
	if list, ok := doc.([]any); ok && path[0] == "0" {
		out := slices.Clone(list)
		if len(out) == 0 {
			out = []any{map[string]any{}}
		}
		out[0] = setPath(out[0], path[1:], value)
		return out
	}
	obj, _ := doc.(map[string]any)
	out := make(map[string]any, len(obj)+1)
	for k, v := range obj {
		out[k] = v
	}
	next := out[path[0]]
	if next == nil && len(path) > 1 && path[1] == "0" {
		next = []any{}
	}
	out[path[0]] = setPath(next, path[1:], value)
	return out
}

func pathString(path []string) string { return strings.Join(path, ".") }
