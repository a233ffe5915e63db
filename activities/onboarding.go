package activities

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
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
	o, start, err := parseSetup(in)
	if err != nil {
		return OnboardingSnapshot{}, err
	}
	var out OnboardingSnapshot
	err = a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		found, err := db.OnboardingByID(ctx, tx, o.ID, false)
		switch {
		case err == nil:
			// A retry: the first attempt committed everything.
			o = found
		case !errors.Is(err, db.ErrNotFound):
			return err
		default:
			if err := a.setUp(ctx, tx, o, start); err != nil {
				return err
			}
		}
		out, err = onboardingSnapshot(ctx, tx, o)
		return err
	})
	return out, err
}

// LoadOnboardingCalendar reloads the office calendar (holidays change), at
// each milestone.
func (a *Onboarding) LoadOnboardingCalendar(ctx context.Context, onboardingID string) (workcal.Calendar, error) {
	o, err := loadOnboarding(ctx, a.DB, onboardingID, false)
	if err != nil {
		return workcal.Calendar{}, err
	}
	return db.OfficeCalendar(ctx, a.DB, o.OrganizationID, o.OfficeID)
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
	if err := checkOpenStatus(m.Status); err != nil {
		return err
	}
	return a.onboardingTx(ctx, m.OnboardingID, func(ctx context.Context, tx bun.Tx, o *db.UserOnboarding) error {
		// Closed, or this milestone (or a later one) already recorded and
		// announced: a retry.
		if enums.OnboardingClosed(o.Status) || milestoneIndex(o.Milestone) >= milestoneIndex(m.Milestone) {
			return nil
		}
		from := o.Milestone
		o.Milestone, o.Progress = m.Milestone, clampProgress(m.Progress)
		if o.Status != enums.OnboardingPaused {
			o.Status = m.Status
		}
		if err := db.UpdateOnboarding(ctx, tx, o, "milestone", "progress", "status"); err != nil {
			return err
		}
		if err := auditOnboarding(ctx, tx, o, nil, "milestone", map[string]any{"from": from, "to": m.Milestone,
			"status": o.Status, "progress": o.Progress}); err != nil {
			return err
		}
		return a.announceMilestone(ctx, tx, o)
	})
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
	if r.Level < 1 || r.Level > workcal.ReminderLevels {
		return wrongState("reminder level %d is not 1-%d", r.Level, workcal.ReminderLevels)
	}
	return a.onboardingTx(ctx, r.OnboardingID, func(ctx context.Context, tx bun.Tx, o *db.UserOnboarding) error {
		// Nothing is sent to a closed or paused onboarding.
		if enums.OnboardingClosed(o.Status) || o.Status == enums.OnboardingPaused {
			return nil
		}
		t, err := db.OnboardingTaskByKey(ctx, tx, o.ID, r.TaskKey, true)
		if errors.Is(err, db.ErrNotFound) {
			return wrongState("onboarding %s has no task %q", o.ID, r.TaskKey)
		}
		if err != nil {
			return err
		}
		// Done meanwhile, or this rung already rung (a retry).
		if t.Status != enums.TaskPending || t.ReminderLevel >= r.Level {
			return nil
		}
		return a.remind(ctx, tx, o, t, r.Level)
	})
}

// OnboardingStatusChange writes the status (behind ↔ active) and progress.
type OnboardingStatusChange struct {
	OnboardingID string
	Status       string
	Progress     int
}

