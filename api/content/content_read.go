package content

import (
	"context"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
)

// contentTypes maps the proto content types to content.content_type.
var contentTypes = rpc.NewEnum(map[contentv1.ContentType]string{
	contentv1.ContentType_CONTENT_TYPE_POST:         "post",
	contentv1.ContentType_CONTENT_TYPE_STORY:        "story",
	contentv1.ContentType_CONTENT_TYPE_VIDEO:        "video",
	contentv1.ContentType_CONTENT_TYPE_ARTICLE:      "article",
	contentv1.ContentType_CONTENT_TYPE_ANNOUNCEMENT: "announcement",
})

// contentStatuses maps the proto content statuses to
// content.workflow_status.
var contentStatuses = rpc.NewEnum(map[contentv1.ContentStatus]string{
	contentv1.ContentStatus_CONTENT_STATUS_DRAFT:               enums.ContentDraft,
	contentv1.ContentStatus_CONTENT_STATUS_IN_REVIEW:           enums.ContentInReview,
	contentv1.ContentStatus_CONTENT_STATUS_CHANGES_REQUESTED:   enums.ContentChangesRequested,
	contentv1.ContentStatus_CONTENT_STATUS_APPROVED:            enums.ContentApproved,
	contentv1.ContentStatus_CONTENT_STATUS_REJECTED:            enums.ContentRejected,
	contentv1.ContentStatus_CONTENT_STATUS_SCHEDULED:           enums.ContentScheduled,
	contentv1.ContentStatus_CONTENT_STATUS_PUBLISHING:          enums.ContentPublishing,
	contentv1.ContentStatus_CONTENT_STATUS_PUBLISHED:           enums.ContentPublished,
	contentv1.ContentStatus_CONTENT_STATUS_PARTIALLY_PUBLISHED: enums.ContentPartiallyPublished,
	contentv1.ContentStatus_CONTENT_STATUS_FAILED:              enums.ContentFailed,
	contentv1.ContentStatus_CONTENT_STATUS_EXPIRED:             enums.ContentExpired,
	contentv1.ContentStatus_CONTENT_STATUS_WITHDRAWN:           enums.ContentWithdrawn,
})

// approvalStatuses maps the proto approval statuses to
// approval_requests.status.
var approvalStatuses = rpc.NewEnum(map[contentv1.ApprovalStatus]string{
	contentv1.ApprovalStatus_APPROVAL_STATUS_PENDING:           enums.ApprovalPending,
	contentv1.ApprovalStatus_APPROVAL_STATUS_ESCALATED:         enums.ApprovalEscalated,
	contentv1.ApprovalStatus_APPROVAL_STATUS_APPROVED:          enums.ApprovalApproved,
	contentv1.ApprovalStatus_APPROVAL_STATUS_REJECTED:          enums.ApprovalRejected,
	contentv1.ApprovalStatus_APPROVAL_STATUS_CHANGES_REQUESTED: enums.ApprovalChangesRequested,
	contentv1.ApprovalStatus_APPROVAL_STATUS_SUPERSEDED:        enums.ApprovalSuperseded,
	contentv1.ApprovalStatus_APPROVAL_STATUS_WITHDRAWN:         enums.ApprovalWithdrawn,
	contentv1.ApprovalStatus_APPROVAL_STATUS_EXPIRED:           enums.ApprovalExpired,
})

// GetContent returns a content item with its current version to the
// organization's members.
func (s *contentServer) GetContent(ctx context.Context, req *connect.Request[contentv1.GetContentRequest]) (*connect.Response[contentv1.GetContentResponse], error) {
	c, err := readableContent(ctx, s.DB, req.Msg.GetContentId())
	if err != nil {
		return nil, err
	}
	out, err := contentsToProto(ctx, s.DB, []db.Content{*c})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.GetContentResponse{Content: out[0]}), nil
}

// readableContent loads a content of the caller's organization.
func readableContent(ctx context.Context, idb bun.IDB, id string) (*db.Content, error) {
	c, err := db.ContentByID(ctx, idb, uuid.MustParse(id))
	if err != nil {
		return nil, contentNotFound(err)
	}
	if err := orgRowAccess(ctx, idb, c.OrganizationID, rpc.AnyRole, "content"); err != nil {
		return nil, err
	}
	return c, nil
}

// ListContent pages through an organization's content: newest first, or
// with a query, the best full-text matches of the current versions first.
func (s *contentServer) ListContent(ctx context.Context, req *connect.Request[contentv1.ListContentRequest]) (*connect.Response[contentv1.ListContentResponse], error) {
	msg := req.Msg
	orgID := uuid.MustParse(msg.GetOrganizationId())
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
		return nil, err
	}
	filter := db.ContentFilter{Status: contentStatuses.Name(msg.GetStatus()), CampaignID: rpc.OptionalID(msg.GetCampaignId()),
		EventID: rpc.OptionalID(msg.GetEventId())}
	var rows []db.Content
	var next string
	var err error
	if msg.GetQuery() != "" {
		rows, next, err = s.searchContent(ctx, orgID, msg, filter)
	} else {
		rows, next, err = s.recentContent(ctx, orgID, msg, filter)
	}
	if err != nil {
		return nil, err
	}
	out, err := contentsToProto(ctx, s.DB, rows)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.ListContentResponse{Content: out, NextPageToken: next}), nil
}

