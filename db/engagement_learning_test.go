package db_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
)

// learningPath stores a draft path of orgID with two lessons, the second
// requiring the first.
func learningPath(t *testing.T, d *db.DB, orgID uuid.UUID) (*db.LearningPath, []db.LearningModule) {
	t.Helper()
	ctx := context.Background()
	p := &db.LearningPath{ID: db.NewID(), OrganizationID: orgID, Title: "Path", Status: enums.PathDraft}
	require.NoError(t, db.InsertLearningPath(ctx, d, p, nil))
	first := db.LearningModule{ID: db.NewID(), OrganizationID: orgID, PathID: p.ID, Position: 0, Title: "One", Kind: enums.ModuleLesson}
	second := db.LearningModule{ID: db.NewID(), OrganizationID: orgID, PathID: p.ID, Position: 1, Title: "Two", Kind: enums.ModuleLesson,
		Prerequisites: []string{first.ID.String()}}
	for _, m := range []*db.LearningModule{&first, &second} {
		require.NoError(t, d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error { return db.SaveLearningModule(ctx, tx, m, false) }))
	}
	return p, []db.LearningModule{first, second}
}

func TestLearningModules_PrerequisitesAreEarlierModulesOfThePath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, _ := ledgerMember(t, d)
	p, modules := learningPath(t, d, orgID)
	other, otherModules := learningPath(t, d, orgID)
	require.NotEqual(t, p.ID, other.ID)

	save := func(m db.LearningModule, exists bool) error {
		return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error { return db.SaveLearningModule(ctx, tx, &m, exists) })
	}
	later := modules[0]
	later.Position = 5
	assert.ErrorIs(t, save(later, true), db.ErrModulePrerequisites, "the first module cannot move after the one requiring it")
	cycle := modules[0]
	cycle.Prerequisites = []string{modules[1].ID.String()}
	assert.ErrorIs(t, save(cycle, true), db.ErrModulePrerequisites, "a later module is no prerequisite")
	foreign := db.LearningModule{ID: db.NewID(), OrganizationID: orgID, PathID: p.ID, Position: 2, Title: "Three",
		Kind: enums.ModuleLesson, Prerequisites: []string{otherModules[0].ID.String()}}
	assert.ErrorIs(t, save(foreign, false), db.ErrModulePrerequisites, "another path's module is no prerequisite")
	taken := db.LearningModule{ID: db.NewID(), OrganizationID: orgID, PathID: p.ID, Position: 1, Title: "Dup", Kind: enums.ModuleLesson}
	assert.ErrorIs(t, save(taken, false), db.ErrModulePositionTaken)
}

func TestLearningProgress_CompletedNeedsFullProgressAfterStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, userID := ledgerMember(t, d)
	p, _ := learningPath(t, d, orgID)
	progress, err := db.EnrollInPath(ctx, d, orgID, p.ID, userID)
	require.NoError(t, err)
	again, err := db.EnrollInPath(ctx, d, orgID, p.ID, userID)
	require.NoError(t, err)
	assert.Equal(t, progress.ID, again.ID, "enrolling twice keeps one row")

	progress.Status, progress.Progress = enums.ProgressCompleted, 99
	var pgErr *pgconn.PgError
	require.ErrorAs(t, db.UpdatePathProgress(ctx, d, progress), &pgErr)
	assert.Equal(t, "learning_path_progress_completed", pgErr.ConstraintName)
	_, err = d.NewUpdate().Model((*db.PathProgress)(nil)).Set("status = 'completed', progress = 100, completed_at = started_at").
		Where("id = ?", progress.ID).Exec(ctx)
	require.ErrorAs(t, err, &pgErr)
	assert.Equal(t, "learning_path_progress_completed", pgErr.ConstraintName)
	progress.Progress = 100
	require.NoError(t, db.UpdatePathProgress(ctx, d, progress))
	require.NotNil(t, progress.CompletedAt)
	assert.True(t, progress.CompletedAt.After(progress.StartedAt))
}

func TestLearningModules_CompositeKeysKeepOneOrganization(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgA, userID := ledgerMember(t, d)
	orgB, _ := ledgerMember(t, d)
	p, modules := learningPath(t, d, orgA)
	_, err := d.NewInsert().Model(&db.ModuleCompletion{ID: db.NewID(), OrganizationID: orgB, PathID: p.ID,
		ModuleID: modules[0].ID, UserID: userID}).Exec(ctx)
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr)
	assert.Equal(t, "23503", pgErr.Code, "a completion filed under another organization is refused")
}
