package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/workcal"
	"github.com/convene/convene/workflows"
)

// The people of every onboarding test.
const (
	hire       = "hire-1"
	manager    = "manager-1"
	buddy      = "buddy-1"
	hr         = "hr-1"
	otherBuddy = "buddy-2"
)

var (
	asHire    = workflows.Actor{UserID: hire}
	asManager = workflows.Actor{UserID: manager}
	asBuddy   = workflows.Actor{UserID: buddy}
	asHR      = workflows.Actor{UserID: hr, IsHR: true}
)

// taskSpec is a template task: due offsetDays business days from day 1.
// A check-in task is due 2 business days after its milestone's date, as
// the setup writes it.
type taskSpec struct {
	key        string
	role       string
	milestone  string
	offsetDays int
}

// standardTasks is a small realistic template: preboarding paperwork,
// the first days' tasks of HR and the buddy, the hire's first project, the
// manager's two check-ins and the hire's 30-day review.
var standardTasks = []taskSpec{
	{"sign-contract", enums.OnboardingRoleHire, enums.MilestonePreboarding, -2},
	{"laptop", enums.OnboardingRoleHR, enums.MilestoneDay1, 0},
	{"setup-accounts", enums.OnboardingRoleHire, enums.MilestoneDay1, 2},
	{"team-lunch", enums.OnboardingRoleBuddy, enums.MilestoneDay1, 3},
	{"first-project", enums.OnboardingRoleHire, enums.MilestoneDay7, 8},
	{enums.TaskKeyCheckInDay7, enums.OnboardingRoleManager, enums.MilestoneDay7, 0},
	{"30-day-review", enums.OnboardingRoleHire, enums.MilestoneDay30, 19},
	{enums.TaskKeyCheckInDay30, enums.OnboardingRoleManager, enums.MilestoneDay30, 0},
}

// activityCall is one activity call: its name, its argument and the workflow
// time it ran at.
type activityCall struct {
	name string
	arg  any
	at   time.Time
}

// onboardingBed runs one onboarding in the time-skipping environment with
// every activity mocked: the setup answers a snapshot built on the office
// calendar, the others record their call.
type onboardingBed struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	acts  *activities.Onboarding
	cal   workcal.Calendar
	start workcal.Date
	snap  activities.OnboardingSnapshot
	// reload is the calendar LoadOnboardingCalendar answers from
	// reloadFrom on (cal before, and unless a test adds a holiday).
	reload     workcal.Calendar
	reloadFrom time.Time

	mu       sync.Mutex
	calls    []activityCall
	statuses []string // ConveneStatus values upserted, in order
	updates  int
	started  *updateOutcome
}

// updateOutcome is what one Update answered.
type updateOutcome struct {
	rejected error
	err      error
	state    workflows.OnboardingState
	done     bool
}

// newOnboardingBed prepares a hire starting on start ("2006-01-02") in an
// office of zone, with the standard tasks and a buddy; the run starts a
// week earlier at noon office time.
func newOnboardingBed(t *testing.T, zone, start string, holidays ...string) *onboardingBed {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	b := &onboardingBed{t: t, env: suite.NewTestWorkflowEnvironment(), acts: &activities.Onboarding{}}
	b.cal = workcal.Calendar{TimeZone: zone}
	for _, h := range holidays {
		b.cal.Holidays = append(b.cal.Holidays, mustDate(t, h))
	}
	require.NoError(t, b.cal.Validate())
	b.reload = b.cal
	b.start = mustDate(t, start)
	b.snap = activities.OnboardingSnapshot{OnboardingID: "onb-1", TemplateID: "tpl-1", TemplateVersion: 1,
		Buddy:    &activities.BuddyPick{UserID: buddy, Score: 70, Reasons: []string{"same team", "same office"}, Source: enums.BuddySourceAuto},
		Calendar: b.cal, Tasks: b.tasks(standardTasks)}
	b.env.SetStartTime(b.cal.WindowOpen(b.start.AddDays(-7)).Add(3 * time.Hour))
	b.env.RegisterWorkflowWithOptions(workflows.Onboarding, workflowOptions(workflows.OnboardingWorkflowName))
	b.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if status, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(workflows.SearchStatus); ok {
			b.statuses = append(b.statuses, status)
		}
	}).Return(nil)
	return b
}

func mustDate(t *testing.T, s string) workcal.Date {
	t.Helper()
	d, err := workcal.ParseDate(s)
	require.NoError(t, err)
	return d
}

// tasks builds the snapshot's tasks as the setup writes them.
func (b *onboardingBed) tasks(specs []taskSpec) []activities.OnboardingTaskState {
	assignees := map[string]string{enums.OnboardingRoleHire: hire, enums.OnboardingRoleBuddy: buddy,
		enums.OnboardingRoleManager: manager, enums.OnboardingRoleHR: hr}
	out := make([]activities.OnboardingTaskState, 0, len(specs))
	for _, s := range specs {
		due := b.cal.DueAt(b.start, s.offsetDays, 0)
		if day, ok := map[string]int{enums.TaskKeyCheckInDay7: 7, enums.TaskKeyCheckInDay30: 30}[s.key]; ok {
			due = b.cal.WindowClose(b.cal.AddBusinessDays(b.cal.MilestoneDate(b.start, day, 0), 2))
		}
		out = append(out, activities.OnboardingTaskState{Key: s.key, Title: s.key, AssigneeRole: s.role,
			AssigneeUserID: assignees[s.role], Milestone: s.milestone, DueAt: due, Required: true, Status: enums.TaskPending})
	}
	return out
}

