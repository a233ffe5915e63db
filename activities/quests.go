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
	"github.com/convene/convene/internal/engagement"
	"github.com/convene/convene/internal/questcheck"
	"github.com/convene/convene/internal/secretbox"
	"github.com/convene/convene/jobs"
)

// errTypeExhausted is workflows.ErrTypeExhausted, repeated because
// workflows imports this package: a quest with no place left. The API
// answers ResourceExhausted.
const errTypeExhausted = "ConveneExhausted"

// Quests holds the quest-run workflow's activities. Each writes in one
// transaction and is idempotent: rows are keyed by (member, task, period),
// notices by quest/<quest>/<user>/…, and the points by the ledger key
// quest:<quest>:<user>:<period>.
type Quests struct {
	DB       *db.DB
	Notices  *jobs.Notices
	Recorder engagement.Recorder
	// Verifiers holds the verifier of each task kind (internal/questcheck).
	Verifiers questcheck.Set
	// Secrets opens the api_check tasks' sealed HMAC secrets (the task ID
	// is the associated data).
	Secrets *secretbox.Box
	Now     func() time.Time
}

// QuestJoin is the join transaction's input.
type QuestJoin struct {
	QuestID        string
	OrganizationID string
	UserID         string
	// Period is "" on a first join (the activity picks the period of now)
	// or the period a continued recurring run serves.
	Period string
}

// TaskAnswer is what a member submits for a task.
type TaskAnswer = questcheck.Submission

// QuestTaskProgress is one task of the quest and the member's standing on
// it in the run's period.
type QuestTaskProgress struct {
	TaskID   string
	Position int
	Kind     string
	Title    string
	Required bool
	// Status is "" (not submitted in this period) or one of
	// enums.UserTask*.
	Status        string
	Attempts      int
	LastAttemptAt *time.Time
	// Reason is the verifier's or reviewer's word on the last attempt.
	Reason      string
	ReviewDueAt *time.Time
	// ReviewReminders counts the SLA reminders sent for the review in
	// progress (1 = reviewers reminded, 2 = escalated to the admins).
	ReviewReminders int
}

// QuestSnapshot is the quest and the member's standing in it as the join
// transaction left it (or found it): the workflow's starting state.
type QuestSnapshot struct {
	QuestID          string
	OrganizationID   string
	ConferenceID     string
	Title            string
	Points           int
	RequiresApproval bool
	Recurrence       string
	StartsAt         time.Time
	EndsAt           time.Time
	RetryCooldown    time.Duration
	ReviewSLA        time.Duration
	// Registration is one of enums.Registration*.
	Registration string
	// Period is the period the run serves ("2006-01-02"); PeriodEnds when
	// it ends (the next period's start, or EndsAt if sooner).
	Period        string
	PeriodEnds    time.Time
	Tasks         []QuestTaskProgress
	CompletedAt   *time.Time
	PointsAwarded int
}

// JoinQuest takes the member's place in one transaction: the quest is
// published and its window open, participants_count goes up only while
// below max_participants (full: a non-retryable errTypeExhausted), and the
// registration row is written (pending when the quest needs approval,
// approved otherwise). A member already registered keeps their place
// (a retry, or a recurring run continuing): nothing is counted twice. A
// rejected or expired registration is refused (errTypeWrongState).
func (a *Quests) JoinQuest(ctx context.Context, in QuestJoin) (QuestSnapshot, error) {
	var out QuestSnapshot
	err := a.questRunTx(ctx, in.QuestID, in.UserID, func(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID) error {
		now := a.now()
		period := db.QuestPeriod(q.Recurrence, q.StartsAt, now)
		if in.Period != "" {
			p, err := parsePeriod(in.Period)
			if err != nil {
				return err
			}
			period = p
		}
		if err := checkJoinable(q, in.OrganizationID, now); err != nil {
			return err
		}
		r, isNew, err := a.register(ctx, tx, q, userID)
		if err != nil {
			return err
		}
		if out, err = runSnapshot(ctx, tx, q, r, period); err != nil || !isNew {
			return err
		}
		return takePlace(ctx, tx, q, r)
	})
	return out, err
}

// RegistrationDecisionRecord is a reviewer's decision on a pending
// registration.
type RegistrationDecisionRecord struct {
	QuestID     string
	UserID      string
	ActorUserID string
	Approve     bool
	Comment     string
}

