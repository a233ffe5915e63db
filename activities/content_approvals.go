package activities

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/jobs"
)

// Error types the content approval workflow branches on (and the API maps).
const (
	// ErrStaleContentVersion: an edit named a version that is no longer the
	// content's current one.
	ErrStaleContentVersion = "StaleContentVersion"
	// ErrApprovalRequestMissing: the run's approval request does not exist.
	ErrApprovalRequestMissing = "ApprovalRequestMissing"
)

// approvalNoticeCategory is the inbox category of approval notices: work
// waiting for a member, and the author hearing how review went.
const approvalNoticeCategory = db.CategoryEventUpdates

// ContentApprovals are the activities of the content approval workflow.
// Each is one transaction, idempotent by the request, step and person it
// concerns, so Temporal may retry any of them.
type ContentApprovals struct {
	DB *db.DB
	// Notices sends inbox notices in the transaction of their change.
	Notices *jobs.Notices
	Now     func() time.Time
}

// ApprovalRun is what an approval run needs of its request.
type ApprovalRun struct {
	RequestID string
	// Status is the request's status when the run loaded it.
	Status       string
	Steps        []ApprovalStepPlan
	ScheduledFor time.Time
}

// ApprovalStepPlan is one step of the request's snapshot.
type ApprovalStepPlan struct {
	Name     string
	Quorum   string
	QuorumN  int
	SLAHours int
}

// ApprovalStepRef names one step of a request; DueAt is its SLA deadline.
type ApprovalStepRef struct {
	RequestID string
	Step      int
	DueAt     time.Time
}

// ApprovalAssignee is one person who may vote on a step.
type ApprovalAssignee struct {
	UserID string
	// OnBehalfOf is the out-of-office approver a delegate stands in for.
	OnBehalfOf string
	// Reason is one of enums.Assigned*.
	Reason string
}

// ApprovalVoteRecord is one vote to record.
type ApprovalVoteRecord struct {
	RequestID string
	Step      int
	// Action is enums.ActionApprove, ActionReject or ActionRequestChanges.
	Action      string
	ActorUserID string
	LinkID      string
	OnBehalfOf  string
	Comment     string
	// Decides is set on the vote that decides its step (the quorum's
	// last approval, a reject, a request for changes): only that vote is
	// told to the author, as a decision; the approvals before it show in
	// the history without an inbox row each.
	Decides bool
}

// ApprovalResolution closes a request (and its open assignments) with
// RequestStatus and moves the content to ContentStatus when this version
// is still its current one; Reason is told to the author when set.
type ApprovalResolution struct {
	RequestID     string
	RequestStatus string
	ContentStatus string
	Reason        string
}

// NextVersionInput is an edit that becomes the content's next version; it
// replaces every field (an empty list clears it), except that a zero
// ScheduledFor keeps the schedule.
type NextVersionInput struct {
	RequestID        string
	EditorUserID     string
	ExpectedVersion  int
	Title            string
	Caption          string
	Body             string
	Hashtags         []string
	MediaAssetIDs    []string
	SocialAccountIDs []string
	ScheduledFor     time.Time
}

// NextVersion is the version an edit wrote.
type NextVersion struct {
	ContentVersionID string
	Version          int
	Title            string
}

// ContentRescheduleInput moves a request's content to a new publish time.
type ContentRescheduleInput struct {
	RequestID    string
	ActorUserID  string
	ScheduledFor time.Time
}

// LoadApprovalRun reads the request of a submitted content version.
func (a *ContentApprovals) LoadApprovalRun(ctx context.Context, contentVersionID string) (ApprovalRun, error) {
	r, err := db.ApprovalRequestOfVersion(ctx, a.DB, uuid.MustParse(contentVersionID))
	if errors.Is(err, db.ErrNotFound) {
		return ApprovalRun{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrApprovalRequestMissing, err)
	}
	if err != nil {
		return ApprovalRun{}, err
	}
	c, err := db.ContentOfApprovalRequest(ctx, a.DB, r.ID)
	if err != nil {
		return ApprovalRun{}, err
	}
	run := ApprovalRun{RequestID: r.ID.String(), Status: r.Status}
	if c.ScheduledFor != nil {
		run.ScheduledFor = *c.ScheduledFor
	}
	for _, s := range r.Steps {
		run.Steps = append(run.Steps, ApprovalStepPlan{Name: s.Name, Quorum: s.Quorum, QuorumN: s.QuorumN, SLAHours: s.SLAHours})
	}
	return run, nil
}

