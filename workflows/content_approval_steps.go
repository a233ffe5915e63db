package workflows

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
)

// run is the story of ContentApproval.
func (o *contentApproval) run(ctx workflow.Context) error {
	if err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.LoadApprovalRun, o.in.ContentVersionID).Get(ctx, &o.req); err != nil {
		return fmt.Errorf("load approval request: %w", err)
	}
	o.state.TotalSteps, o.state.ScheduledFor = len(o.req.Steps), o.req.ScheduledFor
	o.loaded = true
	for step := 1; step <= len(o.req.Steps); step++ {
		ended, err := o.review(ctx, step)
		if err != nil || ended {
			return err
		}
		if o.outcome != enums.ActionApprove {
			return o.awaitEdit(ctx)
		}
	}
	return o.approve(ctx)
}

// review runs one step until it is decided; ended reports that the run
// is over (superseded, withdrawn or expired) instead.
func (o *contentApproval) review(ctx workflow.Context, step int) (ended bool, err error) {
	plan := o.req.Steps[step-1]
	opened := workflow.Now(ctx)
	sla := time.Duration(plan.SLAHours) * time.Hour
	o.voters, o.outcome = nil, ""
	o.state.CurrentStep, o.state.StepName, o.state.Approvals, o.state.DueAt = step, plan.Name, 0, opened.Add(sla)
	// Until the step's assignees are written, the previous step's are not
	// its voters: votes wait (a retryable refusal), the state shows none.
	o.assigning, o.assignees, o.state.Assignees = true, nil, nil
	err = o.assign(ctx, o.acts.OpenApprovalStep)
	o.assigning = false
	if err != nil {
		return false, err
	}
	reminded, escalated := false, false
	for {
		deadline := o.reviewDeadline(reminded, escalated, opened.Add(2*sla))
		fired, err := o.waitUntil(ctx, deadline, func() bool { return o.outcome != "" && o.writing == 0 })
		if err != nil {
			return false, err
		}
		if !fired {
			if done, err := o.interrupted(ctx); err != nil || done {
				return done, err
			}
			if o.outcome != "" && o.writing == 0 {
				return false, nil
			}
			continue
		}
		now := workflow.Now(ctx)
		switch {
		case !o.state.ScheduledFor.IsZero() && !now.Before(o.state.ScheduledFor):
			return true, o.resolve(ctx, enums.ApprovalExpired, enums.ContentExpired,
				fmt.Sprintf("Version %d was not approved before its publish time.", o.in.Version))
		case !escalated && !now.Before(opened.Add(2*sla)):
			escalated = true
			if err := o.assign(ctx, o.acts.EscalateApprovalStep); err != nil {
				return false, err
			}
		case !reminded && !now.Before(o.state.DueAt):
			reminded = true
			if err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.RemindApprovers, o.stepRef()).Get(ctx, nil); err != nil {
				return false, fmt.Errorf("remind approvers: %w", err)
			}
		}
	}
}

// reviewDeadline is the next moment the review acts on its own: the
// reminder, the escalation or the publish time, whichever comes first.
func (o *contentApproval) reviewDeadline(reminded, escalated bool, escalateAt time.Time) time.Time {
	next := o.state.ScheduledFor
	earlier := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if !reminded {
		earlier(o.state.DueAt)
	} else if !escalated {
		earlier(escalateAt)
	}
	return next
}

// assign runs an assignment activity (open or escalate the step) and
// takes its assignees as the step's voters-to-be. It is a local activity,
// like the votes' writes: one short transaction, and no activity-queue
// round trip between a step's last vote and the next step's inbox.
func (o *contentApproval) assign(ctx workflow.Context, activity any) error {
	var people []activities.ApprovalAssignee
	if err := workflow.ExecuteLocalActivity(localActivityOptions(ctx), activity, o.stepRef()).Get(ctx, &people); err != nil {
		return fmt.Errorf("assign step %d: %w", o.state.CurrentStep, err)
	}
	o.assignees = people
	o.state.Assignees = o.state.Assignees[:0]
	regular := 0
	for _, p := range people {
		o.state.Assignees = append(o.state.Assignees, p.UserID)
		if p.Reason != enums.AssignedEscalation {
			regular++
		}
	}
	o.state.Needed = quorumNeeded(o.req.Steps[o.state.CurrentStep-1], regular)
	if o.outcome == "" && o.state.Approvals > 0 && o.state.Approvals >= o.state.Needed {
		o.outcome = enums.ActionApprove
	}
	o.setDetails(ctx)
	return nil
}

// quorumNeeded is how many approvals decide a step with regular
// (non-escalation) assignees: any one, all of them, or N of them (never
// more than there are).
func quorumNeeded(plan activities.ApprovalStepPlan, regular int) int {
	regular = max(regular, 1)
	switch plan.Quorum {
	case enums.QuorumAll:
		return regular
	case enums.QuorumN:
		return min(max(plan.QuorumN, 1), regular)
	default:
		return 1
	}
}

