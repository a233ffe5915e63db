package activities

import (
	"context"
	"errors"
	"time"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/engagement"
	"github.com/convene/convene/internal/workcal"
	"github.com/convene/convene/jobs"
)

// Onboarding holds the onboarding workflow's activities. Each writes in
// one transaction and is idempotent: a retried activity finds its own rows
// (the onboarding ID is fixed by the API; notices are keyed
// onboarding/<onboarding id>/…; the buddy's points by
// onboarding:<user>:<buddy>).
type Onboarding struct {
	DB       *db.DB
	Notices  *jobs.Notices
	Recorder engagement.Recorder
	Now      func() time.Time
}

// errOnboardingNotBuilt marks the activity bodies H-act fills in.
var errOnboardingNotBuilt = errors.New("onboarding activity not built yet")

// OnboardingSetup is the setup transaction's input (the workflow's
// OnboardingInput).
type OnboardingSetup struct {
	OnboardingID   string
	OrganizationID string
	UserID         string
	StartDate      string // "2006-01-02"
	ManagerUserID  string
	HRUserID       string
	Role           string
	OfficeID       string // optional
	TeamID         string // optional
	ActorUserID    string
}

// BuddyPick is the hire's buddy and why the matcher chose them (Source
// enums.BuddySource*; a manual pick has the reason HR gave).
type BuddyPick struct {
	UserID  string
	Score   int
	Reasons []string
	Source  string
}

// OnboardingTaskState is one task as the workflow tracks it.
type OnboardingTaskState struct {
	Key            string
	Title          string
	AssigneeRole   string
	AssigneeUserID string // "" while a buddy task waits for a buddy
	Milestone      string
	DueAt          time.Time
	Required       bool
	Status         string // enums.Task*
	ReminderLevel  int
	CompletedBy    string
	CompletedAt    *time.Time
}

// OnboardingSnapshot is what the setup wrote (or found written): the
// onboarding's people, its tasks with their due times and the office
// calendar the workflow's timers follow.
type OnboardingSnapshot struct {
	OnboardingID    string
	TemplateID      string
	TemplateVersion int
	Buddy           *BuddyPick
	Tasks           []OnboardingTaskState
	Calendar        workcal.Calendar
}

// SetUpOnboarding is the first activity, one transaction: the template
// (the role's, else the organization's default), its tasks copied with due
// times on the office calendar plus the manager's check-in tasks, the
// buddy match (or HR's choose-buddy task), the audit row and the notices
// to the hire, the manager, the buddy and HR. A retry returns what the
// first attempt wrote.
func (a *Onboarding) SetUpOnboarding(ctx context.Context, in OnboardingSetup) (OnboardingSnapshot, error) {
	return OnboardingSnapshot{}, errOnboardingNotBuilt
}

// LoadOnboardingCalendar reloads the office calendar (holidays change), at
// each milestone.
func (a *Onboarding) LoadOnboardingCalendar(ctx context.Context, onboardingID string) (workcal.Calendar, error) {
	return workcal.Calendar{}, errOnboardingNotBuilt
}

// MilestoneReached records a milestone and announces its tasks.
type MilestoneReached struct {
	OnboardingID string
	Milestone    string
	Status       string
	Progress     int
}

// ReachMilestone writes the milestone, status and progress, tells each
// assignee of the milestone's tasks, and on days 7 and 30 tells the
// manager the check-in is open.
func (a *Onboarding) ReachMilestone(ctx context.Context, m MilestoneReached) error {
	return errOnboardingNotBuilt
}

// TaskReminder is rung Level (1-3) of an overdue task's ladder.
type TaskReminder struct {
	OnboardingID string
	TaskKey      string
	Level        int
}

// RemindTask sends rung Level of the ladder once (key
// onboarding/<id>/task/<key>/level/<n>): 1 the assignee; 2 the assignee
// with a copy to the buddy (the hire's tasks) or the manager; 3 HR. It
// records the level; the status becomes behind.
func (a *Onboarding) RemindTask(ctx context.Context, r TaskReminder) error {
	return errOnboardingNotBuilt
}

// OnboardingStatusChange writes the status (behind ↔ active) and progress.
type OnboardingStatusChange struct {
	OnboardingID string
	Status       string
	Progress     int
}

// SetOnboardingStatus writes a status and progress change.
func (a *Onboarding) SetOnboardingStatus(ctx context.Context, c OnboardingStatusChange) error {
	return errOnboardingNotBuilt
}

// TaskDone ticks off one task.
type TaskDone struct {
	OnboardingID string
	TaskKey      string
	ActorUserID  string
	Note         string
	Progress     int
}

// CompleteOnboardingTask marks the task done (a pending task only; a
// retry finds it done by the same actor), writes the progress and the
// audit row.
func (a *Onboarding) CompleteOnboardingTask(ctx context.Context, d TaskDone) error {
	return errOnboardingNotBuilt
}

// PauseRecord pauses the onboarding.
type PauseRecord struct {
	OnboardingID string
	ActorUserID  string
	Reason       string
	Until        *time.Time
}

// PauseOnboarding writes the pause and tells the hire and the buddy.
func (a *Onboarding) PauseOnboarding(ctx context.Context, p PauseRecord) error {
	return errOnboardingNotBuilt
}

// ResumeRecord resumes the onboarding with the dues the workflow moved by
// the business days spent paused (PausedBusinessDays is the new total).
type ResumeRecord struct {
	OnboardingID       string
	ActorUserID        string
	PausedBusinessDays int
	Status             string
	Dues               map[string]time.Time // task key → new due
}

// ResumeOnboarding writes the resume and the moved dues.
func (a *Onboarding) ResumeOnboarding(ctx context.Context, r ResumeRecord) error {
	return errOnboardingNotBuilt
}

// BuddyChange gives the hire another buddy.
type BuddyChange struct {
	OnboardingID string
	ActorUserID  string
	BuddyUserID  string
	Reason       string
}

// ReassignBuddy ends the active match, records the manual one after the
// eligibility checks (a refusal is a non-retryable ConveneWrongState
// error naming why), moves the open buddy tasks to the new buddy, closes
// HR's choose-buddy task and tells the hire, the old and the new buddy.
func (a *Onboarding) ReassignBuddy(ctx context.Context, c BuddyChange) (BuddyPick, error) {
	return BuddyPick{}, errOnboardingNotBuilt
}

// CheckInRecord is the manager's check-in.
type CheckInRecord struct {
	OnboardingID  string
	ManagerUserID string
	Day           int
	Rating        int
	Comment       string
	Progress      int
}

// SubmitOnboardingCheckIn writes the check-in row (once per day) and marks
// the day's check-in task done.
func (a *Onboarding) SubmitOnboardingCheckIn(ctx context.Context, c CheckInRecord) error {
	return errOnboardingNotBuilt
}

// CancelRecord cancels the onboarding.
type CancelRecord struct {
	OnboardingID string
	ActorUserID  string
	Reason       string
}

// CancelOnboarding is the compensation: status cancelled, open tasks
// cancelled, the match ended, everyone told.
func (a *Onboarding) CancelOnboarding(ctx context.Context, c CancelRecord) error {
	return errOnboardingNotBuilt
}

// CompleteOnboarding closes a finished onboarding in one transaction:
// status completed, the template's badge (engagement.Recorder.AwardBadge),
// the buddy's points (db.PointsLedger, key onboarding:<user>:<buddy>),
// onboarding.completed, the match ended. A retry awards nothing twice.
func (a *Onboarding) CompleteOnboarding(ctx context.Context, onboardingID string) error {
	return errOnboardingNotBuilt
}
