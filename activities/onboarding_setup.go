package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/workcal"
)

// checkInDueBusinessDays is how long the manager has for a check-in after
// its day.
const checkInDueBusinessDays = 2

// parseSetup reads the setup's input into a new onboarding row; a
// malformed input (the API validated it) is refused for good.
func parseSetup(in OnboardingSetup) (*db.UserOnboarding, workcal.Date, error) {
	start, err := workcal.ParseDate(in.StartDate)
	if err != nil {
		return nil, workcal.Date{}, wrongState("start date %q: %v", in.StartDate, err)
	}
	var malformed []string
	id := func(field, s string) uuid.UUID {
		v, err := uuid.Parse(s)
		if err != nil {
			malformed = append(malformed, field)
		}
		return v
	}
	optional := func(field, s string) *uuid.UUID {
		if s == "" {
			return nil
		}
		v := id(field, s)
		return &v
	}
	o := &db.UserOnboarding{ID: id("onboarding", in.OnboardingID), OrganizationID: id("organization", in.OrganizationID),
		UserID: id("user", in.UserID), ManagerUserID: id("manager", in.ManagerUserID), HRUserID: id("hr", in.HRUserID),
		OfficeID: optional("office", in.OfficeID), TeamID: optional("team", in.TeamID), JobRole: strings.TrimSpace(in.Role),
		StartDate: start.MidnightUTC(), Status: enums.OnboardingPreboarding, Milestone: enums.MilestonePreboarding,
		CreatedBy: actorID(in.ActorUserID)}
	if len(malformed) > 0 {
		return nil, workcal.Date{}, wrongState("malformed ids: %s", strings.Join(malformed, ", "))
	}
	return o, start, nil
}

// setUp writes a new onboarding in tx: the row, the buddy match, the
// tasks, the audit row and the welcome notices.
func (a *Onboarding) setUp(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, start workcal.Date) error {
	tpl, tplTasks, err := db.TemplateForHire(ctx, tx, o.OrganizationID, o.JobRole)
	if errors.Is(err, db.ErrNoOnboardingTemplate) {
		return wrongState("%v", err)
	}
	if err != nil {
		return err
	}
	o.TemplateID, o.TemplateVersion = tpl.ID, tpl.Version
	cal, err := db.OnboardingCalendar(ctx, tx, o.OrganizationID, o.OfficeID, o.StartDate)
	if err != nil {
		return err
	}
	if err := db.InsertOnboarding(ctx, tx, o); err != nil {
		if errors.Is(err, db.ErrAlreadyOnboarding) || errors.Is(err, db.ErrOnboardingRefused) {
			return wrongState("%v", err)
		}
		return err
	}
	match, err := db.PickBuddy(ctx, tx, db.BuddyQueryOf(o), o.ID)
	if err != nil {
		return err
	}
	if match != nil {
		o.BuddyUserID = &match.BuddyUserID
		if err := db.UpdateOnboarding(ctx, tx, o, "buddy_user_id"); err != nil {
			return err
		}
	}
	tasks := setupTasks(o, cal, start, tplTasks)
	if err := db.InsertOnboardingTasks(ctx, tx, tasks); err != nil {
		return err
	}
	payload := map[string]any{"template_id": tpl.ID.String(), "template_version": tpl.Version, "tasks": len(tasks),
		"start_date": start.String()}
	if match != nil {
		payload["buddy_user_id"], payload["buddy_score"], payload["buddy_reasons"] = match.BuddyUserID.String(), match.Score, match.Reasons
	}
	if err := auditOnboarding(ctx, tx, o, o.CreatedBy, "start", payload); err != nil {
		return err
	}
	return a.welcome(ctx, tx, o, start, tasks, match)
}

