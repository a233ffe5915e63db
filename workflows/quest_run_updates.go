package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
)

// The quest run's Updates. Each validator refuses without writing (a
// refused Update leaves no trace in the history); each handler takes the
// writer's turn (exclusive), checks again what may have changed while it
// waited, runs its activities, changes the state, wakes the loop and
// answers with the new state.
//
// Concurrent submissions of one task: validators admitted together all
// see the task open, but their handlers take turns, and the first marks
// the task submitted before its first activity; the others find it
// submitted (or completed) and fail with ErrTypeWrongState. One
// submission is recorded.

// handleJoin answers the join Update once the join activity is done: the
// first join's, and every repeated JoinQuest's, with the state.
func (r *questRun) handleJoin(ctx workflow.Context) (QuestRunState, error) {
	_ = workflow.Await(ctx, func() bool { return r.joined })
	return r.answer(), r.joinErr
}

// validateRunning refuses a change before the join, after a failed join,
// and once the run's outcome is final or the quest closed.
func (r *questRun) validateRunning() error {
	switch {
	case !r.joined:
		return refuseWrongState("the member is still joining the quest")
	case r.joinErr != nil:
		return refuseWrongState("the member could not join the quest")
	case r.ended:
		return refuseWrongState("the quest run is %s", r.state.Status)
	case r.closing:
		return refuseWrongState("the quest is closed")
	}
	return nil
}

// mayReview admits the organization's reviewers, never the participant.
func (r *questRun) mayReview(a QuestActor, what string) error {
	if !a.CanReview || a.UserID == r.in.UserID {
		return refuseNotAllowed("only the organization's owners, admins and approvers %s, never the participant", what)
	}
	return nil
}

// task is the task with id in the run's period, or nil.
func (r *questRun) task(id string) *activities.QuestTaskProgress {
	for i := range r.state.Tasks {
		if r.state.Tasks[i].TaskID == id {
			return &r.state.Tasks[i]
		}
	}
	return nil
}

// validateDecideRegistration admits a reviewer's decision on a pending
// registration.
func (r *questRun) validateDecideRegistration(_ workflow.Context, d RegistrationDecision) error {
	if err := r.validateRunning(); err != nil {
		return err
	}
	if err := r.mayReview(d.Actor, "decide registrations"); err != nil {
		return err
	}
	if r.state.Registration != enums.RegistrationPending {
		return refuseWrongState("the registration is %s, not pending", r.state.Registration)
	}
	return nil
}

// handleDecideRegistration writes the decision: approved, the member may
// submit; rejected, the run ends (the activity freed the place).
func (r *questRun) handleDecideRegistration(ctx workflow.Context, d RegistrationDecision) (QuestRunState, error) {
	err := r.exclusive(ctx, func() error {
		if err := r.validateDecideRegistration(ctx, d); err != nil {
			return err
		}
		err := workflow.ExecuteActivity(activityOptions(ctx), r.acts.DecideRegistration, activities.RegistrationDecisionRecord{
			QuestID: r.in.QuestID, UserID: r.in.UserID, ActorUserID: d.Actor.UserID, Approve: d.Approve,
			Comment: d.Comment}).Get(ctx, nil)
		if err != nil {
			return fmt.Errorf("decide registration of %s in quest %s: %w", r.in.UserID, r.in.QuestID, err)
		}
		r.woken = true
		if !d.Approve {
			r.state.Registration = enums.RegistrationRejected
			r.end(ctx, QuestRunRejected)
			return nil
		}
		r.state.Registration = enums.RegistrationApproved
		r.refreshStatus(ctx)
		return nil
	})
	return r.answer(), err
}