// DecideRegistration writes the decision once (a repeat of the same
// decision changes nothing), frees the place of a rejected member, audits
// and tells the member.
func (a *Quests) DecideRegistration(ctx context.Context, d RegistrationDecisionRecord) error {
	actor, err := uuid.Parse(d.ActorUserID)
	if err != nil {
		return wrongState("actor id %q: %v", d.ActorUserID, err)
	}
	return a.questRunTx(ctx, d.QuestID, d.UserID, func(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID) error {
		if actor == userID {
			return wrongState("you cannot decide your own registration")
		}
		r, err := loadRegistration(ctx, tx, q, userID)
		if err != nil {
			return err
		}
		switch {
		case r.Status == enums.RegistrationApproved && d.Approve, r.Status == enums.RegistrationRejected && !d.Approve:
			return nil // a repeat of the decision
		case r.Status != enums.RegistrationPending:
			return wrongState("the registration for quest %s is already %s", q.Title, r.Status)
		}
		return a.decide(ctx, tx, q, r, actor, d)
	})
}

// QuestRunRef names a member's run.
type QuestRunRef struct {
	QuestID string
	UserID  string
}

// ExpireRegistration expires a registration still pending at the quest's
// end and frees its place.
func (a *Quests) ExpireRegistration(ctx context.Context, r QuestRunRef) error {
	return a.questRunTx(ctx, r.QuestID, r.UserID, func(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID) error {
		expired, err := a.expirePending(ctx, tx, q, userID, "expire_registration", map[string]any{})
		if err != nil || !expired {
			return err
		}
		return a.notify(ctx, tx, q, userID.String()+"/registration/expired", userID, "Your registration for "+q.Title+" expired",
			"Nobody decided on your registration before the quest ended.")
	})
}

// SubmissionRecord is one submission of a task in a period.
type SubmissionRecord struct {
	QuestID    string
	UserID     string
	TaskID     string
	Period     string
	RequestID  string
	Submission TaskAnswer
}

// TaskOutcome is where a submission stands after an activity: Status one
// of enums.UserTask*, the verifier's or reviewer's Reason, and the review
// deadline of one in review.
type TaskOutcome struct {
	TaskID      string
	Status      string
	Attempts    int
	Reason      string
	ReviewDueAt *time.Time
	At          time.Time
}

// RecordSubmission writes the submission (a new row, or the next attempt
// of a failed one) in one transaction. Inline kinds (questcheck.Inline)
// are decided in it: completed or failed. manual_proof and a kind with no
// verifier configured go in_review with review_due_at = now + the quest's
// SLA. The other kinds are left verifying for VerifyTask. A repeat of the
// same RequestID returns the outcome already written.
func (a *Quests) RecordSubmission(ctx context.Context, s SubmissionRecord) (TaskOutcome, error) {
	var out TaskOutcome
	err := a.questRunTx(ctx, s.QuestID, s.UserID, func(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID) error {
		var err error
		out, err = a.recordSubmission(ctx, tx, q, userID, s)
		return err
	})
	return out, err
}

// VerifyTask asks the kind's outside verifier about a submission left
// verifying and writes the verdict (completed or failed). A transient
// failure returns a retryable error: the workflow tries 3 times, then
// calls GiveUpVerification. ErrUnconfigured moves it to review.
func (a *Quests) VerifyTask(ctx context.Context, s SubmissionRecord) (TaskOutcome, error) {
	q, task, row, err := loadSubmissionRow(ctx, a.DB, s)
	if err != nil {
		return TaskOutcome{}, err
	}
	if row.Status != enums.UserTaskVerifying {
		return outcomeOf(row), nil
	}
	check, err := a.outsideCheck(ctx, task, row, s)
	if errors.Is(err, questcheck.ErrUnconfigured) {
		return a.landVerdict(ctx, q, row, enums.UserTaskInReview, nil)
	}
	if err != nil {
		return TaskOutcome{}, err
	}
	// Outside any transaction: the service may take its whole timeout.
	v, err := a.Verifiers.Verify(ctx, check)
	switch {
	case errors.Is(err, questcheck.ErrUnconfigured):
		return a.landVerdict(ctx, q, row, enums.UserTaskInReview, nil)
	case err != nil:
		return TaskOutcome{}, fmt.Errorf("verify task %s of %s: %w", task.ID, row.UserID, err)
	}
	return a.landVerdict(ctx, q, row, verdictStatus(v), &v)
}