// SetOnboardingStatus writes a status and progress change.
func (a *Onboarding) SetOnboardingStatus(ctx context.Context, c OnboardingStatusChange) error {
	if err := checkOpenStatus(c.Status); err != nil {
		return err
	}
	return a.onboardingTx(ctx, c.OnboardingID, func(ctx context.Context, tx bun.Tx, o *db.UserOnboarding) error {
		progress := clampProgress(c.Progress)
		// A paused onboarding keeps its status until it resumes.
		status := o.Status
		if status != enums.OnboardingPaused {
			status = c.Status
		}
		if enums.OnboardingClosed(o.Status) || (status == o.Status && progress == o.Progress) {
			return nil
		}
		from := o.Status
		o.Status, o.Progress = status, progress
		if err := db.UpdateOnboarding(ctx, tx, o, "status", "progress"); err != nil {
			return err
		}
		if from == status {
			return nil
		}
		return auditOnboarding(ctx, tx, o, nil, "status", map[string]any{"from": from, "to": status, "progress": progress})
	})
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
	actor, err := uuid.Parse(d.ActorUserID)
	if err != nil {
		return wrongState("actor id %q: %v", d.ActorUserID, err)
	}
	if isCheckInTask(d.TaskKey) {
		return wrongState("task %s is done by submitting the check-in", d.TaskKey)
	}
	return a.onboardingTx(ctx, d.OnboardingID, func(ctx context.Context, tx bun.Tx, o *db.UserOnboarding) error {
		t, err := db.OnboardingTaskByKey(ctx, tx, o.ID, d.TaskKey, true)
		if errors.Is(err, db.ErrNotFound) {
			return wrongState("onboarding %s has no task %q", o.ID, d.TaskKey)
		}
		if err != nil {
			return err
		}
		switch {
		case t.Status == enums.TaskDone && t.CompletedBy != nil && *t.CompletedBy == actor:
			return nil // a retry
		case t.Status != enums.TaskPending:
			return wrongState("task %s is %s", t.Key, t.Status)
		case enums.OnboardingClosed(o.Status):
			return wrongState("the onboarding is %s", o.Status)
		}
		if err := a.completeTask(ctx, tx, o, t, actor, d.Note, d.Progress); err != nil {
			return err
		}
		return auditOnboarding(ctx, tx, o, &actor, "complete_task", map[string]any{"task": t.Key, "note": d.Note})
	})
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
	return a.onboardingTx(ctx, p.OnboardingID, func(ctx context.Context, tx bun.Tx, o *db.UserOnboarding) error {
		switch {
		case o.Status == enums.OnboardingPaused:
			return nil // a retry
		case enums.OnboardingClosed(o.Status):
			return wrongState("the onboarding is %s", o.Status)
		}
		now := a.now()
		o.Status, o.PausedAt, o.PauseUntil, o.PauseReason = enums.OnboardingPaused, &now, p.Until, p.Reason
		if err := db.UpdateOnboarding(ctx, tx, o, "status", "paused_at", "pause_until", "pause_reason"); err != nil {
			return err
		}
		payload := map[string]any{"reason": p.Reason}
		if p.Until != nil {
			payload["until"] = p.Until.UTC()
		}
		if err := auditOnboarding(ctx, tx, o, actorID(p.ActorUserID), "pause", payload); err != nil {
			return err
		}
		return a.tellPaused(ctx, tx, o, now)
	})
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
	if err := checkOpenStatus(r.Status); err != nil {
		return err
	}
	return a.onboardingTx(ctx, r.OnboardingID, func(ctx context.Context, tx bun.Tx, o *db.UserOnboarding) error {
		if o.Status != enums.OnboardingPaused {
			return nil // a retry, or a pause that never landed
		}
		pausedAt := *o.PausedAt
		o.Status, o.PausedAt, o.PauseUntil, o.PauseReason = r.Status, nil, nil, ""
		o.PausedBusinessDays = max(r.PausedBusinessDays, 0)
		if err := db.UpdateOnboarding(ctx, tx, o, "status", "paused_at", "pause_until", "pause_reason", "paused_business_days"); err != nil {
			return err
		}
		moved, err := db.MoveTaskDues(ctx, tx, o.ID, r.Dues)
		if err != nil {
			return err
		}
		if err := auditOnboarding(ctx, tx, o, actorID(r.ActorUserID), "resume", map[string]any{
			"paused_business_days": o.PausedBusinessDays, "tasks_moved": moved}); err != nil {
			return err
		}
		return a.tellResumed(ctx, tx, o, pausedAt)
	})
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
	buddy, err := uuid.Parse(c.BuddyUserID)
	if err != nil {
		return BuddyPick{}, wrongState("buddy id %q: %v", c.BuddyUserID, err)
	}
	var pick BuddyPick
	err = a.onboardingTx(ctx, c.OnboardingID, func(ctx context.Context, tx bun.Tx, o *db.UserOnboarding) error {
		if enums.OnboardingClosed(o.Status) {
			return wrongState("the onboarding is %s", o.Status)
		}
		current, err := db.ActiveBuddyMatch(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		if current != nil && current.BuddyUserID == buddy {
			pick = *buddyPick(current) // a retry
			return nil
		}
		m, err := a.reassignBuddy(ctx, tx, o, current, buddy, c)
		if err != nil {
			return err
		}
		pick = *buddyPick(m)
		return nil
	})
	return pick, err
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
	manager, err := uuid.Parse(c.ManagerUserID)
	if err != nil {
		return wrongState("manager id %q: %v", c.ManagerUserID, err)
	}
	key, ok := checkInTaskKey[c.Day]
	if !ok {
		return wrongState("check-ins are on day 7 and day 30, not day %d", c.Day)
	}
	return a.onboardingTx(ctx, c.OnboardingID, func(ctx context.Context, tx bun.Tx, o *db.UserOnboarding) error {
		if enums.OnboardingClosed(o.Status) {
			return wrongState("the onboarding is %s", o.Status)
		}
		stored, err := db.InsertOnboardingCheckIn(ctx, tx, &db.OnboardingCheckIn{OrganizationID: o.OrganizationID,
			OnboardingID: o.ID, Day: c.Day, ManagerUserID: manager, Rating: c.Rating, Comment: c.Comment})
		if err != nil || !stored {
			return err // stored before: a retry (the workflow refuses a second check-in)
		}
		t, err := db.OnboardingTaskByKey(ctx, tx, o.ID, key, true)
		if err != nil {
			return err
		}
		if err := a.completeTask(ctx, tx, o, t, manager, c.Comment, c.Progress); err != nil {
			return err
		}
		return auditOnboarding(ctx, tx, o, &manager, "checkin", map[string]any{"day": c.Day, "rating": c.Rating})
	})
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
	return a.onboardingTx(ctx, c.OnboardingID, func(ctx context.Context, tx bun.Tx, o *db.UserOnboarding) error {
		switch o.Status {
		case enums.OnboardingCancelled:
			return nil // a retry
		case enums.OnboardingCompleted:
			return wrongState("the onboarding is completed")
		}
		now := a.now()
		o.Status, o.CancelledAt, o.PausedAt, o.PauseUntil = enums.OnboardingCancelled, &now, nil, nil
		if err := db.UpdateOnboarding(ctx, tx, o, "status", "cancelled_at", "paused_at", "pause_until"); err != nil {
			return err
		}
		cancelled, err := db.CancelOpenTasks(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		if _, err := db.EndBuddyMatch(ctx, tx, o.ID, "onboarding cancelled"); err != nil {
			return err
		}
		if err := auditOnboarding(ctx, tx, o, actorID(c.ActorUserID), "cancel", map[string]any{
			"reason": c.Reason, "tasks_cancelled": cancelled}); err != nil {
			return err
		}
		return a.tellCancelled(ctx, tx, o, c.Reason)
	})
}

// CompleteOnboarding closes a finished onboarding in one transaction:
// status completed, the template's badge (engagement.Recorder.AwardBadge),
// the buddy's points (db.PointsLedger, key onboarding:<user>:<buddy>),
// onboarding.completed, the match ended. A retry awards nothing twice.
func (a *Onboarding) CompleteOnboarding(ctx context.Context, onboardingID string) error {
	return a.onboardingTx(ctx, onboardingID, func(ctx context.Context, tx bun.Tx, o *db.UserOnboarding) error {
		switch o.Status {
		case enums.OnboardingCompleted:
			return nil // a retry: awarded and announced already
		case enums.OnboardingCancelled:
			return wrongState("the onboarding is cancelled")
		}
		return a.complete(ctx, tx, o)
	})
}
