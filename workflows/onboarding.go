package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/workcal"
)

// Onboarding is the run of one hire's onboarding. Its story:
//  1. set up in one activity (template tasks with their dues, the buddy
//     or HR's choose-buddy task); the `start` Update answers with that;
//  2. one loop with one timer, woken early by every Update: at the window
//     opening of each milestone's business day (day 1/7/14/30) reload the
//     office calendar and record the milestone; at a task's due time turn
//     `behind`; at each rung of an overdue task's reminder ladder remind;
//     nothing happens while paused, and a pause with an end resumes itself;
//  3. once day 30 is reached and every required task is done, complete
//     (badge, the buddy's points) and end; `cancel` ends it earlier.
func Onboarding(ctx workflow.Context, in OnboardingInput) (OnboardingState, error) {
	o := &onboarding{in: in, state: OnboardingState{OnboardingID: in.OnboardingID, OrganizationID: in.OrganizationID,
		UserID: in.UserID, Status: enums.OnboardingPreboarding, Milestone: enums.MilestonePreboarding,
		StartDate: in.StartDate, ManagerUserID: in.ManagerUserID, HRUserID: in.HRUserID}}
	if err := o.registerHandlers(ctx); err != nil {
		return o.state, err
	}
	err := o.run(ctx)
	// Let update callers see the final state before the run closes.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return o.state, err
}

type onboarding struct {
	in    OnboardingInput
	state OnboardingState
	acts  *activities.Onboarding
	cal   workcal.Calendar
	start workcal.Date
	// setUp is set once the setup activity answered (setupErr its error):
	// the start Update waits for it and the other Updates are refused
	// before it.
	setUp    bool
	setupErr error
	// busy is held by whoever runs an activity that writes the onboarding
	// (the loop's step or an Update's handler), so their writes and their
	// changes to the state never interleave.
	busy bool
	// woken ends the loop's sleep: an Update changed what it waits for.
	woken bool
	// recorded is the status and progress the database holds, so a change
	// is written once.
	recorded recordedStatus
	// pausedAt and pausedBy are the open pause's start and author (an
	// automatic resume at its end is recorded as theirs).
	pausedAt time.Time
	pausedBy string
	// day30End is the close of day 30's send window, once day 30 is
	// reached: from then on an open required task makes the hire behind.
	day30End time.Time
}

type recordedStatus struct {
	status   string
	progress int
}

// checkInDays are the milestones that open the manager's check-in.
var checkInDays = map[string]int{enums.MilestoneDay7: 7, enums.MilestoneDay30: 30}

func (o *onboarding) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (OnboardingState, error) { return o.state, nil }); err != nil {
		return fmt.Errorf("register state query: %w", err)
	}
	if err := workflow.SetUpdateHandler(ctx, UpdateStartOnboarding, o.handleStart); err != nil {
		return fmt.Errorf("register %s update: %w", UpdateStartOnboarding, err)
	}
	handlers := []struct {
		name      string
		handler   any
		validator any
	}{
		{UpdateCompleteTask, o.handleCompleteTask, o.validateCompleteTask},
		{UpdatePauseOnboarding, o.handlePause, o.validatePause},
		{UpdateResumeOnboarding, o.handleResume, o.validateResume},
		{UpdateReassignBuddy, o.handleReassignBuddy, o.validateReassignBuddy},
		{UpdateSubmitCheckIn, o.handleSubmitCheckIn, o.validateSubmitCheckIn},
		{UpdateCancelOnboarding, o.handleCancel, o.validateCancel},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler,
			workflow.UpdateHandlerOptions{Validator: h.validator}); err != nil {
			return fmt.Errorf("register %s update: %w", h.name, err)
		}
	}
	return nil
}

func (o *onboarding) run(ctx workflow.Context) error {
	if err := o.setUpOnboarding(ctx); err != nil {
		return err
	}
	for !o.closed() {
		var next time.Time
		err := o.exclusive(ctx, func() error {
			var err error
			next, err = o.step(ctx)
			return err
		})
		if err != nil {
			return err
		}
		o.sleep(ctx, next)
	}
	return nil
}

