package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// What the quest-run workflow's activities write: the member's place and
// registration, the submissions of each period and their verdicts, and the
// completions. Every function takes the caller's transaction, so an
// activity's changes, its audit row and its notices commit together.

// ErrQuestFull is returned by TakeQuestPlace when every place is taken.
var ErrQuestFull = errors.New("quest is full")

// QuestPeriod is the period (a date at 00:00 UTC) a quest of recurrence
// serves at at: a one-off quest has one, the UTC date of its start; a
// daily one the UTC date; a weekly one the Monday of the ISO week; a
// monthly one the month's first day.
func QuestPeriod(recurrence string, startsAt, at time.Time) time.Time {
	switch recurrence {
	case enums.RecurrenceDaily:
		return utcDate(at)
	case enums.RecurrenceWeekly:
		day := utcDate(at)
		// Monday is day 0 of an ISO week; Go counts from Sunday.
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case enums.RecurrenceMonthly:
		at = at.UTC()
		return time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return utcDate(startsAt)
}

// QuestPeriodEnd is when the period starting at period ends: the next
// period's start, or the quest's end if sooner (a one-off quest's only
// period ends with the quest).
func QuestPeriodEnd(recurrence string, period, endsAt time.Time) time.Time {
	var next time.Time
	switch recurrence {
	case enums.RecurrenceDaily:
		next = period.AddDate(0, 0, 1)
	case enums.RecurrenceWeekly:
		next = period.AddDate(0, 0, 7)
	case enums.RecurrenceMonthly:
		next = period.AddDate(0, 1, 0)
	default:
		return endsAt
	}
	if endsAt.Before(next) {
		return endsAt
	}
	return next
}

func utcDate(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// periodDate is a period as the date columns compare it.
func periodDate(period time.Time) string { return period.UTC().Format(time.DateOnly) }

// QuestOfRun returns the quest a run is about.
func QuestOfRun(ctx context.Context, idb bun.IDB, questID uuid.UUID) (*Quest, error) {
	var q Quest
	if err := idb.NewSelect().Model(&q).Where("qst.id = ?", questID).Scan(ctx); err != nil {
		return nil, notFound(err, "quest %s", questID)
	}
	return &q, nil
}

// QuestTasksOfRun lists a quest's tasks by position.
func QuestTasksOfRun(ctx context.Context, idb bun.IDB, questID uuid.UUID) ([]QuestTask, error) {
	var out []QuestTask
	if err := idb.NewSelect().Model(&out).Where("qtk.quest_id = ?", questID).OrderExpr("qtk.position").Scan(ctx); err != nil {
		return nil, fmt.Errorf("tasks of quest %s: %w", questID, err)
	}
	return out, nil
}

// QuestTaskOfRun returns one task of a quest (ErrNotFound for a task of
// another quest).
func QuestTaskOfRun(ctx context.Context, idb bun.IDB, questID, taskID uuid.UUID) (*QuestTask, error) {
	var t QuestTask
	if err := idb.NewSelect().Model(&t).Where("qtk.quest_id = ? AND qtk.id = ?", questID, taskID).Scan(ctx); err != nil {
		return nil, notFound(err, "task %s of quest %s", taskID, questID)
	}
	return &t, nil
}

// InsertQuestRegistration writes r unless the member already has a
// registration for the quest; it reports whether r was written.
func InsertQuestRegistration(ctx context.Context, idb bun.IDB, r *QuestRegistration) (bool, error) {
	if r.ID == uuid.Nil {
		r.ID = NewID()
	}
	res, err := idb.NewInsert().Model(r).On("CONFLICT (user_id, quest_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("register %s for quest %s: %w", r.UserID, r.QuestID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// QuestRegistrationOf returns a member's registration for a quest;
// forUpdate locks it, so decisions on one registration apply one at a
// time.
func QuestRegistrationOf(ctx context.Context, idb bun.IDB, questID, userID uuid.UUID, forUpdate bool) (*QuestRegistration, error) {
	var r QuestRegistration
	q := idb.NewSelect().Model(&r).Where("qreg.quest_id = ? AND qreg.user_id = ?", questID, userID)
	if forUpdate {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, notFound(err, "registration of %s for quest %s", userID, questID)
	}
	return &r, nil
}

// UpdateQuestRegistration writes the named columns of r (and updated_at).
func UpdateQuestRegistration(ctx context.Context, idb bun.IDB, r *QuestRegistration, columns ...string) error {
	if _, err := idb.NewUpdate().Model(r).Column(columns...).Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("update registration %s (%s): %w", r.ID, strings.Join(columns, ", "), err)
	}
	return nil
}

// TakeQuestPlace counts one more participant while a place is left, in
// one conditional statement: concurrent joins queue on the quest's row
// and each sees the count the previous one left, so no more than
// max_participants ever succeed. A full quest returns ErrQuestFull.
func TakeQuestPlace(ctx context.Context, idb bun.IDB, questID uuid.UUID) error {
	var count int
	err := idb.NewUpdate().Model((*Quest)(nil)).Set("participants_count = participants_count + 1").Set("updated_at = now()").
		Where("id = ? AND (max_participants IS NULL OR participants_count < max_participants)", questID).
		Returning("participants_count").Scan(ctx, &count)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("take a place in quest %s: %w", questID, ErrQuestFull)
	}
	if err != nil {
		return fmt.Errorf("take a place in quest %s: %w", questID, err)
	}
	return nil
}

// FreeQuestPlace gives back a place (a rejected or expired registration).
func FreeQuestPlace(ctx context.Context, idb bun.IDB, questID uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*Quest)(nil)).Set("participants_count = participants_count - 1").Set("updated_at = now()").
		Where("id = ? AND participants_count > 0", questID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("free a place in quest %s: %w", questID, err)
	}
	return nil
}

