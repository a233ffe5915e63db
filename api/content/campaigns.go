package content

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
)

// campaignTypes maps the proto campaign types to campaigns.campaign_type.
var campaignTypes = rpc.NewEnum(map[contentv1.CampaignType]string{
	contentv1.CampaignType_CAMPAIGN_TYPE_AWARENESS:     "awareness",
	contentv1.CampaignType_CAMPAIGN_TYPE_PROMOTION:     "promotion",
	contentv1.CampaignType_CAMPAIGN_TYPE_ENGAGEMENT:    "engagement",
	contentv1.CampaignType_CAMPAIGN_TYPE_LIVE_COVERAGE: "live_coverage",
	contentv1.CampaignType_CAMPAIGN_TYPE_RECAP:         "recap",
})

// campaignStatuses maps the proto campaign statuses to campaigns.status.
var campaignStatuses = rpc.NewEnum(map[contentv1.CampaignStatus]string{
	contentv1.CampaignStatus_CAMPAIGN_STATUS_DRAFT:     enums.CampaignDraft,
	contentv1.CampaignStatus_CAMPAIGN_STATUS_ACTIVE:    enums.CampaignActive,
	contentv1.CampaignStatus_CAMPAIGN_STATUS_PAUSED:    enums.CampaignPaused,
	contentv1.CampaignStatus_CAMPAIGN_STATUS_COMPLETED: enums.CampaignCompleted,
})

// CreateCampaign creates a draft campaign (owners and admins).
func (s *campaignServer) CreateCampaign(ctx context.Context, req *connect.Request[contentv1.CreateCampaignRequest]) (*connect.Response[contentv1.CreateCampaignResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	c := &db.Campaign{ID: db.NewID(), OrganizationID: uuid.MustParse(msg.GetOrganizationId()), CreatedBy: &userID,
		EventID: rpc.OptionalID(msg.GetEventId()), Name: msg.GetName(), CampaignType: campaignTypes.Name(msg.GetCampaignType()),
		StartDate: msg.GetStartDate().AsTime(), EndDate: msg.GetEndDate().AsTime(), TargetPlatforms: msg.GetTargetPlatforms(),
		KPITargets: msg.GetKpiTargets().AsMap(), Status: enums.CampaignDraft}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, c.OrganizationID, rpc.ManagerRoles); err != nil {
			return err
		}
		if err := checkOrgEvent(ctx, tx, c.OrganizationID, c.EventID); err != nil {
			return err
		}
		if err := db.InsertCampaign(ctx, tx, c); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &c.OrganizationID, "campaign", c.ID.String(), "create",
			map[string]any{"name": c.Name, "type": c.CampaignType})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.CreateCampaignResponse{Campaign: campaignToProto(c)}), nil
}

// UpdateCampaign changes the fields that are set (owners and admins); an
// archived campaign is FailedPrecondition.
func (s *campaignServer) UpdateCampaign(ctx context.Context, req *connect.Request[contentv1.UpdateCampaignRequest]) (*connect.Response[contentv1.UpdateCampaignResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	var c *db.Campaign
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if c, err = db.CampaignForUpdate(ctx, tx, uuid.MustParse(msg.GetCampaignId())); err != nil {
			return campaignNotFound(err)
		}
		if err := orgRowAccess(ctx, tx, c.OrganizationID, rpc.ManagerRoles, "campaign"); err != nil {
			return err
		}
		if c.ArchivedAt != nil {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("the campaign is archived; archived campaigns cannot change"))
		}
		if err := applyCampaignUpdate(c, msg); err != nil {
			return err
		}
		if err := checkOrgEvent(ctx, tx, c.OrganizationID, c.EventID); err != nil {
			return err
		}
		if err := db.SaveCampaign(ctx, tx, c); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &c.OrganizationID, "campaign", c.ID.String(), "update", nil)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.UpdateCampaignResponse{Campaign: campaignToProto(c)}), nil
}

