package activities_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/engagement"
	"github.com/convene/convene/internal/questcheck"
	"github.com/convene/convene/internal/secretbox"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/jobs"
)

// questNow is the activities' clock: inside every quest's window.
var questNow = time.Date(2026, 12, 9, 15, 0, 0, 0, time.UTC) // a Wednesday

// fakeQuiz passes answers equal to the config's "want" (a stand-in for
// questcheck's quiz verifier, which is not under test here).
type fakeQuiz struct{ want []int }

func (f fakeQuiz) Verify(_ context.Context, c questcheck.Check) (questcheck.Verdict, error) {
	if slices.Equal(c.Submission.Answers, f.want) {
		return questcheck.Verdict{Valid: true}, nil
	}
	return questcheck.Verdict{Reason: "2 of 3 answers wrong"}, nil
}

// fakeCode compares the submitted code's hash with the task's.
type fakeCode struct{}

func (fakeCode) Verify(_ context.Context, c questcheck.Check) (questcheck.Verdict, error) {
	if hashCode(c.Submission.Code) == c.Task.CodeHash {
		return questcheck.Verdict{Valid: true}, nil
	}
	return questcheck.Verdict{Reason: "wrong code"}, nil
}

// fakeService answers from a script, one answer per call, and records
// the checks it got.
type fakeService struct {
	mu      sync.Mutex
	answers []error // nil: valid
	checks  []questcheck.Check
}

func (f *fakeService) Verify(_ context.Context, c questcheck.Check) (questcheck.Verdict, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks = append(f.checks, c)
	err := f.answers[0]
	f.answers = f.answers[1:]
	if err != nil {
		return questcheck.Verdict{}, err
	}
	return questcheck.Verdict{Valid: true}, nil
}

func hashCode(code string) string {
	sum := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(code))))
	return hex.EncodeToString(sum[:])
}

// questBundle is an organization with an owner, an admin, an approver,
// members, a published quest and the activities.
type questBundle struct {
	d                        *db.DB
	act                      *activities.Quests
	api                      *fakeService
	box                      *secretbox.Box
	org                      uuid.UUID
	owner, admin, approver   uuid.UUID
	quest                    *db.Quest
	quiz, code, proof, check *db.QuestTask
	phone                    int
}

func setupQuest(t *testing.T, configure func(q *db.Quest)) *questBundle {
	t.Helper()
	ctx := context.Background()
	d := testenv.NewDB(t)
	rc, err := river.NewClient(d.RiverDriver(), &river.Config{})
	require.NoError(t, err)
	box, err := secretbox.New(map[string][]byte{"k1": []byte(strings.Repeat("k", 32))}, "k1")
	require.NoError(t, err)
	b := &questBundle{d: d, api: &fakeService{}, box: box}
	b.act = &activities.Quests{DB: d, Notices: &jobs.Notices{River: rc}, Recorder: engagement.Recorder{River: rc}, Secrets: box,
		Now: func() time.Time { return questNow },
		Verifiers: questcheck.Set{enums.TaskKindQuiz: fakeQuiz{want: []int{1, 0, 2}}, enums.TaskKindSecretCode: fakeCode{},
			enums.TaskKindAPICheck: b.api}}
	org := &db.Organization{ID: db.NewID(), Name: "Acme", Slug: "acme-" + db.NewID().String()[24:], Status: "active", Settings: map[string]any{}}
	require.NoError(t, db.InsertOrganization(ctx, d, org))
	b.org = org.ID
	b.owner, b.admin, b.approver = b.member(t, db.RoleOwner), b.member(t, db.RoleAdmin), b.member(t, db.RoleApprover)

	b.quest = &db.Quest{ID: db.NewID(), OrganizationID: b.org, Title: "Explore the venue", Points: 40, Recurrence: enums.RecurrenceNone,
		StartsAt: questNow.Add(-48 * time.Hour), EndsAt: questNow.Add(72 * time.Hour), ReviewSLAHours: 24, Status: enums.QuestPublished}
	if configure != nil {
		configure(b.quest)
	}
	mustInsert(t, d, b.quest)
	code := hashCode("Blue-Door")
	b.quiz = b.task(t, 0, enums.TaskKindQuiz, true, `{"questions":[{"prompt":"?","options":["a","b"],"answer":1}]}`, nil)
	b.code = b.task(t, 1, enums.TaskKindSecretCode, true, `{}`, &code)
	b.proof = b.task(t, 2, enums.TaskKindManualProof, true, `{}`, nil)
	b.check = b.task(t, 3, enums.TaskKindAPICheck, false, `{"url":"https://checks.example.com/verify"}`, nil)
	return b
}