// at is a wall time in the office, "2006-01-02 15:04".
func (b *onboardingBed) at(wall string) time.Time {
	b.t.Helper()
	loc, err := time.LoadLocation(b.cal.TimeZone)
	require.NoError(b.t, err)
	t, err := time.ParseInLocation("2006-01-02 15:04", wall, loc)
	require.NoError(b.t, err)
	return t
}

// local shows t as the office's wall clock: "Mon 2006-01-02 15:04".
func (b *onboardingBed) local(t time.Time) string {
	loc, err := time.LoadLocation(b.cal.TimeZone)
	require.NoError(b.t, err)
	return t.In(loc).Format("Mon 2006-01-02 15:04")
}

// day is t's office date, "2006-01-02".
func (b *onboardingBed) day(t time.Time) string { return b.cal.DateOf(t).String() }

func (b *onboardingBed) task(key string) activities.OnboardingTaskState {
	for _, t := range b.snap.Tasks {
		if t.Key == key {
			return t
		}
	}
	b.t.Fatalf("no task %s", key)
	return activities.OnboardingTaskState{}
}

// record is the mock body of every activity but the setup.
func record[T any](b *onboardingBed, name string) func(context.Context, T) error {
	return func(_ context.Context, arg T) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.calls = append(b.calls, activityCall{name: name, arg: arg, at: b.env.Now()})
		return nil
	}
}

// mockActivities answers every activity: the setup with the snapshot,
// the calendar reload with reload, ReassignBuddy with a manual pick.
func (b *onboardingBed) mockActivities() {
	e, a := b.env, b.acts
	e.OnActivity(a.SetUpOnboarding, mock.Anything, mock.Anything).Return(b.snap, nil).Once()
	e.OnActivity(a.LoadOnboardingCalendar, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, id string) (workcal.Calendar, error) {
			cal := b.reload
			if b.env.Now().Before(b.reloadFrom) {
				cal = b.cal
			}
			return cal, record[string](b, "LoadOnboardingCalendar")(ctx, id)
		}).Maybe()
	e.OnActivity(a.ReachMilestone, mock.Anything, mock.Anything).Return(record[activities.MilestoneReached](b, "ReachMilestone")).Maybe()
	e.OnActivity(a.RemindTask, mock.Anything, mock.Anything).Return(record[activities.TaskReminder](b, "RemindTask")).Maybe()
	e.OnActivity(a.SetOnboardingStatus, mock.Anything, mock.Anything).Return(record[activities.OnboardingStatusChange](b, "SetOnboardingStatus")).Maybe()
	e.OnActivity(a.CompleteOnboardingTask, mock.Anything, mock.Anything).Return(record[activities.TaskDone](b, "CompleteOnboardingTask")).Maybe()
	e.OnActivity(a.PauseOnboarding, mock.Anything, mock.Anything).Return(record[activities.PauseRecord](b, "PauseOnboarding")).Maybe()
	e.OnActivity(a.ResumeOnboarding, mock.Anything, mock.Anything).Return(record[activities.ResumeRecord](b, "ResumeOnboarding")).Maybe()
	e.OnActivity(a.ReassignBuddy, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, c activities.BuddyChange) (activities.BuddyPick, error) {
			return activities.BuddyPick{UserID: c.BuddyUserID, Reasons: []string{c.Reason}, Source: enums.BuddySourceManual},
				record[activities.BuddyChange](b, "ReassignBuddy")(ctx, c)
		}).Maybe()
	e.OnActivity(a.SubmitOnboardingCheckIn, mock.Anything, mock.Anything).Return(record[activities.CheckInRecord](b, "SubmitOnboardingCheckIn")).Maybe()
	e.OnActivity(a.CancelOnboarding, mock.Anything, mock.Anything).Return(record[activities.CancelRecord](b, "CancelOnboarding")).Maybe()
	e.OnActivity(a.CompleteOnboarding, mock.Anything, mock.Anything).Return(record[string](b, "CompleteOnboarding")).Maybe()
}

// update sends an Update at a wall time of the office.
func (b *onboardingBed) update(wall, name string, arg any) *updateOutcome {
	return b.updateAfter(b.at(wall).Sub(b.env.Now()), name, arg)
}

// updateAfter sends an Update delay after the run's start.
func (b *onboardingBed) updateAfter(delay time.Duration, name string, args ...any) *updateOutcome {
	b.updates++
	id := fmt.Sprintf("%s-%d", name, b.updates)
	out := &updateOutcome{}
	b.env.RegisterDelayedCallback(func() {
		b.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnReject: func(err error) { out.rejected, out.done = err, true },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				out.err, out.done = err, true
				if s, ok := v.(workflows.OnboardingState); ok {
					out.state = s
				}
			},
		}, args...)
	}, delay)
	return out
}

