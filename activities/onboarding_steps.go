package activities

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
)

// milestoneIndex orders milestones (preboarding first).
func milestoneIndex(m string) int { return slices.Index(enums.Milestones, m) }

// checkInTaskKey is the manager's check-in task of each check-in day.
var checkInTaskKey = map[int]string{7: enums.TaskKeyCheckInDay7, 30: enums.TaskKeyCheckInDay30}

// isCheckInTask reports whether key is a check-in task, done only by
// submitting the check-in.
func isCheckInTask(key string) bool {
	return key == enums.TaskKeyCheckInDay7 || key == enums.TaskKeyCheckInDay30
}

// milestoneTitle is how a milestone reads in a message.
func milestoneTitle(m string) string {
	if day, ok := enums.MilestoneDay[m]; ok {
		return fmt.Sprintf("day %d", day)
	}
	return m
}

// announceMilestone tells each assignee of the milestone's pending tasks
// what is theirs (one notice per person) and, on days 7 and 30, the
// manager that the check-in is open.
func (a *Onboarding) announceMilestone(ctx context.Context, tx bun.Tx, o *db.UserOnboarding) error {
	tasks, err := db.OnboardingTasksOf(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	p, err := peopleOf(ctx, tx, o)
	if err != nil {
		return err
	}
	titles := map[uuid.UUID][]string{}
	var assignees []uuid.UUID
	for _, t := range tasks {
		if t.Milestone != o.Milestone || t.Status != enums.TaskPending || t.AssigneeUserID == nil || isCheckInTask(t.Key) {
			continue
		}
		if _, seen := titles[*t.AssigneeUserID]; !seen {
			assignees = append(assignees, *t.AssigneeUserID)
		}
		titles[*t.AssigneeUserID] = append(titles[*t.AssigneeUserID], t.Title)
	}
	hire, when := p.hire(o), milestoneTitle(o.Milestone)
	for _, u := range assignees {
		title := fmt.Sprintf("%s of %s's onboarding", capitalize(when), hire)
		if u == o.UserID {
			title = fmt.Sprintf("Your onboarding: %s", when)
		}
		body := fmt.Sprintf("Your tasks for %s: %s.", when, strings.Join(titles[u], "; "))
		if err := a.notify(ctx, tx, o, "milestone/"+o.Milestone+"/"+u.String(), u, title, body); err != nil {
			return err
		}
	}
	day := enums.MilestoneDay[o.Milestone]
	if _, ok := checkInTaskKey[day]; !ok {
		return nil
	}
	return a.notify(ctx, tx, o, fmt.Sprintf("checkin/%d/open", day), o.ManagerUserID,
		fmt.Sprintf("Day %d check-in for %s", day, hire),
		fmt.Sprintf("%s has reached day %d: rate how it is going and leave a comment for HR.", hire, day))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// reminderRecipients are who rung level of t's ladder goes to: 1 the
// assignee; 2 the assignee and a copy to the buddy (the hire's tasks) or
// the manager; 3 HR. A buddy task without a buddy goes to HR. Nobody is
// told twice.
func reminderRecipients(o *db.UserOnboarding, t *db.OnboardingTask, level int) []uuid.UUID {
	assignee := o.HRUserID
	if t.AssigneeUserID != nil {
		assignee = *t.AssigneeUserID
	}
	var to []uuid.UUID
	switch level {
	case 1:
		to = []uuid.UUID{assignee}
	case 2:
		cc := o.ManagerUserID
		if t.AssigneeRole == enums.OnboardingRoleHire && o.BuddyUserID != nil {
			cc = *o.BuddyUserID
		}
		to = []uuid.UUID{assignee, cc}
	default:
		to = []uuid.UUID{o.HRUserID}
	}
	return slices.Compact(to)
}

// remind sends rung level of t's ladder, records it on the task and marks
// the onboarding behind.
func (a *Onboarding) remind(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, t *db.OnboardingTask, level int) error {
	p, err := peopleOf(ctx, tx, o)
	if err != nil {
		return err
	}
	hire, recipients := p.hire(o), reminderRecipients(o, t, level)
	for i, to := range recipients {
		key := fmt.Sprintf("task/%s/level/%d", t.Key, level)
		title, body := "Overdue: "+t.Title, fmt.Sprintf("Due %s in %s's onboarding.", t.DueAt.UTC().Format(time.RFC1123), hire)
		if i > 0 {
			key += "/copy"
			title = fmt.Sprintf("Overdue for %s: %s", p.name(recipients[0]), t.Title)
		}
		if level == 3 {
			title = fmt.Sprintf("Still overdue in %s's onboarding: %s", hire, t.Title)
		}
		if err := a.notify(ctx, tx, o, key, to, title, body); err != nil {
			return err
		}
	}
	now := a.now()
	t.ReminderLevel, t.LastRemindedAt = level, &now
	if err := db.UpdateOnboardingTask(ctx, tx, t, "reminder_level", "last_reminded_at"); err != nil {
		return err
	}
	if o.Status != enums.OnboardingBehind {
		o.Status = enums.OnboardingBehind
		if err := db.UpdateOnboarding(ctx, tx, o, "status"); err != nil {
			return err
		}
	}
	return auditOnboarding(ctx, tx, o, nil, "remind", map[string]any{"task": t.Key, "level": level})
}

// completeTask marks a pending task done by actor and writes the
// onboarding's progress.
func (a *Onboarding) completeTask(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, t *db.OnboardingTask, actor uuid.UUID, note string, progress int) error {
	now := a.now()
	t.Status, t.CompletedBy, t.CompletedAt, t.Note = enums.TaskDone, &actor, &now, note
	if err := db.UpdateOnboardingTask(ctx, tx, t, "status", "completed_by", "completed_at", "note"); err != nil {
		return err
	}
	o.Progress = clampProgress(progress)
	return db.UpdateOnboarding(ctx, tx, o, "progress")
}

// tellPaused tells the hire and the buddy the onboarding is paused
// (keyed by the pause's start: each pause is told once).
func (a *Onboarding) tellPaused(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, at time.Time) error {
	body := "No tasks are due and no reminders are sent until it resumes."
	if o.PauseUntil != nil {
		body = fmt.Sprintf("It resumes on %s; until then no tasks are due and no reminders are sent.", o.PauseUntil.UTC().Format(time.RFC1123))
	}
	return a.tellHireAndBuddy(ctx, tx, o, pauseKey("pause", at), "Your onboarding is paused", "The onboarding you buddy is paused", body)
}

// tellResumed tells the hire and the buddy the onboarding resumed and
// its dates moved.
func (a *Onboarding) tellResumed(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, pausedAt time.Time) error {
	body := fmt.Sprintf("Its open tasks and milestones moved by %d business days in all.", o.PausedBusinessDays)
	return a.tellHireAndBuddy(ctx, tx, o, pauseKey("resume", pausedAt), "Your onboarding resumed", "The onboarding you buddy resumed", body)
}

// pauseKey names one pause (or its resume) by when it started.
func pauseKey(verb string, pausedAt time.Time) string {
	return fmt.Sprintf("%s/%d", verb, pausedAt.UnixMicro())
}

func (a *Onboarding) tellHireAndBuddy(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, key, hireTitle, buddyTitle, body string) error {
	if err := a.notify(ctx, tx, o, key+"/hire", o.UserID, hireTitle, body); err != nil {
		return err
	}
	if o.BuddyUserID == nil {
		return nil
	}
	return a.notify(ctx, tx, o, key+"/buddy", *o.BuddyUserID, buddyTitle, body)
}