func (b *questBundle) task(t *testing.T, position int, kind string, required bool, config string, codeHash *string) *db.QuestTask {
	t.Helper()
	task := &db.QuestTask{ID: db.NewID(), OrganizationID: b.org, QuestID: b.quest.ID, Position: position, Kind: kind,
		Title: fmt.Sprintf("Task %d (%s)", position, kind), Required: required, Config: []byte(config), CodeHash: codeHash}
	if kind == enums.TaskKindAPICheck {
		sealed, keyID := b.box.Seal([]byte("hmac-secret"), []byte(task.ID.String()))
		task.SecretCiphertext, task.SecretKeyID = sealed, &keyID
	}
	mustInsert(t, b.d, task)
	return task
}

func (b *questBundle) member(t *testing.T, role string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	b.phone++
	u, _, err := db.CreateUserWithPhone(ctx, b.d, fmt.Sprintf("+1415666%04d", b.phone))
	require.NoError(t, err)
	require.NoError(t, db.InsertMember(ctx, b.d, &db.Member{ID: db.NewID(), OrganizationID: b.org, UserID: u.ID, Role: role}))
	return u.ID
}

func (b *questBundle) join(ctx context.Context, user uuid.UUID) (activities.QuestSnapshot, error) {
	return b.act.JoinQuest(ctx, activities.QuestJoin{QuestID: b.quest.ID.String(), OrganizationID: b.org.String(), UserID: user.String()})
}

func (b *questBundle) joined(t *testing.T) uuid.UUID {
	t.Helper()
	u := b.member(t, db.RoleMember)
	_, err := b.join(context.Background(), u)
	require.NoError(t, err)
	return u
}

func (b *questBundle) submission(user uuid.UUID, task *db.QuestTask, requestID string, s activities.TaskAnswer) activities.SubmissionRecord {
	return activities.SubmissionRecord{QuestID: b.quest.ID.String(), UserID: user.String(), TaskID: task.ID.String(),
		Period: b.period(), RequestID: requestID, Submission: s}
}

func (b *questBundle) submit(t *testing.T, user uuid.UUID, task *db.QuestTask, requestID string, s activities.TaskAnswer) activities.TaskOutcome {
	t.Helper()
	out, err := b.act.RecordSubmission(context.Background(), b.submission(user, task, requestID, s))
	require.NoError(t, err)
	return out
}

func (b *questBundle) period() string { return b.quest.StartsAt.UTC().Format(time.DateOnly) }

func (b *questBundle) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, b.d.NewRaw(query, args...).Scan(context.Background(), &n))
	return n
}

func (b *questBundle) participants(t *testing.T) int {
	t.Helper()
	return b.count(t, "SELECT participants_count FROM quests WHERE id = ?", b.quest.ID)
}

// notices counts the notices whose key starts with quest/<quest>/ + suffix.
func (b *questBundle) notices(t *testing.T, suffix string) int {
	t.Helper()
	return b.count(t, "SELECT count(*) FROM notification_notices WHERE dedupe_key LIKE ?", "quest/"+b.quest.ID.String()+"/"+suffix+"%")
}

func requireErrType(t *testing.T, err error, errType string) {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an application error, got %v", err)
	assert.Equal(t, errType, appErr.Type())
	assert.True(t, appErr.NonRetryable())
}

func places(n int) func(q *db.Quest) {
	return func(q *db.Quest) { q.MaxParticipants = &n }
}