// completeOnTime has the assignee tick off each task but skip on time, at
// 15:00 on its due date; the manager submits the day 7 check-in on its due
// date and the day 30 one on day 30.
func (b *onboardingBed) completeOnTime(skip ...string) {
	for _, t := range b.snap.Tasks {
		if contains(skip, t.Key) {
			continue
		}
		due := b.day(t.DueAt) + " 15:00"
		switch t.Key {
		case enums.TaskKeyCheckInDay7:
			b.update(due, workflows.UpdateSubmitCheckIn, workflows.CheckInSubmission{Actor: asManager, Day: 7, Rating: 4})
		case enums.TaskKeyCheckInDay30:
			day30 := b.cal.MilestoneAt(b.start, 30, 0)
			b.update(b.day(day30)+" 15:00", workflows.UpdateSubmitCheckIn, workflows.CheckInSubmission{Actor: asManager, Day: 30, Rating: 5})
		default:
			b.update(due, workflows.UpdateCompleteTask, workflows.TaskCompletion{
				Actor: workflows.Actor{UserID: t.AssigneeUserID, IsHR: t.AssigneeRole == enums.OnboardingRoleHR}, TaskKey: t.Key})
		}
	}
}

func contains(keys []string, key string) bool {
	for _, k := range keys {
		if k == key {
			return true
		}
	}
	return false
}

// run starts the onboarding with the start Update and runs it to its end.
func (b *onboardingBed) run() workflows.OnboardingState {
	b.t.Helper()
	b.mockActivities()
	b.started = b.updateAfter(0, workflows.UpdateStartOnboarding)
	b.env.ExecuteWorkflow(workflows.Onboarding, workflows.OnboardingInput{OnboardingID: b.snap.OnboardingID,
		OrganizationID: "org-1", UserID: hire, StartDate: b.start.String(), ManagerUserID: manager, HRUserID: hr,
		Role: "engineer", ActorUserID: hr, HireName: "Ada", OfficeName: "HQ"})
	require.True(b.t, b.env.IsWorkflowCompleted())
	require.NoError(b.t, b.env.GetWorkflowError())
	require.True(b.t, b.started.done, "the start Update answered")
	require.NoError(b.t, b.started.err)
	var s workflows.OnboardingState
	require.NoError(b.t, b.env.GetWorkflowResult(&s))
	return s
}

// callsOf are the calls of one activity, in order.
func (b *onboardingBed) callsOf(name string) []activityCall {
	var out []activityCall
	for _, c := range b.calls {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

// milestones are the milestones reached, "day7 Tue 2026-06-09 09:00".
func (b *onboardingBed) milestones() []string {
	var out []string
	for _, c := range b.callsOf("ReachMilestone") {
		out = append(out, c.arg.(activities.MilestoneReached).Milestone+" "+b.local(c.at))
	}
	return out
}

// reminders are the rungs sent, "first-project 1 Mon 2026-06-15 09:00".
func (b *onboardingBed) reminders() []string {
	var out []string
	for _, c := range b.callsOf("RemindTask") {
		r := c.arg.(activities.TaskReminder)
		out = append(out, fmt.Sprintf("%s %d %s", r.TaskKey, r.Level, b.local(c.at)))
	}
	return out
}

func (b *onboardingBed) taskIn(s workflows.OnboardingState, key string) activities.OnboardingTaskState {
	for _, t := range s.Tasks {
		if t.Key == key {
			return t
		}
	}
	b.t.Fatalf("no task %s in the state", key)
	return activities.OnboardingTaskState{}
}

// requireRejected checks an Update was refused by its validator with
// errType: it never ran, so it left nothing in the history.
func requireRejected(t *testing.T, out *updateOutcome, errType string) {
	t.Helper()
	require.True(t, out.done, "the update answered")
	require.Error(t, out.rejected, "the validator refused")
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(out.rejected, &appErr), "%v", out.rejected)
	assert.Equal(t, errType, appErr.Type())
}

func requireAccepted(t *testing.T, out *updateOutcome) workflows.OnboardingState {
	t.Helper()
	require.True(t, out.done, "the update answered")
	require.NoError(t, out.rejected)
	require.NoError(t, out.err)
	return out.state
}

// A hire starting on Wednesday 3 June 2026 in New York: day 7 is
// Tuesday 9 June, day 14 Tuesday 16 June, day 30 Thursday 2 July.
const (
	newYork = "America/New_York"
	kolkata = "Asia/Kolkata"
	june3   = "2026-06-03"
)

// TestOnboarding_AllOnTimeCompletesOnDay30: every task is done on time and
// both check-ins are submitted: the milestones are reached at 09:00 office
// time on their days, no reminder is sent, nobody is behind, and the
// onboarding completes on day 30, once.
func TestOnboarding_AllOnTimeCompletesOnDay30(t *testing.T) {
	b := newOnboardingBed(t, newYork, june3)
	b.completeOnTime()
	s := b.run()

	assert.Equal(t, enums.OnboardingCompleted, s.Status)
	assert.Equal(t, 100, s.Progress)
	assert.Equal(t, []string{"day1 Wed 2026-06-03 09:00", "day7 Tue 2026-06-09 09:00",
		"day14 Tue 2026-06-16 09:00", "day30 Thu 2026-07-02 09:00"}, b.milestones())
	assert.Empty(t, b.reminders())
	done := b.callsOf("CompleteOnboarding")
	require.Len(t, done, 1)
	assert.Equal(t, "Thu 2026-07-02 15:00", b.local(done[0].at), "completes once the day 30 check-in is in")
	assert.NotContains(t, b.statuses, enums.OnboardingBehind)
	assert.Equal(t, []string{enums.OnboardingActive, enums.OnboardingCompleted}, b.statuses)
	assert.Len(t, b.callsOf("CompleteOnboardingTask"), 6)
	assert.Len(t, b.callsOf("SubmitOnboardingCheckIn"), 2)

	started := b.started.state
	assert.Equal(t, enums.OnboardingPreboarding, started.Status, "the start Update answers the state after setup")
	assert.Len(t, started.Tasks, len(standardTasks))
	require.NotNil(t, started.Buddy)
	assert.Equal(t, buddy, started.Buddy.UserID)
}

// TestOnboarding_IgnoredTaskClimbsTheLadder: setup-accounts, due Friday
// 5 June, is ignored: the hire is reminded on Monday 8 June (the weekend
// skipped), again with a copy on Wednesday 10, and HR on Friday 12, each
// at 09:00 New York time; the onboarding is behind from the due time until
// HR ticks the task off.
func TestOnboarding_IgnoredTaskClimbsTheLadder(t *testing.T) {
	b := newOnboardingBed(t, newYork, june3)
	b.completeOnTime("setup-accounts")
	b.update("2026-06-15 11:00", workflows.UpdateCompleteTask, workflows.TaskCompletion{Actor: asHR, TaskKey: "setup-accounts"})
	var midway workflows.OnboardingState
	b.env.RegisterDelayedCallback(func() {
		v, err := b.env.QueryWorkflow(workflows.QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&midway))
	}, b.at("2026-06-09 10:00").Sub(b.env.Now()))
	s := b.run()

	assert.Equal(t, enums.OnboardingBehind, midway.Status, "the state query on day 7")
	assert.Equal(t, enums.MilestoneDay7, midway.Milestone)
	assert.Equal(t, 1, midway.Overdue)
	assert.Equal(t, []int{7}, midway.OpenCheckIns)
	assert.Equal(t, 1, b.taskIn(midway, "setup-accounts").ReminderLevel)

	assert.Equal(t, "Fri 2026-06-05 17:00", b.local(b.task("setup-accounts").DueAt))
	assert.Equal(t, []string{
		"setup-accounts 1 Mon 2026-06-08 09:00",
		"setup-accounts 2 Wed 2026-06-10 09:00",
		"setup-accounts 3 Fri 2026-06-12 09:00",
	}, b.reminders())
	statusChanges := b.callsOf("SetOnboardingStatus")
	require.NotEmpty(t, statusChanges)
	assert.Equal(t, enums.OnboardingBehind, statusChanges[0].arg.(activities.OnboardingStatusChange).Status)
	assert.Equal(t, "Fri 2026-06-05 17:00", b.local(statusChanges[0].at), "behind from the due time")
	assert.Equal(t, []string{enums.OnboardingActive, enums.OnboardingBehind, enums.OnboardingActive, enums.OnboardingCompleted}, b.statuses)
	assert.Equal(t, enums.OnboardingCompleted, s.Status)
	assert.Equal(t, hr, b.taskIn(s, "setup-accounts").CompletedBy)
}