// applyCampaignUpdate copies the set fields of msg onto c and checks the
// resulting period.
func applyCampaignUpdate(c *db.Campaign, msg *contentv1.UpdateCampaignRequest) error {
	if msg.EventId != nil {
		c.EventID = rpc.OptionalID(msg.GetEventId())
	}
	if msg.GetClearEvent() {
		c.EventID = nil
	}
	if msg.Name != nil {
		c.Name = msg.GetName()
	}
	if msg.CampaignType != nil {
		c.CampaignType = campaignTypes.Name(msg.GetCampaignType())
	}
	if msg.Status != nil {
		c.Status = campaignStatuses.Name(msg.GetStatus())
	}
	if msg.StartDate != nil {
		c.StartDate = msg.GetStartDate().AsTime()
	}
	if msg.EndDate != nil {
		c.EndDate = msg.GetEndDate().AsTime()
	}
	if msg.TargetPlatforms != nil {
		c.TargetPlatforms = msg.GetTargetPlatforms().GetPlatforms()
		if c.TargetPlatforms == nil {
			c.TargetPlatforms = []string{}
		}
	}
	if msg.KpiTargets != nil {
		c.KPITargets = msg.GetKpiTargets().AsMap()
	}
	if c.EndDate.Before(c.StartDate) {
		return rpc.InvalidField("end_date", "must not be before start_date")
	}
	return nil
}

// GetCampaign returns a campaign, archived or not, to the organization's
// members.
func (s *campaignServer) GetCampaign(ctx context.Context, req *connect.Request[contentv1.GetCampaignRequest]) (*connect.Response[contentv1.GetCampaignResponse], error) {
	c, err := s.readableCampaign(ctx, req.Msg.GetCampaignId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.GetCampaignResponse{Campaign: campaignToProto(c)}), nil
}

// readableCampaign loads a campaign the caller's organization owns.
func (s *campaignServer) readableCampaign(ctx context.Context, id string) (*db.Campaign, error) {
	c, err := db.CampaignByID(ctx, s.DB, uuid.MustParse(id))
	if err != nil {
		return nil, campaignNotFound(err)
	}
	if err := orgRowAccess(ctx, s.DB, c.OrganizationID, rpc.AnyRole, "campaign"); err != nil {
		return nil, err
	}
	return c, nil
}

// ListCampaigns pages through an organization's campaigns that are not
// archived, latest start first.
func (s *campaignServer) ListCampaigns(ctx context.Context, req *connect.Request[contentv1.ListCampaignsRequest]) (*connect.Response[contentv1.ListCampaignsResponse], error) {
	msg := req.Msg
	orgID := uuid.MustParse(msg.GetOrganizationId())
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
		return nil, err
	}
	page, err := rpc.TimePage("ListCampaigns", msg.GetPageToken(), msg.GetPageSize(), defaultPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.ListCampaigns(ctx, s.DB, orgID, campaignStatuses.Name(msg.GetStatus()), rpc.OptionalID(msg.GetEventId()),
		page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	resp := &contentv1.ListCampaignsResponse{}
	rows, resp.NextPageToken = rpc.NextPage(page, rows, func(c *db.Campaign) (time.Time, uuid.UUID) { return c.StartDate, c.ID })
	for i := range rows {
		resp.Campaigns = append(resp.Campaigns, campaignToProto(&rows[i]))
	}
	return connect.NewResponse(resp), nil
}

// ArchiveCampaign hides a campaign from lists and freezes it (owners and
// admins); archiving twice keeps the first time.
func (s *campaignServer) ArchiveCampaign(ctx context.Context, req *connect.Request[contentv1.ArchiveCampaignRequest]) (*connect.Response[contentv1.ArchiveCampaignResponse], error) {
	userID := rpc.CallerID(ctx)
	var c *db.Campaign
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if c, err = db.CampaignForUpdate(ctx, tx, uuid.MustParse(req.Msg.GetCampaignId())); err != nil {
			return campaignNotFound(err)
		}
		if err := orgRowAccess(ctx, tx, c.OrganizationID, rpc.ManagerRoles, "campaign"); err != nil {
			return err
		}
		if c.ArchivedAt != nil {
			return nil
		}
		if err := db.ArchiveCampaign(ctx, tx, c); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &c.OrganizationID, "campaign", c.ID.String(), "archive", nil)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.ArchiveCampaignResponse{Campaign: campaignToProto(c)}), nil
}