// TestJoinQuest_TwiceHoldsOnePlace: a second join (a retry, or the member
// again) keeps the first place; the snapshot carries the period and the
// tasks.
func TestJoinQuest_TwiceHoldsOnePlace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupQuest(t, places(5))
	u := b.member(t, db.RoleMember)
	first, err := b.join(ctx, u)
	require.NoError(t, err)
	again, err := b.join(ctx, u)
	require.NoError(t, err)

	assert.Equal(t, first, again)
	assert.Equal(t, 1, b.participants(t))
	assert.Equal(t, enums.RegistrationApproved, first.Registration)
	assert.Equal(t, b.period(), first.Period)
	assert.True(t, b.quest.EndsAt.Equal(first.PeriodEnds))
	require.Len(t, first.Tasks, 4)
	assert.Equal(t, enums.TaskKindQuiz, first.Tasks[0].Kind)
	assert.Empty(t, first.Tasks[0].Status)
	assert.Equal(t, 24*time.Hour, first.ReviewSLA)
}

// TestJoinQuest_ConcurrentJoinsFillExactly: 100 members join a quest of
// 20 places at once: exactly 20 get in, the others are refused as full,
// and the count is 20.
func TestJoinQuest_ConcurrentJoinsFillExactly(t *testing.T) {
	t.Parallel()
	b := setupQuest(t, places(20))
	members := make([]uuid.UUID, 100)
	for i := range members {
		members[i] = b.member(t, db.RoleMember)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(members))
	for i, u := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = b.join(context.Background(), u)
		}()
	}
	wg.Wait()
	joined := 0
	for _, err := range errs {
		if err == nil {
			joined++
			continue
		}
		requireErrType(t, err, "ConveneExhausted")
		assert.Contains(t, err.Error(), "is full (20 places)")
	}
	assert.Equal(t, 20, joined)
	assert.Equal(t, 20, b.participants(t))
	assert.Equal(t, 20, b.count(t, "SELECT count(*) FROM quest_registration_requests WHERE quest_id = ?", b.quest.ID))
}

// TestJoinQuest_Refusals: a draft, a quest not started or ended, and
// another organization's ID are refused, and nothing is written.
func TestJoinQuest_Refusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, configure := range map[string]func(q *db.Quest){
		"draft":       func(q *db.Quest) { q.Status = enums.QuestDraft },
		"not started": func(q *db.Quest) { q.StartsAt = questNow.Add(time.Hour) },
		"ended":       func(q *db.Quest) { q.EndsAt = questNow },
	} {
		t.Run(name, func(t *testing.T) {
			b := setupQuest(t, configure)
			_, err := b.join(ctx, b.member(t, db.RoleMember))
			requireErrType(t, err, "ConveneWrongState")
			assert.Zero(t, b.participants(t))
		})
	}
	b := setupQuest(t, nil)
	_, err := b.act.JoinQuest(ctx, activities.QuestJoin{QuestID: b.quest.ID.String(), OrganizationID: db.NewID().String(),
		UserID: b.member(t, db.RoleMember).String()})
	requireErrType(t, err, "ConveneWrongState")
	assert.Zero(t, b.participants(t))
}

// TestDecideRegistration_RejectFreesThePlace: on a quest of one place
// that needs approval, a pending member holds the place; rejecting them
// frees it (a repeat changes nothing, they may not join again) and the
// next member gets it.
func TestDecideRegistration_RejectFreesThePlace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupQuest(t, func(q *db.Quest) { places(1)(q); q.RequiresApproval = true })
	first, second := b.member(t, db.RoleMember), b.member(t, db.RoleMember)
	snap, err := b.join(ctx, first)
	require.NoError(t, err)
	assert.Equal(t, enums.RegistrationPending, snap.Registration)
	_, err = b.join(ctx, second)
	requireErrType(t, err, "ConveneExhausted")

	reject := activities.RegistrationDecisionRecord{QuestID: b.quest.ID.String(), UserID: first.String(),
		ActorUserID: b.approver.String(), Comment: "staff only"}
	require.NoError(t, b.act.DecideRegistration(ctx, reject))
	require.NoError(t, b.act.DecideRegistration(ctx, reject), "a repeat is a no-op")
	assert.Equal(t, 0, b.participants(t))
	assert.Equal(t, 1, b.notices(t, first.String()+"/registration/rejected"))

	approve := reject
	approve.Approve = true
	requireErrType(t, b.act.DecideRegistration(ctx, approve), "ConveneWrongState")
	_, err = b.join(ctx, first)
	requireErrType(t, err, "ConveneWrongState")

	_, err = b.join(ctx, second)
	require.NoError(t, err)
	self := activities.RegistrationDecisionRecord{QuestID: b.quest.ID.String(), UserID: second.String(), ActorUserID: second.String(), Approve: true}
	requireErrType(t, b.act.DecideRegistration(ctx, self), "ConveneWrongState")
	approve.UserID = second.String()
	require.NoError(t, b.act.DecideRegistration(ctx, approve))
	assert.Equal(t, 1, b.participants(t))
	assert.Equal(t, 1, b.notices(t, second.String()+"/registration/approved"))
}

