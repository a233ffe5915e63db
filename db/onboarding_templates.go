package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Onboarding templates (migration 20261205000100_onboarding): the task
// lists new onboardings copy at their start. An edit replaces a template's
// tasks and bumps its version; running onboardings keep the tasks they
// copied. One template per organization is the default.

// ErrTemplateVersionStale is returned by ReplaceOnboardingTemplate when the
// caller edited an older version than the stored one.
var ErrTemplateVersionStale = errors.New("the template changed since the version you edited; reload it and edit again")

// ErrTemplateArchived is returned when changing an archived template.
var ErrTemplateArchived = errors.New("the template is archived")

// ErrTemplateNameTaken is returned for a name another template of the
// organization (not archived) has, case-insensitively.
var ErrTemplateNameTaken = errors.New("another onboarding template of the organization has this name")

// ErrTemplateRoleTaken is returned for a job role another template of the
// organization (not archived) is for, case-insensitively.
var ErrTemplateRoleTaken = errors.New("another onboarding template of the organization is for this job role")

// ErrDefaultTemplate is returned by ArchiveOnboardingTemplate for the
// organization's default template, which new onboardings fall back to.
var ErrDefaultTemplate = errors.New("the default template cannot be archived; make another template the default first")

// lockOrgTemplates serializes, per organization, the transactions that may
// change which template is the default, so two of them cannot both unset
// the old default and then collide on the one-default index.
func lockOrgTemplates(ctx context.Context, tx bun.Tx, orgID uuid.UUID) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, "onboarding_templates:"+orgID.String()); err != nil {
		return fmt.Errorf("lock onboarding templates of %s: %w", orgID, err)
	}
	return nil
}

// takeDefault unsets the organization's default template unless it is
// keepID; called before t becomes the default in the same transaction.
func takeDefault(ctx context.Context, tx bun.Tx, orgID, keepID uuid.UUID) error {
	_, err := tx.NewUpdate().Model((*OnboardingTemplate)(nil)).Set("is_default = false").Set("updated_at = now()").
		Where("organization_id = ? AND is_default AND id <> ?", orgID, keepID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("unset the default onboarding template of %s: %w", orgID, err)
	}
	return nil
}

// InsertOnboardingTemplate writes a new template (version 1) with its
// tasks, in their order; when it is the default, the previous default
// stops being one.
func InsertOnboardingTemplate(ctx context.Context, tx bun.Tx, t *OnboardingTemplate, tasks []OnboardingTemplateTask) error {
	if t.ID == uuid.Nil {
		t.ID = NewID()
	}
	t.Version = 1
	if err := lockOrgTemplates(ctx, tx, t.OrganizationID); err != nil {
		return err
	}
	if t.IsDefault {
		if err := takeDefault(ctx, tx, t.OrganizationID, t.ID); err != nil {
			return err
		}
	}
	if _, err := tx.NewInsert().Model(t).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return templateWriteError(err, "insert onboarding template %q", t.Name)
	}
	return insertTemplateTasks(ctx, tx, t, tasks)
}

// OnboardingTemplateForUpdate locks and returns a template of any
// organization; the caller checks access. It takes the organization's
// template lock first, as InsertOnboardingTemplate does, so a change of
// default never waits on a row another transaction holds while that one
// waits on the lock.
func OnboardingTemplateForUpdate(ctx context.Context, tx bun.Tx, id uuid.UUID) (*OnboardingTemplate, error) {
	var orgID uuid.UUID
	err := tx.NewSelect().Model((*OnboardingTemplate)(nil)).Column("organization_id").Where("id = ?", id).Scan(ctx, &orgID)
	if err != nil {
		return nil, notFound(err, "onboarding template %s", id)
	}
	if err := lockOrgTemplates(ctx, tx, orgID); err != nil {
		return nil, err
	}
	var t OnboardingTemplate
	if err := tx.NewSelect().Model(&t).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "onboarding template %s", id)
	}
	return &t, nil
}

// OnboardingTemplateByID returns a template of any organization; the
// caller checks access.
func OnboardingTemplateByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*OnboardingTemplate, error) {
	var t OnboardingTemplate
	if err := idb.NewSelect().Model(&t).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "onboarding template %s", id)
	}
	return &t, nil
}