// GiveUpVerification fails a submission whose verifier did not answer in
// 3 tries, with the reason "verifier unavailable"; the member may submit
// again after the cooldown.
func (a *Quests) GiveUpVerification(ctx context.Context, s SubmissionRecord) (TaskOutcome, error) {
	q, _, row, err := loadSubmissionRow(ctx, a.DB, s)
	if err != nil {
		return TaskOutcome{}, err
	}
	if row.Status != enums.UserTaskVerifying {
		return outcomeOf(row), nil
	}
	return a.landVerdict(ctx, q, row, enums.UserTaskFailed, &questcheck.Verdict{Reason: reasonVerifierUnavailable})
}

// TaskReviewRecord is a reviewer's decision on a task in review.
type TaskReviewRecord struct {
	QuestID    string
	UserID     string
	TaskID     string
	Period     string
	ReviewerID string
	Approve    bool
	Comment    string
}

// ReviewTask writes the decision (completed, or failed with the comment)
// once, audits and tells the member.
func (a *Quests) ReviewTask(ctx context.Context, r TaskReviewRecord) (TaskOutcome, error) {
	var out TaskOutcome
	err := a.questRunTx(ctx, r.QuestID, r.UserID, func(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID) error {
		var err error
		out, err = a.review(ctx, tx, q, userID, r)
		return err
	})
	return out, err
}

// ReviewReminder is rung Level of a review's SLA: 1 at the deadline
// reminds the organization's reviewers (owners, admins, approvers), 2 at
// twice the SLA escalates to the owners and admins.
type ReviewReminder struct {
	QuestID string
	UserID  string
	TaskID  string
	Period  string
	Level   int
}

// RemindReviewers sends rung Level once (key
// quest/<quest>/<user>/<task>/<period>/review/<level>); nothing if the
// review was decided meanwhile.
func (a *Quests) RemindReviewers(ctx context.Context, r ReviewReminder) error {
	if _, ok := reviewLevels[r.Level]; !ok {
		return wrongState("review reminder level %d is not 1 or 2", r.Level)
	}
	return a.questRunTx(ctx, r.QuestID, r.UserID, func(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID) error {
		period, err := parsePeriod(r.Period)
		if err != nil {
			return err
		}
		task, err := loadRunTask(ctx, tx, q, r.TaskID)
		if err != nil {
			return err
		}
		row, err := db.UserQuestTaskOf(ctx, tx, userID, task.ID, period, true)
		if errors.Is(err, db.ErrNotFound) {
			return nil
		}
		if err != nil || row.Status != enums.UserTaskInReview {
			return err // decided meanwhile: nobody to remind
		}
		sent, err := db.QuestReviewRemindersSent(ctx, tx, row.ID, row.Attempts)
		if err != nil || sent >= r.Level {
			return err // this rung already rung (a retry)
		}
		return a.remind(ctx, tx, q, task, row, r.Level)
	})
}

// QuestPeriodRef names one period of a member's run.
type QuestPeriodRef struct {
	QuestID string
	UserID  string
	Period  string
}

// CompletionResult is what completing a period paid.
type CompletionResult struct {
	Points       int
	BalanceAfter int64
	CompletedAt  time.Time
}

// CompleteQuest completes a period in one transaction once every required
// task is completed: db.PointsLedger{}.Award (type quest, key
// quest:<quest>:<user>:<period>), the quest_completions row, the audit row,
// the completion notice and the domain event quest.completed (its rules
// and badges). A retry finds the completion and pays nothing more.
func (a *Quests) CompleteQuest(ctx context.Context, p QuestPeriodRef) (CompletionResult, error) {
	var out CompletionResult
	err := a.questRunTx(ctx, p.QuestID, p.UserID, func(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID) error {
		period, err := parsePeriod(p.Period)
		if err != nil {
			return err
		}
		r, err := loadRegistration(ctx, tx, q, userID)
		if err != nil {
			return err
		}
		if err := requireApproved(q, r); err != nil {
			return err
		}
		if err := checkAllDone(ctx, tx, q, userID, period); err != nil {
			return err
		}
		out, err = a.complete(ctx, tx, q, userID, period)
		return err
	})
	return out, err
}

// QuestRunClose ends a run that is not completed: Status is the run's
// final status (rejected or expired).
type QuestRunClose struct {
	QuestID string
	UserID  string
	Status  string
}

// CloseQuestRun expires a still-pending registration and frees its place
// when a run ends without completing (the quest archived or ended).
func (a *Quests) CloseQuestRun(ctx context.Context, c QuestRunClose) error {
	return a.questRunTx(ctx, c.QuestID, c.UserID, func(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID) error {
		_, err := a.expirePending(ctx, tx, q, userID, "close_run", map[string]any{"run_status": c.Status})
		return err
	})
}