// TestExpireRegistration_FreesThePlace: a registration still pending at
// the end expires and frees its place; an approved one is kept by
// CloseQuestRun.
func TestExpireRegistration_FreesThePlace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupQuest(t, func(q *db.Quest) { q.RequiresApproval = true })
	pending, approved := b.joined(t), b.joined(t)
	require.NoError(t, b.act.DecideRegistration(ctx, activities.RegistrationDecisionRecord{QuestID: b.quest.ID.String(),
		UserID: approved.String(), ActorUserID: b.admin.String(), Approve: true}))
	assert.Equal(t, 2, b.participants(t))

	ref := activities.QuestRunRef{QuestID: b.quest.ID.String(), UserID: pending.String()}
	require.NoError(t, b.act.ExpireRegistration(ctx, ref))
	require.NoError(t, b.act.ExpireRegistration(ctx, ref), "a retry")
	require.NoError(t, b.act.CloseQuestRun(ctx, activities.QuestRunClose{QuestID: b.quest.ID.String(), UserID: approved.String(),
		Status: "expired"}))
	assert.Equal(t, 1, b.participants(t))
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM quest_registration_requests WHERE quest_id = ? AND status = 'expired'", b.quest.ID))
	assert.Equal(t, 1, b.notices(t, pending.String()+"/registration/expired"))
}

// TestRecordSubmission_AttemptsAndRetries: a wrong quiz fails (attempt
// 1); the same request again is a retry (still 1); a new right answer is
// attempt 2 and completes; a later submission finds it completed.
func TestRecordSubmission_AttemptsAndRetries(t *testing.T) {
	t.Parallel()
	b := setupQuest(t, nil)
	u := b.joined(t)
	wrong := activities.TaskAnswer{Answers: []int{0, 0, 0}}

	out := b.submit(t, u, b.quiz, "req-1", wrong)
	assert.Equal(t, enums.UserTaskFailed, out.Status)
	assert.Equal(t, 1, out.Attempts)
	assert.Equal(t, "2 of 3 answers wrong", out.Reason)
	again := b.submit(t, u, b.quiz, "req-1", wrong)
	assert.Equal(t, enums.UserTaskFailed, again.Status)
	assert.Equal(t, 1, again.Attempts, "a retry is not an attempt")

	right := b.submit(t, u, b.quiz, "req-2", activities.TaskAnswer{Answers: []int{1, 0, 2}})
	assert.Equal(t, enums.UserTaskCompleted, right.Status)
	assert.Equal(t, 2, right.Attempts)
	after := b.submit(t, u, b.quiz, "req-3", wrong)
	assert.Equal(t, enums.UserTaskCompleted, after.Status, "completed is final for the period")
	assert.Equal(t, 2, after.Attempts)
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM user_quest_tasks WHERE user_id = ?", u))
	assert.Equal(t, 2, b.count(t, "SELECT count(*) FROM audit_logs WHERE object_id = ? AND action = 'quest.submit_task'", b.quest.ID.String()))
}

// TestRecordSubmission_SecretCodeKeptAsHash: the right code (any case,
// spaces around) completes; the stored submission holds its hash, never
// the code.
func TestRecordSubmission_SecretCodeKeptAsHash(t *testing.T) {
	t.Parallel()
	b := setupQuest(t, nil)
	u := b.joined(t)
	out := b.submit(t, u, b.code, "req-1", activities.TaskAnswer{Code: "  blue-door "})
	assert.Equal(t, enums.UserTaskCompleted, out.Status)
	var stored string
	require.NoError(t, b.d.NewRaw("SELECT submission::text FROM user_quest_tasks WHERE user_id = ?", u).Scan(context.Background(), &stored))
	assert.NotContains(t, strings.ToLower(stored), "blue-door")
	assert.Contains(t, stored, hashCode("BLUE-DOOR"))
}

