package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
)

// The onboarding's Updates. Each validator refuses without writing (a
// refused Update leaves no trace in the history); each handler takes the
// writer's turn (exclusive), checks again what may have changed while it
// waited, runs its activity, changes the state, wakes the loop and
// answers with the new state.

// checkInTaskPrefix marks the manager's check-in tasks, done only by
// submit-checkin.
const checkInTaskPrefix = "checkin-"

// checkInTasks are the check-in task of each check-in day.
var checkInTasks = map[int]string{7: enums.TaskKeyCheckInDay7, 30: enums.TaskKeyCheckInDay30}

// handleStart answers the start Update once the setup is done.
func (o *onboarding) handleStart(ctx workflow.Context) (OnboardingState, error) {
	_ = workflow.Await(ctx, func() bool { return o.setUp })
	return o.state, o.setupErr
}

// validateOpen refuses a change before the setup or after the close.
func (o *onboarding) validateOpen() error {
	switch {
	case !o.setUp:
		return refuseWrongState("the onboarding is still being set up")
	case o.setupErr != nil:
		return refuseWrongState("the onboarding could not be set up")
	case o.closed():
		return refuseWrongState("the onboarding is %s", o.state.Status)
	}
	return nil
}

func (o *onboarding) isManager(a Actor) bool { return a.UserID == o.state.ManagerUserID }

// task is the task with key, or nil.
func (o *onboarding) task(key string) *activities.OnboardingTaskState {
	for i := range o.state.Tasks {
		if o.state.Tasks[i].Key == key {
			return &o.state.Tasks[i]
		}
	}
	return nil
}

// validateCompleteTask admits the task's assignee, or HR, on a pending
// task that is not a check-in.
func (o *onboarding) validateCompleteTask(_ workflow.Context, c TaskCompletion) error {
	if err := o.validateOpen(); err != nil {
		return err
	}
	t := o.task(c.TaskKey)
	switch {
	case t == nil:
		return refuseWrongState("the onboarding has no task %q", c.TaskKey)
	case strings.HasPrefix(t.Key, checkInTaskPrefix):
		return refuseWrongState("task %q is the manager's check-in: use SubmitCheckIn", t.Key)
	case !c.Actor.IsHR && (t.AssigneeUserID == "" || c.Actor.UserID != t.AssigneeUserID):
		return refuseNotAllowed("only the task's assignee or HR may complete task %q", t.Key)
	case t.Status != enums.TaskPending:
		return refuseWrongState("task %q is %s", t.Key, t.Status)
	}
	return nil
}

func (o *onboarding) handleCompleteTask(ctx workflow.Context, c TaskCompletion) (OnboardingState, error) {
	err := o.exclusive(ctx, func() error {
		if err := o.validateCompleteTask(ctx, c); err != nil {
			return err
		}
		tasks := withDone(ctx, o.state.Tasks, c.TaskKey, c.Actor.UserID)
		progress := progressOf(tasks)
		err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.CompleteOnboardingTask, activities.TaskDone{
			OnboardingID: o.state.OnboardingID, TaskKey: c.TaskKey, ActorUserID: c.Actor.UserID, Note: c.Note,
			Progress: progress}).Get(ctx, nil)
		if err != nil {
			return fmt.Errorf("complete task %s: %w", c.TaskKey, err)
		}
		o.state.Tasks, o.recorded.progress = tasks, progress
		o.woken = true // the onboarding may be complete, or no longer behind
		return o.syncStatus(ctx)
	})
	return o.state, err
}

// withDone is a copy of tasks with the task key done by actor now.
func withDone(ctx workflow.Context, tasks []activities.OnboardingTaskState, key, actor string) []activities.OnboardingTaskState {
	out := slices.Clone(tasks)
	now := workflow.Now(ctx)
	for i := range out {
		if out[i].Key == key {
			out[i].Status, out[i].CompletedBy, out[i].CompletedAt = enums.TaskDone, actor, &now
		}
	}
	return out
}

// mayPause admits HR and the manager.
func (o *onboarding) mayPause(a Actor) error {
	if !a.IsHR && !o.isManager(a) {
		return refuseNotAllowed("only HR or the manager may pause or resume the onboarding")
	}
	return nil
}

func (o *onboarding) validatePause(ctx workflow.Context, p OnboardingPause) error {
	if err := o.validateOpen(); err != nil {
		return err
	}
	if err := o.mayPause(p.Actor); err != nil {
		return err
	}
	if o.paused() {
		return refuseWrongState("the onboarding is already paused")
	}
	if p.Until != nil && !p.Until.After(workflow.Now(ctx)) {
		return refuseWrongState("the pause must end in the future")
	}
	return nil
}