// waitUntil waits for done, an edit, a withdrawal, a reschedule or an
// assignee change, or until deadline (none when zero, bounded by
// contentReviewCap). It reports whether the deadline came first.
func (o *contentApproval) waitUntil(ctx workflow.Context, deadline time.Time, done func() bool) (bool, error) {
	woken := func() bool {
		return done() || o.revise != nil || o.withdrawal != nil || o.woken || o.reassign
	}
	if deadline.IsZero() {
		deadline = workflow.Now(ctx).Add(contentReviewCap)
	}
	wait := deadline.Sub(workflow.Now(ctx))
	if wait <= 0 {
		return !woken(), nil
	}
	ok, err := workflow.AwaitWithTimeout(ctx, wait, woken)
	return !ok, err
}

// interrupted acts on what woke a wait: an edit (the run ends
// superseded, unless the edit was refused), a withdrawal (the run ends),
// a reschedule (the wait starts again with the new time) or an assignee
// change (the step is assigned again).
func (o *contentApproval) interrupted(ctx workflow.Context) (bool, error) {
	o.woken = false
	switch {
	case o.revise != nil:
		return o.supersede(ctx)
	case o.withdrawal != nil:
		reason := ""
		if o.withdrawal.ActorUserID != o.in.AuthorUserID {
			reason = "Your content was withdrawn: " + o.withdrawal.Reason
		}
		return true, o.resolve(ctx, enums.ApprovalWithdrawn, enums.ContentWithdrawn, reason)
	case o.reassign:
		o.reassign = false
		if o.state.Status == enums.ContentInReview {
			return false, o.assign(ctx, o.acts.OpenApprovalStep)
		}
	}
	return false, nil
}

// supersede writes the edit as the next version, starts that version's
// run (abandoned: it outlives this one) and ends this run superseded. An
// edit of a version that is no longer current is refused and the run
// goes on.
func (o *contentApproval) supersede(ctx workflow.Context) (bool, error) {
	edit := *o.revise
	if err := workflow.Await(ctx, func() bool { return o.writing == 0 }); err != nil {
		return false, err
	}
	var next activities.NextVersion
	err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.WriteNextContentVersion, activities.NextVersionInput{
		RequestID: o.req.RequestID, EditorUserID: edit.EditorUserID, ExpectedVersion: edit.ExpectedVersion, Title: edit.Title,
		Caption: edit.Caption, Body: edit.Body, Hashtags: edit.Hashtags, MediaAssetIDs: edit.MediaAssetIDs,
		SocialAccountIDs: edit.SocialAccountIDs, ScheduledFor: edit.ScheduledFor,
	}).Get(ctx, &next)
	if err != nil {
		o.revise, o.reviseErr = nil, staleVersion(err)
		return false, nil
	}
	child := workflow.ExecuteChildWorkflow(o.childOptions(ctx, ContentApprovalWorkflowID(o.in.ContentID, next.Version),
		fmt.Sprintf("%s v%d", next.Title, next.Version), enumspb.PARENT_CLOSE_POLICY_ABANDON), ContentApprovalWorkflowName,
		ContentApprovalInput{OrganizationID: o.in.OrganizationID, ContentID: o.in.ContentID, ContentVersionID: next.ContentVersionID,
			Version: next.Version, AuthorUserID: o.in.AuthorUserID, EventID: o.in.EventID, Title: next.Title})
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		return true, fmt.Errorf("start the run of version %d: %w", next.Version, err)
	}
	o.revised = &next
	o.state.SupersededBy = next.Version
	o.setStatus(ctx, ContentSuperseded)
	return true, nil
}

// awaitEdit keeps a rejected or changes-requested version open for an
// edit until its publish time; changes never made by then expire it.
func (o *contentApproval) awaitEdit(ctx workflow.Context) error {
	status, request := enums.ContentRejected, enums.ApprovalRejected
	if o.outcome == enums.ActionRequestChanges {
		status, request = enums.ContentChangesRequested, enums.ApprovalChangesRequested
	}
	if err := o.resolve(ctx, request, status, fmt.Sprintf("Version %d was %s at step %d.", o.in.Version, voteOutcome(o.outcome), o.state.CurrentStep)); err != nil {
		return err
	}
	for {
		fired, err := o.waitUntil(ctx, o.state.ScheduledFor, func() bool { return false })
		if err != nil {
			return err
		}
		if fired {
			if status == enums.ContentChangesRequested {
				return o.resolve(ctx, enums.ApprovalExpired, enums.ContentExpired,
					fmt.Sprintf("Version %d was not revised before its publish time.", o.in.Version))
			}
			return nil
		}
		if done, err := o.interrupted(ctx); err != nil || done {
			return err
		}
	}
}

