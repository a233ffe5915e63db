package db_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
)

// questWithTask stores a quest in the status given with one task of kind.
func questWithTask(t *testing.T, d *db.DB, orgID uuid.UUID, status, kind string, config string) *db.QuestTask {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	q := &db.Quest{ID: db.NewID(), OrganizationID: orgID, Title: "Visit the booths", Points: 10,
		Recurrence: enums.RecurrenceNone, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(24 * time.Hour),
		ReviewSLAHours: 24, Status: status}
	if status == enums.QuestPublished {
		q.PublishedAt = &now
	}
	_, err := d.NewInsert().Model(q).Exec(ctx)
	require.NoError(t, err)
	task := &db.QuestTask{ID: db.NewID(), OrganizationID: orgID, QuestID: q.ID, Position: 0, Kind: kind,
		Title: "Open the sponsor page", Required: true, Config: json.RawMessage(config)}
	_, err = d.NewInsert().Model(task).Exec(ctx)
	require.NoError(t, err)
	return task
}

// TestTrackedLinkTask_OnlyAPublishedQuestsURLVisitTask: a tracked link
// resolves to a url_visit task of a published quest, and to nothing else.
func TestTrackedLinkTask_OnlyAPublishedQuestsURLVisitTask(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, _ := ledgerMember(t, d)
	page := `{"url":"https://convene.dev/booth"}`

	published := questWithTask(t, d, orgID, enums.QuestPublished, enums.TaskKindURLVisit, page)
	got, err := db.TrackedLinkTask(ctx, d, published.ID)
	require.NoError(t, err)
	assert.Equal(t, published.ID, got.ID)
	assert.Equal(t, orgID, got.OrganizationID)
	assert.JSONEq(t, page, string(got.Config))

	for name, id := range map[string]uuid.UUID{
		"draft quest":    questWithTask(t, d, orgID, enums.QuestDraft, enums.TaskKindURLVisit, page).ID,
		"archived quest": questWithTask(t, d, orgID, enums.QuestArchived, enums.TaskKindURLVisit, page).ID,
		"quiz task": questWithTask(t, d, orgID, enums.QuestPublished, enums.TaskKindQuiz,
			`{"questions":[{"prompt":"Q","options":["a","b"],"answer":0}]}`).ID,
		"no such task": db.NewID(),
	} {
		_, err := db.TrackedLinkTask(ctx, d, id)
		assert.ErrorIs(t, err, db.ErrNotFound, name)
	}
}

// TestRecordLinkVisit_OncePerMemberAndTask: following the link ten times
// at once leaves one visit; a task that does not exist (or is another
// organization's) is ErrNotFound; HasVisited sees the visit for that
// member and task only.
func TestRecordLinkVisit_OncePerMemberAndTask(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, userID := ledgerMember(t, d)
	_, otherUser := ledgerMember(t, d)
	task := questWithTask(t, d, orgID, enums.QuestPublished, enums.TaskKindURLVisit, `{"url":"https://convene.dev"}`)
	otherTask := questWithTask(t, d, orgID, enums.QuestPublished, enums.TaskKindURLVisit, `{"url":"https://convene.dev"}`)

	visited, err := db.HasVisited(ctx, d, task.ID, userID)
	require.NoError(t, err)
	assert.False(t, visited)

	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- db.RecordLinkVisit(ctx, d, orgID, task.ID, userID)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	n, err := d.NewSelect().Model((*db.QuestLinkVisit)(nil)).Where("quest_task_id = ?", task.ID).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)

	err = db.RecordLinkVisit(ctx, d, orgID, db.NewID(), userID)
	require.ErrorIs(t, err, db.ErrNotFound, "no such task")
	otherOrg, _ := ledgerMember(t, d)
	err = db.RecordLinkVisit(ctx, d, otherOrg, task.ID, otherUser)
	require.ErrorIs(t, err, db.ErrNotFound, "the task is not the other organization's")

	for _, c := range []struct {
		task, user uuid.UUID
		want       bool
	}{{task.ID, userID, true}, {task.ID, otherUser, false}, {otherTask.ID, userID, false}} {
		visited, err := db.HasVisited(ctx, d, c.task, c.user)
		require.NoError(t, err)
		assert.Equal(t, c.want, visited)
	}
}