// validateSubmitTask admits the participant's submission of a task of the
// period while the quest's window and the period are open, once per
// period, and a failed task again after the quest's cooldown.
func (r *questRun) validateSubmitTask(ctx workflow.Context, s TaskSubmission) error {
	if err := r.validateRunning(); err != nil {
		return err
	}
	if s.Actor.UserID != r.in.UserID {
		return refuseNotAllowed("only the participant submits their tasks")
	}
	if err := r.validateSubmissionWindow(workflow.Now(ctx)); err != nil {
		return err
	}
	t := r.task(s.TaskID)
	if t == nil {
		return refuseWrongState("the quest has no task %q", s.TaskID)
	}
	switch t.Status {
	case enums.UserTaskCompleted:
		return refuseWrongState("task %q is already completed in the period %s", s.TaskID, r.state.Period)
	case enums.UserTaskSubmitted, enums.UserTaskVerifying:
		return refuseWrongState("task %q is being verified", s.TaskID)
	case enums.UserTaskInReview:
		return refuseWrongState("task %q is waiting for a reviewer", s.TaskID)
	case enums.UserTaskFailed:
		if retryAt := r.retryAt(*t); workflow.Now(ctx).Before(retryAt) {
			return refuseWrongState("task %q failed; it may be submitted again from %s", s.TaskID, utc(retryAt))
		}
	}
	return nil
}

// validateSubmissionWindow refuses a submission while the registration
// awaits approval, once the period is completed, and outside the quest's
// window or the period.
func (r *questRun) validateSubmissionWindow(now time.Time) error {
	switch {
	case r.state.Registration != enums.RegistrationApproved:
		return refuseWrongState("the registration is %s, not approved", r.state.Registration)
	case r.state.CompletedAt != nil && r.continuesAfterPeriod():
		return refuseWrongState("the quest is completed for the period %s; the next one starts at %s",
			r.state.Period, utc(r.periodEnds()))
	case r.state.CompletedAt != nil:
		return refuseWrongState("the quest is completed")
	case now.Before(r.quest.StartsAt):
		return refuseWrongState("the quest starts at %s", utc(r.quest.StartsAt))
	case !now.Before(r.quest.EndsAt):
		return refuseWrongState("the period %s has ended: the quest ended at %s", r.state.Period, utc(r.quest.EndsAt))
	case !now.Before(r.periodEnds()):
		return refuseWrongState("the period %s has ended at %s: it takes no more submissions", r.state.Period,
			utc(r.periodEnds()))
	}
	return nil
}

// retryAt is when a failed task may be submitted again.
func (r *questRun) retryAt(t activities.QuestTaskProgress) time.Time {
	if t.LastAttemptAt == nil {
		return time.Time{}
	}
	return t.LastAttemptAt.Add(r.quest.RetryCooldown)
}

func utc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// handleSubmitTask records the submission and answers once its outcome is
// final: completed, failed or in review (and the period completed when it
// was the last required task).
func (r *questRun) handleSubmitTask(ctx workflow.Context, s TaskSubmission) (QuestRunState, error) {
	err := r.exclusive(ctx, func() error {
		if err := r.validateSubmitTask(ctx, s); err != nil {
			return err
		}
		if err := r.submit(ctx, s); err != nil {
			return err
		}
		return r.settle(ctx)
	})
	return r.answer(), err
}

// submit records the submission (inline kinds are decided in it) and
// verifies one an outside check decides.
func (r *questRun) submit(ctx workflow.Context, s TaskSubmission) error {
	rec := activities.SubmissionRecord{QuestID: r.in.QuestID, UserID: r.in.UserID, TaskID: s.TaskID,
		Period: r.state.Period, RequestID: s.RequestID, Submission: s.Submission}
	t := r.task(s.TaskID)
	before := *t
	t.Status = enums.UserTaskSubmitted // later submissions of the task are refused from now on
	var out activities.TaskOutcome
	if err := workflow.ExecuteActivity(activityOptions(ctx), r.acts.RecordSubmission, rec).Get(ctx, &out); err != nil {
		*t = before
		return fmt.Errorf("record submission of task %s: %w", s.TaskID, err)
	}
	at := out.At
	if at.IsZero() {
		at = workflow.Now(ctx)
	}
	t.LastAttemptAt = &at
	r.apply(s.TaskID, out)
	if out.Status != enums.UserTaskVerifying {
		return nil
	}
	out, err := r.verify(ctx, rec)
	if err != nil {
		return err
	}
	r.apply(s.TaskID, out)
	return nil
}

