package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/engagement"
)

// reassignBuddy gives the hire buddy in place of current (nil: no buddy
// yet): the manual match, the buddy's open tasks, HR's choose-buddy task
// closed, the audit row and the notices.
func (a *Onboarding) reassignBuddy(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, current *db.BuddyMatch, buddy uuid.UUID, c BuddyChange) (*db.BuddyMatch, error) {
	m, err := db.AssignBuddy(ctx, tx, db.BuddyQueryOf(o), o.ID, buddy, c.Reason)
	if errors.Is(err, db.ErrBuddyNotEligible) || errors.Is(err, db.ErrBuddyOverloaded) {
		return nil, wrongState("%v", err)
	}
	if err != nil {
		return nil, err
	}
	o.BuddyUserID = &buddy
	if err := db.UpdateOnboarding(ctx, tx, o, "buddy_user_id"); err != nil {
		return nil, err
	}
	moved, err := db.AssignBuddyTasks(ctx, tx, o.ID, buddy)
	if err != nil {
		return nil, err
	}
	actor := actorID(c.ActorUserID)
	if err := a.closeChooseBuddy(ctx, tx, o, actor, c.Reason); err != nil {
		return nil, err
	}
	payload := map[string]any{"to": buddy.String(), "reason": c.Reason, "tasks_moved": moved}
	if current != nil {
		payload["from"] = current.BuddyUserID.String()
	}
	if err := auditOnboarding(ctx, tx, o, actor, "reassign_buddy", payload); err != nil {
		return nil, err
	}
	return m, a.tellBuddyChanged(ctx, tx, o, current, m)
}

// closeChooseBuddy marks HR's choose-buddy task done, if the onboarding
// has one pending: choosing the buddy is that task.
func (a *Onboarding) closeChooseBuddy(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, actor *uuid.UUID, note string) error {
	t, err := db.OnboardingTaskByKey(ctx, tx, o.ID, enums.TaskKeyChooseBuddy, true)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil || t.Status != enums.TaskPending {
		return err
	}
	by := o.HRUserID
	if actor != nil {
		by = *actor
	}
	now := a.now()
	t.Status, t.CompletedBy, t.CompletedAt, t.Note = enums.TaskDone, &by, &now, note
	return db.UpdateOnboardingTask(ctx, tx, t, "status", "completed_by", "completed_at", "note")
}

// tellBuddyChanged tells the hire and the new buddy (why them), and the
// former buddy that they are relieved. Keys name the new buddy: a pair is
// matched at most once.
func (a *Onboarding) tellBuddyChanged(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, former, m *db.BuddyMatch) error {
	others := []uuid.UUID{m.BuddyUserID}
	if former != nil {
		others = append(others, former.BuddyUserID)
	}
	p, err := peopleOf(ctx, tx, o, others...)
	if err != nil {
		return err
	}
	hire, key := p.hire(o), "buddy/"+m.BuddyUserID.String()
	if err := a.notify(ctx, tx, o, key+"/hire", o.UserID, "Your buddy is "+p.name(m.BuddyUserID),
		p.name(m.BuddyUserID)+" is your buddy from now on."); err != nil {
		return err
	}
	why := "HR chose you."
	if len(m.Reasons) > 0 {
		why = "Why you: " + strings.Join(m.Reasons, ", ") + "."
	}
	if err := a.notify(ctx, tx, o, key+"/new", m.BuddyUserID, "You are "+hire+"'s buddy", why); err != nil {
		return err
	}
	if former == nil {
		return nil
	}
	return a.notify(ctx, tx, o, key+"/former", former.BuddyUserID, "You are no longer "+hire+"'s buddy",
		p.name(m.BuddyUserID)+" takes over; your open buddy tasks moved to them.")
}

// tellCancelled tells everyone in the onboarding it was cancelled.
func (a *Onboarding) tellCancelled(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, reason string) error {
	p, err := peopleOf(ctx, tx, o)
	if err != nil {
		return err
	}
	title, body := p.hire(o)+"'s onboarding was cancelled", "Its open tasks are cancelled."
	if reason != "" {
		body = "Reason: " + reason + ". Its open tasks are cancelled."
	}
	to := map[string]uuid.UUID{enums.OnboardingRoleHire: o.UserID, enums.OnboardingRoleManager: o.ManagerUserID, enums.OnboardingRoleHR: o.HRUserID}
	if o.BuddyUserID != nil {
		to[enums.OnboardingRoleBuddy] = *o.BuddyUserID
	}
	for _, role := range []string{enums.OnboardingRoleHire, enums.OnboardingRoleManager, enums.OnboardingRoleBuddy, enums.OnboardingRoleHR} {
		u, ok := to[role]
		if !ok {
			continue
		}
		t := title
		if role == enums.OnboardingRoleHire {
			t = "Your onboarding was cancelled"
		}
		if err := a.notify(ctx, tx, o, "cancelled/"+role, u, t, body); err != nil {
			return err
		}
	}
	return nil
}

