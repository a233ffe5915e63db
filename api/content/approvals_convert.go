package content

import (
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	"github.com/convene/convene/workflows"
)

// quorums maps the proto quorums to approval_workflow_steps.quorum.
var quorums = rpc.NewEnum(map[contentv1.Quorum]string{
	contentv1.Quorum_QUORUM_ANY: enums.QuorumAny,
	contentv1.Quorum_QUORUM_ALL: enums.QuorumAll,
	contentv1.Quorum_QUORUM_N:   enums.QuorumN,
})

// approverRoles maps the proto organization roles to the stored ones.
var approverRoles = rpc.NewEnum(map[identityv1.OrganizationRole]string{
	identityv1.OrganizationRole_ORGANIZATION_ROLE_OWNER:    db.RoleOwner,
	identityv1.OrganizationRole_ORGANIZATION_ROLE_ADMIN:    db.RoleAdmin,
	identityv1.OrganizationRole_ORGANIZATION_ROLE_APPROVER: db.RoleApprover,
	identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER:   db.RoleMember,
})

// approvalActions maps the proto action types to approval_actions.action.
var approvalActions = rpc.NewEnum(map[contentv1.ApprovalActionType]string{
	contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_APPROVE:         enums.ActionApprove,
	contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_REJECT:          enums.ActionReject,
	contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_REQUEST_CHANGES: enums.ActionRequestChanges,
	contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_ESCALATE:        enums.ActionEscalate,
	contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_REMIND:          enums.ActionRemind,
})

// requestStatuses maps the proto approval statuses to
// approval_requests.status.
var requestStatuses = rpc.NewEnum(map[contentv1.ApprovalStatus]string{
	contentv1.ApprovalStatus_APPROVAL_STATUS_PENDING:           enums.ApprovalPending,
	contentv1.ApprovalStatus_APPROVAL_STATUS_ESCALATED:         enums.ApprovalEscalated,
	contentv1.ApprovalStatus_APPROVAL_STATUS_APPROVED:          enums.ApprovalApproved,
	contentv1.ApprovalStatus_APPROVAL_STATUS_REJECTED:          enums.ApprovalRejected,
	contentv1.ApprovalStatus_APPROVAL_STATUS_CHANGES_REQUESTED: enums.ApprovalChangesRequested,
	contentv1.ApprovalStatus_APPROVAL_STATUS_SUPERSEDED:        enums.ApprovalSuperseded,
	contentv1.ApprovalStatus_APPROVAL_STATUS_WITHDRAWN:         enums.ApprovalWithdrawn,
	contentv1.ApprovalStatus_APPROVAL_STATUS_EXPIRED:           enums.ApprovalExpired,
})

// triggerContentTypes maps the proto content types to the stored ones
// that a trigger matches.
var triggerContentTypes = rpc.NewEnum(map[contentv1.ContentType]string{
	contentv1.ContentType_CONTENT_TYPE_POST:         "post",
	contentv1.ContentType_CONTENT_TYPE_STORY:        "story",
	contentv1.ContentType_CONTENT_TYPE_VIDEO:        "video",
	contentv1.ContentType_CONTENT_TYPE_ARTICLE:      "article",
	contentv1.ContentType_CONTENT_TYPE_ANNOUNCEMENT: "announcement",
})

// runStatusToRequest is the approval status a run's status stands for.
func runStatusToRequest(status string) contentv1.ApprovalStatus {
	switch status {
	case enums.ContentInReview:
		return contentv1.ApprovalStatus_APPROVAL_STATUS_PENDING
	case enums.ContentChangesRequested:
		return contentv1.ApprovalStatus_APPROVAL_STATUS_CHANGES_REQUESTED
	case enums.ContentRejected:
		return contentv1.ApprovalStatus_APPROVAL_STATUS_REJECTED
	case workflows.ContentSuperseded:
		return contentv1.ApprovalStatus_APPROVAL_STATUS_SUPERSEDED
	case enums.ContentWithdrawn:
		return contentv1.ApprovalStatus_APPROVAL_STATUS_WITHDRAWN
	case enums.ContentExpired:
		return contentv1.ApprovalStatus_APPROVAL_STATUS_EXPIRED
	}
	return contentv1.ApprovalStatus_APPROVAL_STATUS_APPROVED
}

// approvalStateToProto is a run's state as the API shows it.
func approvalStateToProto(s workflows.ContentApprovalState) *contentv1.ApprovalState {
	out := &contentv1.ApprovalState{ContentId: s.ContentID, Version: int32(s.Version), Status: runStatusToRequest(s.Status),
		TotalSteps: int32(s.TotalSteps), StepVotes: &contentv1.StepVotes{Approvals: int32(s.Approvals), Needed: int32(s.Needed)}}
	if s.Status == enums.ContentInReview {
		out.CurrentStep = int32(s.CurrentStep)
		if !s.DueAt.IsZero() {
			out.DueAt = timestamppb.New(s.DueAt)
		}
	}
	return out
}

