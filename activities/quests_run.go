package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/questcheck"
	"github.com/convene/convene/jobs"
)

// exhausted is a non-retryable refusal for want of room (a full quest).
func exhausted(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), errTypeExhausted, nil)
}

func (a *Quests) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// runIDs parses a run's quest and member IDs; a malformed one is refused
// for good.
func runIDs(questID, userID string) (uuid.UUID, uuid.UUID, error) {
	q, err := uuid.Parse(questID)
	if err != nil {
		return uuid.Nil, uuid.Nil, wrongState("quest id %q: %v", questID, err)
	}
	u, err := uuid.Parse(userID)
	if err != nil {
		return uuid.Nil, uuid.Nil, wrongState("user id %q: %v", userID, err)
	}
	return q, u, nil
}

// parsePeriod reads a period ("2006-01-02") as its date at 00:00 UTC.
func parsePeriod(s string) (time.Time, error) {
	p, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, wrongState("period %q is not a date: %v", s, err)
	}
	return p, nil
}

// loadRunQuest reads the quest of a run; one that is gone ends the run.
func loadRunQuest(ctx context.Context, idb bun.IDB, questID uuid.UUID) (*db.Quest, error) {
	q, err := db.QuestOfRun(ctx, idb, questID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, wrongState("quest %s does not exist", questID)
	}
	return q, err
}

// loadRunTask reads a task of the quest; a task of another quest is
// refused.
func loadRunTask(ctx context.Context, idb bun.IDB, q *db.Quest, taskID string) (*db.QuestTask, error) {
	id, err := uuid.Parse(taskID)
	if err != nil {
		return nil, wrongState("task id %q: %v", taskID, err)
	}
	t, err := db.QuestTaskOfRun(ctx, idb, q.ID, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, wrongState("quest %s has no task %s", q.Title, taskID)
	}
	return t, err
}

// loadRegistration reads the member's registration, locked; none is
// refused (the member never joined).
func loadRegistration(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID) (*db.QuestRegistration, error) {
	r, err := db.QuestRegistrationOf(ctx, tx, q.ID, userID, true)
	if errors.Is(err, db.ErrNotFound) {
		return nil, wrongState("you have not joined quest %s", q.Title)
	}
	return r, err
}

// requireApproved refuses a member whose registration is not approved.
func requireApproved(q *db.Quest, r *db.QuestRegistration) error {
	switch r.Status {
	case enums.RegistrationApproved:
		return nil
	case enums.RegistrationPending:
		return wrongState("your registration for quest %s waits for approval", q.Title)
	}
	return wrongState("your registration for quest %s was %s", q.Title, r.Status)
}

// auditQuest writes the audit row of a change in a member's run: action
// quest.<verb> on object quest/<id>.
func auditQuest(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID, actor *uuid.UUID, verb string, payload map[string]any) error {
	payload["user_id"] = userID.String()
	return db.WriteAudit(ctx, tx, &db.AuditLog{ActorUserID: actor, OrganizationID: &q.OrganizationID, ObjectType: "quest",
		ObjectID: q.ID.String(), Action: "quest." + verb, Payload: payload})
}

// notify sends one quest notice, keyed quest/<quest>/<key> (key starts
// with the member's ID): a retried activity sends nothing twice.
func (a *Quests) notify(ctx context.Context, tx bun.Tx, q *db.Quest, key string, to uuid.UUID, title, body string) error {
	return a.Notices.Send(ctx, tx, jobs.Notice{Key: "quest/" + q.ID.String() + "/" + key, To: to,
		Category: db.CategoryQuests, Title: title, Body: body, OrganizationID: &q.OrganizationID,
		ReferenceType: "quest", ReferenceID: q.ID.String()})
}

// storedSubmission is what user_quest_tasks.submission keeps: the quiz
// answers and proof as sent, a secret code as its hash only, and the
// request that sent them (a retry of the same request is recognized).
type storedSubmission struct {
	RequestID string `json:"requestId,omitempty"`
	Answers   []int  `json:"answers,omitempty"`
	CodeHash  string `json:"codeHash,omitempty"`
	Proof     string `json:"proof,omitempty"`
}

func storeSubmission(requestID string, s TaskAnswer) json.RawMessage {
	st := storedSubmission{RequestID: requestID, Answers: s.Answers, Proof: s.Proof}
	if s.Code != "" {
		st.CodeHash = questcheck.HashCode(s.Code)
	}
	raw, _ := json.Marshal(st) // a struct of strings and ints always marshals
	return raw
}

