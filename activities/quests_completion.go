package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
)

// checkAllDone refuses a completion while a required task of the period
// is not completed (a quest of optional tasks only needs one).
func checkAllDone(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID, period time.Time) error {
	tasks, err := progressOf(ctx, tx, q, userID, period)
	if err != nil {
		return err
	}
	done := 0
	for _, t := range tasks {
		if t.Status == enums.UserTaskCompleted {
			done++
		} else if t.Required {
			return wrongState("task %s of quest %s is not completed", t.Title, q.Title)
		}
	}
	if done == 0 {
		return wrongState("no task of quest %s is completed", q.Title)
	}
	return nil
}

// questLedgerKey is the one ledger entry of a member's period.
func questLedgerKey(q *db.Quest, userID uuid.UUID, period time.Time) string {
	return fmt.Sprintf("quest:%s:%s:%s", q.ID, userID, period.Format(time.DateOnly))
}

// payPoints awards the period's points (key quest:<quest>:<user>:<period>)
// and returns the member's total after them; a repeat pays nothing and
// returns the first award's total. A quest of 0 points pays nothing.
func payPoints(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID, period time.Time, points int) (int64, error) {
	if points == 0 {
		up, err := db.UserPointsOf(ctx, tx, q.OrganizationID, userID)
		if err != nil {
			return 0, err
		}
		return up.TotalPoints, nil
	}
	refType, refID := "quest", q.ID.String()
	balance, err := db.PointsLedger{}.Award(ctx, tx, db.LedgerEntry{OrganizationID: q.OrganizationID, UserID: userID,
		Amount: int64(points), Type: enums.LedgerQuest, ReferenceType: &refType, ReferenceID: &refID,
		Reason: "completed quest: " + q.Title, IdempotencyKey: questLedgerKey(q, userID, period)})
	if err != nil && !errors.Is(err, db.ErrAlreadyRecorded) {
		return 0, fmt.Errorf("points of quest %s for %s: %w", q.ID, userID, err)
	}
	return balance, nil
}

// complete writes the period's completion once: the quest_completions
// row, the points, quest.completed, the audit row and the notice. A
// completion found (a retry, or a concurrent one that won) pays nothing
// more and answers what it paid.
func (a *Quests) complete(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID, period time.Time) (CompletionResult, error) {
	c := &db.QuestCompletion{OrganizationID: q.OrganizationID, QuestID: q.ID, UserID: userID, Period: period,
		Points: q.Points, CompletedAt: a.now()}
	stored, err := db.InsertQuestCompletion(ctx, tx, c)
	if err != nil {
		return CompletionResult{}, err
	}
	if !stored {
		if c, err = db.QuestCompletionOf(ctx, tx, q.ID, userID, period); err != nil {
			return CompletionResult{}, err
		}
	}
	balance, err := payPoints(ctx, tx, q, userID, period, c.Points)
	if err != nil {
		return CompletionResult{}, err
	}
	out := CompletionResult{Points: c.Points, BalanceAfter: balance, CompletedAt: c.CompletedAt}
	if !stored {
		return out, nil
	}
	return out, a.announceCompletion(ctx, tx, q, userID, period, c.Points)
}

// announceCompletion emits quest.completed (its rules and badges), writes
// the audit row and tells the member.
func (a *Quests) announceCompletion(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID, period time.Time, points int) error {
	refType, refID, day := "quest", q.ID.String(), period.Format(time.DateOnly)
	payload := map[string]any{"quest_id": refID, "period": day, "points": points, "recurrence": q.Recurrence}
	if q.ConferenceID != nil {
		payload["conference_id"] = q.ConferenceID.String()
	}
	if err := a.Recorder.Emit(ctx, tx, &db.DomainEvent{OrganizationID: q.OrganizationID, Type: enums.EventQuestCompleted,
		SubjectUserID: &userID, ReferenceType: &refType, ReferenceID: &refID, Payload: payload}); err != nil {
		return err
	}
	if err := auditQuest(ctx, tx, q, userID, nil, "complete", map[string]any{"period": day, "points": points}); err != nil {
		return err
	}
	body := fmt.Sprintf("You completed %s.", q.Title)
	if points > 0 {
		body = fmt.Sprintf("You completed %s: +%d points.", q.Title, points)
	}
	return a.notify(ctx, tx, q, userID.String()+"/"+day+"/completed", userID, fmt.Sprintf("Quest complete: +%d points", points), body)
}