// setupTasks are the onboarding's tasks: the template's with their due
// times, the manager's day 7 and day 30 check-ins and, with no buddy, HR's
// choose-buddy task.
func setupTasks(o *db.UserOnboarding, cal workcal.Calendar, start workcal.Date, tplTasks []db.OnboardingTemplateTask) []db.OnboardingTask {
	tasks := make([]db.OnboardingTask, 0, len(tplTasks)+3)
	add := func(key, title, description, role, milestone string, required bool, position int, due time.Time) {
		tasks = append(tasks, db.OnboardingTask{OrganizationID: o.OrganizationID, OnboardingID: o.ID, Key: key, Title: title,
			Description: description, AssigneeRole: role, AssigneeUserID: assigneeOf(o, role), Milestone: milestone,
			DueAt: due, Required: required, Status: enums.TaskPending, Position: position})
	}
	last := 0
	for _, t := range tplTasks {
		add(t.Key, t.Title, t.Description, t.AssigneeRole, t.Milestone, t.Required, t.Position, cal.DueAt(start, t.DueOffsetDays, 0))
		last = max(last, t.Position)
	}
	for i, c := range []struct {
		day            int
		key, milestone string
	}{{7, enums.TaskKeyCheckInDay7, enums.MilestoneDay7}, {30, enums.TaskKeyCheckInDay30, enums.MilestoneDay30}} {
		add(c.key, fmt.Sprintf("Day %d check-in", c.day),
			fmt.Sprintf("Rate how the first %d days went and leave a comment for HR.", c.day),
			enums.OnboardingRoleManager, c.milestone, true, last+1+i,
			cal.WindowClose(cal.AddBusinessDays(cal.MilestoneDate(start, c.day, 0), checkInDueBusinessDays)))
	}
	if o.BuddyUserID == nil {
		add(enums.TaskKeyChooseBuddy, "Choose a buddy", "No available colleague fit as a buddy: choose one.",
			enums.OnboardingRoleHR, enums.MilestonePreboarding, true, -1, cal.DueAt(start, 0, 0))
	}
	return tasks
}

// welcome tells the hire, the manager, the buddy and HR that the
// onboarding is set up, each with what it means for them.
func (a *Onboarding) welcome(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, start workcal.Date, tasks []db.OnboardingTask, match *db.BuddyMatch) error {
	p, err := peopleOf(ctx, tx, o)
	if err != nil {
		return err
	}
	count := map[uuid.UUID]int{}
	for _, t := range tasks {
		if t.AssigneeUserID != nil {
			count[*t.AssigneeUserID]++
		}
	}
	hire := p.hire(o)
	buddyLine := "HR is choosing your buddy."
	if match != nil {
		buddyLine = "Your buddy is " + p.name(match.BuddyUserID) + "."
	}
	type message struct {
		role        string
		to          uuid.UUID
		title, body string
	}
	msgs := []message{
		{enums.OnboardingRoleHire, o.UserID, "Welcome aboard",
			fmt.Sprintf("Your onboarding starts on %s with %d tasks for you. Your manager is %s. %s", start, count[o.UserID], p.name(o.ManagerUserID), buddyLine)},
		{enums.OnboardingRoleManager, o.ManagerUserID, hire + " starts on " + start.String(),
			fmt.Sprintf("You have %d onboarding tasks for %s, including check-ins on day 7 and day 30.", count[o.ManagerUserID], hire)},
	}
	if match != nil {
		msgs = append(msgs, message{enums.OnboardingRoleBuddy, match.BuddyUserID, "You are " + hire + "'s buddy",
			fmt.Sprintf("%s starts on %s; you have %d tasks. Why you: %s.", hire, start, count[match.BuddyUserID], strings.Join(match.Reasons, ", "))})
	}
	hr := message{enums.OnboardingRoleHR, o.HRUserID, hire + "'s onboarding is set up",
		fmt.Sprintf("%s starts on %s. %s", hire, start, buddyLine)}
	if match == nil {
		hr.title, hr.body = "Choose a buddy for "+hire, fmt.Sprintf("No available colleague fits as %s's buddy: choose one before %s.", hire, start)
	}
	for _, m := range append(msgs, hr) {
		if err := a.notify(ctx, tx, o, "welcome/"+m.role, m.to, m.title, m.body); err != nil {
			return err
		}
	}
	return nil
}
