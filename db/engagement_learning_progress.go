package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// A member's side of learning paths: quiz attempts, module and milestone
// completions (unique per member, so a repeat records nothing) and the
// progress row of each enrollment.

// QuizAttempt is one graded submission of a quiz, passed or not.
type QuizAttempt struct {
	bun.BaseModel `bun:"table:quiz_attempts,alias:qa"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	ModuleID       uuid.UUID `bun:"module_id,type:uuid,notnull"`
	UserID         uuid.UUID `bun:"user_id,type:uuid,notnull"`
	Answers        []int     `bun:"answers,array,notnull"`
	Score          int       `bun:"score,notnull"`
	Passed         bool      `bun:"passed,notnull"`
	CreatedAt      time.Time `bun:"created_at,nullzero,notnull,default:now()"`
}

// PathProgress is a member's enrollment in a path: Progress 0-100, and
// CompletedAt once it reaches 100.
type PathProgress struct {
	bun.BaseModel `bun:"table:learning_path_progress,alias:lpp"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	PathID         uuid.UUID  `bun:"path_id,type:uuid,notnull"`
	UserID         uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	Status         string     `bun:"status,notnull"`
	Progress       int        `bun:"progress,notnull"`
	StartedAt      time.Time  `bun:"started_at,nullzero,notnull,default:now()"`
	CompletedAt    *time.Time `bun:"completed_at"`
	UpdatedAt      time.Time  `bun:"updated_at,nullzero,notnull,default:now()"`
}

// ModuleCompletion records that a member finished a module; QuizScore is
// the passing score of a quiz, nil for a lesson.
type ModuleCompletion struct {
	bun.BaseModel `bun:"table:module_completions,alias:mc"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	PathID         uuid.UUID `bun:"path_id,type:uuid,notnull"`
	ModuleID       uuid.UUID `bun:"module_id,type:uuid,notnull"`
	UserID         uuid.UUID `bun:"user_id,type:uuid,notnull"`
	QuizScore      *int      `bun:"quiz_score"`
	CompletedAt    time.Time `bun:"completed_at,nullzero,notnull,default:now()"`
}

// MilestoneCompletion records that a member finished a milestone.
type MilestoneCompletion struct {
	bun.BaseModel `bun:"table:milestone_completions,alias:msc"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	PathID         uuid.UUID `bun:"path_id,type:uuid,notnull"`
	MilestoneID    uuid.UUID `bun:"milestone_id,type:uuid,notnull"`
	UserID         uuid.UUID `bun:"user_id,type:uuid,notnull"`
	CompletedAt    time.Time `bun:"completed_at,nullzero,notnull,default:now()"`
}

// InsertQuizAttempt records a graded attempt.
func InsertQuizAttempt(ctx context.Context, idb bun.IDB, a *QuizAttempt) error {
	if a.ID == uuid.Nil {
		a.ID = NewID()
	}
	if _, err := idb.NewInsert().Model(a).Returning("created_at").Exec(ctx); err != nil {
		return fmt.Errorf("record attempt of %s: %w", a.ModuleID, err)
	}
	return nil
}

// EnrollInPath creates the member's progress row unless it exists, and
// returns the row.
func EnrollInPath(ctx context.Context, idb bun.IDB, orgID, pathID, userID uuid.UUID) (*PathProgress, error) {
	p := &PathProgress{ID: NewID(), OrganizationID: orgID, PathID: pathID, UserID: userID, Status: "enrolled"}
	if _, err := idb.NewInsert().Model(p).On("CONFLICT (path_id, user_id) DO NOTHING").Exec(ctx); err != nil {
		return nil, fmt.Errorf("enroll %s in %s: %w", userID, pathID, err)
	}
	return PathProgressOf(ctx, idb, pathID, userID, false)
}

