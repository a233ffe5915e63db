package enums

// Onboarding statuses: user_onboardings.status. Completed and cancelled
// are closed; the others are open (one open onboarding per person).
const (
	OnboardingPreboarding = "preboarding"
	OnboardingActive      = "active"
	OnboardingBehind      = "behind"
	OnboardingPaused      = "paused"
	OnboardingCompleted   = "completed"
	OnboardingCancelled   = "cancelled"
)

// OnboardingClosed reports an onboarding that is over (completed or
// cancelled); every other status is open.
func OnboardingClosed(status string) bool {
	return status == OnboardingCompleted || status == OnboardingCancelled
}

// Onboarding milestones: user_onboardings.milestone and the milestone of
// each task, in the order they are reached.
const (
	MilestonePreboarding = "preboarding"
	MilestoneDay1        = "day1"
	MilestoneDay7        = "day7"
	MilestoneDay14       = "day14"
	MilestoneDay30       = "day30"
)

// Milestones are the onboarding milestones in order.
var Milestones = []string{MilestonePreboarding, MilestoneDay1, MilestoneDay7, MilestoneDay14, MilestoneDay30}

// MilestoneDay is the onboarding day each milestone after preboarding
// falls on (day 1 is the start date).
var MilestoneDay = map[string]int{MilestoneDay1: 1, MilestoneDay7: 7, MilestoneDay14: 14, MilestoneDay30: 30}

// Onboarding roles: who a task is assigned to (assignee_role).
const (
	OnboardingRoleHire    = "hire"
	OnboardingRoleBuddy   = "buddy"
	OnboardingRoleManager = "manager"
	OnboardingRoleHR      = "hr"
)

// Onboarding task statuses: onboarding_tasks.status.
const (
	TaskPending   = "pending"
	TaskDone      = "done"
	TaskSkipped   = "skipped"
	TaskCancelled = "cancelled"
)

// Buddy match sources and statuses: buddy_matches.source and .status.
const (
	BuddySourceAuto   = "auto"
	BuddySourceManual = "manual"
	BuddyMatchActive  = "active"
	BuddyMatchEnded   = "ended"
)

// Task keys the onboarding adds itself, beside the template's: the
// manager's check-ins (done only by SubmitCheckIn) and HR's pick of a
// buddy when no candidate fits.
const (
	TaskKeyCheckInDay7  = "checkin-day7"
	TaskKeyCheckInDay30 = "checkin-day30"
	TaskKeyChooseBuddy  = "choose-buddy"
)
