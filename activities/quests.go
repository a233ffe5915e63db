package activities

import (
	"context"
	"errors"
	"time"

	"github.com/convene/convene/db"
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
	return QuestSnapshot{}, errors.New("JoinQuest: not built yet")
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
	return errors.New("DecideRegistration: not built yet")
}

// QuestRunRef names a member's run.
type QuestRunRef struct {
	QuestID string
	UserID  string
}

// ExpireRegistration expires a registration still pending at the quest's
// end and frees its place.
func (a *Quests) ExpireRegistration(ctx context.Context, r QuestRunRef) error {
	return errors.New("ExpireRegistration: not built yet")
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
	return TaskOutcome{}, errors.New("RecordSubmission: not built yet")
}

// VerifyTask asks the kind's outside verifier about a submission left
// verifying and writes the verdict (completed or failed). A transient
// failure returns a retryable error: the workflow tries 3 times, then
// calls GiveUpVerification. ErrUnconfigured moves it to review.
func (a *Quests) VerifyTask(ctx context.Context, s SubmissionRecord) (TaskOutcome, error) {
	return TaskOutcome{}, errors.New("VerifyTask: not built yet")
}

// GiveUpVerification fails a submission whose verifier did not answer in
// 3 tries, with the reason "verifier unavailable"; the member may submit
// again after the cooldown.
func (a *Quests) GiveUpVerification(ctx context.Context, s SubmissionRecord) (TaskOutcome, error) {
	return TaskOutcome{}, errors.New("GiveUpVerification: not built yet")
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
	return TaskOutcome{}, errors.New("ReviewTask: not built yet")
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
	return errors.New("RemindReviewers: not built yet")
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
	return CompletionResult{}, errors.New("CompleteQuest: not built yet")
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
	return errors.New("CloseQuestRun: not built yet")
}
