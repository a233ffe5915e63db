package api_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/testenv"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// The recognition topic's placeholders: two members of A, one
// recognition of theirs awaiting an approver and one approved.
const (
	fxRecognitionRecipient = "@recognitionRecipient"
	fxRecognitionPending   = "@recognitionPending"
	fxRecognitionApproved  = "@recognitionApproved"
)

func init() {
	matrixTopics = append(matrixTopics, matrixTopic{name: "recognition", build: buildRecognitionTopic,
		tenant: []tenantCase{
			{engagementv1connect.RecognitionServiceSendRecognitionProcedure, hidden, &engagementv1.SendRecognitionRequest{OrganizationId: fxOrgA, RecipientUserId: fxRecognitionRecipient, Message: "hi", Points: 1, Visibility: engagementv1.RecognitionVisibility_RECOGNITION_VISIBILITY_PUBLIC}},
			{engagementv1connect.RecognitionServiceDecideRecognitionProcedure, notFound, &engagementv1.DecideRecognitionRequest{RecognitionId: fxRecognitionPending, Approve: true}},
			{engagementv1connect.RecognitionServiceListPendingRecognitionsProcedure, hidden, &engagementv1.ListPendingRecognitionsRequest{OrganizationId: fxOrgA}},
			{engagementv1connect.RecognitionServiceListRecognitionFeedProcedure, hidden, &engagementv1.ListRecognitionFeedRequest{OrganizationId: fxOrgA}},
			{engagementv1connect.RecognitionServiceGetMyAllowanceProcedure, hidden, &engagementv1.GetMyAllowanceRequest{OrganizationId: fxOrgA}},
			{engagementv1connect.RecognitionServiceAddCommentProcedure, notFound, &engagementv1.AddCommentRequest{RecognitionId: fxRecognitionApproved, Body: "hi"}},
			{engagementv1connect.RecognitionServiceListCommentsProcedure, notFound, &engagementv1.ListCommentsRequest{RecognitionId: fxRecognitionApproved}},
		},
		input: []inputCase{
			{engagementv1connect.RecognitionServiceSendRecognitionProcedure, asOwnerA, &engagementv1.SendRecognitionRequest{OrganizationId: fxOrgA, RecipientUserId: fxRecognitionRecipient, Message: "Thanks", Points: 5, Visibility: engagementv1.RecognitionVisibility_RECOGNITION_VISIBILITY_TEAM}},
			{engagementv1connect.RecognitionServiceDecideRecognitionProcedure, asOwnerA, &engagementv1.DecideRecognitionRequest{RecognitionId: fxRecognitionPending, Approve: true, Note: "ok"}},
			{engagementv1connect.RecognitionServiceListPendingRecognitionsProcedure, asOwnerA, &engagementv1.ListPendingRecognitionsRequest{OrganizationId: fxOrgA, PageSize: 10}},
			{engagementv1connect.RecognitionServiceListRecognitionFeedProcedure, asOwnerA, &engagementv1.ListRecognitionFeedRequest{OrganizationId: fxOrgA, PageSize: 10}},
			{engagementv1connect.RecognitionServiceGetMyAllowanceProcedure, asOwnerA, &engagementv1.GetMyAllowanceRequest{OrganizationId: fxOrgA}},
			{engagementv1connect.RecognitionServiceAddCommentProcedure, asOwnerA, &engagementv1.AddCommentRequest{RecognitionId: fxRecognitionApproved, Body: "Well done"}},
			{engagementv1connect.RecognitionServiceListCommentsProcedure, asOwnerA, &engagementv1.ListCommentsRequest{RecognitionId: fxRecognitionApproved, PageSize: 10}},
		}})
}

// buildRecognitionTopic adds two members to A; one sends the other a
// recognition above the default threshold (pending) and one below it
// (approved).
func buildRecognitionTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	sender, recipient := f.a.NewUser(t, newPhone()), f.a.NewUser(t, newPhone())
	for _, m := range []testenv.Session{sender, recipient} {
		addAndAccept(t, f.a, f.ownerA, f.orgA, m, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	}
	send := func(points int32) string {
		resp, err := f.a.Recognitions.SendRecognition(context.Background(), testenv.As(sender, &engagementv1.SendRecognitionRequest{
			OrganizationId: f.orgA, RecipientUserId: recipient.UserID, Message: "Thanks", Points: points,
			Visibility: engagementv1.RecognitionVisibility_RECOGNITION_VISIBILITY_PUBLIC}))
		require.NoError(t, err)
		return resp.Msg.GetRecognition().GetId()
	}
	return map[string]string{fxRecognitionRecipient: recipient.UserID, fxRecognitionPending: send(60),
		fxRecognitionApproved: send(5)}
}
