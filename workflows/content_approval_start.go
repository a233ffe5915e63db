package workflows

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/db/enums"
)

// ContentApprovalStartOptions are the start options of a version's
// approval run: its fixed ID (one run per version, ever), the search
// attributes an operator filters by (user = the author) and the summary
// "title vN".
func ContentApprovalStartOptions(taskQueue string, in ContentApprovalInput) client.StartWorkflowOptions {
	attrs := []temporal.SearchAttributeUpdate{SearchOrgID.ValueSet(in.OrganizationID),
		SearchUserID.ValueSet(in.AuthorUserID), SearchStatus.ValueSet(enums.ContentInReview)}
	if in.EventID != "" {
		attrs = append(attrs, SearchEventID.ValueSet(in.EventID))
	}
	return client.StartWorkflowOptions{
		ID: ContentApprovalWorkflowID(in.ContentID, in.Version), TaskQueue: taskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(attrs...),
		StaticSummary:         fmt.Sprintf("%s v%d", in.Title, in.Version),
	}
}

// StartContentApproval starts a submitted version's approval run, or
// finds it started: SubmitContent's direct start after commit, and the
// River job workflowstart.ContentApprovalArgs committed with the
// submission as the safety net.
func StartContentApproval(ctx context.Context, c client.Client, taskQueue string, in ContentApprovalInput) error {
	return startOnce(ctx, c, ContentApprovalStartOptions(taskQueue, in), ContentApprovalWorkflowName, in)
}