func (o *onboarding) handlePause(ctx workflow.Context, p OnboardingPause) (OnboardingState, error) {
	err := o.exclusive(ctx, func() error {
		if err := o.validatePause(ctx, p); err != nil {
			return err
		}
		err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.PauseOnboarding, activities.PauseRecord{
			OnboardingID: o.state.OnboardingID, ActorUserID: p.Actor.UserID, Reason: p.Reason, Until: p.Until}).Get(ctx, nil)
		if err != nil {
			return fmt.Errorf("pause onboarding: %w", err)
		}
		o.pausedAt, o.pausedBy = workflow.Now(ctx), p.Actor.UserID
		o.state.PauseUntil = p.Until
		o.recorded.status = enums.OnboardingPaused
		o.setStatus(ctx, enums.OnboardingPaused, o.state.Progress)
		o.woken = true
		return nil
	})
	return o.state, err
}

func (o *onboarding) validateResume(_ workflow.Context, r OnboardingResume) error {
	if err := o.validateOpen(); err != nil {
		return err
	}
	if err := o.mayPause(r.Actor); err != nil {
		return err
	}
	if !o.paused() {
		return refuseWrongState("the onboarding is not paused")
	}
	return nil
}

func (o *onboarding) handleResume(ctx workflow.Context, r OnboardingResume) (OnboardingState, error) {
	err := o.exclusive(ctx, func() error {
		if err := o.validateResume(ctx, r); err != nil {
			return err
		}
		return o.resume(ctx, r.Actor.UserID)
	})
	return o.state, err
}

// resume ends the pause: the business days missed (those after the
// pause's date, up to and including today's) move the open tasks' dues and
// the milestones not reached yet.
func (o *onboarding) resume(ctx workflow.Context, actor string) error {
	now := workflow.Now(ctx)
	missed := max(0, o.cal.BusinessDaysBetween(o.cal.DateOf(o.pausedAt), o.cal.DateOf(now)))
	tasks := slices.Clone(o.state.Tasks)
	dues := map[string]time.Time{}
	for i := range tasks {
		if t := &tasks[i]; t.Status == enums.TaskPending && missed > 0 {
			t.DueAt = o.cal.WindowClose(o.cal.AddBusinessDays(o.cal.DateOf(t.DueAt), missed))
			dues[t.Key] = t.DueAt
		}
	}
	paused := o.state.PausedBusinessDays + missed
	status := openStatus(tasks, o.state.Milestone, o.day30End, now)
	err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.ResumeOnboarding, activities.ResumeRecord{
		OnboardingID: o.state.OnboardingID, ActorUserID: actor, PausedBusinessDays: paused, Status: status,
		Dues: dues}).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("resume onboarding: %w", err)
	}
	o.state.Tasks, o.state.PausedBusinessDays = tasks, paused
	o.state.PauseUntil, o.pausedAt, o.pausedBy = nil, time.Time{}, ""
	o.recorded.status = status
	o.setStatus(ctx, status, o.state.Progress)
	o.woken = true
	return nil
}

// validateReassignBuddy admits HR giving the hire someone else than the
// hire, the manager and the current buddy.
func (o *onboarding) validateReassignBuddy(_ workflow.Context, r BuddyReassignment) error {
	if err := o.validateOpen(); err != nil {
		return err
	}
	switch {
	case !r.Actor.IsHR:
		return refuseNotAllowed("only HR may reassign the buddy")
	case r.BuddyUserID == "":
		return refuseWrongState("a buddy is required")
	case r.BuddyUserID == o.state.UserID:
		return refuseWrongState("the hire cannot be their own buddy")
	case r.BuddyUserID == o.state.ManagerUserID:
		return refuseWrongState("the manager cannot be the buddy")
	case o.state.Buddy != nil && r.BuddyUserID == o.state.Buddy.UserID:
		return refuseWrongState("%s is already the buddy", r.BuddyUserID)
	}
	return nil
}