// PathProgressOf returns the member's progress row in a path, ErrNotFound
// if they are not enrolled; forUpdate locks it, which serializes the
// member's completions in the path.
func PathProgressOf(ctx context.Context, idb bun.IDB, pathID, userID uuid.UUID, forUpdate bool) (*PathProgress, error) {
	var p PathProgress
	q := idb.NewSelect().Model(&p).Where("path_id = ? AND user_id = ?", pathID, userID)
	if forUpdate {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("progress of %s in %s: %w", userID, pathID, ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("progress of %s in %s: %w", userID, pathID, err)
	}
	return &p, nil
}

// UpdatePathProgress stores p's status and progress; a completed row gets
// its completed_at from the database clock.
func UpdatePathProgress(ctx context.Context, idb bun.IDB, p *PathProgress) error {
	_, err := idb.NewUpdate().Model(p).Column("status", "progress").
		Set("completed_at = CASE WHEN ? = 'completed' THEN coalesce(completed_at, clock_timestamp()) END", p.Status).
		Set("updated_at = now()").WherePK().Returning("completed_at, updated_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("update progress %s: %w", p.ID, err)
	}
	return nil
}

// InsertModuleCompletion records c unless the member completed the module
// already, and reports whether this call recorded it.
func InsertModuleCompletion(ctx context.Context, idb bun.IDB, c *ModuleCompletion) (bool, error) {
	if c.ID == uuid.Nil {
		c.ID = NewID()
	}
	res, err := idb.NewInsert().Model(c).On("CONFLICT (module_id, user_id) DO NOTHING").Exec(ctx)
	return insertedOne(res, err, "complete module "+c.ModuleID.String())
}

// InsertMilestoneCompletion records c unless the member completed the
// milestone already, and reports whether this call recorded it.
func InsertMilestoneCompletion(ctx context.Context, idb bun.IDB, c *MilestoneCompletion) (bool, error) {
	if c.ID == uuid.Nil {
		c.ID = NewID()
	}
	res, err := idb.NewInsert().Model(c).On("CONFLICT (milestone_id, user_id) DO NOTHING").Exec(ctx)
	return insertedOne(res, err, "complete milestone "+c.MilestoneID.String())
}

func insertedOne(res sql.Result, err error, what string) (bool, error) {
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return n == 1, nil
}

// ProgressPage lists a member's enrollments in an organization by
// (started_at, id) after the given row, limit rows.
func ProgressPage(ctx context.Context, idb bun.IDB, orgID, userID uuid.UUID, afterAt time.Time, afterID uuid.UUID, limit int) ([]PathProgress, error) {
	var out []PathProgress
	q := idb.NewSelect().Model(&out).Where("organization_id = ? AND user_id = ?", orgID, userID)
	if afterID != uuid.Nil {
		q = q.Where("(started_at, id) > (?, ?)", afterAt, afterID)
	}
	if err := q.Order("started_at", "id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("progress of %s: %w", userID, err)
	}
	return out, nil
}

// CompletionsOf returns the IDs of the member's completed modules and
// milestones in each of the paths, each list in completion order.
func CompletionsOf(ctx context.Context, idb bun.IDB, userID uuid.UUID, pathIDs ...uuid.UUID) (modules, milestones map[uuid.UUID][]uuid.UUID, err error) {
	modules, milestones = map[uuid.UUID][]uuid.UUID{}, map[uuid.UUID][]uuid.UUID{}
	if len(pathIDs) == 0 {
		return modules, milestones, nil
	}
	var mods []ModuleCompletion
	if err := idb.NewSelect().Model(&mods).Where("user_id = ? AND path_id IN (?)", userID, bun.In(pathIDs)).
		Order("completed_at", "id").Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("module completions of %s: %w", userID, err)
	}
	for _, c := range mods {
		modules[c.PathID] = append(modules[c.PathID], c.ModuleID)
	}
	var mss []MilestoneCompletion
	if err := idb.NewSelect().Model(&mss).Where("user_id = ? AND path_id IN (?)", userID, bun.In(pathIDs)).
		Order("completed_at", "id").Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("milestone completions of %s: %w", userID, err)
	}
	for _, c := range mss {
		milestones[c.PathID] = append(milestones[c.PathID], c.MilestoneID)
	}
	return modules, milestones, nil
}
