package content

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
)

// The approval chains' definitions (owners and admins), matched by
// SubmitContent (submit.go); votes, the inbox and the history are in
// approvals_votes.go, absences and external review links in
// approvals_people.go.

// CreateApprovalWorkflow defines an approval chain of an organization.
func (s *approvalServer) CreateApprovalWorkflow(ctx context.Context, req *connect.Request[contentv1.CreateApprovalWorkflowRequest]) (*connect.Response[contentv1.CreateApprovalWorkflowResponse], error) {
	orgID, userID := uuid.MustParse(req.Msg.GetOrganizationId()), rpc.CallerID(ctx)
	w := &db.ApprovalWorkflow{ID: db.NewID(), OrganizationID: orgID, CreatedBy: &userID, IsActive: true}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, orgID, rpc.ManagerRoles); err != nil {
			return err
		}
		if err := applyApprovalWorkflowInput(ctx, tx, w, req.Msg.GetWorkflow()); err != nil {
			return err
		}
		if err := db.InsertApprovalWorkflow(ctx, tx, w); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &orgID, "approval_workflow", w.ID.String(), "create",
			map[string]any{"name": w.Name, "steps": len(w.Steps), "priority": w.Priority})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.CreateApprovalWorkflowResponse{ApprovalWorkflow: approvalWorkflowToProto(w)}), nil
}

// UpdateApprovalWorkflow replaces a chain's definition; open approvals
// keep the steps snapshot they started with.
func (s *approvalServer) UpdateApprovalWorkflow(ctx context.Context, req *connect.Request[contentv1.UpdateApprovalWorkflowRequest]) (*connect.Response[contentv1.UpdateApprovalWorkflowResponse], error) {
	userID := rpc.CallerID(ctx)
	var w *db.ApprovalWorkflow
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		w, err = db.ApprovalWorkflowForUpdate(ctx, tx, uuid.MustParse(req.Msg.GetApprovalWorkflowId()))
		if errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeNotFound, errors.New("approval workflow not found"))
		}
		if err != nil {
			return err
		}
		if err := orgRowAccess(ctx, tx, w.OrganizationID, rpc.ManagerRoles, "approval workflow"); err != nil {
			return err
		}
		w.IsActive, w.Steps = req.Msg.GetIsActive(), nil
		if err := applyApprovalWorkflowInput(ctx, tx, w, req.Msg.GetWorkflow()); err != nil {
			return err
		}
		if err := db.ReplaceApprovalWorkflow(ctx, tx, w); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &w.OrganizationID, "approval_workflow", w.ID.String(), "update",
			map[string]any{"name": w.Name, "steps": len(w.Steps), "priority": w.Priority, "is_active": w.IsActive})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.UpdateApprovalWorkflowResponse{ApprovalWorkflow: approvalWorkflowToProto(w)}), nil
}

// ListApprovalWorkflows lists an organization's chains in matching order.
func (s *approvalServer) ListApprovalWorkflows(ctx context.Context, req *connect.Request[contentv1.ListApprovalWorkflowsRequest]) (*connect.Response[contentv1.ListApprovalWorkflowsResponse], error) {
	orgID := uuid.MustParse(req.Msg.GetOrganizationId())
	if err := orgRowAccess(ctx, s.DB, orgID, rpc.AnyRole, "organization"); err != nil {
		return nil, err
	}
	rows, err := db.ApprovalWorkflowsOf(ctx, s.DB, orgID, false)
	if err != nil {
		return nil, err
	}
	out := &contentv1.ListApprovalWorkflowsResponse{}
	for i := range rows {
		out.ApprovalWorkflows = append(out.ApprovalWorkflows, approvalWorkflowToProto(&rows[i]))
	}
	return connect.NewResponse(out), nil
}

// applyApprovalWorkflowInput sets w from the request's definition,
// checking what protovalidate cannot: approvers and escalation users are
// members, and a step's quorum_n is no larger than its approvers.
func applyApprovalWorkflowInput(ctx context.Context, idb bun.IDB, w *db.ApprovalWorkflow, in *contentv1.ApprovalWorkflowInput) error {
	w.Name, w.Priority = in.GetName(), int(in.GetPriority())
	w.TriggerConditions = triggerFromProto(in.GetTrigger())
	for i, st := range in.GetSteps() {
		step, err := stepFromProto(ctx, idb, w.OrganizationID, fmt.Sprintf("workflow.steps[%d]", i), st)
		if err != nil {
			return err
		}
		w.Steps = append(w.Steps, step)
	}
	return nil
}

// stepFromProto is one checked step; field names the step in errors.
func stepFromProto(ctx context.Context, idb bun.IDB, orgID uuid.UUID, field string, st *contentv1.ApprovalStep) (db.ApprovalWorkflowStep, error) {
	step := db.ApprovalWorkflowStep{Name: st.GetName(), ApproverUserIDs: parseApprovalIDs(st.GetApproverUserIds()),
		ApproverRoles: approverRoles.Names(st.GetApproverRoles()), Quorum: quorums.Name(st.GetQuorum()),
		QuorumN: max(int(st.GetQuorumN()), 1), SLAHours: int(st.GetSlaHours())}
	if st.EscalationUserId != nil {
		id := uuid.MustParse(st.GetEscalationUserId())
		step.EscalationUserID = &id
	}
	if st.EscalationRole != nil {
		role := approverRoles.Name(st.GetEscalationRole())
		step.EscalationRole = &role
	}
	people := slices.Clone(step.ApproverUserIDs)
	if step.EscalationUserID != nil {
		people = append(people, *step.EscalationUserID)
	}
	strangers, err := db.NonMemberIDs(ctx, idb, orgID, people)
	if err != nil {
		return step, err
	}
	if len(strangers) > 0 {
		return step, rpc.InvalidField(field+".approver_user_ids", fmt.Sprintf("%s is not a member of the organization", strangers[0]))
	}
	return step, checkQuorum(ctx, idb, orgID, field, step)
}

// checkQuorum refuses a quorum N larger than the step's approvers: the
// listed users and today's holders of the listed roles.
func checkQuorum(ctx context.Context, idb bun.IDB, orgID uuid.UUID, field string, step db.ApprovalWorkflowStep) error {
	if step.Quorum != enums.QuorumN {
		return nil
	}
	holders, err := db.ApprovalRoleHolders(ctx, idb, orgID, step.ApproverRoles)
	if err != nil {
		return err
	}
	approvers := slices.Clone(step.ApproverUserIDs)
	for _, h := range holders {
		if !slices.Contains(approvers, h) {
			approvers = append(approvers, h)
		}
	}
	if step.QuorumN > len(approvers) {
		return rpc.InvalidField(field+".quorum_n", fmt.Sprintf("needs %d approvals but the step has %d approvers", step.QuorumN, len(approvers)))
	}
	return nil
}

// triggerFromProto is the stored form of a trigger (nil matches all).
func triggerFromProto(t *contentv1.TriggerConditions) db.TriggerConditions {
	return db.TriggerConditions{ContentTypes: triggerContentTypes.Names(t.GetContentTypes()), Platforms: t.GetPlatforms(),
		CampaignIDs: parseApprovalIDs(t.GetCampaignIds()), EventIDs: parseApprovalIDs(t.GetEventIds()), PhaseIDs: parseApprovalIDs(t.GetPhaseIds()),
		MinVIPTier: int(t.GetMinVipTier())}
}

// parseApprovalIDs parses IDs protovalidate checked.
func parseApprovalIDs(ids []string) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		out = append(out, uuid.MustParse(id))
	}
	return out
}