// UserQuestTaskOf returns a member's row of a task in a period; forUpdate
// locks it.
func UserQuestTaskOf(ctx context.Context, idb bun.IDB, userID, taskID uuid.UUID, period time.Time, forUpdate bool) (*UserQuestTask, error) {
	var t UserQuestTask
	q := idb.NewSelect().Model(&t).Where("uqt.user_id = ? AND uqt.quest_task_id = ? AND uqt.period = ?", userID, taskID, periodDate(period))
	if forUpdate {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, notFound(err, "task %s of %s in period %s", taskID, userID, periodDate(period))
	}
	return &t, nil
}

// UserQuestTasksOfPeriod lists a member's rows of a quest in a period.
func UserQuestTasksOfPeriod(ctx context.Context, idb bun.IDB, questID, userID uuid.UUID, period time.Time) ([]UserQuestTask, error) {
	var out []UserQuestTask
	err := idb.NewSelect().Model(&out).Where("uqt.quest_id = ? AND uqt.user_id = ? AND uqt.period = ?", questID, userID, periodDate(period)).
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("tasks of %s in quest %s, period %s: %w", userID, questID, periodDate(period), err)
	}
	return out, nil
}

// InsertUserQuestTask writes a first submission unless the member's row
// for the task and period exists; it reports whether t was written.
func InsertUserQuestTask(ctx context.Context, idb bun.IDB, t *UserQuestTask) (bool, error) {
	if t.ID == uuid.Nil {
		t.ID = NewID()
	}
	t.Period = utcDate(t.Period)
	res, err := idb.NewInsert().Model(t).On("CONFLICT (user_id, quest_task_id, period) DO NOTHING").
		Returning("submitted_at, created_at, updated_at").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("insert task %s of %s: %w", t.QuestTaskID, t.UserID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UpdateUserQuestTask writes the named columns of t (and updated_at).
func UpdateUserQuestTask(ctx context.Context, idb bun.IDB, t *UserQuestTask, columns ...string) error {
	if _, err := idb.NewUpdate().Model(t).Column(columns...).Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("update task %s of %s (%s): %w", t.QuestTaskID, t.UserID, strings.Join(columns, ", "), err)
	}
	return nil
}

// UpdateUserQuestTaskIf writes the named columns of t only while the
// stored row still has status and attempts (the verdict of an attempt
// lands once, and never on a newer attempt); it reports whether it did.
func UpdateUserQuestTaskIf(ctx context.Context, idb bun.IDB, t *UserQuestTask, status string, attempts int, columns ...string) (bool, error) {
	res, err := idb.NewUpdate().Model(t).Column(columns...).Set("updated_at = now()").WherePK().
		Where("status = ? AND attempts = ?", status, attempts).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("update task %s of %s (%s): %w", t.QuestTaskID, t.UserID, strings.Join(columns, ", "), err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// LinkedAccounts are the accounts of a member an outside check needs;
// "" for one not linked.
type LinkedAccounts struct {
	TelegramID    string
	TwitterHandle string
	WalletAddress string
}

// LinkedAccountsOf reads a member's Telegram ID, Twitter handle and
// wallet address.
func LinkedAccountsOf(ctx context.Context, idb bun.IDB, userID uuid.UUID) (LinkedAccounts, error) {
	var a LinkedAccounts
	err := idb.NewRaw(`SELECT coalesce(u.telegram_id, '') AS telegram_id,
	        coalesce((SELECT handle FROM twitter_meta WHERE user_id = u.id), '') AS twitter_handle,
	        coalesce((SELECT wallet_address FROM crypto_enrichments WHERE user_id = u.id), '') AS wallet_address
	   FROM users u WHERE u.id = ?`, userID).Scan(ctx, &a.TelegramID, &a.TwitterHandle, &a.WalletAddress)
	if err != nil {
		return LinkedAccounts{}, notFound(err, "accounts of %s", userID)
	}
	return a, nil
}

// InsertQuestCompletion writes c unless the member completed the period
// already; it reports whether c was written. A concurrent completion of
// the same period waits for the first and then writes nothing.
func InsertQuestCompletion(ctx context.Context, idb bun.IDB, c *QuestCompletion) (bool, error) {
	if c.ID == uuid.Nil {
		c.ID = NewID()
	}
	c.Period = utcDate(c.Period)
	res, err := idb.NewInsert().Model(c).On("CONFLICT (quest_id, user_id, period) DO NOTHING").Returning("completed_at").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("complete quest %s for %s: %w", c.QuestID, c.UserID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// QuestCompletionOf returns a member's completion of a period.
func QuestCompletionOf(ctx context.Context, idb bun.IDB, questID, userID uuid.UUID, period time.Time) (*QuestCompletion, error) {
	var c QuestCompletion
	err := idb.NewSelect().Model(&c).Where("qcmp.quest_id = ? AND qcmp.user_id = ? AND qcmp.period = ?", questID, userID, periodDate(period)).
		Scan(ctx)
	if err != nil {
		return nil, notFound(err, "completion of quest %s by %s in %s", questID, userID, periodDate(period))
	}
	return &c, nil
}

// QuestReviewRemindersSent returns the highest SLA reminder level
// recorded for an attempt of a member's task row (its
// quest.review_reminder audit rows), 0 for none.
func QuestReviewRemindersSent(ctx context.Context, idb bun.IDB, rowID uuid.UUID, attempt int) (int, error) {
	var level int
	err := idb.NewRaw(`SELECT coalesce(max((payload->>'level')::int), 0) FROM audit_logs
	    WHERE object_type = 'user_quest_task' AND object_id = ? AND action = 'quest.review_reminder'
	      AND (payload->>'attempt')::int = ?`, rowID.String(), attempt).
		Scan(ctx, &level)
	if err != nil {
		return 0, fmt.Errorf("review reminders of %s: %w", rowID, err)
	}
	return level, nil
}
