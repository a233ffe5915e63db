package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
)

// reviewLevels are the roles each rung of a review's SLA reminds: the
// organization's reviewers at the deadline, its owners and admins at twice
// the SLA.
var reviewLevels = map[int][]string{
	1: {db.RoleOwner, db.RoleAdmin, db.RoleApprover},
	2: {db.RoleOwner, db.RoleAdmin},
}

// isSameReview reports whether row already holds reviewer's decision (a
// retried ReviewTask).
func isSameReview(row *db.UserQuestTask, r TaskReviewRecord, reviewer uuid.UUID) bool {
	want := enums.UserTaskFailed
	if r.Approve {
		want = enums.UserTaskCompleted
	}
	return row.Status == want && row.ReviewerID != nil && *row.ReviewerID == reviewer
}

// review writes a reviewer's decision on a task in review, audits it and
// tells the member.
func (a *Quests) review(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID, r TaskReviewRecord) (TaskOutcome, error) {
	reviewer, err := uuid.Parse(r.ReviewerID)
	if err != nil {
		return TaskOutcome{}, wrongState("reviewer id %q: %v", r.ReviewerID, err)
	}
	if reviewer == userID {
		return TaskOutcome{}, wrongState("you cannot review your own task")
	}
	period, err := parsePeriod(r.Period)
	if err != nil {
		return TaskOutcome{}, err
	}
	task, err := loadRunTask(ctx, tx, q, r.TaskID)
	if err != nil {
		return TaskOutcome{}, err
	}
	row, err := db.UserQuestTaskOf(ctx, tx, userID, task.ID, period, true)
	if errors.Is(err, db.ErrNotFound) {
		return TaskOutcome{}, wrongState("task %s was not submitted in period %s", task.Title, r.Period)
	}
	if err != nil {
		return TaskOutcome{}, err
	}
	if isSameReview(row, r, reviewer) {
		return outcomeOf(row), nil
	}
	if row.Status != enums.UserTaskInReview {
		return TaskOutcome{}, wrongState("task %s is %s, not in review", task.Title, row.Status)
	}
	now := a.now()
	status := enums.UserTaskFailed
	if r.Approve {
		status = enums.UserTaskCompleted
	}
	setAttempt(row, q, status, nil, now)
	row.Result = resultJSON(r.Approve, r.Comment)
	row.ReviewerID, row.ReviewComment, row.ReviewedAt, row.UpdatedAt = &reviewer, r.Comment, &now, now
	if err := db.UpdateUserQuestTask(ctx, tx, row, "status", "result", "reviewer_id", "review_comment", "reviewed_at",
		"review_due_at", "completed_at"); err != nil {
		return TaskOutcome{}, err
	}
	if err := auditQuest(ctx, tx, q, userID, &reviewer, "review_task", map[string]any{"task_id": task.ID.String(),
		"period": r.Period, "status": status, "comment": r.Comment}); err != nil {
		return TaskOutcome{}, err
	}
	return outcomeOf(row), a.tellReviewed(ctx, tx, q, task, row)
}

// tellReviewed tells the member the reviewer's decision (keyed by the
// attempt: each attempt's decision is told once).
func (a *Quests) tellReviewed(ctx context.Context, tx bun.Tx, q *db.Quest, task *db.QuestTask, row *db.UserQuestTask) error {
	title, body := "Approved: "+task.Title, fmt.Sprintf("Your proof for %s in %s was approved.", task.Title, q.Title)
	if row.Status == enums.UserTaskFailed {
		title, body = "Not approved: "+task.Title, fmt.Sprintf("Your proof for %s in %s was not approved.", task.Title, q.Title)
		if row.ReviewComment != "" {
			body += " " + row.ReviewComment
		}
	}
	key := fmt.Sprintf("%s/%s/%s/review/attempt/%d", row.UserID, task.ID, row.Period.Format(time.DateOnly), row.Attempts)
	return a.notify(ctx, tx, q, key, row.UserID, title, body)
}

// remind sends rung level of a review's SLA to its reviewers (never the
// member) and records it in the row's audit trail, where the snapshot
// counts the reminders sent.
func (a *Quests) remind(ctx context.Context, tx bun.Tx, q *db.Quest, task *db.QuestTask, row *db.UserQuestTask, level int) error {
	holders, err := db.ApprovalRoleHolders(ctx, tx, q.OrganizationID, reviewLevels[level])
	if err != nil {
		return err
	}
	names, err := db.DisplayNames(ctx, tx, []uuid.UUID{row.UserID})
	if err != nil {
		return err
	}
	member := names[row.UserID]
	if member == "" {
		member = "a member"
	}
	title, body := "Review waiting: "+task.Title, fmt.Sprintf("%s's proof for %s in %s waits for a reviewer.", member, task.Title, q.Title)
	if level == 2 {
		title, body = "Overdue review: "+task.Title, fmt.Sprintf("%s's proof for %s in %s is past twice its review time.", member, task.Title, q.Title)
	}
	// The attempt tells apart the reviews of a task resubmitted after a
	// rejection.
	prefix := fmt.Sprintf("%s/%s/%s/review/%d/%d/", row.UserID, task.ID, row.Period.Format(time.DateOnly), level, row.Attempts)
	for _, to := range slices.DeleteFunc(holders, func(id uuid.UUID) bool { return id == row.UserID }) {
		if err := a.notify(ctx, tx, q, prefix+to.String(), to, title, body); err != nil {
			return err
		}
	}
	return db.WriteAudit(ctx, tx, &db.AuditLog{OrganizationID: &q.OrganizationID, ObjectType: "user_quest_task",
		ObjectID: row.ID.String(), Action: "quest.review_reminder", Payload: map[string]any{"level": level, "attempt": row.Attempts,
			"quest_id": q.ID.String(), "user_id": row.UserID.String(), "task_id": task.ID.String()}})
}
