package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// Queries of the approval chains that the content approval workflow's
// activities run: requests, assignments (the inbox), votes, delegations
// and the next version an edit writes. The API's queries of the same rows
// are in content_approvals_api.go.

// ApprovalRequestOfVersion loads the request of a content version.
func ApprovalRequestOfVersion(ctx context.Context, idb bun.IDB, versionID uuid.UUID) (*ApprovalRequest, error) {
	r := new(ApprovalRequest)
	if err := idb.NewSelect().Model(r).Where("ar.content_version_id = ?", versionID).Scan(ctx); err != nil {
		return nil, notFound(err, "approval request of version %s", versionID)
	}
	return r, nil
}

// ApprovalRequestForUpdate loads and locks a request.
func ApprovalRequestForUpdate(ctx context.Context, tx bun.Tx, id uuid.UUID) (*ApprovalRequest, error) {
	r := new(ApprovalRequest)
	if err := tx.NewSelect().Model(r).Where("ar.id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "approval request %s", id)
	}
	return r, nil
}

// ContentOfApprovalRequest loads the content a request reviews.
func ContentOfApprovalRequest(ctx context.Context, idb bun.IDB, requestID uuid.UUID) (*Content, error) {
	c := new(Content)
	err := idb.NewSelect().Model(c).
		Where("c.id = (SELECT content_id FROM approval_requests WHERE id = ?)", requestID).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "content of approval request %s", requestID)
	}
	return c, nil
}

// LockContentForApproval loads and locks a content row: edits and
// submissions of one content take turns on it.
func LockContentForApproval(ctx context.Context, tx bun.Tx, contentID uuid.UUID) (*Content, error) {
	c := new(Content)
	if err := tx.NewSelect().Model(c).Where("c.id = ?", contentID).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "content %s", contentID)
	}
	return c, nil
}

// InsertApprovalRequest opens a request; the content's open request must
// be closed first (approval_requests_one_open_idx).
func InsertApprovalRequest(ctx context.Context, idb bun.IDB, r *ApprovalRequest) error {
	if _, err := idb.NewInsert().Model(r).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert approval request: %w", err)
	}
	return nil
}

// AdvanceApprovalRequest makes step the request's current step.
func AdvanceApprovalRequest(ctx context.Context, idb bun.IDB, id uuid.UUID, step int) error {
	_, err := idb.NewUpdate().Model((*ApprovalRequest)(nil)).Set("current_step = ?", step).Set("updated_at = now()").
		Where("id = ? AND current_step <> ?", id, step).Exec(ctx)
	if err != nil {
		return fmt.Errorf("advance approval request %s to step %d: %w", id, step, err)
	}
	return nil
}

// MarkApprovalRequestEscalated marks an open request escalated.
func MarkApprovalRequestEscalated(ctx context.Context, idb bun.IDB, id uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*ApprovalRequest)(nil)).Set("status = ?", enums.ApprovalEscalated).Set("updated_at = now()").
		Where("id = ? AND status = ?", id, enums.ApprovalPending).Exec(ctx)
	if err != nil {
		return fmt.Errorf("escalate approval request %s: %w", id, err)
	}
	return nil
}

// ResolveApprovalRequest sets a request's outcome; the first resolution
// keeps its time.
func ResolveApprovalRequest(ctx context.Context, idb bun.IDB, id uuid.UUID, status string, at time.Time) error {
	_, err := idb.NewUpdate().Model((*ApprovalRequest)(nil)).Set("status = ?", status).
		Set("resolved_at = coalesce(resolved_at, ?)", at).Set("updated_at = now()").
		Where("id = ? AND status <> ?", id, status).Exec(ctx)
	if err != nil {
		return fmt.Errorf("resolve approval request %s as %s: %w", id, status, err)
	}
	return nil
}

// ApprovalRoleHolders lists the organization's members holding any of
// roles, in a stable order.
func ApprovalRoleHolders(ctx context.Context, idb bun.IDB, orgID uuid.UUID, roles []string) ([]uuid.UUID, error) {
	if len(roles) == 0 {
		return nil, nil
	}
	var ids []uuid.UUID
	err := idb.NewSelect().Model((*Member)(nil)).Column("user_id").
		Where("organization_id = ? AND role IN (?)", orgID, bun.In(roles)).Order("user_id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("list holders of roles %v: %w", roles, err)
	}
	return ids, nil
}

// ActiveApprovalDelegates maps each of users who is out of office at at to
// their delegate.
func ActiveApprovalDelegates(ctx context.Context, idb bun.IDB, orgID uuid.UUID, users []uuid.UUID, at time.Time) (map[uuid.UUID]uuid.UUID, error) {
	out := map[uuid.UUID]uuid.UUID{}
	if len(users) == 0 {
		return out, nil
	}
	var rows []ApprovalDelegation
	err := idb.NewSelect().Model(&rows).
		Where("adl.organization_id = ? AND adl.user_id IN (?) AND adl.revoked_at IS NULL", orgID, bun.In(users)).
		Where("adl.starts_at <= ? AND adl.ends_at > ?", at, at).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list active delegations: %w", err)
	}
	for _, d := range rows {
		out[d.UserID] = d.DelegateUserID
	}
	return out, nil
}

