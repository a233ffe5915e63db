package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// What the onboarding workflow's activities write: the setup, the tasks'
// progress, the reminders, pauses, buddy changes, check-ins, cancellation
// and completion. Every function takes the caller's transaction, so an
// activity's changes, its audit row and its notices commit together.

// ErrAlreadyOnboarding is returned by InsertOnboarding when the person has
// another open onboarding (in any organization: the workflow is per
// person).
var ErrAlreadyOnboarding = errors.New("already onboarding: finish or cancel the open onboarding first")

// ErrNoOnboardingTemplate is returned by TemplateForHire when the
// organization has neither a template for the role nor a default one.
var ErrNoOnboardingTemplate = errors.New("no onboarding template for this role and no default template: create one first")

// ErrOnboardingRefused is returned by InsertOnboarding when the database
// refuses the onboarding's people (the manager is the hire, the buddy is
// the hire or the manager, or someone is not a member).
var ErrOnboardingRefused = errors.New("onboarding refused by the database")

// TemplateForHire returns the template a hire with role gets, with its
// tasks in order: the organization's live template for the role
// (case-insensitive), else its default one.
func TemplateForHire(ctx context.Context, idb bun.IDB, orgID uuid.UUID, role string) (*OnboardingTemplate, []OnboardingTemplateTask, error) {
	var t OnboardingTemplate
	err := idb.NewSelect().Model(&t).
		Where("otpl.organization_id = ? AND otpl.archived_at IS NULL", orgID).
		Where("(otpl.job_role <> '' AND lower(otpl.job_role) = lower(?)) OR otpl.is_default", strings.TrimSpace(role)).
		// The role's own template first, then the default.
		OrderExpr("otpl.job_role <> '' AND lower(otpl.job_role) = lower(?) DESC", strings.TrimSpace(role)).
		Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("template for role %q: %w", role, ErrNoOnboardingTemplate)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("template for role %q: %w", role, err)
	}
	var tasks []OnboardingTemplateTask
	if err := idb.NewSelect().Model(&tasks).Where("ottk.template_id = ?", t.ID).
		OrderExpr("ottk.position, ottk.key").Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("tasks of template %s: %w", t.ID, err)
	}
	return &t, tasks, nil
}

// TemplateOfOnboarding returns the template an onboarding was copied from
// (its completion badge and buddy points are read at completion).
func TemplateOfOnboarding(ctx context.Context, idb bun.IDB, o *UserOnboarding) (*OnboardingTemplate, error) {
	var t OnboardingTemplate
	err := idb.NewSelect().Model(&t).Where("otpl.organization_id = ? AND otpl.id = ?", o.OrganizationID, o.TemplateID).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "template %s of onboarding %s", o.TemplateID, o.ID)
	}
	return &t, nil
}

// InsertOnboarding writes a new onboarding. A person with another open
// onboarding gets ErrAlreadyOnboarding; people the schema refuses get
// ErrOnboardingRefused naming the constraint.
func InsertOnboarding(ctx context.Context, idb bun.IDB, o *UserOnboarding) error {
	if o.ID == uuid.Nil {
		o.ID = NewID()
	}
	_, err := idb.NewInsert().Model(o).Returning("created_at, updated_at").Exec(ctx)
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pgErr) && pgErr.ConstraintName == "user_onboardings_open_key":
		return fmt.Errorf("onboarding of %s: %w", o.UserID, ErrAlreadyOnboarding)
	case errors.As(err, &pgErr) && (pgErr.Code == "23503" || pgErr.Code == "23514"):
		return fmt.Errorf("onboarding of %s (%s): %w", o.UserID, pgErr.ConstraintName, ErrOnboardingRefused)
	}
	return fmt.Errorf("insert onboarding of %s: %w", o.UserID, err)
}

// OnboardingByID returns an onboarding; forUpdate locks it until the
// transaction ends, so the activities of one onboarding apply one at a
// time.
func OnboardingByID(ctx context.Context, idb bun.IDB, id uuid.UUID, forUpdate bool) (*UserOnboarding, error) {
	var o UserOnboarding
	q := idb.NewSelect().Model(&o).Where("uo.id = ?", id)
	if forUpdate {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, notFound(err, "onboarding %s", id)
	}
	return &o, nil
}

// UpdateOnboarding writes the named columns of o (and updated_at).
func UpdateOnboarding(ctx context.Context, idb bun.IDB, o *UserOnboarding, columns ...string) error {
	if _, err := idb.NewUpdate().Model(o).Column(columns...).Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("update onboarding %s (%s): %w", o.ID, strings.Join(columns, ", "), err)
	}
	return nil
}

// InsertOnboardingTasks writes an onboarding's tasks.
func InsertOnboardingTasks(ctx context.Context, idb bun.IDB, tasks []OnboardingTask) error {
	if len(tasks) == 0 {
		return nil
	}
	for i := range tasks {
		if tasks[i].ID == uuid.Nil {
			tasks[i].ID = NewID()
		}
	}
	if _, err := idb.NewInsert().Model(&tasks).Exec(ctx); err != nil {
		return fmt.Errorf("insert %d onboarding tasks: %w", len(tasks), err)
	}
	return nil
}