// OpenApprovalStep makes the step the request's current one and assigns
// it: listed users and role holders minus the author, an out-of-office
// approver replaced by their delegate, nobody left → the escalation
// target. New assignees get an inbox notice; earlier steps' open
// assignments close. Called again (assignees changed), it adds whoever is
// new and closes the assignments of people now away. It returns the
// step's open assignees.
func (a *ContentApprovals) OpenApprovalStep(ctx context.Context, in ApprovalStepRef) ([]ApprovalAssignee, error) {
	var out []ApprovalAssignee
	err := a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, c, err := a.lockRequest(ctx, tx, in.RequestID)
		if err != nil {
			return err
		}
		if err := db.AdvanceApprovalRequest(ctx, tx, r.ID, in.Step); err != nil {
			return err
		}
		want, err := a.resolveAssignees(ctx, tx, r, c, in.Step)
		if err != nil {
			return err
		}
		if len(want) == 0 {
			if want, err = a.escalationTargets(ctx, tx, r, c, in.Step); err != nil {
				return err
			}
		}
		if err := db.CloseApprovalAssignmentsExcept(ctx, tx, r.ID, in.Step, assigneeIDs(want)); err != nil {
			return err
		}
		if err := a.assign(ctx, tx, r, c, in, want); err != nil {
			return err
		}
		out, err = openAssignees(ctx, tx, r.ID, in.Step)
		return err
	})
	return out, err
}

// EscalateApprovalStep adds the step's escalation target as assignees,
// marks the request escalated and records the escalation. It returns the
// step's open assignees.
func (a *ContentApprovals) EscalateApprovalStep(ctx context.Context, in ApprovalStepRef) ([]ApprovalAssignee, error) {
	var out []ApprovalAssignee
	err := a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, c, err := a.lockRequest(ctx, tx, in.RequestID)
		if err != nil {
			return err
		}
		targets, err := a.escalationTargets(ctx, tx, r, c, in.Step)
		if err != nil {
			return err
		}
		if err := a.assign(ctx, tx, r, c, in, targets); err != nil {
			return err
		}
		if err := db.MarkApprovalRequestEscalated(ctx, tx, r.ID); err != nil {
			return err
		}
		if err := a.recordWorkflowAction(ctx, tx, r, in.Step, enums.ActionEscalate); err != nil {
			return err
		}
		out, err = openAssignees(ctx, tx, r.ID, in.Step)
		return err
	})
	return out, err
}

// RemindApprovers reminds the step's open assignees that it is due.
func (a *ContentApprovals) RemindApprovers(ctx context.Context, in ApprovalStepRef) error {
	return a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, c, err := a.lockRequest(ctx, tx, in.RequestID)
		if err != nil {
			return err
		}
		if err := a.recordWorkflowAction(ctx, tx, r, in.Step, enums.ActionRemind); err != nil {
			return err
		}
		open, err := db.OpenApprovalAssignments(ctx, tx, r.ID, in.Step)
		if err != nil {
			return err
		}
		for _, asg := range open {
			if err := a.notify(ctx, tx, c, asg.AssigneeUserID, fmt.Sprintf("remind/%s/%d/%s", r.ID, in.Step, asg.AssigneeUserID),
				"Approval overdue", "Content waiting for your review is past its due time"); err != nil {
				return err
			}
		}
		return nil
	})
}

// RecordApprovalVote writes one vote: the action, the voter's assignment
// done (an external link used), the author told and the audit row. A
// retried call finds the vote and writes nothing again.
func (a *ContentApprovals) RecordApprovalVote(ctx context.Context, in ApprovalVoteRecord) error {
	return a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, c, err := a.lockRequest(ctx, tx, in.RequestID)
		if err != nil {
			return err
		}
		act := &db.ApprovalAction{OrganizationID: r.OrganizationID, ApprovalRequestID: r.ID, StepNumber: in.Step, Action: in.Action,
			ActorUserID: db.OptionalID(in.ActorUserID), ExternalReviewLinkID: db.OptionalID(in.LinkID),
			OnBehalfOfUserID: db.OptionalID(in.OnBehalfOf), Comment: in.Comment, ActionedAt: a.now()}
		inserted, err := db.InsertApprovalVote(ctx, tx, act)
		if err != nil || !inserted {
			return err
		}
		if err := a.markVoterDone(ctx, tx, r, in); err != nil {
			return err
		}
		if in.Decides {
			if err := a.notify(ctx, tx, c, c.AuthorUserID, "vote/"+act.ID.String(), "Review: "+voteWord(in.Action),
				fmt.Sprintf("Step %d of version %d: %s", in.Step, r.Version, in.Comment)); err != nil {
				return err
			}
		}
		return db.WriteAudit(ctx, tx, &db.AuditLog{ActorUserID: act.ActorUserID, OrganizationID: &r.OrganizationID,
			ObjectType: "content", ObjectID: c.ID.String(), Action: "approval." + in.Action,
			Payload: map[string]any{"version": r.Version, "step": in.Step, "link_id": in.LinkID, "on_behalf_of": in.OnBehalfOf}})
	})
}