// GetCampaignReport sums up a campaign's content by status, its posts,
// the latest engagement of each post and the sentiment of their comments.
func (s *campaignServer) GetCampaignReport(ctx context.Context, req *connect.Request[contentv1.GetCampaignReportRequest]) (*connect.Response[contentv1.GetCampaignReportResponse], error) {
	c, err := s.readableCampaign(ctx, req.Msg.GetCampaignId())
	if err != nil {
		return nil, err
	}
	r, err := db.LoadCampaignReport(ctx, s.DB, c.ID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.GetCampaignReportResponse{Report: reportToProto(c.ID, r, s.Now())}), nil
}

// reportToProto converts a campaign report, content statuses in their
// enum order.
func reportToProto(campaignID uuid.UUID, r *db.CampaignReport, now time.Time) *contentv1.CampaignReport {
	e := r.Engagement
	out := &contentv1.CampaignReport{CampaignId: campaignID.String(), GeneratedAt: timestamppb.New(now),
		PostsPublished: r.PostsByStatus[enums.PostPublished],
		PostsFailed:    r.PostsByStatus[enums.PostFailed] + r.PostsByStatus[enums.PostNeedsAttention],
		Metrics: &contentv1.EngagementMetrics{Impressions: e.Impressions, Reach: e.Reach, Likes: e.Likes,
			Comments: e.Comments, Shares: e.Shares, EngagementRateBps: engagementRateBps(e)},
		Sentiment: &contentv1.SentimentCounts{Positive: r.SentimentByLabel["positive"],
			Neutral: r.SentimentByLabel["neutral"], Negative: r.SentimentByLabel["negative"]}}
	for v := contentv1.ContentStatus(1); contentStatuses.Name(v) != ""; v++ {
		if n := r.ContentByStatus[contentStatuses.Name(v)]; n > 0 {
			out.ContentByStatus = append(out.ContentByStatus, &contentv1.ContentStatusCount{Status: v, Count: n})
		}
	}
	return out
}

// engagementRateBps is (likes + comments + shares) / impressions in basis
// points, 0 without impressions.
func engagementRateBps(e db.EngagementTotals) int32 {
	if e.Impressions == 0 {
		return 0
	}
	return int32((e.Likes + e.Comments + e.Shares) * 10_000 / e.Impressions)
}

// campaignToProto converts a campaign.
func campaignToProto(c *db.Campaign) *contentv1.Campaign {
	out := &contentv1.Campaign{Id: c.ID.String(), OrganizationId: c.OrganizationID.String(), EventId: rpc.IDString(c.EventID),
		Name: c.Name, CampaignType: campaignTypes.Value(c.CampaignType), Status: campaignStatuses.Value(c.Status),
		StartDate: timestamppb.New(c.StartDate), EndDate: timestamppb.New(c.EndDate), TargetPlatforms: c.TargetPlatforms,
		CreatedAt: timestamppb.New(c.CreatedAt), UpdatedAt: timestamppb.New(c.UpdatedAt)}
	// The targets came from a Struct, so they convert back.
	out.KpiTargets, _ = structpb.NewStruct(c.KPITargets)
	if c.ArchivedAt != nil {
		out.ArchivedAt = timestamppb.New(*c.ArchivedAt)
	}
	return out
}

// campaignNotFound turns a missing campaign into NotFound.
func campaignNotFound(err error) error {
	if errors.Is(err, db.ErrNotFound) {
		return connect.NewError(connect.CodeNotFound, errors.New("campaign not found"))
	}
	return err
}

// checkOrgEvent refuses an event that is not the organization's, as
// InvalidArgument on event_id; nil passes.
func checkOrgEvent(ctx context.Context, idb bun.IDB, orgID uuid.UUID, eventID *uuid.UUID) error {
	if eventID == nil {
		return nil
	}
	ev, err := db.EventByID(ctx, idb, *eventID)
	if errors.Is(err, db.ErrNotFound) || err == nil && (ev.OrganizationID == nil || *ev.OrganizationID != orgID) {
		return rpc.InvalidField("event_id", "no such event in this organization")
	}
	if err != nil {
		return fmt.Errorf("load event: %w", err)
	}
	return nil
}