// setUpOnboarding runs the setup transaction and takes the tasks, the
// buddy and the office calendar from it.
func (o *onboarding) setUpOnboarding(ctx workflow.Context) error {
	defer func() { o.setUp = true }()
	start, err := workcal.ParseDate(o.in.StartDate)
	if err != nil {
		o.setupErr = fmt.Errorf("onboarding start date: %w", err)
		return o.setupErr
	}
	o.start = start
	var snap activities.OnboardingSnapshot
	err = workflow.ExecuteActivity(activityOptions(ctx), o.acts.SetUpOnboarding, activities.OnboardingSetup{
		OnboardingID: o.in.OnboardingID, OrganizationID: o.in.OrganizationID, UserID: o.in.UserID,
		StartDate: o.in.StartDate, ManagerUserID: o.in.ManagerUserID, HRUserID: o.in.HRUserID, Role: o.in.Role,
		OfficeID: o.in.OfficeID, TeamID: o.in.TeamID, ActorUserID: o.in.ActorUserID}).Get(ctx, &snap)
	if err != nil {
		o.setupErr = fmt.Errorf("set up onboarding: %w", err)
		return o.setupErr
	}
	o.cal = snap.Calendar
	o.state.Buddy = snap.Buddy
	o.state.Tasks = snap.Tasks
	o.state.Progress = o.progress()
	o.recorded = recordedStatus{status: enums.OnboardingPreboarding, progress: o.state.Progress}
	o.refreshDetails(ctx)
	return nil
}

// step does what is due now (milestones, the status, reminders, the
// completion) and answers when the next thing is due (zero: nothing is,
// only an Update can change that).
func (o *onboarding) step(ctx workflow.Context) (time.Time, error) {
	o.woken = false
	if o.closed() {
		return time.Time{}, nil
	}
	if o.paused() {
		if o.state.PauseUntil == nil || workflow.Now(ctx).Before(*o.state.PauseUntil) {
			return o.nextWake(workflow.Now(ctx)), nil
		}
		if err := o.resume(ctx, o.pausedBy); err != nil {
			return time.Time{}, err
		}
	}
	if err := o.reachMilestones(ctx); err != nil {
		return time.Time{}, err
	}
	if err := o.syncStatus(ctx); err != nil {
		return time.Time{}, err
	}
	if err := o.sendReminders(ctx); err != nil {
		return time.Time{}, err
	}
	if o.finished() {
		return time.Time{}, o.complete(ctx)
	}
	return o.nextWake(workflow.Now(ctx)), nil
}

// sleep waits until next (forever when zero) or until an Update wakes it.
func (o *onboarding) sleep(ctx workflow.Context, next time.Time) {
	woken := func() bool { return o.woken || o.closed() }
	if next.IsZero() {
		_ = workflow.Await(ctx, woken)
		return
	}
	if d := next.Sub(workflow.Now(ctx)); d > 0 {
		_, _ = workflow.AwaitWithTimeout(ctx, d, woken)
	}
}

// exclusive runs fn while no other writer (the loop or another Update's
// handler) runs; fn's activity and its state change are one step.
func (o *onboarding) exclusive(ctx workflow.Context, fn func() error) error {
	_ = workflow.Await(ctx, func() bool { return !o.busy })
	o.busy = true
	defer func() { o.busy = false }()
	return fn()
}