// recentContent is one page of ListContent without a query.
func (s *contentServer) recentContent(ctx context.Context, orgID uuid.UUID, msg *contentv1.ListContentRequest, f db.ContentFilter) ([]db.Content, string, error) {
	page, err := rpc.TimePage("ListContent", msg.GetPageToken(), msg.GetPageSize(), defaultPageSize)
	if err != nil {
		return nil, "", err
	}
	rows, err := db.ListContent(ctx, s.DB, orgID, f, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, "", err
	}
	rows, next := rpc.NextPage(page, rows, func(c *db.Content) (time.Time, uuid.UUID) { return c.CreatedAt, c.ID })
	return rows, next, nil
}

// searchContent is one page of ListContent with a query; its page token
// carries the last rank (a float32, written exactly).
func (s *contentServer) searchContent(ctx context.Context, orgID uuid.UUID, msg *contentv1.ListContentRequest, f db.ContentFilter) ([]db.Content, string, error) {
	page, err := rpc.NamePage("ListContent", msg.GetPageToken(), msg.GetPageSize(), defaultPageSize)
	if err != nil {
		return nil, "", err
	}
	var lastRank float64
	if page.LastID != uuid.Nil {
		if lastRank, err = strconv.ParseFloat(page.LastKey, 32); err != nil {
			return nil, "", rpc.InvalidField("page_token", "not a token returned by ListContent")
		}
	}
	hits, err := db.SearchContent(ctx, s.DB, orgID, msg.GetQuery(), f, float32(lastRank), page.LastID, page.Limit())
	if err != nil {
		return nil, "", err
	}
	hits, next := rpc.NextPage(page, hits, func(h *db.ContentHit) (string, uuid.UUID) {
		return strconv.FormatFloat(float64(h.Rank), 'g', -1, 32), h.ID
	})
	rows := make([]db.Content, len(hits))
	for i := range hits {
		rows[i] = hits[i].Content
	}
	return rows, next, nil
}

// contentsToProto converts content with their current versions,
// attachments and approvals, loaded in a few queries whatever the count.
func contentsToProto(ctx context.Context, idb bun.IDB, rows []db.Content) ([]*contentv1.Content, error) {
	versions, err := db.CurrentVersions(ctx, idb, rows)
	if err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, 0, len(versions))
	for _, v := range versions {
		ids = append(ids, v.ID)
	}
	atts, err := db.VersionsAttachments(ctx, idb, ids)
	if err != nil {
		return nil, err
	}
	approvals, err := db.VersionApprovals(ctx, idb, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*contentv1.Content, len(rows))
	for i := range rows {
		v := versions[rows[i].ID]
		var ap *db.VersionApproval
		if a, ok := approvals[v.ID]; ok {
			ap = &a
		}
		out[i] = contentToProto(&rows[i], &v, atts[v.ID], ap)
	}
	return out, nil
}

// contentToProto converts a content with its current version; ap is that
// version's approval (nil if never submitted).
func contentToProto(c *db.Content, v *db.ContentVersion, att db.Attachments, ap *db.VersionApproval) *contentv1.Content {
	out := &contentv1.Content{Id: c.ID.String(), OrganizationId: c.OrganizationID.String(), EventId: rpc.IDString(c.EventID),
		CampaignId: rpc.IDString(c.CampaignID), TemplateId: rpc.IDString(c.TemplateID), AuthorUserId: c.AuthorUserID.String(),
		ContentType: contentTypes.Value(c.ContentType), Status: contentStatuses.Value(c.WorkflowStatus),
		CurrentVersion: int32(c.CurrentVersion), ApprovalRequired: c.ApprovalRequired, Current: versionToProto(v, att),
		CreatedAt: timestamppb.New(c.CreatedAt), UpdatedAt: timestamppb.New(c.UpdatedAt)}
	if c.ScheduledFor != nil {
		out.ScheduledFor = timestamppb.New(*c.ScheduledFor)
	}
	if ap != nil {
		out.Approval = &contentv1.ApprovalSummary{Status: approvalStatuses.Value(ap.Status), TotalSteps: int32(ap.TotalSteps)}
		if ap.Status == enums.ApprovalPending || ap.Status == enums.ApprovalEscalated {
			out.Approval.CurrentStep = int32(ap.CurrentStep)
			if ap.DueAt != nil {
				out.Approval.DueAt = timestamppb.New(*ap.DueAt)
			}
		}
	}
	return out
}

// versionToProto converts a version with its attachments.
func versionToProto(v *db.ContentVersion, att db.Attachments) *contentv1.ContentVersion {
	out := &contentv1.ContentVersion{Version: int32(v.Version), Title: v.Title, Caption: v.Caption, Body: v.Body,
		Hashtags: v.Hashtags, CreatedBy: rpc.IDString(v.CreatedBy), CreatedAt: timestamppb.New(v.CreatedAt)}
	for _, id := range att.MediaAssetIDs {
		out.MediaAssetIds = append(out.MediaAssetIds, id.String())
	}
	for _, id := range att.SocialAccountIDs {
		out.SocialAccountIds = append(out.SocialAccountIds, id.String())
	}
	return out
}
