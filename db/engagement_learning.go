package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
)

// Learning paths (migration 20261204000600_engagement_learning): the
// paths, milestones, modules and quiz questions owners and admins write.
// Members' attempts, completions and progress are in
// engagement_learning_progress.go.

// LearningPath is an ordered course of modules; its modules change only
// while it is a draft.
type LearningPath struct {
	bun.BaseModel `bun:"table:learning_paths,alias:lp"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	Title          string     `bun:"title,notnull"`
	Description    string     `bun:"description,notnull"`
	Status         string     `bun:"status,notnull"`
	PointsReward   int        `bun:"points_reward,notnull"`
	CreatedBy      *uuid.UUID `bun:"created_by,type:uuid"`
	PublishedAt    *time.Time `bun:"published_at"`
	ArchivedAt     *time.Time `bun:"archived_at"`
	Timestamps
}

// LearningMilestone groups modules of a path; members mark it done with
// CompleteMilestone once its modules are done.
type LearningMilestone struct {
	bun.BaseModel `bun:"table:learning_path_milestones,alias:lpm"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	PathID         uuid.UUID `bun:"path_id,type:uuid,notnull"`
	Position       int       `bun:"position,notnull"`
	Title          string    `bun:"title,notnull"`
	CreatedAt      time.Time `bun:"created_at,nullzero,notnull,default:now()"`
}

// LearningModule is a lesson or a quiz of a path. Prerequisites are IDs of
// modules of the same path at lower positions (a trigger checks them).
type LearningModule struct {
	bun.BaseModel `bun:"table:learning_modules,alias:lm"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	PathID         uuid.UUID  `bun:"path_id,type:uuid,notnull"`
	MilestoneID    *uuid.UUID `bun:"milestone_id,type:uuid"`
	Position       int        `bun:"position,notnull"`
	Title          string     `bun:"title,notnull"`
	Body           string     `bun:"body,notnull"`
	Kind           string     `bun:"kind,notnull"`
	PointsReward   int        `bun:"points_reward,notnull"`
	PassingScore   int        `bun:"passing_score,notnull"`
	Prerequisites  []string   `bun:"prerequisites,type:uuid[],array,notnull"`
	Timestamps
}

// QuizQuestion is one multiple-choice question of a quiz module.
// CorrectOption is for grading only: it is never sent to a client.
type QuizQuestion struct {
	bun.BaseModel `bun:"table:quiz_questions,alias:qq"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	ModuleID       uuid.UUID `bun:"module_id,type:uuid,notnull"`
	Position       int       `bun:"position,notnull"`
	Prompt         string    `bun:"prompt,notnull"`
	Options        []string  `bun:"options,array,notnull"`
	CorrectOption  int       `bun:"correct_option,notnull"`
	Points         int       `bun:"points,notnull"`
	CreatedAt      time.Time `bun:"created_at,nullzero,notnull,default:now()"`
}

// Typed refusals of a module write, for the API to name the field.
var (
	// ErrModulePositionTaken: another module of the path has the position.
	ErrModulePositionTaken = errors.New("another module of the path has this position")
	// ErrModulePrerequisites: a prerequisite is not an earlier module of
	// the path, or the module would move after a module requiring it.
	ErrModulePrerequisites = errors.New("prerequisites must be earlier modules of the same path")
)

// InsertLearningPath writes a path with its milestones (their positions
// are their order).
func InsertLearningPath(ctx context.Context, idb bun.IDB, p *LearningPath, milestones []LearningMilestone) error {
	if _, err := idb.NewInsert().Model(p).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert learning path: %w", err)
	}
	if len(milestones) == 0 {
		return nil
	}
	if _, err := idb.NewInsert().Model(&milestones).Exec(ctx); err != nil {
		return fmt.Errorf("insert milestones of path %s: %w", p.ID, err)
	}
	return nil
}

// LearningPathByID returns a path; forUpdate locks it until the
// transaction ends.
func LearningPathByID(ctx context.Context, idb bun.IDB, id uuid.UUID, forUpdate bool) (*LearningPath, error) {
	var p LearningPath
	q := idb.NewSelect().Model(&p).Where("id = ?", id)
	if forUpdate {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("learning path %s: %w", id, ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("learning path %s: %w", id, err)
	}
	return &p, nil
}

// UpdateLearningPathStatus stores p's status and its timestamps.
func UpdateLearningPathStatus(ctx context.Context, idb bun.IDB, p *LearningPath) error {
	_, err := idb.NewUpdate().Model(p).Column("status", "published_at", "archived_at").
		Set("updated_at = now()").WherePK().Returning("updated_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("update learning path %s: %w", p.ID, err)
	}
	return nil
}

// LearningPathsPage lists an organization's paths by (created_at, id)
// after the given row, limit rows; publishedOnly keeps published ones.
func LearningPathsPage(ctx context.Context, idb bun.IDB, orgID uuid.UUID, publishedOnly bool, afterAt time.Time, afterID uuid.UUID, limit int) ([]LearningPath, error) {
	var out []LearningPath
	q := idb.NewSelect().Model(&out).Where("organization_id = ?", orgID)
	if publishedOnly {
		q = q.Where("status = 'published'")
	}
	if afterID != uuid.Nil {
		q = q.Where("(created_at, id) > (?, ?)", afterAt, afterID)
	}
	if err := q.Order("created_at", "id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("learning paths of %s: %w", orgID, err)
	}
	return out, nil
}

// MilestonesOf returns the milestones of the paths in position order.
func MilestonesOf(ctx context.Context, idb bun.IDB, pathIDs ...uuid.UUID) ([]LearningMilestone, error) {
	var out []LearningMilestone
	if len(pathIDs) == 0 {
		return out, nil
	}
	err := idb.NewSelect().Model(&out).Where("path_id IN (?)", bun.In(pathIDs)).Order("path_id", "position").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("milestones: %w", err)
	}
	return out, nil
}