// TestOnboarding_HolidayOnDay7MovesTheMilestone: a holiday on Tuesday 9
// June moves day 7 to Wednesday 10, whether the office had it at the
// start, added it before day 1 (the calendar is reloaded at each
// milestone) or added it on the morning of day 7 itself (the reload at the
// milestone's time finds it and the milestone waits a day).
func TestOnboarding_HolidayOnDay7MovesTheMilestone(t *testing.T) {
	for _, tc := range []struct {
		name       string
		atStart    bool
		addedAt    string
		wantLoaded int
	}{
		{name: "known at the start", atStart: true, wantLoaded: 4},
		{name: "added before day 1", addedAt: "2026-06-01 12:00", wantLoaded: 4},
		{name: "added on day 7 before the window", addedAt: "2026-06-09 07:00", wantLoaded: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b *onboardingBed
			if tc.atStart {
				b = newOnboardingBed(t, newYork, june3, "2026-06-09")
			} else {
				b = newOnboardingBed(t, newYork, june3)
				b.reload.Holidays = []workcal.Date{mustDate(t, "2026-06-09")}
				b.reloadFrom = b.at(tc.addedAt)
			}
			b.completeOnTime()
			s := b.run()
			milestones := b.milestones()
			require.Len(t, milestones, 4)
			assert.Equal(t, "day7 Wed 2026-06-10 09:00", milestones[1])
			assert.Len(t, b.callsOf("LoadOnboardingCalendar"), tc.wantLoaded, "reloaded at each milestone, again when it moved")
			assert.Equal(t, enums.OnboardingCompleted, s.Status)
		})
	}
}

// TestOnboarding_SendsAt9InTheOfficeAcrossDST: a hire starting on Monday
// 26 October 2026 in New York or Kolkata. New York leaves daylight time on
// 1 November; Kolkata has none. Milestones and the reminders of an ignored
// task (due Wednesday 28 October) come at 09:00 office time before and
// after the change.
func TestOnboarding_SendsAt9InTheOfficeAcrossDST(t *testing.T) {
	for _, zone := range []string{newYork, kolkata} {
		t.Run(zone, func(t *testing.T) {
			b := newOnboardingBed(t, zone, "2026-10-26")
			b.completeOnTime("setup-accounts")
			b.update("2026-11-06 10:00", workflows.UpdateCompleteTask, workflows.TaskCompletion{Actor: asHire, TaskKey: "setup-accounts"})
			s := b.run()

			assert.Equal(t, enums.OnboardingCompleted, s.Status)
			assert.Equal(t, []string{"day1 Mon 2026-10-26 09:00", "day7 Mon 2026-11-02 09:00",
				"day14 Mon 2026-11-09 09:00", "day30 Tue 2026-11-24 09:00"}, b.milestones())
			assert.Equal(t, []string{
				"setup-accounts 1 Thu 2026-10-29 09:00",
				"setup-accounts 2 Mon 2026-11-02 09:00",
				"setup-accounts 3 Wed 2026-11-04 09:00",
			}, b.reminders())
			if zone == newYork {
				r := b.callsOf("RemindTask")
				assert.Equal(t, 13, r[0].at.UTC().Hour(), "09:00 EDT is 13:00 UTC")
				assert.Equal(t, 14, r[1].at.UTC().Hour(), "09:00 EST is 14:00 UTC")
			}
		})
	}
}