// TestRecordSubmission_NeedsAnApprovedRegistration: a member who never
// joined, or waits for approval, cannot submit.
func TestRecordSubmission_NeedsAnApprovedRegistration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupQuest(t, func(q *db.Quest) { q.RequiresApproval = true })
	stranger, pending := b.member(t, db.RoleMember), b.joined(t)
	for _, u := range []uuid.UUID{stranger, pending} {
		_, err := b.act.RecordSubmission(ctx, b.submission(u, b.quiz, "req-1", activities.TaskAnswer{Answers: []int{1, 0, 2}}))
		requireErrType(t, err, "ConveneWrongState")
	}
	assert.Zero(t, b.count(t, "SELECT count(*) FROM user_quest_tasks WHERE quest_id = ?", b.quest.ID))
}

// TestReview_ProofApprovedAfterReminders: a manual proof goes to review
// due after the SLA; rung 1 reminds the owner, admin and approver, rung 2
// the owner and admin, each once; the member cannot review their own; the
// approver's approval completes it and tells the member; a reminder after
// it sends nothing.
func TestReview_ProofApprovedAfterReminders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupQuest(t, nil)
	u := b.joined(t)
	out := b.submit(t, u, b.proof, "req-1", activities.TaskAnswer{Proof: "https://photos.example.com/booth"})
	assert.Equal(t, enums.UserTaskInReview, out.Status)
	require.NotNil(t, out.ReviewDueAt)
	assert.True(t, questNow.Add(24*time.Hour).Equal(*out.ReviewDueAt))

	remind := activities.ReviewReminder{QuestID: b.quest.ID.String(), UserID: u.String(), TaskID: b.proof.ID.String(), Period: b.period()}
	prefix := fmt.Sprintf("%s/%s/%s/review/", u, b.proof.ID, b.period())
	for _, level := range []int{1, 1, 2, 2} {
		remind.Level = level
		require.NoError(t, b.act.RemindReviewers(ctx, remind))
	}
	assert.Equal(t, 3, b.notices(t, prefix+"1/"))
	assert.Equal(t, 2, b.notices(t, prefix+"2/"))
	snap, err := b.join(ctx, u)
	require.NoError(t, err)
	assert.Equal(t, 2, snap.Tasks[2].ReviewReminders)

	review := activities.TaskReviewRecord{QuestID: b.quest.ID.String(), UserID: u.String(), TaskID: b.proof.ID.String(),
		Period: b.period(), ReviewerID: u.String(), Approve: true}
	_, err = b.act.ReviewTask(ctx, review)
	requireErrType(t, err, "ConveneWrongState")
	review.ReviewerID, review.Comment = b.approver.String(), "nice booth"
	done, err := b.act.ReviewTask(ctx, review)
	require.NoError(t, err)
	assert.Equal(t, enums.UserTaskCompleted, done.Status)
	assert.Equal(t, "nice booth", done.Reason)
	again, err := b.act.ReviewTask(ctx, review)
	require.NoError(t, err, "a retry")
	assert.Equal(t, done.Status, again.Status)
	assert.Equal(t, 1, b.notices(t, prefix+"attempt/1"))

	remind.Level = 2
	require.NoError(t, b.act.RemindReviewers(ctx, remind))
	assert.Equal(t, 6, b.notices(t, prefix), "5 reminders and the decision, nothing after the decision")
}

// TestVerifyTask_RetriedThenValid: an api_check waits verifying; the
// service's error leaves it verifying (the workflow retries); its valid
// answer completes it, signed with the task's opened secret and the
// member's linked accounts; a repeat returns the verdict without calling
// again.
func TestVerifyTask_RetriedThenValid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupQuest(t, nil)
	u := b.joined(t)
	_, err := b.d.NewRaw("UPDATE users SET telegram_id = '4242' WHERE id = ?", u).Exec(ctx)
	require.NoError(t, err)
	s := b.submission(u, b.check, "req-1", activities.TaskAnswer{Proof: "0xabc"})
	out := b.submit(t, u, b.check, "req-1", activities.TaskAnswer{Proof: "0xabc"})
	assert.Equal(t, enums.UserTaskVerifying, out.Status)

	b.api.answers = []error{errors.New("503 from the service"), nil}
	_, err = b.act.VerifyTask(ctx, s)
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	assert.False(t, errors.As(err, &appErr) && appErr.NonRetryable(), "a transient failure is retried")
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM user_quest_tasks WHERE user_id = ? AND status = 'verifying'", u))

	done, err := b.act.VerifyTask(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, enums.UserTaskCompleted, done.Status)
	again, err := b.act.VerifyTask(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, enums.UserTaskCompleted, again.Status)
	require.Len(t, b.api.checks, 2, "a decided row is not checked again")
	c := b.api.checks[1]
	assert.Equal(t, []byte("hmac-secret"), c.Task.Secret)
	assert.Equal(t, "req-1", c.RequestID)
	assert.Equal(t, "4242", c.Accounts.TelegramID)
	assert.Equal(t, "0xabc", c.Submission.Proof)
}