// approvalWorkflowToProto is a definition as the API shows it.
func approvalWorkflowToProto(w *db.ApprovalWorkflow) *contentv1.ApprovalWorkflow {
	t := w.TriggerConditions
	trigger := &contentv1.TriggerConditions{Platforms: t.Platforms, CampaignIds: approvalIDStrings(t.CampaignIDs),
		EventIds: approvalIDStrings(t.EventIDs), PhaseIds: approvalIDStrings(t.PhaseIDs), MinVipTier: int32(t.MinVIPTier)}
	for _, ct := range t.ContentTypes {
		trigger.ContentTypes = append(trigger.ContentTypes, triggerContentTypes.Value(ct))
	}
	out := &contentv1.ApprovalWorkflow{Id: w.ID.String(), OrganizationId: w.OrganizationID.String(), Name: w.Name,
		Priority: int32(w.Priority), Trigger: trigger, IsActive: w.IsActive,
		CreatedAt: timestamppb.New(w.CreatedAt), UpdatedAt: timestamppb.New(w.UpdatedAt)}
	for i := range w.Steps {
		out.Steps = append(out.Steps, approvalStepToProto(&w.Steps[i]))
	}
	return out
}

func approvalStepToProto(s *db.ApprovalWorkflowStep) *contentv1.ApprovalStep {
	out := &contentv1.ApprovalStep{Name: s.Name, ApproverUserIds: approvalIDStrings(s.ApproverUserIDs), Quorum: quorums.Value(s.Quorum),
		QuorumN: int32(s.QuorumN), SlaHours: int32(s.SLAHours)}
	for _, r := range s.ApproverRoles {
		out.ApproverRoles = append(out.ApproverRoles, approverRoles.Value(r))
	}
	if s.EscalationUserID != nil {
		id := s.EscalationUserID.String()
		out.EscalationUserId = &id
	}
	if s.EscalationRole != nil {
		r := approverRoles.Value(*s.EscalationRole)
		out.EscalationRole = &r
	}
	return out
}

// pendingToProto is one inbox row.
func pendingToProto(p *db.PendingApproval) *contentv1.PendingApproval {
	out := &contentv1.PendingApproval{ContentId: p.ContentID.String(), Version: int32(p.Version), Step: int32(p.StepNumber),
		Title: p.Title, AuthorUserId: p.AuthorUserID.String(), DueAt: timestamppb.New(p.DueAt),
		OnBehalfOfUserId: rpc.IDString(p.OnBehalfOfUserID), Status: requestStatuses.Value(p.RequestStatus)}
	if p.StepNumber >= 1 && p.StepNumber <= len(p.Steps) {
		out.StepName = p.Steps[p.StepNumber-1].Name
	}
	return out
}

// historyToProto is a content's requests with their actions.
func historyToProto(reqs []db.ApprovalRequest, acts []db.ApprovalActionRow, names map[uuid.UUID]string) []*contentv1.ApprovalRequestRecord {
	out := make([]*contentv1.ApprovalRequestRecord, 0, len(reqs))
	for i := range reqs {
		r := &reqs[i]
		rec := &contentv1.ApprovalRequestRecord{Version: int32(r.Version), ApprovalWorkflowId: rpc.IDString(r.ApprovalWorkflowID),
			Status: requestStatuses.Value(r.Status), RequestedBy: rpc.IDString(r.RequestedBy), RequestedAt: timestamppb.New(r.RequestedAt)}
		if r.ApprovalWorkflowID != nil {
			rec.ApprovalWorkflowName = names[*r.ApprovalWorkflowID]
		}
		if r.ResolvedAt != nil {
			rec.ResolvedAt = timestamppb.New(*r.ResolvedAt)
		}
		for j := range acts {
			if a := &acts[j]; a.ApprovalRequestID == r.ID {
				rec.Actions = append(rec.Actions, &contentv1.ApprovalActionRecord{Step: int32(a.StepNumber),
					Action: approvalActions.Value(a.Action), ActorUserId: rpc.IDString(a.ActorUserID),
					ExternalReviewerName: rpc.Deref(a.ReviewerName), OnBehalfOfUserId: rpc.IDString(a.OnBehalfOfUserID),
					Comment: a.Comment, At: timestamppb.New(a.ActionedAt)})
			}
		}
		out = append(out, rec)
	}
	return out
}

// approvalIDStrings formats IDs.
func approvalIDStrings(ids []uuid.UUID) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, id.String())
	}
	return out
}
