package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// TrackedLinkTask loads the url_visit task a tracked link points at, only
// while its quest is published: ErrNotFound for any other task, a draft or
// an archived quest.
func TrackedLinkTask(ctx context.Context, idb bun.IDB, taskID uuid.UUID) (*QuestTask, error) {
	t := new(QuestTask)
	err := idb.NewSelect().Model(t).
		Join("JOIN quests AS qst ON qst.organization_id = qtk.organization_id AND qst.id = qtk.quest_id").
		Where("qtk.id = ? AND qtk.kind = ? AND qst.status = ?", taskID, enums.TaskKindURLVisit, enums.QuestPublished).
		Scan(ctx)
	if err != nil {
		return nil, notFound(err, "tracked link task %s", taskID)
	}
	return t, nil
}

// RecordLinkVisit records that userID followed the task's tracked link;
// following it again changes nothing. ErrNotFound when the task or the
// user is gone (or the task is not orgID's).
func RecordLinkVisit(ctx context.Context, idb bun.IDB, orgID, taskID, userID uuid.UUID) error {
	_, err := idb.NewInsert().Model(&QuestLinkVisit{OrganizationID: orgID, QuestTaskID: taskID, UserID: userID}).
		On("CONFLICT (quest_task_id, user_id) DO NOTHING").
		Exec(ctx)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return fmt.Errorf("record visit of %s to task %s (%s): %w", userID, taskID, pgErr.ConstraintName, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("record visit of %s to task %s: %w", userID, taskID, err)
	}
	return nil
}

// HasVisited reports whether userID followed the task's tracked link: the
// url_visit verifier's Check.Visited.
func HasVisited(ctx context.Context, idb bun.IDB, taskID, userID uuid.UUID) (bool, error) {
	ok, err := idb.NewSelect().Model((*QuestLinkVisit)(nil)).
		Where("quest_task_id = ? AND user_id = ?", taskID, userID).
		Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("has %s visited task %s: %w", userID, taskID, err)
	}
	return ok, nil
}
