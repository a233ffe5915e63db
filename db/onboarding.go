package db

import (
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// The onboarding domain's rows (migration 20261205000100_onboarding).
// Queries live beside them, one file per topic: onboarding_offices.go
// (offices and holidays), onboarding_templates.go, onboarding_buddies.go
// (matching), onboarding_runs.go (what the workflow's activities write)
// and onboarding_dashboard.go (HR's list).

// HolidayCalendar is a named set of holidays offices share.
type HolidayCalendar struct {
	bun.BaseModel `bun:"table:holiday_calendars,alias:hcal"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	Name           string    `bun:"name,notnull"`
	Timestamps
}

// Holiday is a day off on a calendar: no milestone, due date or reminder
// falls on it.
type Holiday struct {
	bun.BaseModel `bun:"table:holidays,alias:hol"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	CalendarID     uuid.UUID `bun:"calendar_id,type:uuid,notnull"`
	Date           time.Time `bun:"date,type:date,notnull"`
	Name           string    `bun:"name,notnull"`
	Timestamps
}

// Office is where a hire works: its zone, workdays, send window and
// holidays decide when milestones, dues and reminders fall.
type Office struct {
	bun.BaseModel `bun:"table:offices,alias:off"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	Name           string    `bun:"name,notnull"`
	TimeZone       string    `bun:"time_zone,notnull"`
	// Workdays are ISO weekdays, 1 = Monday .. 7 = Sunday.
	Workdays []int16 `bun:"workdays,array,notnull"`
	// SendWindowStart and SendWindowEnd are local times of day, "15:04:05".
	SendWindowStart   string     `bun:"send_window_start,type:time,notnull"`
	SendWindowEnd     string     `bun:"send_window_end,type:time,notnull"`
	HolidayCalendarID *uuid.UUID `bun:"holiday_calendar_id,type:uuid"`
	Timestamps
}

// OnboardingTemplate is a reusable 30-day plan for a job role (or the
// organization's default); an edit bumps Version and replaces its tasks.
type OnboardingTemplate struct {
	bun.BaseModel `bun:"table:onboarding_templates,alias:otpl"`

	ID                uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID    uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	Name              string     `bun:"name,notnull"`
	Description       string     `bun:"description,notnull"`
	JobRole           string     `bun:"job_role,notnull"`
	IsDefault         bool       `bun:"is_default,notnull"`
	Version           int        `bun:"version,notnull"`
	CompletionBadgeID *uuid.UUID `bun:"completion_badge_id,type:uuid"`
	BuddyPoints       int        `bun:"buddy_points,notnull"`
	CreatedBy         *uuid.UUID `bun:"created_by,type:uuid"`
	ArchivedAt        *time.Time `bun:"archived_at"`
	Timestamps
}

// OnboardingTemplateTask is one task of a template, copied into each
// onboarding at its start.
type OnboardingTemplateTask struct {
	bun.BaseModel `bun:"table:onboarding_template_tasks,alias:ottk"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	TemplateID     uuid.UUID `bun:"template_id,type:uuid,notnull"`
	Key            string    `bun:"key,notnull"`
	Title          string    `bun:"title,notnull"`
	Description    string    `bun:"description,notnull"`
	AssigneeRole   string    `bun:"assignee_role,notnull"`
	Milestone      string    `bun:"milestone,notnull"`
	// DueOffsetDays are business days from day 1 (negative: before it).
	DueOffsetDays int  `bun:"due_offset_days,notnull"`
	Required      bool `bun:"required,notnull"`
	Position      int  `bun:"position,notnull"`
	Timestamps
}

// UserOnboarding is one hire's onboarding; its workflow is
// onboarding/<user id>. Status is one of enums.Onboarding*, Milestone one
// of enums.Milestone*.
type UserOnboarding struct {
	bun.BaseModel `bun:"table:user_onboardings,alias:uo"`

	ID                 uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID     uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	UserID             uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	TemplateID         uuid.UUID  `bun:"template_id,type:uuid,notnull"`
	TemplateVersion    int        `bun:"template_version,notnull"`
	ManagerUserID      uuid.UUID  `bun:"manager_user_id,type:uuid,notnull"`
	BuddyUserID        *uuid.UUID `bun:"buddy_user_id,type:uuid"`
	HRUserID           uuid.UUID  `bun:"hr_user_id,type:uuid,notnull"`
	JobRole            string     `bun:"job_role,notnull"`
	OfficeID           *uuid.UUID `bun:"office_id,type:uuid"`
	TeamID             *uuid.UUID `bun:"team_id,type:uuid"`
	StartDate          time.Time  `bun:"start_date,type:date,notnull"`
	Status             string     `bun:"status,notnull"`
	Milestone          string     `bun:"milestone,notnull"`
	Progress           int        `bun:"progress,notnull"`
	PausedBusinessDays int        `bun:"paused_business_days,notnull"`
	PausedAt           *time.Time `bun:"paused_at"`
	PauseUntil         *time.Time `bun:"pause_until"`
	PauseReason        string     `bun:"pause_reason,notnull"`
	CompletedAt        *time.Time `bun:"completed_at"`
	CancelledAt        *time.Time `bun:"cancelled_at"`
	CreatedBy          *uuid.UUID `bun:"created_by,type:uuid"`
	Timestamps
}

// OnboardingTask is one task of one onboarding. Status is one of
// enums.Task*; a done task names who did it and when.
type OnboardingTask struct {
	bun.BaseModel `bun:"table:onboarding_tasks,alias:otask"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	OnboardingID   uuid.UUID `bun:"onboarding_id,type:uuid,notnull"`
	Key            string    `bun:"key,notnull"`
	Title          string    `bun:"title,notnull"`
	Description    string    `bun:"description,notnull"`
	AssigneeRole   string    `bun:"assignee_role,notnull"`
	// AssigneeUserID is nil only while a buddy task waits for a buddy.
	AssigneeUserID *uuid.UUID `bun:"assignee_user_id,type:uuid"`
	Milestone      string     `bun:"milestone,notnull"`
	DueAt          time.Time  `bun:"due_at,notnull"`
	Required       bool       `bun:"required,notnull"`
	Status         string     `bun:"status,notnull"`
	CompletedBy    *uuid.UUID `bun:"completed_by,type:uuid"`
	CompletedAt    *time.Time `bun:"completed_at"`
	Note           string     `bun:"note,notnull"`
	ReminderLevel  int        `bun:"reminder_level,notnull"`
	LastRemindedAt *time.Time `bun:"last_reminded_at"`
	Position       int        `bun:"position,notnull"`
	Timestamps
}

// BuddyMatch pairs a hire with a buddy for one onboarding. Score and
// Reasons are what the matcher saw, for an automatic and a manual pick.
type BuddyMatch struct {
	bun.BaseModel `bun:"table:buddy_matches,alias:bm"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	UserID         uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	BuddyUserID    uuid.UUID  `bun:"buddy_user_id,type:uuid,notnull"`
	OnboardingID   uuid.UUID  `bun:"onboarding_id,type:uuid,notnull"`
	Score          int        `bun:"score,notnull"`
	Reasons        []string   `bun:"reasons,array,notnull"`
	Source         string     `bun:"source,notnull"`
	Status         string     `bun:"status,notnull"`
	EndedAt        *time.Time `bun:"ended_at"`
	EndedReason    string     `bun:"ended_reason,notnull"`
	Timestamps
}

// OnboardingCheckIn is a manager's check-in on day 7 or day 30.
type OnboardingCheckIn struct {
	bun.BaseModel `bun:"table:onboarding_checkins,alias:ochk"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	OnboardingID   uuid.UUID `bun:"onboarding_id,type:uuid,notnull"`
	Day            int       `bun:"day,notnull"`
	ManagerUserID  uuid.UUID `bun:"manager_user_id,type:uuid,notnull"`
	Rating         int       `bun:"rating,notnull"`
	Comment        string    `bun:"comment,notnull"`
	Timestamps
}