// TestOnboarding_PauseShiftsTheSchedule: the manager pauses on Monday 8
// June (week 2) and HR resumes on Monday 15 June: 5 business days missed.
// Nothing is sent meanwhile; day 7, which fell in the pause, comes the
// day after the resume, and day 14 and day 30 and the open dues move by
// the 5 business days.
func TestOnboarding_PauseShiftsTheSchedule(t *testing.T) {
	b := newOnboardingBed(t, newYork, june3)
	// setup-accounts (due Friday 5 June) is overdue when the pause starts.
	b.completeOnTime("setup-accounts", "first-project", enums.TaskKeyCheckInDay7, "30-day-review", enums.TaskKeyCheckInDay30)
	pause := b.update("2026-06-08 10:00", workflows.UpdatePauseOnboarding, workflows.OnboardingPause{Actor: asManager, Reason: "sick leave"})
	refused := b.update("2026-06-09 10:00", workflows.UpdatePauseOnboarding, workflows.OnboardingPause{Actor: asHR})
	byHire := b.update("2026-06-10 10:00", workflows.UpdateResumeOnboarding, workflows.OnboardingResume{Actor: asHire})
	resume := b.update("2026-06-15 10:00", workflows.UpdateResumeOnboarding, workflows.OnboardingResume{Actor: asHR})
	b.update("2026-06-16 11:00", workflows.UpdateCompleteTask, workflows.TaskCompletion{Actor: asHire, TaskKey: "setup-accounts"})
	b.update("2026-06-17 11:00", workflows.UpdateCompleteTask, workflows.TaskCompletion{Actor: asHire, TaskKey: "first-project"})
	b.update("2026-06-17 11:00", workflows.UpdateSubmitCheckIn, workflows.CheckInSubmission{Actor: asManager, Day: 7, Rating: 3})
	b.update("2026-07-07 11:00", workflows.UpdateCompleteTask, workflows.TaskCompletion{Actor: asHire, TaskKey: "30-day-review"})
	b.update("2026-07-09 11:00", workflows.UpdateSubmitCheckIn, workflows.CheckInSubmission{Actor: asManager, Day: 30, Rating: 4})
	s := b.run()

	assert.Equal(t, enums.OnboardingPaused, requireAccepted(t, pause).Status)
	requireRejected(t, refused, workflows.ErrTypeWrongState)
	requireRejected(t, byHire, workflows.ErrTypeNotAllowed)
	resumed := requireAccepted(t, resume)
	assert.Equal(t, 5, resumed.PausedBusinessDays)
	assert.Equal(t, enums.OnboardingBehind, resumed.Status, "setup-accounts is still overdue")

	pausedFrom, pausedTo := b.at("2026-06-08 10:00"), b.at("2026-06-15 10:00")
	for _, c := range b.calls {
		sends := c.name == "RemindTask" || c.name == "ReachMilestone"
		if sends && c.at.After(pausedFrom) && c.at.Before(pausedTo) {
			t.Errorf("%s ran during the pause, at %s", c.name, b.local(c.at))
		}
	}
	assert.Equal(t, []string{"day1 Wed 2026-06-03 09:00", "day7 Tue 2026-06-16 09:00",
		"day14 Tue 2026-06-23 09:00", "day30 Thu 2026-07-09 09:00"}, b.milestones())
	assert.Equal(t, []string{"setup-accounts 1 Mon 2026-06-08 09:00"}, b.reminders(),
		"rung 2 would have been Wednesday 10, in the pause; after it the due moved to Friday 12 and the task was done before rung 2")

	resumes := b.callsOf("ResumeOnboarding")
	require.Len(t, resumes, 1)
	r := resumes[0].arg.(activities.ResumeRecord)
	assert.Equal(t, 5, r.PausedBusinessDays)
	assert.Equal(t, hr, r.ActorUserID)
	dues := map[string]string{}
	for k, due := range r.Dues {
		dues[k] = b.local(due)
	}
	assert.Equal(t, map[string]string{
		"setup-accounts":          "Fri 2026-06-12 17:00",
		"first-project":           "Mon 2026-06-22 17:00",
		enums.TaskKeyCheckInDay7:  "Thu 2026-06-18 17:00",
		"30-day-review":           "Tue 2026-07-07 17:00",
		enums.TaskKeyCheckInDay30: "Mon 2026-07-13 17:00",
	}, dues, "the open dues move by 5 business days; done tasks stay")
	assert.Equal(t, "Fri 2026-06-12 17:00", b.local(b.taskIn(s, "setup-accounts").DueAt))
	assert.Equal(t, enums.OnboardingCompleted, s.Status)
	assert.Equal(t, "Thu 2026-07-09 11:00", b.local(*s.CompletedAt))
}

