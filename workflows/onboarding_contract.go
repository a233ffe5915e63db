package workflows

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
)

// The onboarding contract: one run per hire (onboarding/<user id>) from
// the start through preboarding, the day 1/7/14/30 milestones, the
// reminder ladder and the check-ins, to completion or cancellation.
const (
	// OnboardingWorkflowName is the registered workflow type.
	OnboardingWorkflowName = "Onboarding"
	// UpdateStartOnboarding is the Update sent with the start
	// (Update-with-Start): it waits for the setup transaction and returns
	// the OnboardingState, so StartOnboarding answers with the tasks and
	// the buddy.
	UpdateStartOnboarding = "start"
	// UpdateCompleteTask ticks a task off (argument TaskCompletion).
	UpdateCompleteTask = "complete-task"
	// UpdatePauseOnboarding pauses reminders and timers (OnboardingPause).
	UpdatePauseOnboarding = "pause"
	// UpdateResumeOnboarding resumes; open dues and milestones move by the
	// business days spent paused (OnboardingResume).
	UpdateResumeOnboarding = "resume"
	// UpdateReassignBuddy gives the hire another buddy (BuddyReassignment).
	UpdateReassignBuddy = "reassign-buddy"
	// UpdateSubmitCheckIn records the manager's day 7 or day 30 check-in
	// (CheckInSubmission).
	UpdateSubmitCheckIn = "submit-checkin"
	// UpdateCancelOnboarding cancels the onboarding (OnboardingCancellation).
	UpdateCancelOnboarding = "cancel"

	onboardingPrefix = "onboarding/"
)

// OnboardingWorkflowID is the run of one hire's onboarding.
func OnboardingWorkflowID(userID string) string { return workflowID(onboardingPrefix, userID) }

// OnboardingUserIDFromWorkflowID inverts OnboardingWorkflowID.
func OnboardingUserIDFromWorkflowID(id string) (string, error) {
	return businessIDOf(onboardingPrefix, id)
}

// OnboardingInput starts a hire's onboarding. The API has checked the
// people, the office, the team and the date, and made the hire a member;
// the setup activity writes everything else.
type OnboardingInput struct {
	// OnboardingID is the user_onboardings row the setup writes (chosen by
	// the API, so a retried setup finds its own row).
	OnboardingID   string
	OrganizationID string
	UserID         string
	// StartDate is day 1, "2006-01-02" in the office's calendar.
	StartDate     string
	ManagerUserID string
	HRUserID      string
	Role          string
	// OfficeID and TeamID are optional ("").
	OfficeID    string
	TeamID      string
	ActorUserID string
	// HireName and OfficeName only make the run's summary readable.
	HireName   string
	OfficeName string
}

// Actor is who sends an Update. The API decides IsHR (an owner or admin
// of the organization); the workflow compares UserID with the hire, the
// manager and the buddy it knows.
type Actor struct {
	UserID string
	IsHR   bool
}

// TaskCompletion ticks off TaskKey: allowed to the task's assignee, or HR.
type TaskCompletion struct {
	Actor   Actor
	TaskKey string
	Note    string
}

// OnboardingPause pauses the onboarding (HR or the manager). Until, when
// set, resumes it by itself at that time.
type OnboardingPause struct {
	Actor  Actor
	Reason string
	Until  *time.Time
}

// OnboardingResume resumes a paused onboarding (HR or the manager).
type OnboardingResume struct {
	Actor Actor
}

// BuddyReassignment gives the hire BuddyUserID as buddy (HR).
type BuddyReassignment struct {
	Actor       Actor
	BuddyUserID string
	Reason      string
}

// CheckInSubmission is the manager's check-in of Day (7 or 30), once that
// day has been reached, once per day.
type CheckInSubmission struct {
	Actor   Actor
	Day     int
	Rating  int
	Comment string
}

// OnboardingCancellation cancels the onboarding (HR).
type OnboardingCancellation struct {
	Actor  Actor
	Reason string
}

// OnboardingState is what the state query and every Update answer.
type OnboardingState struct {
	OnboardingID   string
	OrganizationID string
	UserID         string
	// Status is one of enums.Onboarding*, Milestone one of enums.Milestone*.
	Status             string
	Milestone          string
	Progress           int
	StartDate          string
	ManagerUserID      string
	HRUserID           string
	Buddy              *activities.BuddyPick
	PausedBusinessDays int
	PauseUntil         *time.Time
	Tasks              []activities.OnboardingTaskState
	// OpenCheckIns are the check-in days reached and not yet submitted.
	OpenCheckIns []int
	Overdue      int
	CompletedAt  *time.Time
}

// OnboardingStartOptions are the start options of a hire's run: its fixed
// ID, conflict policy FAIL (a second start while one is open answers
// AlreadyExists), reuse allowed after the last one closed, the search
// attributes and the summary "Onboarding <name> from <date>, <role>,
// <office>".
func OnboardingStartOptions(taskQueue string, in OnboardingInput) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID: OnboardingWorkflowID(in.UserID), TaskQueue: taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(SearchOrgID.ValueSet(in.OrganizationID),
			SearchUserID.ValueSet(in.UserID), SearchStatus.ValueSet(enums.OnboardingPreboarding)),
		StaticSummary: onboardingSummary(in),
	}
}

func onboardingSummary(in OnboardingInput) string {
	s := fmt.Sprintf("Onboarding %s from %s", in.HireName, in.StartDate)
	if in.Role != "" {
		s += ", " + in.Role
	}
	if in.OfficeName != "" {
		s += ", " + in.OfficeName
	}
	return s
}

// StartOnboarding starts the hire's run with the start Update and returns
// the state after setup. A run already open answers
// serviceerror.WorkflowExecutionAlreadyStarted (the API's AlreadyExists).
func StartOnboarding(ctx context.Context, c client.Client, taskQueue string, in OnboardingInput) (OnboardingState, error) {
	start := c.NewWithStartWorkflowOperation(OnboardingStartOptions(taskQueue, in), OnboardingWorkflowName, in)
	handle, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{UpdateName: UpdateStartOnboarding,
			WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		return OnboardingState{}, fmt.Errorf("start onboarding of %s: %w", in.UserID, err)
	}
	var st OnboardingState
	if err := handle.Get(ctx, &st); err != nil {
		return OnboardingState{}, fmt.Errorf("start onboarding of %s: %w", in.UserID, err)
	}
	return st, nil
}