// OnboardingTasksOf lists an onboarding's tasks by due time, then
// position.
func OnboardingTasksOf(ctx context.Context, idb bun.IDB, onboardingID uuid.UUID) ([]OnboardingTask, error) {
	var out []OnboardingTask
	err := idb.NewSelect().Model(&out).Where("otask.onboarding_id = ?", onboardingID).
		OrderExpr("otask.due_at, otask.position, otask.key").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("tasks of onboarding %s: %w", onboardingID, err)
	}
	return out, nil
}

// OnboardingTaskByKey returns one task of an onboarding; forUpdate locks
// it.
func OnboardingTaskByKey(ctx context.Context, idb bun.IDB, onboardingID uuid.UUID, key string, forUpdate bool) (*OnboardingTask, error) {
	var t OnboardingTask
	q := idb.NewSelect().Model(&t).Where("otask.onboarding_id = ? AND otask.key = ?", onboardingID, key)
	if forUpdate {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, notFound(err, "task %s of onboarding %s", key, onboardingID)
	}
	return &t, nil
}

// UpdateOnboardingTask writes the named columns of t (and updated_at).
func UpdateOnboardingTask(ctx context.Context, idb bun.IDB, t *OnboardingTask, columns ...string) error {
	if _, err := idb.NewUpdate().Model(t).Column(columns...).Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("update task %s (%s): %w", t.Key, strings.Join(columns, ", "), err)
	}
	return nil
}

// AssignBuddyTasks gives the pending buddy tasks of an onboarding to
// buddy and returns how many moved.
func AssignBuddyTasks(ctx context.Context, idb bun.IDB, onboardingID, buddy uuid.UUID) (int, error) {
	res, err := idb.NewUpdate().Model((*OnboardingTask)(nil)).Set("assignee_user_id = ?", buddy).Set("updated_at = now()").
		Where("onboarding_id = ? AND assignee_role = ? AND status = ?", onboardingID, enums.OnboardingRoleBuddy, enums.TaskPending).
		Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("give buddy tasks of onboarding %s to %s: %w", onboardingID, buddy, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// MoveTaskDues sets new due times on the pending tasks named in dues
// (task key → due); done and cancelled tasks keep theirs. It returns how
// many moved.
func MoveTaskDues(ctx context.Context, idb bun.IDB, onboardingID uuid.UUID, dues map[string]time.Time) (int, error) {
	keys := make([]string, 0, len(dues))
	for k := range dues {
		keys = append(keys, k)
	}
	// One order for every caller, so concurrent moves cannot deadlock.
	sort.Strings(keys)
	moved := 0
	for _, k := range keys {
		res, err := idb.NewUpdate().Model((*OnboardingTask)(nil)).Set("due_at = ?", dues[k]).Set("updated_at = now()").
			Where("onboarding_id = ? AND key = ? AND status = ?", onboardingID, k, enums.TaskPending).Exec(ctx)
		if err != nil {
			return moved, fmt.Errorf("move due of task %s: %w", k, err)
		}
		n, _ := res.RowsAffected()
		moved += int(n)
	}
	return moved, nil
}

// CancelOpenTasks cancels the pending tasks of an onboarding and returns
// how many it cancelled.
func CancelOpenTasks(ctx context.Context, idb bun.IDB, onboardingID uuid.UUID) (int, error) {
	res, err := idb.NewUpdate().Model((*OnboardingTask)(nil)).Set("status = ?", enums.TaskCancelled).Set("updated_at = now()").
		Where("onboarding_id = ? AND status = ?", onboardingID, enums.TaskPending).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("cancel tasks of onboarding %s: %w", onboardingID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ActiveBuddyMatch returns the onboarding's active buddy match, nil when
// it has none.
func ActiveBuddyMatch(ctx context.Context, idb bun.IDB, onboardingID uuid.UUID) (*BuddyMatch, error) {
	var m BuddyMatch
	err := idb.NewSelect().Model(&m).Where("bm.onboarding_id = ? AND bm.status = ?", onboardingID, enums.BuddyMatchActive).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("active buddy of onboarding %s: %w", onboardingID, err)
	}
	return &m, nil
}

// EndBuddyMatch ends the onboarding's active match with reason; false
// when it had none.
func EndBuddyMatch(ctx context.Context, idb bun.IDB, onboardingID uuid.UUID, reason string) (bool, error) {
	res, err := idb.NewUpdate().Model((*BuddyMatch)(nil)).
		Set("status = ?", enums.BuddyMatchEnded).Set("ended_at = now()").Set("ended_reason = ?", reason).Set("updated_at = now()").
		Where("onboarding_id = ? AND status = ?", onboardingID, enums.BuddyMatchActive).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("end buddy match of onboarding %s: %w", onboardingID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// InsertOnboardingCheckIn writes a manager's check-in unless the day has
// one; it reports whether c was stored.
func InsertOnboardingCheckIn(ctx context.Context, idb bun.IDB, c *OnboardingCheckIn) (bool, error) {
	if c.ID == uuid.Nil {
		c.ID = NewID()
	}
	res, err := idb.NewInsert().Model(c).On("CONFLICT (onboarding_id, day) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("insert day %d check-in of onboarding %s: %w", c.Day, c.OnboardingID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