// TestOnboarding_LateRungWaitsForTheWindow: paused before Monday 8 June's
// window (so setup-accounts, due Friday 5, got no reminder yet) and
// resumed on Monday 15 June at 18:00, after the window: the moved due
// (Friday 12) puts rung 1 at Monday 15 09:00, already past, so it goes out
// at the next window opening, Tuesday 16 at 09:00, not at once at night.
func TestOnboarding_LateRungWaitsForTheWindow(t *testing.T) {
	b := newOnboardingBed(t, newYork, june3)
	b.completeOnTime("setup-accounts", enums.TaskKeyCheckInDay7, enums.TaskKeyCheckInDay30)
	b.update("2026-06-08 08:00", workflows.UpdatePauseOnboarding, workflows.OnboardingPause{Actor: asManager})
	b.update("2026-06-15 18:00", workflows.UpdateResumeOnboarding, workflows.OnboardingResume{Actor: asManager})
	b.update("2026-06-16 12:00", workflows.UpdateCompleteTask, workflows.TaskCompletion{Actor: asHire, TaskKey: "setup-accounts"})
	b.update("2026-06-16 15:00", workflows.UpdateSubmitCheckIn, workflows.CheckInSubmission{Actor: asManager, Day: 7, Rating: 4})
	b.update("2026-07-09 15:00", workflows.UpdateSubmitCheckIn, workflows.CheckInSubmission{Actor: asManager, Day: 30, Rating: 4})
	s := b.run()

	assert.Equal(t, []string{"setup-accounts 1 Tue 2026-06-16 09:00"}, b.reminders())
	assert.Equal(t, 5, s.PausedBusinessDays)
	assert.Equal(t, enums.OnboardingCompleted, s.Status)
}

// TestOnboarding_PauseUntilResumesByItself: paused from Monday 8 June
// until Friday 12 June 10:00, the onboarding resumes then with the 4
// business days missed, recorded as the pause's author's.
func TestOnboarding_PauseUntilResumesByItself(t *testing.T) {
	b := newOnboardingBed(t, newYork, june3)
	until := b.at("2026-06-12 10:00")
	// The check-ins open on the moved days 7 and 30.
	b.completeOnTime(enums.TaskKeyCheckInDay7, enums.TaskKeyCheckInDay30)
	b.update("2026-06-15 15:00", workflows.UpdateSubmitCheckIn, workflows.CheckInSubmission{Actor: asManager, Day: 7, Rating: 4})
	b.update("2026-07-08 15:00", workflows.UpdateSubmitCheckIn, workflows.CheckInSubmission{Actor: asManager, Day: 30, Rating: 4})
	b.update("2026-06-08 10:00", workflows.UpdatePauseOnboarding, workflows.OnboardingPause{Actor: asHR, Reason: "leave", Until: &until})
	s := b.run()

	resumes := b.callsOf("ResumeOnboarding")
	require.Len(t, resumes, 1)
	assert.Equal(t, "Fri 2026-06-12 10:00", b.local(resumes[0].at))
	r := resumes[0].arg.(activities.ResumeRecord)
	assert.Equal(t, 4, r.PausedBusinessDays)
	assert.Equal(t, hr, r.ActorUserID)
	assert.Equal(t, 4, s.PausedBusinessDays)
	assert.Nil(t, s.PauseUntil)
	assert.Equal(t, "day7 Mon 2026-06-15 09:00", b.milestones()[1], "day 7 (9 June) moved by 4 business days")
	assert.Equal(t, "day30 Wed 2026-07-08 09:00", b.milestones()[3])
	assert.Equal(t, enums.OnboardingCompleted, s.Status)
}

// TestOnboarding_ReassignBuddy: HR gives the hire another buddy; the
// state shows them, the open buddy task moves to them; the manager, the
// current buddy and a non-HR actor are refused without a call.
func TestOnboarding_ReassignBuddy(t *testing.T) {
	b := newOnboardingBed(t, newYork, june3)
	b.completeOnTime("team-lunch")
	toManager := b.update("2026-06-04 10:00", workflows.UpdateReassignBuddy, workflows.BuddyReassignment{Actor: asHR, BuddyUserID: manager})
	toSame := b.update("2026-06-04 10:00", workflows.UpdateReassignBuddy, workflows.BuddyReassignment{Actor: asHR, BuddyUserID: buddy})
	byManager := b.update("2026-06-04 10:00", workflows.UpdateReassignBuddy, workflows.BuddyReassignment{Actor: asManager, BuddyUserID: otherBuddy})
	reassigned := b.update("2026-06-04 11:00", workflows.UpdateReassignBuddy, workflows.BuddyReassignment{Actor: asHR, BuddyUserID: otherBuddy, Reason: "same project"})
	oldBuddy := b.update("2026-06-05 10:00", workflows.UpdateCompleteTask, workflows.TaskCompletion{Actor: asBuddy, TaskKey: "team-lunch"})
	b.update("2026-06-05 11:00", workflows.UpdateCompleteTask, workflows.TaskCompletion{Actor: workflows.Actor{UserID: otherBuddy}, TaskKey: "team-lunch"})
	s := b.run()

	requireRejected(t, toManager, workflows.ErrTypeWrongState)
	requireRejected(t, toSame, workflows.ErrTypeWrongState)
	requireRejected(t, byManager, workflows.ErrTypeNotAllowed)
	after := requireAccepted(t, reassigned)
	require.NotNil(t, after.Buddy)
	assert.Equal(t, otherBuddy, after.Buddy.UserID)
	assert.Equal(t, enums.BuddySourceManual, after.Buddy.Source)
	assert.Equal(t, otherBuddy, b.taskIn(after, "team-lunch").AssigneeUserID, "the open buddy task moves")
	requireRejected(t, oldBuddy, workflows.ErrTypeNotAllowed)

	calls := b.callsOf("ReassignBuddy")
	require.Len(t, calls, 1, "refused reassignments call nothing")
	assert.Equal(t, activities.BuddyChange{OnboardingID: "onb-1", ActorUserID: hr, BuddyUserID: otherBuddy, Reason: "same project"}, calls[0].arg)
	assert.Equal(t, otherBuddy, b.taskIn(s, "team-lunch").CompletedBy)
	assert.Equal(t, enums.OnboardingCompleted, s.Status)
}