// ReplaceOnboardingTemplate stores t's new fields and tasks over the
// stored template, locked by OnboardingTemplateForUpdate, and bumps its
// version. expectedVersion, when not
// nil, must be the stored version (else ErrTemplateVersionStale); an
// archived template is ErrTemplateArchived.
func ReplaceOnboardingTemplate(ctx context.Context, tx bun.Tx, stored, t *OnboardingTemplate, expectedVersion *int, tasks []OnboardingTemplateTask) error {
	if stored.ArchivedAt != nil {
		return fmt.Errorf("onboarding template %s: %w", stored.ID, ErrTemplateArchived)
	}
	if expectedVersion != nil && *expectedVersion != stored.Version {
		return fmt.Errorf("onboarding template %s at version %d, edited %d: %w", stored.ID, stored.Version, *expectedVersion, ErrTemplateVersionStale)
	}
	if t.IsDefault {
		if err := takeDefault(ctx, tx, stored.OrganizationID, stored.ID); err != nil {
			return err
		}
	}
	t.ID, t.OrganizationID, t.Version, t.CreatedAt = stored.ID, stored.OrganizationID, stored.Version+1, stored.CreatedAt
	_, err := tx.NewUpdate().Model(t).Column("name", "description", "job_role", "is_default", "completion_badge_id", "buddy_points", "version").
		Set("updated_at = now()").WherePK().Returning("updated_at").Exec(ctx)
	if err != nil {
		return templateWriteError(err, "update onboarding template %s", t.ID)
	}
	if _, err := tx.NewDelete().Model((*OnboardingTemplateTask)(nil)).Where("template_id = ?", t.ID).Exec(ctx); err != nil {
		return fmt.Errorf("drop the tasks of onboarding template %s: %w", t.ID, err)
	}
	return insertTemplateTasks(ctx, tx, t, tasks)
}

// templateWriteError names the unique name or role a template write
// collided with.
func templateWriteError(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	switch {
	case IsUniqueViolation(err, "onboarding_templates_name_key"):
		return fmt.Errorf("%s: %w", what, ErrTemplateNameTaken)
	case IsUniqueViolation(err, "onboarding_templates_role_key"):
		return fmt.Errorf("%s: %w", what, ErrTemplateRoleTaken)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// insertTemplateTasks writes tasks as t's, numbering their positions in
// order.
func insertTemplateTasks(ctx context.Context, tx bun.Tx, t *OnboardingTemplate, tasks []OnboardingTemplateTask) error {
	for i := range tasks {
		tasks[i].ID, tasks[i].OrganizationID, tasks[i].TemplateID, tasks[i].Position = NewID(), t.OrganizationID, t.ID, i+1
	}
	if len(tasks) == 0 {
		return nil
	}
	if _, err := tx.NewInsert().Model(&tasks).Exec(ctx); err != nil {
		return fmt.Errorf("insert the tasks of onboarding template %s: %w", t.ID, err)
	}
	return nil
}

// ArchiveOnboardingTemplate archives a template locked by
// OnboardingTemplateForUpdate, a no-op when it is
// archived already; the default template is ErrDefaultTemplate.
func ArchiveOnboardingTemplate(ctx context.Context, tx bun.Tx, t *OnboardingTemplate) error {
	if t.ArchivedAt != nil {
		return nil
	}
	if t.IsDefault {
		return fmt.Errorf("onboarding template %s: %w", t.ID, ErrDefaultTemplate)
	}
	err := tx.NewUpdate().Model(t).Set("archived_at = now()").Set("updated_at = now()").WherePK().
		Returning("archived_at, updated_at").Scan(ctx)
	if err != nil {
		return fmt.Errorf("archive onboarding template %s: %w", t.ID, err)
	}
	return nil
}

// OnboardingTemplatesPage lists an organization's templates by (name, id)
// after the given key, at most limit rows; archived ones only when asked.
func OnboardingTemplatesPage(ctx context.Context, idb bun.IDB, orgID uuid.UUID, archived bool, afterName string, afterID uuid.UUID, limit int) ([]OnboardingTemplate, error) {
	var ts []OnboardingTemplate
	q := idb.NewSelect().Model(&ts).Where("organization_id = ?", orgID)
	if !archived {
		q = q.Where("archived_at IS NULL")
	}
	if afterID != uuid.Nil {
		q = q.Where("(name, id) > (?, ?)", afterName, afterID)
	}
	if err := q.OrderExpr("name, id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list onboarding templates of %s: %w", orgID, err)
	}
	return ts, nil
}

// OnboardingTemplateTasks returns the tasks of the given templates, each
// template's in order.
func OnboardingTemplateTasks(ctx context.Context, idb bun.IDB, templateIDs ...uuid.UUID) (map[uuid.UUID][]OnboardingTemplateTask, error) {
	out := make(map[uuid.UUID][]OnboardingTemplateTask, len(templateIDs))
	if len(templateIDs) == 0 {
		return out, nil
	}
	var tasks []OnboardingTemplateTask
	err := idb.NewSelect().Model(&tasks).Where("template_id IN (?)", bun.In(templateIDs)).OrderExpr("template_id, position").Scan(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("load onboarding template tasks: %w", err)
	}
	for _, task := range tasks {
		out[task.TemplateID] = append(out[task.TemplateID], task)
	}
	return out, nil
}