// TestVerifyTask_UnconfiguredGoesToReview and the give-up: a kind with
// no verifier goes to review (never passes); a check given up fails with
// "verifier unavailable".
func TestVerifyTask_UnconfiguredAndGivenUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupQuest(t, nil)
	follow := b.task(t, 4, enums.TaskKindTwitterFollow, true, `{"handle":"convene"}`, nil)
	u := b.joined(t)

	b.submit(t, u, follow, "req-1", activities.TaskAnswer{})
	out, err := b.act.VerifyTask(ctx, b.submission(u, follow, "req-1", activities.TaskAnswer{}))
	require.NoError(t, err)
	assert.Equal(t, enums.UserTaskInReview, out.Status)
	require.NotNil(t, out.ReviewDueAt)

	s := b.submission(u, b.check, "req-2", activities.TaskAnswer{})
	b.submit(t, u, b.check, "req-2", activities.TaskAnswer{})
	failed, err := b.act.GiveUpVerification(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, enums.UserTaskFailed, failed.Status)
	assert.Equal(t, "verifier unavailable", failed.Reason)
	again, err := b.act.GiveUpVerification(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, failed.Status, again.Status)
}

// TestCompleteQuest_ConcurrentPaysOnce: with a required task open the
// completion is refused; once all are done, two completions at once
// write one completion, one ledger entry, one event and one notice.
func TestCompleteQuest_ConcurrentPaysOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupQuest(t, nil)
	u := b.joined(t)
	ref := activities.QuestPeriodRef{QuestID: b.quest.ID.String(), UserID: u.String(), Period: b.period()}
	b.submit(t, u, b.quiz, "req-1", activities.TaskAnswer{Answers: []int{1, 0, 2}})
	b.submit(t, u, b.code, "req-2", activities.TaskAnswer{Code: "BLUE-DOOR"})
	_, err := b.act.CompleteQuest(ctx, ref)
	requireErrType(t, err, "ConveneWrongState")

	b.submit(t, u, b.proof, "req-3", activities.TaskAnswer{Proof: "done"})
	_, err = b.act.ReviewTask(ctx, activities.TaskReviewRecord{QuestID: b.quest.ID.String(), UserID: u.String(),
		TaskID: b.proof.ID.String(), Period: b.period(), ReviewerID: b.admin.String(), Approve: true})
	require.NoError(t, err)

	var wg sync.WaitGroup
	results := make([]activities.CompletionResult, 2)
	errs := make([]error, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = b.act.CompleteQuest(ctx, ref)
		}()
	}
	wg.Wait()
	for i := range results {
		require.NoError(t, errs[i])
		assert.Equal(t, 40, results[i].Points)
		assert.Equal(t, int64(40), results[i].BalanceAfter)
	}
	key := fmt.Sprintf("quest:%s:%s:%s", b.quest.ID, u, b.period())
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM points_ledger WHERE idempotency_key = ? AND type = 'quest' AND reference_type = 'quest' AND reference_id = ?",
		key, b.quest.ID.String()))
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM quest_completions WHERE quest_id = ? AND user_id = ?", b.quest.ID, u))
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM domain_events WHERE type = 'quest.completed' AND subject_user_id = ?", u))
	assert.Equal(t, 1, b.notices(t, u.String()+"/"+b.period()+"/completed"))

	snap, err := b.join(ctx, u)
	require.NoError(t, err)
	require.NotNil(t, snap.CompletedAt)
	assert.Equal(t, 40, snap.PointsAwarded)
}
