package content

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	"github.com/convene/convene/workflows"
)

// Approve records the caller's approval of a step of a content version.
func (s *approvalServer) Approve(ctx context.Context, req *connect.Request[contentv1.ApproveRequest]) (*connect.Response[contentv1.ApproveResponse], error) {
	m := req.Msg
	st, err := s.vote(ctx, workflows.UpdateApprove, m.GetContentId(), m.GetVersion(), m.GetStep(), m.GetComment())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.ApproveResponse{State: st}), nil
}

// Reject rejects a content version at the caller's step.
func (s *approvalServer) Reject(ctx context.Context, req *connect.Request[contentv1.RejectRequest]) (*connect.Response[contentv1.RejectResponse], error) {
	m := req.Msg
	st, err := s.vote(ctx, workflows.UpdateReject, m.GetContentId(), m.GetVersion(), m.GetStep(), m.GetComment())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.RejectResponse{State: st}), nil
}

// RequestChanges sends a content version back to its author.
func (s *approvalServer) RequestChanges(ctx context.Context, req *connect.Request[contentv1.RequestChangesRequest]) (*connect.Response[contentv1.RequestChangesResponse], error) {
	m := req.Msg
	st, err := s.vote(ctx, workflows.UpdateRequestChanges, m.GetContentId(), m.GetVersion(), m.GetStep(), m.GetComment())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.RequestChangesResponse{State: st}), nil
}

// vote sends a member's vote to the version's run, whose validator decides
// whether it counts (assignee, not the author, current step, not yet
// voted). Content of another organization is NotFound.
func (s *approvalServer) vote(ctx context.Context, update, contentID string, version, step int32, comment string) (*contentv1.ApprovalState, error) {
	c, err := db.ApprovalContentByID(ctx, s.DB, uuid.MustParse(contentID))
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("content not found"))
	}
	if err != nil {
		return nil, err
	}
	if err := orgRowAccess(ctx, s.DB, c.OrganizationID, rpc.AnyRole, "content"); err != nil {
		return nil, err
	}
	return s.sendVote(ctx, update, contentID, workflows.ContentVote{Version: int(version), Step: int(step),
		ActorUserID: rpc.CallerID(ctx).String(), Comment: comment})
}

// sendVote runs the vote update on the version's run and waits for it.
func (s *approvalServer) sendVote(ctx context.Context, update, contentID string, v workflows.ContentVote) (*contentv1.ApprovalState, error) {
	var st workflows.ContentApprovalState
	err := s.updateRun(ctx, workflows.ContentApprovalWorkflowID(contentID, v.Version), update, v, &st,
		fmt.Sprintf("version %d has no open approval", v.Version))
	if err != nil {
		return nil, err
	}
	return approvalStateToProto(st), nil
}

// updateRun runs an update on an approval run and waits for its result;
// a run that is closed (or never started) is closedMsg as
// FailedPrecondition, a refusal the Connect code of its type.
func (s *approvalServer) updateRun(ctx context.Context, workflowID, update string, arg, result any, closedMsg string) error {
	return runUpdate(ctx, s.Temporal, workflowID, update, arg, result, closedMsg)
}

// runUpdate is updateRun for any content server.
func runUpdate(ctx context.Context, c client.Client, workflowID, update string, arg, result any, closedMsg string) error {
	handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflowID, UpdateName: update,
		Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = handle.Get(ctx, result)
	}
	return rpc.UpdateError(err, closedMsg, "content approval "+update)
}

// ListMyPendingApprovals pages through the caller's open assignments.
func (s *approvalServer) ListMyPendingApprovals(ctx context.Context, req *connect.Request[contentv1.ListMyPendingApprovalsRequest]) (*connect.Response[contentv1.ListMyPendingApprovalsResponse], error) {
	m := req.Msg
	page, err := rpc.TimePage("ListMyPendingApprovals", m.GetPageToken(), m.GetPageSize(), 50)
	if err != nil {
		return nil, err
	}
	var orgID *uuid.UUID
	if m.OrganizationId != nil {
		orgID = rpc.OptionalID(m.GetOrganizationId())
	}
	rows, err := db.PendingApprovalsOf(ctx, s.DB, rpc.CallerID(ctx), orgID, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(p *db.PendingApproval) (time.Time, uuid.UUID) { return p.DueAt, p.ID })
	out := &contentv1.ListMyPendingApprovalsResponse{NextPageToken: next}
	for i := range rows {
		out.Items = append(out.Items, pendingToProto(&rows[i]))
	}
	return connect.NewResponse(out), nil
}

// GetApprovalHistory returns every request of a content with its actions.
func (s *approvalServer) GetApprovalHistory(ctx context.Context, req *connect.Request[contentv1.GetApprovalHistoryRequest]) (*connect.Response[contentv1.GetApprovalHistoryResponse], error) {
	c, err := db.ApprovalContentByID(ctx, s.DB, uuid.MustParse(req.Msg.GetContentId()))
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("content not found"))
	}
	if err != nil {
		return nil, err
	}
	if err := orgRowAccess(ctx, s.DB, c.OrganizationID, rpc.AnyRole, "content"); err != nil {
		return nil, err
	}
	reqs, err := db.ApprovalRequestsOfContent(ctx, s.DB, c.ID)
	if err != nil {
		return nil, err
	}
	acts, err := db.ApprovalActionsOfContent(ctx, s.DB, c.ID)
	if err != nil {
		return nil, err
	}
	var defIDs []uuid.UUID
	for _, r := range reqs {
		if r.ApprovalWorkflowID != nil {
			defIDs = append(defIDs, *r.ApprovalWorkflowID)
		}
	}
	names, err := db.ApprovalWorkflowNames(ctx, s.DB, defIDs)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.GetApprovalHistoryResponse{Requests: historyToProto(reqs, acts, names)}), nil
}