// OpenApprovalAssignmentRows inserts the assignments, reopening closed
// ones of the same person and step; it returns the rows it opened (an
// already open or done assignment is left as it is).
func OpenApprovalAssignmentRows(ctx context.Context, idb bun.IDB, rows []ApprovalAssignment) ([]ApprovalAssignment, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	var opened []ApprovalAssignment
	err := idb.NewInsert().Model(&rows).
		On("CONFLICT (approval_request_id, step_number, assignee_user_id) DO UPDATE").
		Set("status = EXCLUDED.status, reason = EXCLUDED.reason, on_behalf_of_user_id = EXCLUDED.on_behalf_of_user_id, due_at = EXCLUDED.due_at, updated_at = now()").
		Where("asg.status = ?", enums.AssignmentClosed).
		Returning("*").Scan(ctx, &opened)
	if err != nil {
		return nil, fmt.Errorf("insert approval assignments: %w", err)
	}
	return opened, nil
}

// OpenApprovalAssignments lists a step's open assignments, oldest first.
func OpenApprovalAssignments(ctx context.Context, idb bun.IDB, requestID uuid.UUID, step int) ([]ApprovalAssignment, error) {
	var rows []ApprovalAssignment
	err := idb.NewSelect().Model(&rows).
		Where("asg.approval_request_id = ? AND asg.step_number = ? AND asg.status = ?", requestID, step, enums.AssignmentOpen).
		Order("asg.created_at", "asg.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list open assignments of %s step %d: %w", requestID, step, err)
	}
	return rows, nil
}

// CloseApprovalAssignmentsExcept closes the request's open assignments of
// steps before step and those of step whose assignee is not in keep
// (escalation assignments stay). Step 0 closes every open assignment.
func CloseApprovalAssignmentsExcept(ctx context.Context, idb bun.IDB, requestID uuid.UUID, step int, keep []uuid.UUID) error {
	q := idb.NewUpdate().Model((*ApprovalAssignment)(nil)).Set("status = ?", enums.AssignmentClosed).Set("updated_at = now()").
		Where("approval_request_id = ? AND status = ?", requestID, enums.AssignmentOpen)
	if step > 0 {
		q = q.WhereGroup(" AND ", func(q *bun.UpdateQuery) *bun.UpdateQuery {
			q = q.Where("step_number < ?", step)
			stale := "step_number = ? AND reason <> ?"
			if len(keep) == 0 {
				return q.WhereOr(stale, step, enums.AssignedEscalation)
			}
			return q.WhereOr(stale+" AND assignee_user_id NOT IN (?)", step, enums.AssignedEscalation, bun.In(keep))
		})
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("close assignments of %s: %w", requestID, err)
	}
	return nil
}

// FinishApprovalAssignment marks the voter's assignment on a step done.
func FinishApprovalAssignment(ctx context.Context, idb bun.IDB, requestID uuid.UUID, step int, userID uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*ApprovalAssignment)(nil)).Set("status = ?", enums.AssignmentDone).Set("updated_at = now()").
		Where("approval_request_id = ? AND step_number = ? AND assignee_user_id = ?", requestID, step, userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("finish assignment of %s on %s: %w", userID, requestID, err)
	}
	return nil
}

// InsertApprovalVote records a vote; it reports false (and writes nothing)
// when that voter already voted on that step.
func InsertApprovalVote(ctx context.Context, idb bun.IDB, a *ApprovalAction) (bool, error) {
	if a.ID == uuid.Nil {
		a.ID = NewID()
	}
	res, err := idb.NewInsert().Model(a).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("insert approval vote: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// InsertApprovalWorkflowAction records a reminder or escalation of a step
// once: a second call for the same request, step and action writes nothing.
func InsertApprovalWorkflowAction(ctx context.Context, idb bun.IDB, a *ApprovalAction) error {
	if a.ID == uuid.Nil {
		a.ID = NewID()
	}
	_, err := idb.NewRaw(`INSERT INTO approval_actions (id, organization_id, approval_request_id, step_number, action, actioned_at)
		SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (
			SELECT 1 FROM approval_actions WHERE approval_request_id = ? AND step_number = ? AND action = ?)`,
		a.ID, a.OrganizationID, a.ApprovalRequestID, a.StepNumber, a.Action, a.ActionedAt,
		a.ApprovalRequestID, a.StepNumber, a.Action).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record %s of step %d: %w", a.Action, a.StepNumber, err)
	}
	return nil
}

// MarkReviewLinkUsed uses up an external review link.
func MarkReviewLinkUsed(ctx context.Context, idb bun.IDB, id uuid.UUID, at time.Time) error {
	_, err := idb.NewUpdate().Model((*ExternalReviewLink)(nil)).Set("used_at = ?", at).Set("updated_at = now()").
		Where("id = ? AND used_at IS NULL", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("use review link %s: %w", id, err)
	}
	return nil
}

// SetContentStatusOfApproval sets the content's workflow status.
func SetContentStatusOfApproval(ctx context.Context, idb bun.IDB, contentID uuid.UUID, status string) error {
	_, err := idb.NewUpdate().Model((*Content)(nil)).Set("workflow_status = ?", status).Set("updated_at = now()").
		Where("id = ?", contentID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("set content %s %s: %w", contentID, status, err)
	}
	return nil
}

// SetContentScheduledFor moves the content's publish time.
func SetContentScheduledFor(ctx context.Context, idb bun.IDB, contentID uuid.UUID, at time.Time) error {
	_, err := idb.NewUpdate().Model((*Content)(nil)).Set("scheduled_for = ?", at).Set("updated_at = now()").
		Where("id = ?", contentID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("reschedule content %s: %w", contentID, err)
	}
	return nil
}
