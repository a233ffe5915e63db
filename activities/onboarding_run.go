package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/jobs"
)

// errTypeWrongState is workflows.ErrTypeWrongState, repeated because
// workflows imports this package: an onboarding step the data refuses
// (no template, already onboarding, an ineligible buddy). The workflow
// fails the Update with it and the API answers FailedPrecondition.
const errTypeWrongState = "ConveneWrongState"

// ErrOnboardingMissing: the workflow's onboarding row does not exist (its
// organization was deleted, or the ID is malformed); the run ends.
const ErrOnboardingMissing = "OnboardingMissing"

// wrongState is a non-retryable refusal of an onboarding step.
func wrongState(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), errTypeWrongState, nil)
}

func (a *Onboarding) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// loadOnboarding reads the onboarding of id; forUpdate locks it. A
// malformed or unknown id ends the run (ErrOnboardingMissing).
func loadOnboarding(ctx context.Context, idb bun.IDB, id string, forUpdate bool) (*db.UserOnboarding, error) {
	oid, err := uuid.Parse(id)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("bad onboarding id "+id, ErrOnboardingMissing, err)
	}
	o, err := db.OnboardingByID(ctx, idb, oid, forUpdate)
	if errors.Is(err, db.ErrNotFound) {
		return nil, temporal.NewNonRetryableApplicationError("onboarding "+id+" is gone", ErrOnboardingMissing, err)
	}
	return o, err
}

// onboardingTx runs fn in one transaction on the locked onboarding, so
// the activities of one onboarding apply one at a time and each sees the
// previous one's writes.
func (a *Onboarding) onboardingTx(ctx context.Context, id string, fn func(context.Context, bun.Tx, *db.UserOnboarding) error) error {
	return a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		o, err := loadOnboarding(ctx, tx, id, true)
		if err != nil {
			return err
		}
		return fn(ctx, tx, o)
	})
}

// actorID is the acting user of an audit row (nil when the workflow acts
// on its own, e.g. a timer).
func actorID(s string) *uuid.UUID {
	if id, err := uuid.Parse(s); err == nil {
		return &id
	}
	return nil
}

// auditOnboarding writes the audit row of a change: action
// onboarding.<verb> on object onboarding/<id>.
func auditOnboarding(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, actor *uuid.UUID, verb string, payload map[string]any) error {
	return db.WriteAudit(ctx, tx, &db.AuditLog{ActorUserID: actor, OrganizationID: &o.OrganizationID, ObjectType: "onboarding",
		ObjectID: o.ID.String(), Action: "onboarding." + verb, Payload: payload})
}

// notify sends one onboarding notice, keyed onboarding/<id>/<key>: a
// retried activity sends nothing twice.
func (a *Onboarding) notify(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, key string, to uuid.UUID, title, body string) error {
	return a.Notices.Send(ctx, tx, jobs.Notice{Key: "onboarding/" + o.ID.String() + "/" + key, To: to,
		Category: db.CategoryOnboarding, Title: title, Body: body, OrganizationID: &o.OrganizationID,
		ReferenceType: "onboarding", ReferenceID: o.ID.String()})
}

// people names the onboarding's people for messages.
type people struct {
	names map[uuid.UUID]string
}

// peopleOf loads the display names of an onboarding's people and others.
func peopleOf(ctx context.Context, tx bun.Tx, o *db.UserOnboarding, others ...uuid.UUID) (people, error) {
	ids := append([]uuid.UUID{o.UserID, o.ManagerUserID, o.HRUserID}, others...)
	if o.BuddyUserID != nil {
		ids = append(ids, *o.BuddyUserID)
	}
	names, err := db.DisplayNames(ctx, tx, ids)
	return people{names: names}, err
}

// name is a person's display name, "a colleague" without one.
func (p people) name(id uuid.UUID) string {
	if n := p.names[id]; n != "" {
		return n
	}
	return "a colleague"
}

// hire is the hire's display name, "your new hire" without one.
func (p people) hire(o *db.UserOnboarding) string {
	if n := p.names[o.UserID]; n != "" {
		return n
	}
	return "your new hire"
}

// assigneeOf is who holds a task of role, nil for a buddy task while
// the hire has no buddy.
func assigneeOf(o *db.UserOnboarding, role string) *uuid.UUID {
	switch role {
	case enums.OnboardingRoleHire:
		return &o.UserID
	case enums.OnboardingRoleManager:
		return &o.ManagerUserID
	case enums.OnboardingRoleHR:
		return &o.HRUserID
	}
	return o.BuddyUserID
}

// openStatuses are the statuses the workflow may write besides paused
// (written by PauseOnboarding only) and the closed ones.
var openStatuses = map[string]bool{enums.OnboardingPreboarding: true, enums.OnboardingActive: true, enums.OnboardingBehind: true}

// checkOpenStatus refuses a status the workflow may not write directly.
func checkOpenStatus(status string) error {
	if !openStatuses[status] {
		return wrongState("status %q cannot be written here (one of preboarding, active, behind)", status)
	}
	return nil
}

// clampProgress keeps a progress within 0-100 (the column's check).
func clampProgress(p int) int { return min(max(p, 0), 100) }

// taskState is the workflow's view of a task row.
func taskState(t *db.OnboardingTask) OnboardingTaskState {
	s := OnboardingTaskState{Key: t.Key, Title: t.Title, AssigneeRole: t.AssigneeRole, Milestone: t.Milestone,
		DueAt: t.DueAt, Required: t.Required, Status: t.Status, ReminderLevel: t.ReminderLevel, CompletedAt: t.CompletedAt}
	if t.AssigneeUserID != nil {
		s.AssigneeUserID = t.AssigneeUserID.String()
	}
	if t.CompletedBy != nil {
		s.CompletedBy = t.CompletedBy.String()
	}
	return s
}

// buddyPick is the workflow's view of a match, nil for none.
func buddyPick(m *db.BuddyMatch) *BuddyPick {
	if m == nil {
		return nil
	}
	return &BuddyPick{UserID: m.BuddyUserID.String(), Score: m.Score, Reasons: m.Reasons, Source: m.Source}
}

// onboardingSnapshot reads what the setup wrote: the tasks, the active match and
// the office calendar.
func onboardingSnapshot(ctx context.Context, tx bun.Tx, o *db.UserOnboarding) (OnboardingSnapshot, error) {
	tasks, err := db.OnboardingTasksOf(ctx, tx, o.ID)
	if err != nil {
		return OnboardingSnapshot{}, err
	}
	match, err := db.ActiveBuddyMatch(ctx, tx, o.ID)
	if err != nil {
		return OnboardingSnapshot{}, err
	}
	cal, err := db.OnboardingCalendar(ctx, tx, o.OrganizationID, o.OfficeID, o.StartDate)
	if err != nil {
		return OnboardingSnapshot{}, err
	}
	s := OnboardingSnapshot{OnboardingID: o.ID.String(), TemplateID: o.TemplateID.String(), TemplateVersion: o.TemplateVersion,
		Buddy: buddyPick(match), Calendar: cal, Tasks: make([]OnboardingTaskState, 0, len(tasks))}
	for i := range tasks {
		s.Tasks = append(s.Tasks, taskState(&tasks[i]))
	}
	return s, nil
}
