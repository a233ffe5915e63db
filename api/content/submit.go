package content

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/jobs/workflowstart"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	"github.com/convene/convene/workflows"
)

// SubmitContent sends the current version of a draft for approval: the
// first active approval workflow (by priority) whose trigger matches
// snapshots its steps into the version's request, and the version's
// approval run starts (a River job committed with the request is the
// safety net of the direct start). Without a match, content that does not
// require approval is approved at once; the run then only waits for the
// publish time.
func (s *contentServer) SubmitContent(ctx context.Context, req *connect.Request[contentv1.SubmitContentRequest]) (*connect.Response[contentv1.SubmitContentResponse], error) {
	userID := rpc.CallerID(ctx)
	var (
		in         workflows.ContentApprovalInput
		startJobID int64
	)
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, v, err := s.submittable(ctx, tx, uuid.MustParse(req.Msg.GetContentId()), int(req.Msg.GetExpectedVersion()))
		if err != nil {
			return err
		}
		r, err := s.newRequest(ctx, tx, c, v)
		if err != nil {
			return err
		}
		in = workflows.ContentApprovalInput{OrganizationID: c.OrganizationID.String(), ContentID: c.ID.String(),
			ContentVersionID: v.ID.String(), Version: v.Version, AuthorUserID: c.AuthorUserID.String(),
			EventID: rpc.IDString(c.EventID), Title: v.Title}
		if startJobID, err = s.starts.Commit(ctx, tx.Tx, workflowstart.ContentApprovalArgs{Input: in}, s.Now()); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &c.OrganizationID, "content", c.ID.String(), "submit",
			map[string]any{"version": v.Version, "approval_workflow_id": rpc.IDString(r.ApprovalWorkflowID), "steps": len(r.Steps)})
	})
	if err != nil {
		return nil, err
	}
	if err := s.starts.Start(ctx, workflowstart.ContentApprovalArgs{Input: in}, startJobID); err != nil {
		// The River job committed with the request starts it.
		s.Log.WarnContext(ctx, "direct start of content approval failed; its River job will start it", "content_id", in.ContentID, "error", err)
	}
	out, err := s.contentReply(ctx, uuid.MustParse(in.ContentID))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.SubmitContentResponse{Content: out}), nil
}

// submittable locks the content and checks it may be submitted by the
// caller: a draft at the expected version, not scheduled in the past,
// whose version was never submitted.
func (s *contentServer) submittable(ctx context.Context, tx bun.Tx, id uuid.UUID, expected int) (*db.Content, *db.ContentVersion, error) {
	c, err := db.LockContentForApproval(ctx, tx, id)
	if errors.Is(err, db.ErrNotFound) || (err == nil && c.DeletedAt != nil) {
		return nil, nil, connect.NewError(connect.CodeNotFound, errors.New("content not found"))
	}
	if err != nil {
		return nil, nil, err
	}
	if err := authorOrManager(ctx, tx, c); err != nil {
		return nil, nil, err
	}
	switch {
	case c.CurrentVersion != expected:
		return nil, nil, connect.NewError(connect.CodeAborted, fmt.Errorf("the content is at version %d, not %d: reload it", c.CurrentVersion, expected))
	case c.WorkflowStatus != enums.ContentDraft:
		return nil, nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the content is %s; only a draft can be submitted", c.WorkflowStatus))
	case c.ScheduledFor != nil && !c.ScheduledFor.After(s.Now()):
		return nil, nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("the content's publish time has passed; reschedule it first"))
	}
	v, err := db.ApprovalContentVersion(ctx, tx, c.ID, c.CurrentVersion)
	if err != nil {
		return nil, nil, err
	}
	if _, err := db.ApprovalRequestOfVersion(ctx, tx, v.ID); err == nil {
		return nil, nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("version %d was already submitted; edit the content to make a new version", v.Version))
	}
	return c, v, nil
}

