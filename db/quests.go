package db

// Quests and their tasks as authors write them. A quest's tasks change
// only while it is a draft; positions stay 0..n-1 in the order shown.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// ErrQuestNotDraft: the quest's tasks change only while it is a draft.
var ErrQuestNotDraft = errors.New("the quest is no longer a draft: its tasks are fixed")

// ErrQuestCapacity: max_participants would be below the members already
// holding a place.
var ErrQuestCapacity = errors.New("max_participants is below the members already in the quest")

// QuestFilter narrows an organization's quest list.
type QuestFilter struct {
	OrganizationID uuid.UUID
	// Featured, when set, keeps only featured (true) or other quests.
	Featured *bool
	// Category "" keeps every category.
	Category string
	// ConferenceID, when set, keeps that conference's quests.
	ConferenceID *uuid.UUID
	// WithDrafts shows drafts too (the organization's authors).
	WithDrafts bool
}

// InsertQuest writes a new quest.
func InsertQuest(ctx context.Context, idb bun.IDB, q *Quest) error {
	_, err := idb.NewInsert().Model(q).Returning("*").Exec(ctx)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" && q.ConferenceID != nil {
		return fmt.Errorf("insert quest %q of conference %s: %w", q.Title, *q.ConferenceID, ErrConferenceNotInOrg)
	}
	if err != nil {
		return fmt.Errorf("insert quest %q: %w", q.Title, err)
	}
	return nil
}

// QuestByID loads a quest; ErrNotFound when there is none.
func QuestByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Quest, error) {
	q := new(Quest)
	if err := idb.NewSelect().Model(q).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "quest %s", id)
	}
	return q, nil
}

// QuestForUpdate loads and locks a quest for the rest of tx: task
// positions and status changes of one quest go one at a time.
func QuestForUpdate(ctx context.Context, tx bun.Tx, id uuid.UUID) (*Quest, error) {
	q := new(Quest)
	if err := tx.NewSelect().Model(q).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "quest %s", id)
	}
	return q, nil
}

// UpdateQuestSettings writes q's editable settings (not its status,
// conference or tasks). ErrQuestCapacity when max_participants is below
// the members already in.
func UpdateQuestSettings(ctx context.Context, idb bun.IDB, q *Quest) error {
	_, err := idb.NewUpdate().Model(q).
		Column("title", "description", "category", "featured", "points", "requires_approval", "recurrence",
			"starts_at", "ends_at", "max_participants", "retry_cooldown_seconds", "review_sla_hours").
		Set("updated_at = now()").WherePK().Returning("*").Exec(ctx)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.ConstraintName == "quests_capacity" {
		return fmt.Errorf("update quest %s: %w", q.ID, ErrQuestCapacity)
	}
	if err != nil {
		return fmt.Errorf("update quest %s: %w", q.ID, err)
	}
	return nil
}

// SetQuestStatus moves q to status (published or archived), stamping when.
func SetQuestStatus(ctx context.Context, idb bun.IDB, q *Quest, status string, at time.Time) error {
	q.Status = status
	switch status {
	case enums.QuestPublished:
		q.PublishedAt = &at
	case enums.QuestArchived:
		q.ArchivedAt = &at
	}
	_, err := idb.NewUpdate().Model(q).Column("status", "published_at", "archived_at").
		Set("updated_at = now()").WherePK().Returning("*").Exec(ctx)
	if err != nil {
		return fmt.Errorf("set quest %s %s: %w", q.ID, status, err)
	}
	return nil
}

// QuestsPage returns up to limit quests of f, newest start first, after
// the row (lastStart, lastID) of the previous page (zero on the first).
func QuestsPage(ctx context.Context, idb bun.IDB, f QuestFilter, lastStart time.Time, lastID uuid.UUID, limit int) ([]Quest, error) {
	var rows []Quest
	q := idb.NewSelect().Model(&rows).Where("organization_id = ?", f.OrganizationID)
	if !f.WithDrafts {
		q.Where("status <> ?", enums.QuestDraft)
	}
	if f.Featured != nil {
		q.Where("featured = ?", *f.Featured)
	}
	if f.Category != "" {
		q.Where("category = ?", f.Category)
	}
	if f.ConferenceID != nil {
		q.Where("conference_id = ?", *f.ConferenceID)
	}
	if lastID != uuid.Nil {
		q.Where("(starts_at, id) < (?, ?)", lastStart, lastID)
	}
	if err := q.OrderExpr("starts_at DESC, id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list quests of %s: %w", f.OrganizationID, err)
	}
	return rows, nil
}

// QuestTasks returns a quest's tasks by position.
func QuestTasks(ctx context.Context, idb bun.IDB, questID uuid.UUID) ([]QuestTask, error) {
	var rows []QuestTask
	if err := idb.NewSelect().Model(&rows).Where("quest_id = ?", questID).Order("position").Scan(ctx); err != nil {
		return nil, fmt.Errorf("tasks of quest %s: %w", questID, err)
	}
	return rows, nil
}