// nextWake is the earliest of: the pause's end (while paused, nothing
// else), the next milestone, a pending task's due time (it turns the
// onboarding behind) and the next reminder of an overdue task.
func (o *onboarding) nextWake(now time.Time) time.Time {
	if o.paused() {
		if o.state.PauseUntil != nil {
			return *o.state.PauseUntil
		}
		return time.Time{}
	}
	var next time.Time
	earliest := func(t time.Time) {
		if !t.IsZero() && t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if m := o.nextMilestone(); m != "" {
		earliest(o.milestoneAt(m))
	}
	if !requiredDone(o.state.Tasks) {
		earliest(o.day30End)
	}
	for i := range o.state.Tasks {
		t := &o.state.Tasks[i]
		if t.Status != enums.TaskPending {
			continue
		}
		earliest(t.DueAt)
		if _, at := o.nextReminder(t, now); !at.IsZero() {
			earliest(at)
		}
	}
	return next
}

// nextMilestone is the first milestone not reached yet ("" after day 30).
func (o *onboarding) nextMilestone() string {
	if i := slices.Index(enums.Milestones, o.state.Milestone); i+1 < len(enums.Milestones) {
		return enums.Milestones[i+1]
	}
	return ""
}

// milestoneAt is when milestone m is reached on the current calendar,
// after the business days spent paused.
func (o *onboarding) milestoneAt(m string) time.Time {
	return o.cal.MilestoneAt(o.start, enums.MilestoneDay[m], o.state.PausedBusinessDays)
}

// reachMilestones records every milestone whose time has come. Holidays
// may have changed since the last one, so the calendar is reloaded first
// and a milestone a new holiday moved later waits for its new time.
func (o *onboarding) reachMilestones(ctx workflow.Context) error {
	for m := o.nextMilestone(); m != "" && !workflow.Now(ctx).Before(o.milestoneAt(m)); m = o.nextMilestone() {
		var cal workcal.Calendar
		if err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.LoadOnboardingCalendar, o.state.OnboardingID).Get(ctx, &cal); err != nil {
			return fmt.Errorf("load onboarding calendar: %w", err)
		}
		o.cal = cal
		now := workflow.Now(ctx)
		if now.Before(o.milestoneAt(m)) {
			return nil
		}
		o.state.Milestone = m
		status, progress := o.statusAt(now), o.progress()
		err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.ReachMilestone, activities.MilestoneReached{
			OnboardingID: o.state.OnboardingID, Milestone: m, Status: status, Progress: progress}).Get(ctx, nil)
		if err != nil {
			return fmt.Errorf("reach milestone %s: %w", m, err)
		}
		if day, ok := checkInDays[m]; ok {
			o.state.OpenCheckIns = append(o.state.OpenCheckIns, day)
		}
		if m == enums.MilestoneDay30 {
			o.day30End = o.cal.WindowClose(o.cal.DateOf(now))
		}
		o.recorded = recordedStatus{status: status, progress: progress}
		o.setStatus(ctx, status, progress)
	}
	return nil
}

// syncStatus writes the status and progress when they differ from what
// the database holds (a task fell due, the last overdue task was done).
func (o *onboarding) syncStatus(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	status, progress := o.statusAt(now), o.progress()
	if (recordedStatus{status: status, progress: progress}) != o.recorded {
		err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.SetOnboardingStatus, activities.OnboardingStatusChange{
			OnboardingID: o.state.OnboardingID, Status: status, Progress: progress}).Get(ctx, nil)
		if err != nil {
			return fmt.Errorf("set onboarding status %s: %w", status, err)
		}
		o.recorded = recordedStatus{status: status, progress: progress}
	}
	o.setStatus(ctx, status, progress)
	return nil
}

// nextReminder is the rung an overdue pending task is due for next and
// when it may be sent (zero time: the ladder is done). A run that wakes
// late (after a pause, after downtime) sends only the highest rung whose
// time has passed, at the next moment inside the send window, rather than
// every missed rung at once.
func (o *onboarding) nextReminder(t *activities.OnboardingTaskState, now time.Time) (int, time.Time) {
	level := t.ReminderLevel + 1
	if level > workcal.ReminderLevels {
		return 0, time.Time{}
	}
	for level < workcal.ReminderLevels && !now.Before(o.cal.ReminderAt(t.DueAt, level+1)) {
		level++
	}
	at := o.cal.ReminderAt(t.DueAt, level)
	if !now.Before(at) {
		at = o.cal.NextSendTime(now)
	}
	return level, at
}

// sendReminders sends each rung that is due now.
func (o *onboarding) sendReminders(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	for i := range o.state.Tasks {
		t := &o.state.Tasks[i]
		if t.Status != enums.TaskPending {
			continue
		}
		level, at := o.nextReminder(t, now)
		if at.IsZero() || at.After(now) {
			continue
		}
		err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.RemindTask, activities.TaskReminder{
			OnboardingID: o.state.OnboardingID, TaskKey: t.Key, Level: level}).Get(ctx, nil)
		if err != nil {
			return fmt.Errorf("remind task %s at level %d: %w", t.Key, level, err)
		}
		t.ReminderLevel = level
		o.recorded.status = enums.OnboardingBehind // RemindTask writes it
	}
	return nil
}