// newRequest opens the version's request with the matching definition's
// steps, and moves the content in review (or straight to approved or
// scheduled when no approval applies).
func (s *contentServer) newRequest(ctx context.Context, tx bun.Tx, c *db.Content, v *db.ContentVersion) (*db.ApprovalRequest, error) {
	def, err := matchingDefinition(ctx, tx, c, v)
	if err != nil {
		return nil, err
	}
	if def == nil && c.ApprovalRequired {
		return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New(
			"no active approval workflow matches this content; an owner or admin must create one (CreateApprovalWorkflow)"))
	}
	now, userID := s.Now(), rpc.CallerID(ctx)
	r := &db.ApprovalRequest{ID: db.NewID(), OrganizationID: c.OrganizationID, ContentID: c.ID, ContentVersionID: v.ID,
		Version: v.Version, RequestedBy: &userID, Steps: []db.ApprovalWorkflowStep{}, CurrentStep: 1,
		Status: enums.ApprovalPending, RequestedAt: now}
	status := enums.ContentInReview
	if def != nil {
		r.ApprovalWorkflowID = &def.ID
	}
	if def != nil {
		r.Steps = def.Steps
	} else {
		r.Status, r.ResolvedAt, status = enums.ApprovalApproved, &now, enums.ContentApproved
		if c.ScheduledFor != nil {
			status = enums.ContentScheduled
		}
	}
	if err := db.InsertApprovalRequest(ctx, tx, r); err != nil {
		return nil, err
	}
	return r, db.SetContentStatusOfApproval(ctx, tx, c.ID, status)
}

// matchingDefinition is the first active definition, by priority, whose
// trigger matches the content, or nil.
func matchingDefinition(ctx context.Context, tx bun.Tx, c *db.Content, v *db.ContentVersion) (*db.ApprovalWorkflow, error) {
	defs, err := db.ApprovalWorkflowsOf(ctx, tx, c.OrganizationID, true)
	if err != nil || len(defs) == 0 {
		return nil, err
	}
	f := contentFacts{contentType: c.ContentType, campaignID: c.CampaignID, eventID: c.EventID, phaseID: c.PhaseID}
	if f.platforms, err = db.VersionTargetPlatforms(ctx, tx, v.ID); err != nil {
		return nil, err
	}
	if c.EventID != nil {
		if f.vipTier, err = db.MaxTaggedVIPTier(ctx, tx, *c.EventID); err != nil {
			return nil, err
		}
		if f.phaseID == nil && c.ScheduledFor != nil {
			if f.phaseID, err = db.PhaseAt(ctx, tx, *c.EventID, *c.ScheduledFor); err != nil {
				return nil, err
			}
		}
	}
	for i := range defs {
		if triggerMatches(defs[i].TriggerConditions, f) {
			return &defs[i], nil
		}
	}
	return nil, nil
}

// contentFacts are what a trigger is matched against.
type contentFacts struct {
	contentType                  string
	platforms                    []string
	campaignID, eventID, phaseID *uuid.UUID
	vipTier                      int
}

// triggerMatches reports whether every condition of t holds for f; an
// empty list matches anything.
func triggerMatches(t db.TriggerConditions, f contentFacts) bool {
	in := func(ids []uuid.UUID, id *uuid.UUID) bool {
		return len(ids) == 0 || (id != nil && slices.Contains(ids, *id))
	}
	platform := len(t.Platforms) == 0 || slices.ContainsFunc(f.platforms, func(p string) bool { return slices.Contains(t.Platforms, p) })
	return (len(t.ContentTypes) == 0 || slices.Contains(t.ContentTypes, f.contentType)) && platform &&
		in(t.CampaignIDs, f.campaignID) && in(t.EventIDs, f.eventID) && in(t.PhaseIDs, f.phaseID) && f.vipTier >= t.MinVIPTier
}

// RescheduleContent moves the publish time: of a draft directly, of
// submitted content through its approval run (which moves its timer).
func (s *contentServer) RescheduleContent(ctx context.Context, req *connect.Request[contentv1.RescheduleContentRequest]) (*connect.Response[contentv1.RescheduleContentResponse], error) {
	at := req.Msg.GetScheduledFor().AsTime()
	if !at.After(s.Now()) {
		return nil, rpc.InvalidField("scheduled_for", "must be in the future")
	}
	c, err := s.changeableContent(ctx, req.Msg.GetContentId())
	if err != nil {
		return nil, err
	}
	userID := rpc.CallerID(ctx)
	if c.WorkflowStatus == enums.ContentDraft {
		err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if err := db.SetContentScheduledFor(ctx, tx, c.ID, at); err != nil {
				return err
			}
			return rpc.Audit(ctx, tx, &userID, &c.OrganizationID, "content", c.ID.String(), "reschedule", map[string]any{"scheduled_for": at})
		})
	} else {
		err = runUpdate(ctx, s.Temporal, workflows.ContentApprovalWorkflowID(c.ID.String(), c.CurrentVersion), workflows.UpdateReschedule,
			workflows.ContentReschedule{ActorUserID: userID.String(), ScheduledFor: at}, nil, "the content is "+c.WorkflowStatus+" and can no longer be rescheduled")
	}
	if err != nil {
		return nil, err
	}
	out, err := s.contentReply(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.RescheduleContentResponse{Content: out}), nil
}