// TestOnboarding_CompleteTaskRefusals: complete-task is refused, by the
// validator (so the refused Update never enters the history) and without
// any activity call, to someone who is not the assignee, on a done task,
// on an unknown task and on a check-in task; HR may tick off anyone's.
func TestOnboarding_CompleteTaskRefusals(t *testing.T) {
	b := newOnboardingBed(t, newYork, june3)
	b.completeOnTime("setup-accounts")
	tests := []struct {
		name    string
		arg     workflows.TaskCompletion
		wantErr string
	}{
		{"the buddy on the hire's task", workflows.TaskCompletion{Actor: asBuddy, TaskKey: "setup-accounts"}, workflows.ErrTypeNotAllowed},
		{"the manager on the hire's task", workflows.TaskCompletion{Actor: asManager, TaskKey: "setup-accounts"}, workflows.ErrTypeNotAllowed},
		{"a task already done", workflows.TaskCompletion{Actor: asHire, TaskKey: "sign-contract"}, workflows.ErrTypeWrongState},
		{"an unknown task", workflows.TaskCompletion{Actor: asHR, TaskKey: "nope"}, workflows.ErrTypeWrongState},
		{"a check-in", workflows.TaskCompletion{Actor: asManager, TaskKey: enums.TaskKeyCheckInDay7}, workflows.ErrTypeWrongState},
	}
	outcomes := make([]*updateOutcome, len(tests))
	for i, tc := range tests {
		outcomes[i] = b.update("2026-06-04 10:00", workflows.UpdateCompleteTask, tc.arg)
	}
	byHR := b.update("2026-06-04 11:00", workflows.UpdateCompleteTask, workflows.TaskCompletion{Actor: asHR, TaskKey: "setup-accounts", Note: "done with IT"})
	var before int
	b.env.RegisterDelayedCallback(func() { before = len(b.callsOf("CompleteOnboardingTask")) }, b.at("2026-06-04 10:30").Sub(b.env.Now()))
	s := b.run()

	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { requireRejected(t, outcomes[i], tc.wantErr) })
	}
	assert.Equal(t, 2, before, "only the on-time completions of sign-contract and laptop before the refusals")
	st := requireAccepted(t, byHR)
	done := b.taskIn(st, "setup-accounts")
	assert.Equal(t, enums.TaskDone, done.Status)
	assert.Equal(t, hr, done.CompletedBy)
	assert.Equal(t, enums.OnboardingCompleted, s.Status)
}

// TestOnboarding_MissedCheckInEscalatesToHR: the manager does not submit
// the day 7 check-in (due Thursday 11 June): the ladder reaches HR at
// level 3 on Thursday 18 June; a check-in before day 7 or by someone else
// is refused; the late check-in ends it.
func TestOnboarding_MissedCheckInEscalatesToHR(t *testing.T) {
	b := newOnboardingBed(t, newYork, june3)
	b.completeOnTime(enums.TaskKeyCheckInDay7)
	early := b.update("2026-06-05 10:00", workflows.UpdateSubmitCheckIn, workflows.CheckInSubmission{Actor: asManager, Day: 7, Rating: 4})
	byHR := b.update("2026-06-12 10:00", workflows.UpdateSubmitCheckIn, workflows.CheckInSubmission{Actor: asHR, Day: 7, Rating: 4})
	badRating := b.update("2026-06-12 10:00", workflows.UpdateSubmitCheckIn, workflows.CheckInSubmission{Actor: asManager, Day: 7, Rating: 6})
	late := b.update("2026-06-19 10:00", workflows.UpdateSubmitCheckIn, workflows.CheckInSubmission{Actor: asManager, Day: 7, Rating: 2})
	twice := b.update("2026-06-19 11:00", workflows.UpdateSubmitCheckIn, workflows.CheckInSubmission{Actor: asManager, Day: 7, Rating: 2})
	s := b.run()

	requireRejected(t, early, workflows.ErrTypeWrongState)
	requireRejected(t, byHR, workflows.ErrTypeNotAllowed)
	requireRejected(t, badRating, workflows.ErrTypeWrongState)
	requireRejected(t, twice, workflows.ErrTypeWrongState)
	st := requireAccepted(t, late)
	assert.NotContains(t, st.OpenCheckIns, 7)
	assert.Equal(t, []string{
		"checkin-day7 1 Fri 2026-06-12 09:00",
		"checkin-day7 2 Tue 2026-06-16 09:00",
		"checkin-day7 3 Thu 2026-06-18 09:00",
	}, b.reminders())
	assert.Equal(t, enums.TaskDone, b.taskIn(s, enums.TaskKeyCheckInDay7).Status)
	assert.Equal(t, enums.OnboardingCompleted, s.Status)
}