// approve records the approval, waits for the publish time and publishes.
func (o *contentApproval) approve(ctx workflow.Context) error {
	status := enums.ContentApproved
	if o.state.ScheduledFor.After(workflow.Now(ctx)) {
		status = enums.ContentScheduled
	}
	if err := o.resolve(ctx, enums.ApprovalApproved, status, fmt.Sprintf("Version %d was approved.", o.in.Version)); err != nil {
		return err
	}
	for {
		fired, err := o.waitUntil(ctx, o.publishAt(ctx), func() bool { return false })
		if err != nil {
			return err
		}
		if fired {
			return o.publish(ctx)
		}
		if done, err := o.interrupted(ctx); err != nil || done {
			return err
		}
	}
}

// publishAt is when an approved version goes out: its publish time, or
// now when it has none.
func (o *contentApproval) publishAt(ctx workflow.Context) time.Time {
	if o.state.ScheduledFor.IsZero() {
		return workflow.Now(ctx)
	}
	return o.state.ScheduledFor
}

// publish runs the publishing child; its outcome is the final status.
func (o *contentApproval) publish(ctx workflow.Context) error {
	o.publishing = true
	o.setStatus(ctx, enums.ContentPublishing)
	opts := o.childOptions(ctx, ContentPublishWorkflowID(o.in.ContentID, o.in.Version, 0),
		fmt.Sprintf("Publish %s v%d", o.in.Title, o.in.Version), enumspb.PARENT_CLOSE_POLICY_TERMINATE)
	var res ContentPublishResult
	err := workflow.ExecuteChildWorkflow(opts, ContentPublishWorkflowName, ContentPublishInput{
		OrganizationID: o.in.OrganizationID, ContentID: o.in.ContentID, ContentVersionID: o.in.ContentVersionID,
		Version: o.in.Version, AuthorUserID: o.in.AuthorUserID, EventID: o.in.EventID, Title: o.in.Title,
	}).Get(ctx, &res)
	if err != nil {
		o.setStatus(ctx, enums.ContentFailed)
		return fmt.Errorf("publish version %d: %w", o.in.Version, err)
	}
	o.setStatus(ctx, res.Status)
	return nil
}

// resolve closes the request (assignments too) and moves the content.
func (o *contentApproval) resolve(ctx workflow.Context, request, content, reason string) error {
	err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.ResolveApprovalRequest, activities.ApprovalResolution{
		RequestID: o.req.RequestID, RequestStatus: request, ContentStatus: content, Reason: reason}).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("resolve approval request as %s: %w", request, err)
	}
	o.state.Assignees, o.assignees = nil, nil
	o.setStatus(ctx, content)
	return nil
}

// childOptions are the options of a child run of this content.
func (o *contentApproval) childOptions(ctx workflow.Context, id, summary string, policy enumspb.ParentClosePolicy) workflow.Context {
	attrs := []temporal.SearchAttributeUpdate{SearchOrgID.ValueSet(o.in.OrganizationID),
		SearchUserID.ValueSet(o.in.AuthorUserID), SearchStatus.ValueSet(enums.ContentInReview)}
	if o.in.EventID != "" {
		attrs = append(attrs, SearchEventID.ValueSet(o.in.EventID))
	}
	return workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: id, ParentClosePolicy: policy, StaticSummary: summary,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(attrs...),
	})
}

// stepRef names the current step for its activities.
func (o *contentApproval) stepRef() activities.ApprovalStepRef {
	return activities.ApprovalStepRef{RequestID: o.req.RequestID, Step: o.state.CurrentStep, DueAt: o.state.DueAt}
}

// setStatus records a status and mirrors it into ConveneStatus.
func (o *contentApproval) setStatus(ctx workflow.Context, status string) {
	o.state.Status = status
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchStatus.ValueSet(status)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes", "error", err)
	}
	o.setDetails(ctx)
}

// setDetails shows where the review stands in the UI, e.g.
// "step 2/3: 1 of 2, due 2026-12-03 10:00 UTC".
func (o *contentApproval) setDetails(ctx workflow.Context) {
	s := o.state
	if s.Status != enums.ContentInReview || s.CurrentStep == 0 {
		workflow.SetCurrentDetails(ctx, s.Status)
		return
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("step %d/%d: %d of %d, due %s", s.CurrentStep, s.TotalSteps,
		s.Approvals, s.Needed, s.DueAt.UTC().Format("2006-01-02 15:04 UTC")))
}

// voteOutcome is how a deciding vote reads in the author's notice.
func voteOutcome(action string) string {
	if action == enums.ActionReject {
		return "rejected"
	}
	return "sent back for changes"
}