// ResolveApprovalRequest closes the request and its open assignments,
// moves the content's status (only while this version is current) and
// tells the author why.
func (a *ContentApprovals) ResolveApprovalRequest(ctx context.Context, in ApprovalResolution) error {
	return a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, c, err := a.lockRequest(ctx, tx, in.RequestID)
		if err != nil {
			return err
		}
		if err := db.ResolveApprovalRequest(ctx, tx, r.ID, in.RequestStatus, a.now()); err != nil {
			return err
		}
		if err := db.CloseApprovalAssignmentsExcept(ctx, tx, r.ID, 0, nil); err != nil {
			return err
		}
		if in.ContentStatus != "" && c.CurrentVersion == r.Version {
			if err := db.SetContentStatusOfApproval(ctx, tx, c.ID, in.ContentStatus); err != nil {
				return err
			}
		}
		if in.Reason != "" {
			key := "resolved/" + r.ID.String() + "/" + in.RequestStatus + "/" + in.ContentStatus
			if err := a.notify(ctx, tx, c, c.AuthorUserID, key, "Version "+strconv.Itoa(r.Version)+": "+in.ContentStatus, in.Reason); err != nil {
				return err
			}
		}
		return db.WriteAudit(ctx, tx, &db.AuditLog{OrganizationID: &r.OrganizationID, ObjectType: "content", ObjectID: c.ID.String(),
			Action: "approval." + in.RequestStatus, Payload: map[string]any{"version": r.Version, "content_status": in.ContentStatus}})
	})
}

// now is the activity clock.
func (a *ContentApprovals) now() time.Time {
	if a.Now == nil {
		return time.Now()
	}
	return a.Now()
}

// lockRequest locks the request and loads its content.
func (a *ContentApprovals) lockRequest(ctx context.Context, tx bun.Tx, requestID string) (*db.ApprovalRequest, *db.Content, error) {
	r, err := db.ApprovalRequestForUpdate(ctx, tx, uuid.MustParse(requestID))
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrApprovalRequestMissing, err)
	}
	if err != nil {
		return nil, nil, err
	}
	c, err := db.ContentOfApprovalRequest(ctx, tx, r.ID)
	if err != nil {
		return nil, nil, err
	}
	return r, c, nil
}

// recordWorkflowAction records a reminder or escalation of a step, once.
func (a *ContentApprovals) recordWorkflowAction(ctx context.Context, tx bun.Tx, r *db.ApprovalRequest, step int, action string) error {
	return db.InsertApprovalWorkflowAction(ctx, tx, &db.ApprovalAction{OrganizationID: r.OrganizationID,
		ApprovalRequestID: r.ID, StepNumber: step, Action: action, ActionedAt: a.now()})
}

// markVoterDone closes the voter's assignment, or uses up their link.
func (a *ContentApprovals) markVoterDone(ctx context.Context, tx bun.Tx, r *db.ApprovalRequest, in ApprovalVoteRecord) error {
	if in.LinkID != "" {
		return db.MarkReviewLinkUsed(ctx, tx, uuid.MustParse(in.LinkID), a.now())
	}
	return db.FinishApprovalAssignment(ctx, tx, r.ID, in.Step, uuid.MustParse(in.ActorUserID))
}

// notify sends one approval notice about content c to user.
func (a *ContentApprovals) notify(ctx context.Context, tx bun.Tx, c *db.Content, to uuid.UUID, key, title, body string) error {
	if a.Notices == nil {
		return nil
	}
	org := c.OrganizationID
	return a.Notices.Send(ctx, tx, jobs.Notice{Key: "content-approval/" + key, To: to, Category: approvalNoticeCategory,
		Title: title, Body: body, OrganizationID: &org, ReferenceType: "content", ReferenceID: c.ID.String()})
}

// voteWord is how a vote reads in the author's notice.
func voteWord(action string) string {
	switch action {
	case enums.ActionApprove:
		return "approved"
	case enums.ActionReject:
		return "rejected"
	default:
		return "changes requested"
	}
}