// finished reports whether the onboarding can complete: day 30 reached
// and every required task done.
func (o *onboarding) finished() bool {
	return o.state.Milestone == enums.MilestoneDay30 && requiredDone(o.state.Tasks)
}

// complete closes the onboarding: badge, the buddy's points, the event.
func (o *onboarding) complete(ctx workflow.Context) error {
	if err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.CompleteOnboarding, o.state.OnboardingID).Get(ctx, nil); err != nil {
		return fmt.Errorf("complete onboarding: %w", err)
	}
	now := workflow.Now(ctx)
	o.state.CompletedAt = &now
	o.setStatus(ctx, enums.OnboardingCompleted, o.progress())
	return nil
}

// statusAt is the status at now: paused while paused, else openStatus.
func (o *onboarding) statusAt(now time.Time) string {
	if o.paused() {
		return enums.OnboardingPaused
	}
	return openStatus(o.state.Tasks, o.state.Milestone, o.day30End, now)
}

// openStatus is the status of a running onboarding at milestone with
// tasks: behind while a pending task is overdue, or once day 30 is over
// (day30End, zero before day 30) with required tasks open; preboarding
// before day 1; else active. An overdue preboarding task makes the hire
// behind already (its reminders say so).
func openStatus(tasks []activities.OnboardingTaskState, milestone string, day30End, now time.Time) string {
	day30Over := !day30End.IsZero() && !now.Before(day30End)
	switch {
	case overdueCount(tasks, now) > 0 || (day30Over && !requiredDone(tasks)):
		return enums.OnboardingBehind
	case milestone == enums.MilestonePreboarding:
		return enums.OnboardingPreboarding
	}
	return enums.OnboardingActive
}

// overdueCount counts the pending tasks whose due time has come.
func overdueCount(tasks []activities.OnboardingTaskState, now time.Time) int {
	n := 0
	for _, t := range tasks {
		if t.Status == enums.TaskPending && !now.Before(t.DueAt) {
			n++
		}
	}
	return n
}

// requiredDone reports whether no required task is pending.
func requiredDone(tasks []activities.OnboardingTaskState) bool {
	for _, t := range tasks {
		if t.Required && t.Status == enums.TaskPending {
			return false
		}
	}
	return true
}

func (o *onboarding) progress() int { return progressOf(o.state.Tasks) }

// progressOf is the share of required tasks done, in percent (100 with no
// required task).
func progressOf(tasks []activities.OnboardingTaskState) int {
	required, done := 0, 0
	for _, t := range tasks {
		if t.Required {
			required++
			if t.Status == enums.TaskDone {
				done++
			}
		}
	}
	if required == 0 {
		return 100
	}
	return done * 100 / required
}

func (o *onboarding) paused() bool { return o.state.Status == enums.OnboardingPaused }

func (o *onboarding) closed() bool { return enums.OnboardingClosed(o.state.Status) }

// setStatus records status and progress in the state and, when the status
// changed, in the search attribute operators filter on.
func (o *onboarding) setStatus(ctx workflow.Context, status string, progress int) {
	if status != o.state.Status {
		if err := workflow.UpsertTypedSearchAttributes(ctx, SearchStatus.ValueSet(status)); err != nil {
			workflow.GetLogger(ctx).Warn("status search attribute not updated", "error", err)
		}
	}
	o.state.Status, o.state.Progress = status, progress
	o.refreshDetails(ctx)
}

// refreshDetails keeps the overdue count and the run's details current:
// "milestone day7, 2 overdue".
func (o *onboarding) refreshDetails(ctx workflow.Context) {
	o.state.Overdue = overdueCount(o.state.Tasks, workflow.Now(ctx))
	workflow.SetCurrentDetails(ctx, o.details())
}

// details is the run's current details line.
func (o *onboarding) details() string {
	parts := []string{"milestone " + o.state.Milestone, fmt.Sprintf("%d overdue", o.state.Overdue)}
	if o.paused() {
		parts = append(parts, "paused")
	}
	return strings.Join(parts, ", ")
}
