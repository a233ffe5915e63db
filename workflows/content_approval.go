package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
)

// ContentApproval is the approval run of one content version. Its story:
//  1. load the request: the steps snapshot taken at submission and the
//     publish time; no steps means approved at once;
//  2. per step, assign the approvers (activity) and count votes (Updates)
//     until the step's quorum approves, a reject or request-changes ends
//     the round, or the publish time passes (expired); at the SLA the
//     approvers are reminded, as long again later the step escalates;
//  3. approved: wait for the publish time (`reschedule` moves it), then
//     publish in the child run content-publish/<id>/v<n>, whose outcome is
//     this run's final status;
//  4. rejected or changes requested: wait for an edit (`revise`);
//  5. throughout, `revise` writes the next version and starts its run as
//     an abandoned child, closing this one as superseded, and `withdraw`
//     closes the request.
func ContentApproval(ctx workflow.Context, in ContentApprovalInput) (ContentApprovalState, error) {
	o, err := newContentApproval(ctx, in)
	if err != nil {
		return ContentApprovalState{}, err
	}
	err = o.run(ctx)
	o.closed = true
	// Let update callers see the final state before the run closes.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return o.state, err
}

// contentReviewCap bounds the wait of a version without a publish time
// for votes or an edit: content is purged 90 days after deletion, and a
// chain nobody touched for that long is abandoned.
const contentReviewCap = 90 * 24 * time.Hour

type contentApproval struct {
	in    ContentApprovalInput
	state ContentApprovalState
	acts  *activities.ContentApprovals
	req   activities.ApprovalRun

	// loaded is set once the request is read: votes wait for it.
	loaded bool
	// The current step: its assignees, who voted, the approvals counted
	// in memory before they are written (so a concurrent validator sees
	// them) and the step's outcome once decided.
	assignees []activities.ApprovalAssignee
	assigning bool
	voters    []string
	outcome   string
	writing   int
	// Inputs the main loop acts on.
	revise     *ContentEdit
	revised    *activities.NextVersion
	reviseErr  error
	withdrawal *ContentWithdrawal
	woken      bool
	reassign   bool
	// publishing is set once the publish child starts; closed once the
	// run is over. Neither accepts any further change.
	publishing bool
	closed     bool
}

func newContentApproval(ctx workflow.Context, in ContentApprovalInput) (*contentApproval, error) {
	o := &contentApproval{in: in, state: ContentApprovalState{ContentID: in.ContentID, Version: in.Version, Status: enums.ContentInReview}}
	if err := o.registerHandlers(ctx); err != nil {
		return nil, err
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, SignalAssigneesChanged)
		for ch.Receive(ctx, nil) {
			o.reassign = true
		}
	})
	return o, nil
}

func (o *contentApproval) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (ContentApprovalState, error) { return o.state, nil }); err != nil {
		return fmt.Errorf("register state query: %w", err)
	}
	for _, v := range []struct{ name, action string }{
		{UpdateApprove, enums.ActionApprove}, {UpdateReject, enums.ActionReject}, {UpdateRequestChanges, enums.ActionRequestChanges},
	} {
		handle := func(ctx workflow.Context, vote ContentVote) (ContentApprovalState, error) {
			return o.handleVote(ctx, v.action, vote)
		}
		if err := workflow.SetUpdateHandlerWithOptions(ctx, v.name, handle,
			workflow.UpdateHandlerOptions{Validator: o.validateVote}); err != nil {
			return fmt.Errorf("register %s update: %w", v.name, err)
		}
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateRevise, o.handleRevise,
		workflow.UpdateHandlerOptions{Validator: o.validateRevise}); err != nil {
		return fmt.Errorf("register revise update: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateReschedule, o.handleReschedule,
		workflow.UpdateHandlerOptions{Validator: o.validateReschedule}); err != nil {
		return fmt.Errorf("register reschedule update: %w", err)
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateWithdraw, o.handleWithdraw,
		workflow.UpdateHandlerOptions{Validator: o.validateWithdraw})
}

// validateChange refuses any change once the run is publishing or over,
// or while an edit or withdrawal is under way.
func (o *contentApproval) validateChange() error {
	switch {
	case !o.loaded:
		return refuseWrongState("the review of version %d is still starting; try again", o.in.Version)
	case o.closed || o.publishing:
		return refuseWrongState("version %d is %s and can no longer change", o.in.Version, o.state.Status)
	case o.revise != nil:
		return refuseWrongState("version %d is being replaced by an edit", o.in.Version)
	case o.withdrawal != nil:
		return refuseWrongState("version %d is being withdrawn", o.in.Version)
	}
	return nil
}

// validateVote admits a vote of an open assignee (or an external review
// link the API checked) on the current step of this version, who is not
// the author and has not voted on it yet.
func (o *contentApproval) validateVote(_ workflow.Context, v ContentVote) error {
	if err := o.validateChange(); err != nil {
		return err
	}
	switch {
	case v.Version != o.in.Version:
		return refuseWrongState("version %d is not under review: version %d is", v.Version, o.in.Version)
	case o.state.Status != enums.ContentInReview:
		return refuseWrongState("version %d is %s, not in review", o.in.Version, o.state.Status)
	case v.Step != o.state.CurrentStep:
		return refuseWrongState("step %d is not the current step (%d)", v.Step, o.state.CurrentStep)
	case o.assigning:
		return refuseWrongState("step %d is being assigned; try again in a moment", v.Step)
	case v.ActorUserID != "" && v.ActorUserID == o.in.AuthorUserID:
		return refuseNotAllowed("authors cannot review their own content")
	case v.ExternalReviewLinkID == "" && o.assignee(v.ActorUserID) == nil:
		return refuseNotAllowed("you are not an approver of step %d", v.Step)
	case slices.Contains(o.voters, voterKey(v)):
		return refuseWrongState("you already voted on step %d", v.Step)
	case o.outcome != "":
		return refuseWrongState("step %d is already decided", v.Step)
	}
	return nil
}