// verify asks the task's outside verifier, 3 tries in all; when none
// answers, the submission fails with "verifier unavailable".
func (r *questRun) verify(ctx workflow.Context, rec activities.SubmissionRecord) (activities.TaskOutcome, error) {
	r.checking = true
	r.refreshStatus(ctx)
	defer func() { r.checking = false }()
	var out activities.TaskOutcome
	err := workflow.ExecuteActivity(verifyOptions(ctx), r.acts.VerifyTask, rec).Get(ctx, &out)
	if err == nil {
		return out, nil
	}
	workflow.GetLogger(ctx).Warn("verifier did not answer; giving up", "task", rec.TaskID, "error", err)
	if err := workflow.ExecuteActivity(activityOptions(ctx), r.acts.GiveUpVerification, rec).Get(ctx, &out); err != nil {
		return out, fmt.Errorf("give up verification of task %s: %w", rec.TaskID, err)
	}
	return out, nil
}

// verifyOptions are the outside checks' options: 3 tries, then the
// workflow gives up.
func verifyOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: verifyTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: verifyInitialInterval, BackoffCoefficient: retryBackoff,
			MaximumAttempts: verifyAttempts},
	})
}

// settle follows a task's final outcome: the period completes when it was
// the last required task, the status and the loop's wait follow.
func (r *questRun) settle(ctx workflow.Context) error {
	r.woken = true
	if err := r.completeIfDone(ctx); err != nil {
		return err
	}
	r.refreshStatus(ctx)
	return nil
}

// apply takes an activity's outcome into the task's state; a task newly
// in review starts its reminder ladder. The status follows in settle.
func (r *questRun) apply(taskID string, out activities.TaskOutcome) {
	t := r.task(taskID)
	if out.Status == enums.UserTaskInReview && t.Status != enums.UserTaskInReview {
		t.ReviewReminders = 0
	}
	t.Status, t.Reason, t.ReviewDueAt = out.Status, out.Reason, out.ReviewDueAt
	if out.Attempts > 0 {
		t.Attempts = out.Attempts
	}
}

// validateReviewTask admits a reviewer's decision on a task in review.
func (r *questRun) validateReviewTask(_ workflow.Context, rv TaskReview) error {
	if err := r.validateRunning(); err != nil {
		return err
	}
	if err := r.mayReview(rv.Actor, "review tasks"); err != nil {
		return err
	}
	t := r.task(rv.TaskID)
	switch {
	case t == nil:
		return refuseWrongState("the quest has no task %q", rv.TaskID)
	case t.Status != enums.UserTaskInReview:
		return refuseWrongState("task %q is not in review", rv.TaskID)
	}
	return nil
}

// handleReviewTask writes the decision: completed, or failed with the
// comment (the member may submit again after the cooldown).
func (r *questRun) handleReviewTask(ctx workflow.Context, rv TaskReview) (QuestRunState, error) {
	err := r.exclusive(ctx, func() error {
		if err := r.validateReviewTask(ctx, rv); err != nil {
			return err
		}
		var out activities.TaskOutcome
		err := workflow.ExecuteActivity(activityOptions(ctx), r.acts.ReviewTask, activities.TaskReviewRecord{
			QuestID: r.in.QuestID, UserID: r.in.UserID, TaskID: rv.TaskID, Period: r.state.Period,
			ReviewerID: rv.Actor.UserID, Approve: rv.Approve, Comment: rv.Comment}).Get(ctx, &out)
		if err != nil {
			return fmt.Errorf("review task %s: %w", rv.TaskID, err)
		}
		r.apply(rv.TaskID, out)
		return r.settle(ctx)
	})
	return r.answer(), err
}
