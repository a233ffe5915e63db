package contentv1_test

import (
	"strings"
	"testing"
	"time"

	"buf.build/go/protovalidate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// TestCrossFieldRules checks the contract's message-level (CEL) rules and
// the limits a client is most likely to hit, since the API's validation
// interceptor turns each violation into InvalidArgument naming the rule.
func TestCrossFieldRules(t *testing.T) {
	const id = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	const token = "0123456789abcdef"
	start := timestamppb.New(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	end := timestamppb.New(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	step := func(quorum contentv1.Quorum, n int32, users ...string) *contentv1.ApprovalStep {
		return &contentv1.ApprovalStep{Name: "Legal", ApproverUserIds: users, Quorum: quorum, QuorumN: n, SlaHours: 24}
	}

	tests := []struct {
		name    string
		msg     proto.Message
		wantErr string // rule id or field path in the violation; empty: valid
	}{
		{"external approve needs no comment",
			&contentv1.ActAsExternalReviewerRequest{Token: token, Action: contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_APPROVE}, ""},
		{"external reject needs a comment",
			&contentv1.ActAsExternalReviewerRequest{Token: token, Action: contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_REJECT}, "comment_required"},
		{"external request changes with a comment",
			&contentv1.ActAsExternalReviewerRequest{Token: token, Action: contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_REQUEST_CHANGES, Comment: "shorter"}, ""},
		{"external reviewer cannot escalate",
			&contentv1.ActAsExternalReviewerRequest{Token: token, Action: contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_ESCALATE, Comment: "x"}, "action"},
		{"reject needs a comment",
			&contentv1.RejectRequest{ContentId: id, Version: 1, Step: 1}, "comment"},
		{"quorum N needs quorum_n", step(contentv1.Quorum_QUORUM_N, 0, id), "quorum_n_required"},
		{"quorum N of 1", step(contentv1.Quorum_QUORUM_N, 1, id), ""},
		{"step without approvers", step(contentv1.Quorum_QUORUM_ANY, 0), "approvers_required"},
		{"step with a role only", &contentv1.ApprovalStep{Name: "Legal", Quorum: contentv1.Quorum_QUORUM_ALL, SlaHours: 1,
			ApproverRoles: []identityv1.OrganizationRole{identityv1.OrganizationRole_ORGANIZATION_ROLE_APPROVER}}, ""},
		{"workflow without steps",
			&contentv1.CreateApprovalWorkflowRequest{OrganizationId: id, Workflow: &contentv1.ApprovalWorkflowInput{Name: "w"}}, "workflow.steps"},
		{"workflow step checked",
			&contentv1.CreateApprovalWorkflowRequest{OrganizationId: id, Workflow: &contentv1.ApprovalWorkflowInput{Name: "w",
				Steps: []*contentv1.ApprovalStep{step(contentv1.Quorum_QUORUM_N, 0, id)}}}, "quorum_n_required"},
		{"out of office cleared", &contentv1.SetOutOfOfficeRequest{OrganizationId: id, Clear: true}, ""},
		{"out of office cleared with a delegate",
			&contentv1.SetOutOfOfficeRequest{OrganizationId: id, Clear: true, DelegateUserId: id}, "out_of_office_fields"},
		{"out of office without a delegate", &contentv1.SetOutOfOfficeRequest{OrganizationId: id}, "out_of_office_fields"},
		{"out of office set",
			&contentv1.SetOutOfOfficeRequest{OrganizationId: id, DelegateUserId: id, StartsAt: start, EndsAt: end}, ""},
		{"out of office ending before it starts",
			&contentv1.SetOutOfOfficeRequest{OrganizationId: id, DelegateUserId: id, StartsAt: end, EndsAt: start}, "out_of_office_period"},
		{"phase ending before it starts",
			&contentv1.CreatePhaseRequest{EventId: id, Name: "Day 1", StartsAt: end, EndsAt: start}, "phase_period"},
		{"sentiment of nothing", &contentv1.GetSentimentSummaryRequest{}, "subject"},
		{"sentiment of an event",
			&contentv1.GetSentimentSummaryRequest{Subject: &contentv1.GetSentimentSummaryRequest_EventId{EventId: id}}, ""},
		{"content without type or template", &contentv1.CreateContentRequest{OrganizationId: id}, "content_type_or_template"},
		{"content from a template",
			&contentv1.CreateContentRequest{OrganizationId: id, TemplateId: proto.String(id), Variables: map[string]string{"speaker": "Asha"}}, ""},
		{"hashtag with its #",
			&contentv1.CreateContentRequest{OrganizationId: id, ContentType: contentv1.ContentType_CONTENT_TYPE_POST, Hashtags: []string{"#launch"}}, "hashtags"},
		{"campaign ending before it starts",
			&contentv1.CreateCampaignRequest{OrganizationId: id, Name: "Launch", CampaignType: contentv1.CampaignType_CAMPAIGN_TYPE_RECAP,
				StartDate: end, EndDate: start}, "campaign_period"},
		{"campaign event set and cleared",
			&contentv1.UpdateCampaignRequest{CampaignId: id, EventId: proto.String(id), ClearEvent: true}, "clear_event_alone"},
		{"upload of 8 MiB", &contentv1.UploadMediaRequest{OrganizationId: id, Filename: "a.png", MimeType: "image/png",
			Data: make([]byte, 8<<20)}, ""},
		{"upload over 8 MiB", &contentv1.UploadMediaRequest{OrganizationId: id, Filename: "a.png", MimeType: "image/png",
			Data: make([]byte, 8<<20+1)}, "data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := protovalidate.Validate(tt.msg)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			var verr *protovalidate.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.True(t, mentions(verr, tt.wantErr), "violations %v do not mention %q", verr, tt.wantErr)
		})
	}
}

// mentions reports whether a violation has the rule id want or is about
// the field want (or one of its items).
func mentions(verr *protovalidate.ValidationError, want string) bool {
	for _, v := range verr.Violations {
		path := protovalidate.FieldPathString(v.Proto.GetField())
		if v.Proto.GetRuleId() == want || path == want || strings.HasPrefix(path, want+"[") {
			return true
		}
	}
	return false
}
