package activities

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
)

// resolveAssignees is who may vote on a step: the listed users and the
// holders of the listed roles, without the author; an approver who is out
// of office is replaced by their delegate (on their behalf).
func (a *ContentApprovals) resolveAssignees(ctx context.Context, tx bun.Tx, r *db.ApprovalRequest, c *db.Content, step int) ([]ApprovalAssignee, error) {
	plan, err := stepPlan(r, step)
	if err != nil {
		return nil, err
	}
	holders, err := db.ApprovalRoleHolders(ctx, tx, r.OrganizationID, plan.ApproverRoles)
	if err != nil {
		return nil, err
	}
	var people []ApprovalAssignee
	add := func(id uuid.UUID, reason string) {
		if id != c.AuthorUserID && !slices.ContainsFunc(people, func(p ApprovalAssignee) bool { return p.UserID == id.String() }) {
			people = append(people, ApprovalAssignee{UserID: id.String(), Reason: reason})
		}
	}
	for _, id := range plan.ApproverUserIDs {
		add(id, enums.AssignedListed)
	}
	for _, id := range holders {
		add(id, enums.AssignedRole)
	}
	return a.applyDelegations(ctx, tx, r.OrganizationID, c.AuthorUserID, people)
}

// applyDelegations hands the approvals of people out of office to their
// active delegate. A delegate who is the author, or already an assignee,
// adds nobody.
func (a *ContentApprovals) applyDelegations(ctx context.Context, tx bun.Tx, orgID, author uuid.UUID, people []ApprovalAssignee) ([]ApprovalAssignee, error) {
	ids := make([]uuid.UUID, 0, len(people))
	for _, p := range people {
		ids = append(ids, uuid.MustParse(p.UserID))
	}
	away, err := db.ActiveApprovalDelegates(ctx, tx, orgID, ids, a.now())
	if err != nil {
		return nil, err
	}
	out := make([]ApprovalAssignee, 0, len(people))
	for _, p := range people {
		delegate, ok := away[uuid.MustParse(p.UserID)]
		if !ok {
			out = append(out, p)
			continue
		}
		taken := slices.ContainsFunc(people, func(q ApprovalAssignee) bool { return q.UserID == delegate.String() }) ||
			slices.ContainsFunc(out, func(q ApprovalAssignee) bool { return q.UserID == delegate.String() })
		if delegate != author && !taken {
			out = append(out, ApprovalAssignee{UserID: delegate.String(), OnBehalfOf: p.UserID, Reason: enums.AssignedDelegate})
		}
	}
	return out, nil
}

// escalationTargets is who a stalled step goes to: its escalation user, or
// the holders of its escalation role, never the author.
func (a *ContentApprovals) escalationTargets(ctx context.Context, tx bun.Tx, r *db.ApprovalRequest, c *db.Content, step int) ([]ApprovalAssignee, error) {
	plan, err := stepPlan(r, step)
	if err != nil {
		return nil, err
	}
	var ids []uuid.UUID
	switch {
	case plan.EscalationUserID != nil:
		ids = []uuid.UUID{*plan.EscalationUserID}
	case plan.EscalationRole != nil:
		if ids, err = db.ApprovalRoleHolders(ctx, tx, r.OrganizationID, []string{*plan.EscalationRole}); err != nil {
			return nil, err
		}
	}
	var out []ApprovalAssignee
	for _, id := range ids {
		if id != c.AuthorUserID {
			out = append(out, ApprovalAssignee{UserID: id.String(), Reason: enums.AssignedEscalation})
		}
	}
	return out, nil
}

// assign writes the assignments of want (reopening closed ones) and sends
// each newly assigned person an inbox notice.
func (a *ContentApprovals) assign(ctx context.Context, tx bun.Tx, r *db.ApprovalRequest, c *db.Content, in ApprovalStepRef, want []ApprovalAssignee) error {
	rows := make([]db.ApprovalAssignment, 0, len(want))
	for _, w := range want {
		rows = append(rows, db.ApprovalAssignment{ID: db.NewID(), OrganizationID: r.OrganizationID, ApprovalRequestID: r.ID,
			ContentID: c.ID, StepNumber: in.Step, AssigneeUserID: uuid.MustParse(w.UserID), OnBehalfOfUserID: db.OptionalID(w.OnBehalfOf),
			Reason: w.Reason, Status: enums.AssignmentOpen, DueAt: in.DueAt})
	}
	opened, err := db.OpenApprovalAssignmentRows(ctx, tx, rows)
	if err != nil {
		return err
	}
	for _, asg := range opened {
		key := fmt.Sprintf("assigned/%s/%d/%s/%s", r.ID, in.Step, asg.AssigneeUserID, asg.ID)
		if err := a.notify(ctx, tx, c, asg.AssigneeUserID, key, "Approval needed",
			fmt.Sprintf("Step %d of version %d is waiting for your review", in.Step, r.Version)); err != nil {
			return err
		}
	}
	return nil
}

// openAssignees lists the step's open assignments as assignees.
func openAssignees(ctx context.Context, idb bun.IDB, requestID uuid.UUID, step int) ([]ApprovalAssignee, error) {
	rows, err := db.OpenApprovalAssignments(ctx, idb, requestID, step)
	if err != nil {
		return nil, err
	}
	out := make([]ApprovalAssignee, 0, len(rows))
	for _, row := range rows {
		p := ApprovalAssignee{UserID: row.AssigneeUserID.String(), Reason: row.Reason}
		if row.OnBehalfOfUserID != nil {
			p.OnBehalfOf = row.OnBehalfOfUserID.String()
		}
		out = append(out, p)
	}
	return out, nil
}

// assigneeIDs are the user IDs of people.
func assigneeIDs(people []ApprovalAssignee) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(people))
	for _, p := range people {
		out = append(out, uuid.MustParse(p.UserID))
	}
	return out
}

// stepPlan is the snapshot of step (1-based) of r.
func stepPlan(r *db.ApprovalRequest, step int) (db.ApprovalWorkflowStep, error) {
	if step < 1 || step > len(r.Steps) {
		return db.ApprovalWorkflowStep{}, fmt.Errorf("approval request %s has no step %d", r.ID, step)
	}
	return r.Steps[step-1], nil
}