// WithdrawContent pulls submitted content out of review or off the
// schedule, through its approval run.
func (s *contentServer) WithdrawContent(ctx context.Context, req *connect.Request[contentv1.WithdrawContentRequest]) (*connect.Response[contentv1.WithdrawContentResponse], error) {
	c, err := s.changeableContent(ctx, req.Msg.GetContentId())
	if err != nil {
		return nil, err
	}
	if c.WorkflowStatus == enums.ContentDraft {
		return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("a draft was never submitted; delete it instead"))
	}
	err = runUpdate(ctx, s.Temporal, workflows.ContentApprovalWorkflowID(c.ID.String(), c.CurrentVersion), workflows.UpdateWithdraw,
		workflows.ContentWithdrawal{ActorUserID: rpc.CallerID(ctx).String(), Reason: req.Msg.GetReason()}, nil,
		"the content is "+c.WorkflowStatus+" and can no longer be withdrawn")
	if err != nil {
		return nil, err
	}
	out, err := s.contentReply(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.WithdrawContentResponse{Content: out}), nil
}

// changeableContent loads content the caller may change (its author, or
// an owner or admin); other organizations' content is NotFound.
func (s *contentServer) changeableContent(ctx context.Context, id string) (*db.Content, error) {
	c, err := db.ApprovalContentByID(ctx, s.DB, uuid.MustParse(id))
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("content not found"))
	}
	if err != nil {
		return nil, err
	}
	return c, authorOrManager(ctx, s.DB, c)
}

// authorOrManager lets the content's author and the organization's owners
// and admins act on it; other members are PermissionDenied, anyone else
// is told it does not exist.
func authorOrManager(ctx context.Context, idb bun.IDB, c *db.Content) error {
	if err := orgRowAccess(ctx, idb, c.OrganizationID, rpc.AnyRole, "content"); err != nil {
		return err
	}
	if c.AuthorUserID == rpc.CallerID(ctx) {
		return nil
	}
	_, err := rpc.OrgAccess(ctx, idb, c.OrganizationID, rpc.ManagerRoles)
	if connect.CodeOf(err) == connect.CodePermissionDenied {
		return connect.NewError(connect.CodePermissionDenied, errors.New("only the content's author or an owner or admin can do this"))
	}
	return err
}

// contentReply is the content as it stands after a change: its row, its
// current version's text and its approval.
func (s *contentServer) contentReply(ctx context.Context, id uuid.UUID) (*contentv1.Content, error) {
	c, err := db.ApprovalContentByID(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	v, err := db.ApprovalContentVersion(ctx, s.DB, c.ID, c.CurrentVersion)
	if err != nil {
		return nil, err
	}
	out := &contentv1.Content{Id: c.ID.String(), OrganizationId: c.OrganizationID.String(), EventId: rpc.IDString(c.EventID),
		CampaignId: rpc.IDString(c.CampaignID), TemplateId: rpc.IDString(c.TemplateID), AuthorUserId: c.AuthorUserID.String(),
		ContentType:    triggerContentTypes.Value(c.ContentType),
		Status:         contentv1.ContentStatus(contentv1.ContentStatus_value["CONTENT_STATUS_"+strings.ToUpper(c.WorkflowStatus)]),
		CurrentVersion: int32(c.CurrentVersion), ApprovalRequired: c.ApprovalRequired,
		Current: &contentv1.ContentVersion{Version: int32(v.Version), Title: v.Title, Caption: v.Caption, Body: v.Body,
			Hashtags: v.Hashtags, CreatedBy: rpc.IDString(v.CreatedBy), CreatedAt: timestamppb.New(v.CreatedAt)},
		CreatedAt: timestamppb.New(c.CreatedAt), UpdatedAt: timestamppb.New(c.UpdatedAt)}
	if c.ScheduledFor != nil {
		out.ScheduledFor = timestamppb.New(*c.ScheduledFor)
	}
	if r, err := db.ApprovalRequestOfVersion(ctx, s.DB, v.ID); err == nil {
		out.Approval = &contentv1.ApprovalSummary{Status: requestStatuses.Value(r.Status), TotalSteps: int32(len(r.Steps))}
		if r.ResolvedAt == nil {
			out.Approval.CurrentStep = int32(r.CurrentStep)
		}
	}
	return out, nil
}