// QuestTaskByID loads a task; ErrNotFound when there is none.
func QuestTaskByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*QuestTask, error) {
	t := new(QuestTask)
	if err := idb.NewSelect().Model(t).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "quest task %s", id)
	}
	return t, nil
}

// AppendQuestTask writes t after the quest's last task. The caller holds
// the quest's lock (QuestForUpdate) and has checked it is a draft.
func AppendQuestTask(ctx context.Context, tx bun.Tx, t *QuestTask) error {
	n, err := tx.NewSelect().Model((*QuestTask)(nil)).Where("quest_id = ?", t.QuestID).Count(ctx)
	if err != nil {
		return fmt.Errorf("count tasks of quest %s: %w", t.QuestID, err)
	}
	t.Position = int(n)
	if _, err := tx.NewInsert().Model(t).Returning("*").Exec(ctx); err != nil {
		return fmt.Errorf("insert task %q of quest %s: %w", t.Title, t.QuestID, err)
	}
	return nil
}

// UpdateQuestTask writes t's title, description, required flag, config
// and code hash, and moves it to position (clamped to the last place)
// when that is set, shifting the tasks between by one. The caller holds
// the quest's lock; the unique position constraint is checked at commit.
func UpdateQuestTask(ctx context.Context, tx bun.Tx, t *QuestTask, position *int) error {
	if position != nil && *position != t.Position {
		if err := moveQuestTask(ctx, tx, t, *position); err != nil {
			return err
		}
	}
	_, err := tx.NewUpdate().Model(t).Column("title", "description", "required", "config", "code_hash", "position").
		Set("updated_at = now()").WherePK().Returning("*").Exec(ctx)
	if err != nil {
		return fmt.Errorf("update quest task %s: %w", t.ID, err)
	}
	return nil
}

func moveQuestTask(ctx context.Context, tx bun.Tx, t *QuestTask, to int) error {
	n, err := tx.NewSelect().Model((*QuestTask)(nil)).Where("quest_id = ?", t.QuestID).Count(ctx)
	if err != nil {
		return fmt.Errorf("count tasks of quest %s: %w", t.QuestID, err)
	}
	to = min(to, int(n)-1)
	shift := tx.NewUpdate().Model((*QuestTask)(nil)).Where("quest_id = ? AND id <> ?", t.QuestID, t.ID)
	if to < t.Position {
		shift.Set("position = position + 1").Where("position >= ? AND position < ?", to, t.Position)
	} else {
		shift.Set("position = position - 1").Where("position > ? AND position <= ?", t.Position, to)
	}
	if _, err := shift.Exec(ctx); err != nil {
		return fmt.Errorf("move quest task %s to %d: %w", t.ID, to, err)
	}
	t.Position = to
	return nil
}

// DeleteQuestTask removes t and closes the gap behind it. The caller
// holds the quest's lock and has checked it is a draft.
func DeleteQuestTask(ctx context.Context, tx bun.Tx, t *QuestTask) error {
	if _, err := tx.NewDelete().Model(t).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("delete quest task %s: %w", t.ID, err)
	}
	_, err := tx.NewUpdate().Model((*QuestTask)(nil)).Set("position = position - 1").
		Where("quest_id = ? AND position > ?", t.QuestID, t.Position).Exec(ctx)
	if err != nil {
		return fmt.Errorf("close the gap of quest task %s: %w", t.ID, err)
	}
	return nil
}

// OpenQuestMembers are the members whose registration to the quest is
// pending or approved: the runs an archive must close.
func OpenQuestMembers(ctx context.Context, idb bun.IDB, questID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := idb.NewSelect().Model((*QuestRegistration)(nil)).Column("user_id").
		Where("quest_id = ? AND status IN (?)", questID, bun.In([]string{enums.RegistrationPending, enums.RegistrationApproved})).
		Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("open members of quest %s: %w", questID, err)
	}
	return ids, nil
}

// ErrConferenceNotInOrg: a quest's conference must be its organization's.
var ErrConferenceNotInOrg = errors.New("no such conference in this organization")

// QuestConference is the conference a quest belongs to, as the quest
// handlers need it: whose it is and what it is called.
type QuestConference struct {
	ID             uuid.UUID `bun:"id,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid"`
	Name           string    `bun:"name"`
}

// QuestConferenceByID loads the conference of a quest (or of a conference
// leaderboard); ErrNotFound when there is none.
func QuestConferenceByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*QuestConference, error) {
	c := new(QuestConference)
	err := idb.NewSelect().TableExpr("conferences").Column("id", "organization_id", "name").Where("id = ?", id).Scan(ctx, c)
	if err != nil {
		return nil, notFound(err, "conference %s", id)
	}
	return c, nil
}