// handleVote counts the vote at once, then writes it (action, assignment,
// notice, audit) in one local activity.
func (o *contentApproval) handleVote(ctx workflow.Context, action string, v ContentVote) (ContentApprovalState, error) {
	o.voters = append(o.voters, voterKey(v))
	rec := activities.ApprovalVoteRecord{RequestID: o.req.RequestID, Step: v.Step, Action: action,
		ActorUserID: v.ActorUserID, LinkID: v.ExternalReviewLinkID, Comment: v.Comment}
	escalation := false
	if a := o.assignee(v.ActorUserID); a != nil {
		rec.OnBehalfOf, escalation = a.OnBehalfOf, a.Reason == enums.AssignedEscalation
	}
	o.tally(action, escalation)
	rec.Decides = o.outcome != ""
	o.setDetails(ctx)
	o.writing++
	// A local activity: the vote is written by this worker within the
	// Update's workflow task, with no activity-queue round trip, which is
	// most of an Update's latency.
	err := workflow.ExecuteLocalActivity(localActivityOptions(ctx), o.acts.RecordApprovalVote, rec).Get(ctx, nil)
	o.writing--
	if err != nil {
		return o.state, fmt.Errorf("record %s vote: %w", action, err)
	}
	return o.state, nil
}

// tally applies one vote: a reject or request-changes decides the step;
// an approval counts towards the quorum, and an escalation target's
// approval decides it (escalation exists to unstick a step).
func (o *contentApproval) tally(action string, escalation bool) {
	if action != enums.ActionApprove {
		o.outcome = action
		return
	}
	o.state.Approvals++
	if escalation || o.state.Approvals >= o.state.Needed {
		o.outcome = enums.ActionApprove
	}
}

// validateRevise admits an edit of this version while it can change.
func (o *contentApproval) validateRevise(_ workflow.Context, e ContentEdit) error {
	if err := o.validateChange(); err != nil {
		return err
	}
	if e.ExpectedVersion != o.in.Version {
		return refuseConflict("the content is at version %d, not %d: reload it and edit again", o.in.Version, e.ExpectedVersion)
	}
	return nil
}

// handleRevise hands the edit to the main loop and returns the new
// version's state once its run started.
func (o *contentApproval) handleRevise(ctx workflow.Context, e ContentEdit) (ContentApprovalState, error) {
	o.revise = &e
	if err := workflow.Await(ctx, func() bool { return o.revised != nil || o.reviseErr != nil }); err != nil {
		return o.state, err
	}
	if err := o.reviseErr; err != nil {
		o.reviseErr = nil
		return o.state, err
	}
	return ContentApprovalState{ContentID: o.in.ContentID, Version: o.revised.Version, Status: enums.ContentInReview,
		CurrentStep: 1, TotalSteps: len(o.req.Steps), ScheduledFor: o.state.ScheduledFor}, nil
}

// validateReschedule admits a new publish time in the future.
func (o *contentApproval) validateReschedule(ctx workflow.Context, r ContentReschedule) error {
	if err := o.validateChange(); err != nil {
		return err
	}
	if !r.ScheduledFor.After(workflow.Now(ctx)) {
		return refuseWrongState("the new publish time %s has passed", r.ScheduledFor.UTC().Format(time.RFC3339))
	}
	return nil
}

// handleReschedule writes the new time and wakes the waiting timer.
func (o *contentApproval) handleReschedule(ctx workflow.Context, r ContentReschedule) (ContentApprovalState, error) {
	err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.RescheduleContentVersion, activities.ContentRescheduleInput{
		RequestID: o.req.RequestID, ActorUserID: r.ActorUserID, ScheduledFor: r.ScheduledFor}).Get(ctx, nil)
	if err != nil {
		return o.state, fmt.Errorf("reschedule: %w", err)
	}
	o.state.ScheduledFor = r.ScheduledFor
	o.woken = true
	o.setDetails(ctx)
	return o.state, nil
}

// validateWithdraw admits a withdrawal while the run can change.
func (o *contentApproval) validateWithdraw(_ workflow.Context, _ ContentWithdrawal) error {
	return o.validateChange()
}

// handleWithdraw hands the withdrawal to the main loop and returns the
// closed state.
func (o *contentApproval) handleWithdraw(ctx workflow.Context, w ContentWithdrawal) (ContentApprovalState, error) {
	o.withdrawal = &w
	err := workflow.Await(ctx, func() bool { return o.state.Status == enums.ContentWithdrawn })
	return o.state, err
}

// assignee is the current step's open assignee userID, or nil.
func (o *contentApproval) assignee(userID string) *activities.ApprovalAssignee {
	i := slices.IndexFunc(o.assignees, func(a activities.ApprovalAssignee) bool { return a.UserID == userID })
	if userID == "" || i < 0 {
		return nil
	}
	return &o.assignees[i]
}

// voterKey identifies a voter on a step: a member or an external link.
func voterKey(v ContentVote) string {
	if v.ExternalReviewLinkID != "" {
		return "link:" + v.ExternalReviewLinkID
	}
	return "user:" + v.ActorUserID
}

// staleVersion turns the activity's stale-version failure into the
// conflict refusal the API answers as Aborted.
func staleVersion(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrStaleContentVersion {
		return refuseConflict("%s", appErr.Message())
	}
	return err
}