// ModulesOf returns the modules of the paths in position order.
func ModulesOf(ctx context.Context, idb bun.IDB, pathIDs ...uuid.UUID) ([]LearningModule, error) {
	var out []LearningModule
	if len(pathIDs) == 0 {
		return out, nil
	}
	err := idb.NewSelect().Model(&out).Where("path_id IN (?)", bun.In(pathIDs)).Order("path_id", "position").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("modules: %w", err)
	}
	return out, nil
}

// LearningModuleByID returns a module.
func LearningModuleByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*LearningModule, error) {
	var m LearningModule
	if err := idb.NewSelect().Model(&m).Where("id = ?", id).Scan(ctx); errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("learning module %s: %w", id, ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("learning module %s: %w", id, err)
	}
	return &m, nil
}

// SaveLearningModule inserts m, or updates it when exists. A position
// taken by another module is ErrModulePositionTaken; prerequisites the
// trigger refuses are ErrModulePrerequisites.
func SaveLearningModule(ctx context.Context, tx bun.Tx, m *LearningModule, exists bool) error {
	if m.Prerequisites == nil {
		m.Prerequisites = []string{}
	}
	// A refused statement would abort tx; the savepoint keeps it usable
	// so the caller can answer with the typed error.
	if _, err := tx.ExecContext(ctx, "SAVEPOINT save_module"); err != nil {
		return fmt.Errorf("save module %s: savepoint: %w", m.ID, err)
	}
	var err error
	if exists {
		_, err = tx.NewUpdate().Model(m).Column("milestone_id", "position", "title", "body", "kind", "points_reward",
			"passing_score", "prerequisites").Set("updated_at = now()").WherePK().Returning("created_at, updated_at").Exec(ctx)
	} else {
		_, err = tx.NewInsert().Model(m).Returning("created_at, updated_at").Exec(ctx)
	}
	if err == nil {
		_, err = tx.ExecContext(ctx, "RELEASE SAVEPOINT save_module")
		return err
	}
	if _, rbErr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT save_module"); rbErr != nil {
		return fmt.Errorf("save module %s: %w (rollback: %v)", m.ID, err, rbErr)
	}
	var pgErr *pgconn.PgError
	switch {
	case IsUniqueViolation(err, "learning_modules_path_id_position_key"):
		return fmt.Errorf("module position %d: %w", m.Position, ErrModulePositionTaken)
	case errors.As(err, &pgErr) && pgErr.ConstraintName == "learning_modules_prerequisites":
		return fmt.Errorf("module %s: %w", m.ID, ErrModulePrerequisites)
	}
	return fmt.Errorf("save module %s: %w", m.ID, err)
}

// ReplaceQuizQuestions makes qs the questions of the module, in order.
func ReplaceQuizQuestions(ctx context.Context, idb bun.IDB, moduleID uuid.UUID, qs []QuizQuestion) error {
	if _, err := idb.NewDelete().Model((*QuizQuestion)(nil)).Where("module_id = ?", moduleID).Exec(ctx); err != nil {
		return fmt.Errorf("clear quiz of %s: %w", moduleID, err)
	}
	if len(qs) == 0 {
		return nil
	}
	if _, err := idb.NewInsert().Model(&qs).Exec(ctx); err != nil {
		return fmt.Errorf("write quiz of %s: %w", moduleID, err)
	}
	return nil
}

// QuizQuestionsOf returns a module's questions in order.
func QuizQuestionsOf(ctx context.Context, idb bun.IDB, moduleID uuid.UUID) ([]QuizQuestion, error) {
	var out []QuizQuestion
	if err := idb.NewSelect().Model(&out).Where("module_id = ?", moduleID).Order("position").Scan(ctx); err != nil {
		return nil, fmt.Errorf("quiz of %s: %w", moduleID, err)
	}
	return out, nil
}

// QuizModulesWithoutQuestions returns the quiz modules of a path that have
// no question yet (a path cannot be published with one).
func QuizModulesWithoutQuestions(ctx context.Context, idb bun.IDB, pathID uuid.UUID) ([]uuid.UUID, error) {
	var out []uuid.UUID
	err := idb.NewSelect().Model((*LearningModule)(nil)).Column("id").
		Where("path_id = ? AND kind = 'quiz'", pathID).
		Where("NOT EXISTS (SELECT 1 FROM quiz_questions qq WHERE qq.module_id = lm.id)").Order("position").Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("quizzes without questions in %s: %w", pathID, err)
	}
	return out, nil
}

// LearningMilestoneByID returns a milestone.
func LearningMilestoneByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*LearningMilestone, error) {
	var ms LearningMilestone
	if err := idb.NewSelect().Model(&ms).Where("id = ?", id).Scan(ctx); errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("milestone %s: %w", id, ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("milestone %s: %w", id, err)
	}
	return &ms, nil
}