// TestOnboarding_NoBuddyCandidate: the setup found no buddy, so HR has a
// choose-buddy task due day 1 and the buddy's task has no assignee until
// HR picks someone, which also ticks off choose-buddy.
func TestOnboarding_NoBuddyCandidate(t *testing.T) {
	b := newOnboardingBed(t, newYork, june3)
	b.snap.Buddy = nil
	b.snap.Tasks = b.tasks(append([]taskSpec{{enums.TaskKeyChooseBuddy, enums.OnboardingRoleHR, enums.MilestonePreboarding, 0}}, standardTasks...))
	for i := range b.snap.Tasks {
		if b.snap.Tasks[i].AssigneeRole == enums.OnboardingRoleBuddy {
			b.snap.Tasks[i].AssigneeUserID = ""
		}
	}
	b.completeOnTime(enums.TaskKeyChooseBuddy, "team-lunch")
	nobody := b.update("2026-06-02 10:00", workflows.UpdateCompleteTask, workflows.TaskCompletion{Actor: asBuddy, TaskKey: "team-lunch"})
	picked := b.update("2026-06-02 11:00", workflows.UpdateReassignBuddy, workflows.BuddyReassignment{Actor: asHR, BuddyUserID: buddy, Reason: "volunteered"})
	b.update("2026-06-05 11:00", workflows.UpdateCompleteTask, workflows.TaskCompletion{Actor: asBuddy, TaskKey: "team-lunch"})
	s := b.run()

	started := b.started.state
	assert.Nil(t, started.Buddy)
	choose := b.taskIn(started, enums.TaskKeyChooseBuddy)
	assert.Equal(t, hr, choose.AssigneeUserID)
	assert.Equal(t, "Wed 2026-06-03 17:00", b.local(choose.DueAt), "due day 1")
	assert.Empty(t, b.taskIn(started, "team-lunch").AssigneeUserID)
	requireRejected(t, nobody, workflows.ErrTypeNotAllowed)
	st := requireAccepted(t, picked)
	assert.Equal(t, enums.TaskDone, b.taskIn(st, enums.TaskKeyChooseBuddy).Status)
	assert.Equal(t, buddy, b.taskIn(st, "team-lunch").AssigneeUserID)
	assert.Equal(t, enums.OnboardingCompleted, s.Status)
}

// TestOnboarding_Cancel: HR cancels in week 2: CancelOnboarding runs once,
// the open tasks are cancelled and the run ends cancelled, with no later
// milestone; the manager may not cancel.
func TestOnboarding_Cancel(t *testing.T) {
	b := newOnboardingBed(t, newYork, june3)
	b.completeOnTime()
	byManager := b.update("2026-06-10 10:00", workflows.UpdateCancelOnboarding, workflows.OnboardingCancellation{Actor: asManager})
	b.update("2026-06-10 11:00", workflows.UpdateCancelOnboarding, workflows.OnboardingCancellation{Actor: asHR, Reason: "offer withdrawn"})
	s := b.run()

	requireRejected(t, byManager, workflows.ErrTypeNotAllowed)
	cancels := b.callsOf("CancelOnboarding")
	require.Len(t, cancels, 1)
	assert.Equal(t, activities.CancelRecord{OnboardingID: "onb-1", ActorUserID: hr, Reason: "offer withdrawn"}, cancels[0].arg)
	assert.Equal(t, enums.OnboardingCancelled, s.Status)
	assert.Equal(t, enums.TaskCancelled, b.taskIn(s, "30-day-review").Status)
	assert.Equal(t, enums.TaskDone, b.taskIn(s, "sign-contract").Status)
	assert.Equal(t, []string{"day1 Wed 2026-06-03 09:00", "day7 Tue 2026-06-09 09:00"}, b.milestones())
	assert.Empty(t, b.callsOf("CompleteOnboarding"))
	assert.Equal(t, enums.OnboardingCancelled, b.statuses[len(b.statuses)-1])
}

// TestOnboarding_SetupRefusalEndsTheRun: a non-retryable setup error
// (no template, say) is the start Update's answer and the run's error.
func TestOnboarding_SetupRefusalEndsTheRun(t *testing.T) {
	b := newOnboardingBed(t, newYork, june3)
	b.env.OnActivity(b.acts.SetUpOnboarding, mock.Anything, mock.Anything).
		Return(activities.OnboardingSnapshot{}, temporal.NewNonRetryableApplicationError("no onboarding template", "NoTemplate", nil)).Once()
	started := b.updateAfter(0, workflows.UpdateStartOnboarding)
	b.env.ExecuteWorkflow(workflows.Onboarding, workflows.OnboardingInput{OnboardingID: "onb-1", OrganizationID: "org-1",
		UserID: hire, StartDate: june3, ManagerUserID: manager, HRUserID: hr})
	require.True(t, b.env.IsWorkflowCompleted())
	require.Error(t, b.env.GetWorkflowError())
	require.True(t, started.done)
	require.ErrorContains(t, started.err, "no onboarding template")
}
