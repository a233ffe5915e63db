package api_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	tworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/internal/workcal"
	"github.com/convene/convene/workflows"
)

// onboardingStubs answer the onboarding activities as the real ones would
// for a hire with a buddy and a small template, without a database: the
// recorded history depends only on what the activities answer.
type onboardingStubs struct{ cal workcal.Calendar }

func (s *onboardingStubs) SetUpOnboarding(_ context.Context, in activities.OnboardingSetup) (activities.OnboardingSnapshot, error) {
	start, err := workcal.ParseDate(in.StartDate)
	if err != nil {
		return activities.OnboardingSnapshot{}, err
	}
	task := func(key, role, assignee, milestone string, offset int) activities.OnboardingTaskState {
		return activities.OnboardingTaskState{Key: key, Title: key, AssigneeRole: role, AssigneeUserID: assignee,
			Milestone: milestone, DueAt: s.cal.DueAt(start, offset, 0), Required: true, Status: enums.TaskPending}
	}
	return activities.OnboardingSnapshot{OnboardingID: in.OnboardingID, TemplateID: "template-1", TemplateVersion: 1,
		Buddy:    &activities.BuddyPick{UserID: "buddy-1", Score: 70, Reasons: []string{"same team", "same office"}, Source: enums.BuddySourceAuto},
		Calendar: s.cal,
		Tasks: []activities.OnboardingTaskState{
			task("sign-contract", enums.OnboardingRoleHire, in.UserID, enums.MilestonePreboarding, -1),
			task("team-lunch", enums.OnboardingRoleBuddy, "buddy-1", enums.MilestoneDay1, 2),
			task(enums.TaskKeyCheckInDay7, enums.OnboardingRoleManager, in.ManagerUserID, enums.MilestoneDay7, 6),
		}}, nil
}

func (s *onboardingStubs) LoadOnboardingCalendar(context.Context, string) (workcal.Calendar, error) {
	return s.cal, nil
}

func (*onboardingStubs) ReachMilestone(context.Context, activities.MilestoneReached) error {
	return nil
}

func (*onboardingStubs) RemindTask(context.Context, activities.TaskReminder) error { return nil }

func (*onboardingStubs) SetOnboardingStatus(context.Context, activities.OnboardingStatusChange) error {
	return nil
}

func (*onboardingStubs) CompleteOnboardingTask(context.Context, activities.TaskDone) error {
	return nil
}

func (*onboardingStubs) PauseOnboarding(context.Context, activities.PauseRecord) error { return nil }

func (*onboardingStubs) ResumeOnboarding(context.Context, activities.ResumeRecord) error { return nil }

func (*onboardingStubs) ReassignBuddy(_ context.Context, c activities.BuddyChange) (activities.BuddyPick, error) {
	return activities.BuddyPick{UserID: c.BuddyUserID, Reasons: []string{c.Reason}, Source: enums.BuddySourceManual}, nil
}

func (*onboardingStubs) SubmitOnboardingCheckIn(context.Context, activities.CheckInRecord) error {
	return nil
}

func (*onboardingStubs) CancelOnboarding(context.Context, activities.CancelRecord) error { return nil }

func (*onboardingStubs) CompleteOnboarding(context.Context, string) error { return nil }

// TestOnboarding_RecordPauseReassignCancel records the onboarding history
// workflows/replay_test.go replays: a start by Update-with-Start, a task
// done, a pause and a resume, a buddy reassigned, a refused completion
// (absent from the history) and a cancellation. It runs only when
// recording, on its own worker with stub activities, so it needs neither
// the onboarding schema nor the API.
func TestOnboarding_RecordPauseReassignCancel(t *testing.T) {
	if os.Getenv(recordHistoryEnv) == "" {
		t.Skip("records histories; set " + recordHistoryEnv + "=1")
	}
	ctx := context.Background()
	const queue = "onboarding-record"
	cal := workcal.Calendar{TimeZone: "America/New_York"}
	wk := tworker.New(temporalClient, queue, tworker.Options{})
	wk.RegisterWorkflowWithOptions(workflows.Onboarding, workflow.RegisterOptions{Name: workflows.OnboardingWorkflowName})
	wk.RegisterActivity(&onboardingStubs{cal: cal})
	require.NoError(t, wk.Start())
	t.Cleanup(wk.Stop)

	hire := "hire-" + time.Now().Format("150405.000000")
	start := cal.AddBusinessDays(cal.DateOf(time.Now()), 5)
	st, err := workflows.StartOnboarding(ctx, temporalClient, queue, workflows.OnboardingInput{OnboardingID: "onboarding-1",
		OrganizationID: "org-1", UserID: hire, StartDate: start.String(), ManagerUserID: "manager-1", HRUserID: "hr-1",
		Role: "engineer", ActorUserID: "hr-1", HireName: "Ada", OfficeName: "New York"})
	require.NoError(t, err)
	require.Len(t, st.Tasks, 3)

	id := workflows.OnboardingWorkflowID(hire)
	hr := workflows.Actor{UserID: "hr-1", IsHR: true}
	update := func(name string, arg any) (workflows.OnboardingState, error) {
		h, err := temporalClient.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name,
			Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err != nil {
			return workflows.OnboardingState{}, err
		}
		var s workflows.OnboardingState
		return s, h.Get(ctx, &s)
	}
	_, err = update(workflows.UpdateCompleteTask, workflows.TaskCompletion{Actor: workflows.Actor{UserID: hire}, TaskKey: "sign-contract"})
	require.NoError(t, err)
	st, err = update(workflows.UpdatePauseOnboarding, workflows.OnboardingPause{Actor: workflows.Actor{UserID: "manager-1"}, Reason: "leave"})
	require.NoError(t, err)
	assert.Equal(t, enums.OnboardingPaused, st.Status)
	_, err = update(workflows.UpdateResumeOnboarding, workflows.OnboardingResume{Actor: hr})
	require.NoError(t, err)
	st, err = update(workflows.UpdateReassignBuddy, workflows.BuddyReassignment{Actor: hr, BuddyUserID: "buddy-2", Reason: "same project"})
	require.NoError(t, err)
	assert.Equal(t, "buddy-2", st.Buddy.UserID)
	_, err = update(workflows.UpdateCompleteTask, workflows.TaskCompletion{Actor: workflows.Actor{UserID: "buddy-1"}, TaskKey: "team-lunch"})
	require.Error(t, err, "the former buddy may not complete the buddy task")
	st, err = update(workflows.UpdateCancelOnboarding, workflows.OnboardingCancellation{Actor: hr, Reason: "offer withdrawn"})
	require.NoError(t, err)
	assert.Equal(t, enums.OnboardingCancelled, st.Status)

	recordHistory(t, &testenv.API{Temporal: temporalClient}, id, "onboarding-pause-reassign-cancel")
}