func readSubmission(raw json.RawMessage) storedSubmission {
	var st storedSubmission
	_ = json.Unmarshal(raw, &st) // written by storeSubmission; an old shape reads as empty
	return st
}

// taskResult is user_quest_tasks.result: the verdict and why.
type taskResult struct {
	Valid  bool   `json:"valid"`
	Reason string `json:"reason,omitempty"`
}

func resultJSON(valid bool, reason string) json.RawMessage {
	raw, _ := json.Marshal(taskResult{Valid: valid, Reason: reason})
	return raw
}

// reasonOf is the word on a row's last attempt: the reviewer's comment
// once reviewed, else the verifier's reason.
func reasonOf(t *db.UserQuestTask) string {
	if t.ReviewedAt != nil && t.ReviewComment != "" {
		return t.ReviewComment
	}
	var r taskResult
	_ = json.Unmarshal(t.Result, &r) // '{}' until a verdict
	return r.Reason
}

// outcomeOf is where a row stands.
func outcomeOf(t *db.UserQuestTask) TaskOutcome {
	return TaskOutcome{TaskID: t.QuestTaskID.String(), Status: t.Status, Attempts: t.Attempts, Reason: reasonOf(t),
		ReviewDueAt: t.ReviewDueAt, At: t.UpdatedAt}
}

// runSnapshot reads the quest and the member's standing in period.
func runSnapshot(ctx context.Context, tx bun.Tx, q *db.Quest, r *db.QuestRegistration, period time.Time) (QuestSnapshot, error) {
	s := QuestSnapshot{QuestID: q.ID.String(), OrganizationID: q.OrganizationID.String(), Title: q.Title, Points: q.Points,
		RequiresApproval: q.RequiresApproval, Recurrence: q.Recurrence, StartsAt: q.StartsAt, EndsAt: q.EndsAt,
		RetryCooldown: time.Duration(q.RetryCooldownSeconds) * time.Second, ReviewSLA: time.Duration(q.ReviewSLAHours) * time.Hour,
		Registration: r.Status, Period: period.Format(time.DateOnly), PeriodEnds: db.QuestPeriodEnd(q.Recurrence, period, q.EndsAt)}
	if q.ConferenceID != nil {
		s.ConferenceID = q.ConferenceID.String()
	}
	tasks, err := progressOf(ctx, tx, q, r.UserID, period)
	if err != nil {
		return QuestSnapshot{}, err
	}
	s.Tasks = tasks
	c, err := db.QuestCompletionOf(ctx, tx, q.ID, r.UserID, period)
	switch {
	case err == nil:
		s.CompletedAt, s.PointsAwarded = &c.CompletedAt, c.Points
	case !errors.Is(err, db.ErrNotFound):
		return QuestSnapshot{}, err
	}
	return s, nil
}

// progressOf lists the quest's tasks with the member's rows of period.
func progressOf(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID, period time.Time) ([]QuestTaskProgress, error) {
	tasks, err := db.QuestTasksOfRun(ctx, tx, q.ID)
	if err != nil {
		return nil, err
	}
	rows, err := db.UserQuestTasksOfPeriod(ctx, tx, q.ID, userID, period)
	if err != nil {
		return nil, err
	}
	byTask := make(map[uuid.UUID]*db.UserQuestTask, len(rows))
	for i := range rows {
		byTask[rows[i].QuestTaskID] = &rows[i]
	}
	out := make([]QuestTaskProgress, 0, len(tasks))
	for _, t := range tasks {
		p := QuestTaskProgress{TaskID: t.ID.String(), Position: t.Position, Kind: t.Kind, Title: t.Title, Required: t.Required}
		if row, ok := byTask[t.ID]; ok {
			submitted := row.SubmittedAt
			p.Status, p.Attempts, p.LastAttemptAt, p.Reason, p.ReviewDueAt = row.Status, row.Attempts, &submitted, reasonOf(row), row.ReviewDueAt
			if row.Status == enums.UserTaskInReview {
				if p.ReviewReminders, err = db.QuestReviewRemindersSent(ctx, tx, row.ID, row.Attempts); err != nil {
					return nil, err
				}
			}
		}
		out = append(out, p)
	}
	return out, nil
}
