package content

// Stand-in until the content helper's branch merges: its content_read.go
// defines contentsToProto (with the current version, media, targets and
// approval summary). At the merge, delete this file; RetryPublish then
// answers the full content.

import (
	"context"

	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
)

// contentStatusesToProto maps content.workflow_status to the API's enum.
var contentStatusesToProto = map[string]contentv1.ContentStatus{
	"draft": contentv1.ContentStatus_CONTENT_STATUS_DRAFT, "in_review": contentv1.ContentStatus_CONTENT_STATUS_IN_REVIEW,
	"changes_requested": contentv1.ContentStatus_CONTENT_STATUS_CHANGES_REQUESTED, "approved": contentv1.ContentStatus_CONTENT_STATUS_APPROVED,
	"rejected": contentv1.ContentStatus_CONTENT_STATUS_REJECTED, "scheduled": contentv1.ContentStatus_CONTENT_STATUS_SCHEDULED,
	"publishing": contentv1.ContentStatus_CONTENT_STATUS_PUBLISHING, "published": contentv1.ContentStatus_CONTENT_STATUS_PUBLISHED,
	"partially_published": contentv1.ContentStatus_CONTENT_STATUS_PARTIALLY_PUBLISHED,
	"failed":              contentv1.ContentStatus_CONTENT_STATUS_FAILED, "expired": contentv1.ContentStatus_CONTENT_STATUS_EXPIRED,
	"withdrawn": contentv1.ContentStatus_CONTENT_STATUS_WITHDRAWN,
}

// contentsToProto converts content rows (their own columns only).
func contentsToProto(_ context.Context, _ bun.IDB, rows []db.Content) ([]*contentv1.Content, error) {
	out := make([]*contentv1.Content, len(rows))
	for i, c := range rows {
		out[i] = &contentv1.Content{Id: c.ID.String(), OrganizationId: c.OrganizationID.String(), EventId: rpc.IDString(c.EventID),
			CampaignId: rpc.IDString(c.CampaignID), TemplateId: rpc.IDString(c.TemplateID), AuthorUserId: c.AuthorUserID.String(),
			Status: contentStatusesToProto[c.WorkflowStatus], CurrentVersion: int32(c.CurrentVersion), ApprovalRequired: c.ApprovalRequired,
			CreatedAt: timestamppb.New(c.CreatedAt), UpdatedAt: timestamppb.New(c.UpdatedAt)}
		if c.ScheduledFor != nil {
			out[i].ScheduledFor = timestamppb.New(*c.ScheduledFor)
		}
	}
	return out, nil
}