// handleReassignBuddy records the new match; the open buddy tasks move to
// the new buddy and HR's choose-buddy task is done.
func (o *onboarding) handleReassignBuddy(ctx workflow.Context, r BuddyReassignment) (OnboardingState, error) {
	err := o.exclusive(ctx, func() error {
		if err := o.validateReassignBuddy(ctx, r); err != nil {
			return err
		}
		var pick activities.BuddyPick
		err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.ReassignBuddy, activities.BuddyChange{
			OnboardingID: o.state.OnboardingID, ActorUserID: r.Actor.UserID, BuddyUserID: r.BuddyUserID,
			Reason: r.Reason}).Get(ctx, &pick)
		if err != nil {
			return fmt.Errorf("reassign buddy: %w", err)
		}
		tasks := slices.Clone(o.state.Tasks)
		for i := range tasks {
			if t := &tasks[i]; t.Status == enums.TaskPending && t.AssigneeRole == enums.OnboardingRoleBuddy {
				t.AssigneeUserID = pick.UserID
			}
		}
		if t := o.task(enums.TaskKeyChooseBuddy); t != nil && t.Status == enums.TaskPending {
			tasks = withDone(ctx, tasks, enums.TaskKeyChooseBuddy, r.Actor.UserID)
		}
		o.state.Buddy, o.state.Tasks = &pick, tasks
		o.woken = true
		return o.syncStatus(ctx)
	})
	return o.state, err
}

// validateSubmitCheckIn admits the manager's check-in of a day reached and
// not yet submitted, rated 1 to 5.
func (o *onboarding) validateSubmitCheckIn(_ workflow.Context, c CheckInSubmission) error {
	if err := o.validateOpen(); err != nil {
		return err
	}
	switch {
	case !o.isManager(c.Actor):
		return refuseNotAllowed("only the manager may submit the check-in")
	case checkInTasks[c.Day] == "":
		return refuseWrongState("check-ins are on day 7 and day 30, not day %d", c.Day)
	case !slices.Contains(o.state.OpenCheckIns, c.Day):
		return refuseWrongState("the day %d check-in is not open (not reached yet, or submitted)", c.Day)
	case c.Rating < 1 || c.Rating > 5:
		return refuseWrongState("the rating must be 1 to 5, not %d", c.Rating)
	}
	return nil
}

// handleSubmitCheckIn records the check-in and marks the day's check-in
// task done.
func (o *onboarding) handleSubmitCheckIn(ctx workflow.Context, c CheckInSubmission) (OnboardingState, error) {
	err := o.exclusive(ctx, func() error {
		if err := o.validateSubmitCheckIn(ctx, c); err != nil {
			return err
		}
		tasks := withDone(ctx, o.state.Tasks, checkInTasks[c.Day], c.Actor.UserID)
		progress := progressOf(tasks)
		err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.SubmitOnboardingCheckIn, activities.CheckInRecord{
			OnboardingID: o.state.OnboardingID, ManagerUserID: c.Actor.UserID, Day: c.Day, Rating: c.Rating,
			Comment: c.Comment, Progress: progress}).Get(ctx, nil)
		if err != nil {
			return fmt.Errorf("submit day %d check-in: %w", c.Day, err)
		}
		o.state.Tasks, o.recorded.progress = tasks, progress
		o.state.OpenCheckIns = slices.DeleteFunc(slices.Clone(o.state.OpenCheckIns), func(d int) bool { return d == c.Day })
		o.woken = true
		return o.syncStatus(ctx)
	})
	return o.state, err
}

func (o *onboarding) validateCancel(_ workflow.Context, c OnboardingCancellation) error {
	if err := o.validateOpen(); err != nil {
		return err
	}
	if !c.Actor.IsHR {
		return refuseNotAllowed("only HR may cancel the onboarding")
	}
	return nil
}

// handleCancel compensates (open tasks cancelled, the match ended,
// everyone told), then ends the run.
func (o *onboarding) handleCancel(ctx workflow.Context, c OnboardingCancellation) (OnboardingState, error) {
	err := o.exclusive(ctx, func() error {
		if err := o.validateCancel(ctx, c); err != nil {
			return err
		}
		err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.CancelOnboarding, activities.CancelRecord{
			OnboardingID: o.state.OnboardingID, ActorUserID: c.Actor.UserID, Reason: c.Reason}).Get(ctx, nil)
		if err != nil {
			return fmt.Errorf("cancel onboarding: %w", err)
		}
		tasks := slices.Clone(o.state.Tasks)
		for i := range tasks {
			if tasks[i].Status == enums.TaskPending {
				tasks[i].Status = enums.TaskCancelled
			}
		}
		o.state.Tasks, o.state.OpenCheckIns, o.state.PauseUntil = tasks, nil, nil
		o.setStatus(ctx, enums.OnboardingCancelled, o.state.Progress)
		return nil
	})
	return o.state, err
}