// complete closes o: status completed, the template's badge for the hire,
// the buddy's points, onboarding.completed, the match ended, the audit
// row and the notices.
func (a *Onboarding) complete(ctx context.Context, tx bun.Tx, o *db.UserOnboarding) error {
	tpl, err := db.TemplateOfOnboarding(ctx, tx, o)
	if err != nil {
		return err
	}
	now := a.now()
	o.Status, o.CompletedAt, o.Progress, o.PausedAt, o.PauseUntil = enums.OnboardingCompleted, &now, 100, nil, nil
	if err := db.UpdateOnboarding(ctx, tx, o, "status", "completed_at", "progress", "paused_at", "pause_until"); err != nil {
		return err
	}
	badge, err := a.awardCompletionBadge(ctx, tx, o, tpl)
	if err != nil {
		return err
	}
	points, err := a.awardBuddyPoints(ctx, tx, o, tpl)
	if err != nil {
		return err
	}
	refType, refID := "onboarding", o.ID.String()
	payload := map[string]any{"onboarding_id": refID, "template_id": tpl.ID.String(), "badge_awarded": badge, "buddy_points": points}
	if o.BuddyUserID != nil {
		payload["buddy_user_id"] = o.BuddyUserID.String()
	}
	if err := a.Recorder.Emit(ctx, tx, &db.DomainEvent{OrganizationID: o.OrganizationID, Type: enums.EventOnboardingCompleted,
		SubjectUserID: &o.UserID, ReferenceType: &refType, ReferenceID: &refID, Payload: payload}); err != nil {
		return err
	}
	if _, err := db.EndBuddyMatch(ctx, tx, o.ID, "onboarding completed"); err != nil {
		return err
	}
	if err := auditOnboarding(ctx, tx, o, nil, "complete", payload); err != nil {
		return err
	}
	return a.tellCompleted(ctx, tx, o, points)
}

// awardCompletionBadge gives the hire the template's badge, if it has
// one; a badge archived since is skipped, one already held is fine.
func (a *Onboarding) awardCompletionBadge(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, tpl *db.OnboardingTemplate) (bool, error) {
	if tpl.CompletionBadgeID == nil {
		return false, nil
	}
	awarded, err := a.Recorder.AwardBadge(ctx, tx, engagement.BadgeGrant{OrganizationID: o.OrganizationID,
		BadgeID: *tpl.CompletionBadgeID, UserID: o.UserID, Reason: "completed onboarding: " + tpl.Name})
	if errors.Is(err, engagement.ErrBadgeArchived) {
		return false, nil
	}
	return awarded, err
}

// awardBuddyPoints pays the buddy the template's buddy points once per
// hire and buddy (key onboarding:<user>:<buddy>); it returns the points.
func (a *Onboarding) awardBuddyPoints(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, tpl *db.OnboardingTemplate) (int, error) {
	if o.BuddyUserID == nil || tpl.BuddyPoints <= 0 {
		return 0, nil
	}
	refType, refID := "onboarding", o.ID.String()
	_, err := db.PointsLedger{}.Award(ctx, tx, db.LedgerEntry{OrganizationID: o.OrganizationID, UserID: *o.BuddyUserID,
		Amount: int64(tpl.BuddyPoints), Type: enums.LedgerOnboarding, ReferenceType: &refType, ReferenceID: &refID,
		Reason: "buddy of a completed onboarding", IdempotencyKey: "onboarding:" + o.UserID.String() + ":" + o.BuddyUserID.String()})
	if err != nil && !errors.Is(err, db.ErrAlreadyRecorded) {
		return 0, fmt.Errorf("buddy points of onboarding %s: %w", o.ID, err)
	}
	return tpl.BuddyPoints, nil
}

// tellCompleted congratulates the hire and thanks the buddy and the
// manager.
func (a *Onboarding) tellCompleted(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, points int) error {
	p, err := peopleOf(ctx, tx, o)
	if err != nil {
		return err
	}
	hire := p.hire(o)
	if err := a.notify(ctx, tx, o, "completed/hire", o.UserID, "Onboarding complete",
		"You finished your first 30 days. Welcome to the team!"); err != nil {
		return err
	}
	if err := a.notify(ctx, tx, o, "completed/manager", o.ManagerUserID, hire+" completed onboarding",
		hire+" finished the 30-day onboarding."); err != nil {
		return err
	}
	if o.BuddyUserID == nil {
		return nil
	}
	body := "Thank you for being " + hire + "'s buddy."
	if points > 0 {
		body = fmt.Sprintf("Thank you for being %s's buddy: %d points.", hire, points)
	}
	return a.notify(ctx, tx, o, "completed/buddy", *o.BuddyUserID, hire+" completed onboarding", body)
}
