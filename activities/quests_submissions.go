package activities

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/questcheck"
)

// reasonVerifierUnavailable is the failure of a check whose service did
// not answer in 3 tries.
const reasonVerifierUnavailable = "verifier unavailable"

// verdictStatus is the row status of a verifier's verdict.
func verdictStatus(v questcheck.Verdict) string {
	if v.Valid {
		return enums.UserTaskCompleted
	}
	return enums.UserTaskFailed
}

// firstVerdict decides where a submission goes from its own transaction:
// manual_proof and an unconfigured kind to review, inline kinds their
// verdict, the other kinds verifying (VerifyTask asks their service).
func (a *Quests) firstVerdict(ctx context.Context, tx bun.Tx, t *db.QuestTask, s SubmissionRecord, userID uuid.UUID) (string, *questcheck.Verdict, error) {
	switch {
	case questcheck.NeedsReview(t.Kind):
		return enums.UserTaskInReview, nil, nil
	case !questcheck.Inline(t.Kind):
		return enums.UserTaskVerifying, nil, nil
	}
	visited := false
	if t.Kind == enums.TaskKindURLVisit {
		var err error
		if visited, err = db.HasVisited(ctx, tx, t.ID, userID); err != nil {
			return "", nil, err
		}
	}
	v, err := a.Verifiers.Verify(ctx, questcheck.Check{Task: checkTask(t), UserID: userID.String(), RequestID: s.RequestID,
		Submission: s.Submission, Visited: visited})
	if errors.Is(err, questcheck.ErrUnconfigured) {
		return enums.UserTaskInReview, nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	return verdictStatus(v), &v, nil
}

// checkTask is the task as a verifier sees it (the api_check secret is
// added by VerifyTask, which alone needs it).
func checkTask(t *db.QuestTask) questcheck.Task {
	ct := questcheck.Task{ID: t.ID.String(), QuestID: t.QuestID.String(), Kind: t.Kind, Config: t.Config}
	if t.CodeHash != nil {
		ct.CodeHash = *t.CodeHash
	}
	return ct
}

// setAttempt writes the attempt's status onto row: the verdict, the
// review deadline of one in review, the completion time.
func setAttempt(row *db.UserQuestTask, q *db.Quest, status string, v *questcheck.Verdict, now time.Time) {
	row.Status, row.Result, row.ReviewDueAt, row.CompletedAt = status, []byte("{}"), nil, nil
	row.ReviewerID, row.ReviewComment, row.ReviewedAt = nil, "", nil
	if v != nil {
		row.Result = resultJSON(v.Valid, v.Reason)
	}
	switch status {
	case enums.UserTaskInReview:
		due := now.Add(time.Duration(q.ReviewSLAHours) * time.Hour)
		row.ReviewDueAt = &due
	case enums.UserTaskCompleted:
		row.CompletedAt = &now
	}
}

// attemptColumns are the columns an attempt writes.
var attemptColumns = []string{"status", "attempts", "submission", "result", "reviewer_id", "review_comment", "submitted_at",
	"review_due_at", "reviewed_at", "completed_at"}

// isRetryOf reports whether row already holds submission s: a row past
// failure (a verdict pending or made), or a failure of the same request.
func isRetryOf(row *db.UserQuestTask, s SubmissionRecord) bool {
	return row.Status != enums.UserTaskFailed || readSubmission(row.Submission).RequestID == s.RequestID
}

// recordSubmission writes s as a new row or as the next attempt of a
// failed one and returns its outcome; a retry returns the row as it is.
func (a *Quests) recordSubmission(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID, s SubmissionRecord) (TaskOutcome, error) {
	period, err := parsePeriod(s.Period)
	if err != nil {
		return TaskOutcome{}, err
	}
	task, err := loadRunTask(ctx, tx, q, s.TaskID)
	if err != nil {
		return TaskOutcome{}, err
	}
	r, err := loadRegistration(ctx, tx, q, userID)
	if err != nil {
		return TaskOutcome{}, err
	}
	if err := requireApproved(q, r); err != nil {
		return TaskOutcome{}, err
	}
	row, err := db.UserQuestTaskOf(ctx, tx, userID, task.ID, period, true)
	switch {
	case err == nil && isRetryOf(row, s):
		return outcomeOf(row), nil
	case err == nil:
		row.Attempts++
	case errors.Is(err, db.ErrNotFound):
		row = &db.UserQuestTask{OrganizationID: q.OrganizationID, QuestID: q.ID, QuestTaskID: task.ID, UserID: userID,
			Period: period, Attempts: 1}
	default:
		return TaskOutcome{}, err
	}
	status, verdict, err := a.firstVerdict(ctx, tx, task, s, userID)
	if err != nil {
		return TaskOutcome{}, err
	}
	now := a.now()
	setAttempt(row, q, status, verdict, now)
	row.Submission, row.SubmittedAt, row.UpdatedAt = storeSubmission(s.RequestID, s.Submission), now, now
	if row.ID == uuid.Nil {
		stored, err := db.InsertUserQuestTask(ctx, tx, row)
		if err != nil {
			return TaskOutcome{}, err
		}
		if !stored {
			// A concurrent first submission won: its row is the answer.
			won, err := db.UserQuestTaskOf(ctx, tx, userID, task.ID, period, false)
			if err != nil {
				return TaskOutcome{}, err
			}
			return outcomeOf(won), nil
		}
	} else if err := db.UpdateUserQuestTask(ctx, tx, row, attemptColumns...); err != nil {
		return TaskOutcome{}, err
	}
	out := outcomeOf(row)
	return out, auditQuest(ctx, tx, q, userID, &userID, "submit_task", map[string]any{"task_id": task.ID.String(),
		"period": s.Period, "status": status, "attempts": row.Attempts, "reason": out.Reason})
}

// outsideCheck builds the check VerifyTask sends: the member's linked
// accounts, what they submitted and, for api_check, the opened secret.
// A secret that cannot be opened leaves the check unconfigured.
func (a *Quests) outsideCheck(ctx context.Context, task *db.QuestTask, row *db.UserQuestTask, s SubmissionRecord) (questcheck.Check, error) {
	acc, err := db.LinkedAccountsOf(ctx, a.DB, row.UserID)
	if err != nil {
		return questcheck.Check{}, err
	}
	st := readSubmission(row.Submission)
	requestID := st.RequestID
	if requestID == "" {
		requestID = s.RequestID
	}
	c := questcheck.Check{Task: checkTask(task), UserID: row.UserID.String(), RequestID: requestID,
		Submission: questcheck.Submission{Answers: st.Answers, Proof: st.Proof},
		Accounts:   questcheck.Accounts{TelegramID: acc.TelegramID, TwitterHandle: acc.TwitterHandle, WalletAddress: acc.WalletAddress}}
	if task.SecretCiphertext == nil {
		return c, nil
	}
	if a.Secrets == nil || task.SecretKeyID == nil {
		return c, questcheck.ErrUnconfigured
	}
	secret, err := a.Secrets.Open(task.SecretCiphertext, *task.SecretKeyID, []byte(task.ID.String()))
	if err != nil {
		return c, questcheck.ErrUnconfigured
	}
	c.Task.Secret = secret
	return c, nil
}

// landVerdict writes the outcome of one attempt's outside check: status
// with the verdict (nil: to review). It lands only on the attempt it was
// made for, still verifying; otherwise the row's outcome is returned.
func (a *Quests) landVerdict(ctx context.Context, q *db.Quest, seen *db.UserQuestTask, status string, v *questcheck.Verdict) (TaskOutcome, error) {
	var out TaskOutcome
	err := a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row := *seen
		now := a.now()
		setAttempt(&row, q, status, v, now)
		row.UpdatedAt = now
		landed, err := db.UpdateUserQuestTaskIf(ctx, tx, &row, enums.UserTaskVerifying, seen.Attempts,
			"status", "result", "review_due_at", "completed_at")
		if err != nil {
			return err
		}
		if !landed {
			current, err := db.UserQuestTaskOf(ctx, tx, seen.UserID, seen.QuestTaskID, seen.Period, false)
			if err != nil {
				return err
			}
			out = outcomeOf(current)
			return nil
		}
		out = outcomeOf(&row)
		return auditQuest(ctx, tx, q, row.UserID, nil, "verify_task", map[string]any{"task_id": row.QuestTaskID.String(),
			"period": row.Period.Format(time.DateOnly), "status": status, "attempts": row.Attempts, "reason": out.Reason})
	})
	return out, err
}

// loadSubmissionRow reads the run's quest, the task and the member's row
// of s's period.
func loadSubmissionRow(ctx context.Context, idb bun.IDB, s SubmissionRecord) (*db.Quest, *db.QuestTask, *db.UserQuestTask, error) {
	qid, uid, err := runIDs(s.QuestID, s.UserID)
	if err != nil {
		return nil, nil, nil, err
	}
	period, err := parsePeriod(s.Period)
	if err != nil {
		return nil, nil, nil, err
	}
	q, err := loadRunQuest(ctx, idb, qid)
	if err != nil {
		return nil, nil, nil, err
	}
	task, err := loadRunTask(ctx, idb, q, s.TaskID)
	if err != nil {
		return nil, nil, nil, err
	}
	row, err := db.UserQuestTaskOf(ctx, idb, uid, task.ID, period, false)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, nil, wrongState("task %s of quest %s was not submitted in period %s", task.Title, q.Title, s.Period)
	}
	return q, task, row, err
}
