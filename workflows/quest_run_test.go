package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/workflows"
)

// The people and tasks of every quest-run test.
const (
	participant = "member-1"
	reviewer    = "approver-1"
	questID     = "quest-1"

	quizTask    = "task-quiz"
	codeTask    = "task-code"
	apiTask     = "task-api"
	proofTask   = "task-proof"
	questSLA    = 24 * time.Hour
	cooldown    = time.Hour
	questPaid   = 50
	unavailable = "verifier unavailable"
)

var (
	asParticipant = workflows.QuestActor{UserID: participant}
	asReviewer    = workflows.QuestActor{UserID: reviewer, CanReview: true}
	// june1 is the runs' start: the quest opened at midnight and ends on
	// 30 June.
	june1 = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
)

// questTask is a task of the quest as the join snapshot lists it.
func questTask(id, kind string, position int) activities.QuestTaskProgress {
	return activities.QuestTaskProgress{TaskID: id, Position: position, Kind: kind, Title: kind, Required: true}
}

// questBed runs one quest run in the time-skipping environment with every
// activity mocked as the real ones answer: inline kinds are decided in
// RecordSubmission, outside kinds left verifying for VerifyTask (valid
// unless a test says otherwise), manual proofs go to review.
type questBed struct {
	t    *testing.T
	env  *testsuite.TestWorkflowEnvironment
	acts *activities.Quests
	snap activities.QuestSnapshot
	in   workflows.QuestRunInput
	// unconfigured kinds go to review when submitted.
	unconfigured map[string]bool
	// verdicts are VerifyTask's answers in order; past the end, valid.
	verdicts []error

	mu       sync.Mutex
	calls    []activityCall
	statuses []string
	eventID  string
	updates  int
	joined   *questUpdate
}

// questUpdate is what one Update answered.
type questUpdate struct {
	rejected error
	err      error
	state    workflows.QuestRunState
	done     bool
}

// newQuestBed prepares a one-off quest of tasks, open for June, joined
// on 1 June at 09:00 UTC.
func newQuestBed(t *testing.T, tasks ...activities.QuestTaskProgress) *questBed {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	b := &questBed{t: t, env: suite.NewTestWorkflowEnvironment(), acts: &activities.Quests{}, unconfigured: map[string]bool{}}
	b.snap = activities.QuestSnapshot{QuestID: questID, OrganizationID: "org-1", ConferenceID: "conf-1", Title: "Launch week",
		Points: questPaid, Recurrence: enums.RecurrenceNone,
		StartsAt: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), EndsAt: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC),
		RetryCooldown: cooldown, ReviewSLA: questSLA, Registration: enums.RegistrationApproved, Period: "2026-06-01",
		PeriodEnds: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC), Tasks: tasks}
	b.in = workflows.QuestRunInput{QuestID: questID, OrganizationID: "org-1", UserID: participant, QuestTitle: "Launch week",
		UserName: "Ada"}
	b.env.SetStartTime(june1)
	// A loaded machine can keep a workflow goroutine from yielding for
	// more than the default second; a real deadlock still fails.
	b.env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 30 * time.Second})
	b.env.RegisterWorkflowWithOptions(workflows.QuestRun, workflowOptions(workflows.QuestRunWorkflowName))
	b.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		attrs := args.Get(0).(temporal.SearchAttributes)
		if status, ok := attrs.GetKeyword(workflows.SearchStatus); ok {
			b.statuses = append(b.statuses, status)
		}
		if event, ok := attrs.GetKeyword(workflows.SearchEventID); ok {
			b.eventID = event
		}
	}).Return(nil)
	return b
}

// threeTasks is the usual quest: a quiz, a secret code and an API check.
func threeTasks() []activities.QuestTaskProgress {
	return []activities.QuestTaskProgress{questTask(quizTask, enums.TaskKindQuiz, 1),
		questTask(codeTask, enums.TaskKindSecretCode, 2), questTask(apiTask, enums.TaskKindAPICheck, 3)}
}

// note records a call of an activity at the workflow's time.
func (b *questBed) note(name string, arg any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, activityCall{name: name, arg: arg, at: b.env.Now().UTC()})
}

// recorded is the mock body of an activity that only writes.
func recorded[T any](b *questBed, name string) func(context.Context, T) error {
	return func(_ context.Context, arg T) error {
		b.note(name, arg)
		return nil
	}
}

func (b *questBed) kindOf(taskID string) string {
	for _, t := range b.snap.Tasks {
		if t.TaskID == taskID {
			return t.Kind
		}
	}
	b.t.Fatalf("no task %s", taskID)
	return ""
}

// submitted is RecordSubmission's outcome: inline kinds completed (a
// wrong code fails), manual proofs and unconfigured kinds in review,
// outside kinds verifying.
func (b *questBed) submitted(_ context.Context, s activities.SubmissionRecord) (activities.TaskOutcome, error) {
	b.note("RecordSubmission", s)
	now := b.env.Now()
	out := activities.TaskOutcome{TaskID: s.TaskID, Attempts: len(b.callsOfTask("RecordSubmission", s.TaskID)), At: now}
	kind := b.kindOf(s.TaskID)
	switch {
	case kind == enums.TaskKindManualProof || b.unconfigured[kind]:
		due := now.Add(b.snap.ReviewSLA)
		out.Status, out.ReviewDueAt = enums.UserTaskInReview, &due
	case kind == enums.TaskKindSecretCode && s.Submission.Code != "LAUNCH":
		out.Status, out.Reason = enums.UserTaskFailed, "wrong code"
	case kind == enums.TaskKindQuiz || kind == enums.TaskKindSecretCode:
		out.Status = enums.UserTaskCompleted
	default:
		out.Status = enums.UserTaskVerifying
	}
	return out, nil
}

// verified is VerifyTask's answer: the next of verdicts (an error is the
// verifier's 500), valid past them.
func (b *questBed) verified(_ context.Context, s activities.SubmissionRecord) (activities.TaskOutcome, error) {
	b.note("VerifyTask", s)
	n := len(b.callsOf("VerifyTask"))
	if n <= len(b.verdicts) && b.verdicts[n-1] != nil {
		return activities.TaskOutcome{}, b.verdicts[n-1]
	}
	return activities.TaskOutcome{TaskID: s.TaskID, Status: enums.UserTaskCompleted, At: b.env.Now()}, nil
}

func (b *questBed) mockActivities() {
	e, a := b.env, b.acts
	e.OnActivity(a.JoinQuest, mock.Anything, mock.Anything).Return(
		func(_ context.Context, j activities.QuestJoin) (activities.QuestSnapshot, error) {
			b.note("JoinQuest", j)
			return b.snap, nil
		}).Maybe()
	e.OnActivity(a.RecordSubmission, mock.Anything, mock.Anything).Return(b.submitted).Maybe()
	e.OnActivity(a.VerifyTask, mock.Anything, mock.Anything).Return(b.verified).Maybe()
	e.OnActivity(a.GiveUpVerification, mock.Anything, mock.Anything).Return(
		func(_ context.Context, s activities.SubmissionRecord) (activities.TaskOutcome, error) {
			b.note("GiveUpVerification", s)
			return activities.TaskOutcome{TaskID: s.TaskID, Status: enums.UserTaskFailed, Reason: unavailable, At: b.env.Now()}, nil
		}).Maybe()
	e.OnActivity(a.ReviewTask, mock.Anything, mock.Anything).Return(
		func(_ context.Context, r activities.TaskReviewRecord) (activities.TaskOutcome, error) {
			b.note("ReviewTask", r)
			out := activities.TaskOutcome{TaskID: r.TaskID, Status: enums.UserTaskCompleted, Reason: r.Comment, At: b.env.Now()}
			if !r.Approve {
				out.Status = enums.UserTaskFailed
			}
			return out, nil
		}).Maybe()
	e.OnActivity(a.CompleteQuest, mock.Anything, mock.Anything).Return(
		func(_ context.Context, p activities.QuestPeriodRef) (activities.CompletionResult, error) {
			b.note("CompleteQuest", p)
			return activities.CompletionResult{Points: b.snap.Points, BalanceAfter: int64(b.snap.Points), CompletedAt: b.env.Now()}, nil
		}).Maybe()
	e.OnActivity(a.DecideRegistration, mock.Anything, mock.Anything).Return(recorded[activities.RegistrationDecisionRecord](b, "DecideRegistration")).Maybe()
	e.OnActivity(a.ExpireRegistration, mock.Anything, mock.Anything).Return(recorded[activities.QuestRunRef](b, "ExpireRegistration")).Maybe()
	e.OnActivity(a.RemindReviewers, mock.Anything, mock.Anything).Return(recorded[activities.ReviewReminder](b, "RemindReviewers")).Maybe()
	e.OnActivity(a.CloseQuestRun, mock.Anything, mock.Anything).Return(recorded[activities.QuestRunClose](b, "CloseQuestRun")).Maybe()
}

// update sends an Update delay after the run's start.
func (b *questBed) update(delay time.Duration, name string, args ...any) *questUpdate {
	b.updates++
	id := fmt.Sprintf("%s-%d", name, b.updates)
	out := &questUpdate{}
	b.env.RegisterDelayedCallback(func() {
		b.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnReject: func(err error) { out.rejected, out.done = err, true },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				out.err, out.done = err, true
				if s, ok := v.(workflows.QuestRunState); ok {
					out.state = s
				}
			},
		}, args...)
	}, delay)
	return out
}

// submit has the participant submit taskID delay after the start.
func (b *questBed) submit(delay time.Duration, taskID string, answer activities.TaskAnswer) *questUpdate {
	return b.update(delay, workflows.UpdateSubmitTask, workflows.TaskSubmission{Actor: asParticipant, TaskID: taskID,
		RequestID: fmt.Sprintf("req-%d", b.updates+1), Submission: answer})
}

// completeAll submits the three usual tasks right, an hour apart.
func (b *questBed) completeAll() {
	b.submit(time.Hour, quizTask, activities.TaskAnswer{Answers: []int{1, 0}})
	b.submit(2*time.Hour, codeTask, activities.TaskAnswer{Code: "LAUNCH"})
	b.submit(3*time.Hour, apiTask, activities.TaskAnswer{})
}

// execute runs the workflow to its end with the join Update sent with the
// start, and answers the workflow's error.
func (b *questBed) execute() error {
	b.t.Helper()
	b.mockActivities()
	b.joined = b.update(0, workflows.UpdateJoinQuest)
	b.env.ExecuteWorkflow(workflows.QuestRun, b.in)
	require.True(b.t, b.env.IsWorkflowCompleted())
	return b.env.GetWorkflowError()
}

// run runs the workflow to a normal end and answers its final state.
func (b *questBed) run() workflows.QuestRunState {
	b.t.Helper()
	require.NoError(b.t, b.execute())
	require.True(b.t, b.joined.done, "the join Update answered")
	require.NoError(b.t, b.joined.err)
	var s workflows.QuestRunState
	require.NoError(b.t, b.env.GetWorkflowResult(&s))
	return s
}

// queryAt reads the state query delay after the start.
func (b *questBed) queryAt(delay time.Duration) *workflows.QuestRunState {
	var s workflows.QuestRunState
	b.env.RegisterDelayedCallback(func() {
		v, err := b.env.QueryWorkflow(workflows.QueryState)
		require.NoError(b.t, err)
		require.NoError(b.t, v.Get(&s))
	}, delay)
	return &s
}

// callsOf are the calls of one activity, in order.
func (b *questBed) callsOf(name string) []activityCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []activityCall
	for _, c := range b.calls {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

// callsOfTask are the calls of one submission activity about taskID.
func (b *questBed) callsOfTask(name, taskID string) []activityCall {
	var out []activityCall
	for _, c := range b.callsOf(name) {
		if s, ok := c.arg.(activities.SubmissionRecord); ok && s.TaskID == taskID {
			out = append(out, c)
		}
	}
	return out
}

// since shows when calls ran, as durations after the start.
func (b *questBed) since(calls []activityCall) []time.Duration {
	out := make([]time.Duration, 0, len(calls))
	for _, c := range calls {
		out = append(out, c.at.Sub(june1))
	}
	return out
}

func taskIn(t *testing.T, s workflows.QuestRunState, id string) activities.QuestTaskProgress {
	t.Helper()
	for _, task := range s.Tasks {
		if task.TaskID == id {
			return task
		}
	}
	t.Fatalf("no task %s in the state", id)
	return activities.QuestTaskProgress{}
}

// refused checks an Update was refused by its validator with errType: it
// never ran, so it left nothing in the history.
func refused(t *testing.T, out *questUpdate, errType string) {
	t.Helper()
	require.True(t, out.done, "the update answered")
	require.Error(t, out.rejected, "the validator refused")
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, out.rejected, &appErr)
	assert.Equal(t, errType, appErr.Type())
}

func accepted(t *testing.T, out *questUpdate) workflows.QuestRunState {
	t.Helper()
	require.True(t, out.done, "the update answered")
	require.NoError(t, out.rejected)
	require.NoError(t, out.err)
	return out.state
}

// TestQuestRun_ThreeTasksCompleteOnce: a quiz and a secret code decided
// inline and an API check verified outside; the last one completes the
// quest: one CompleteQuest for the period, the points in the state, the
// submission's answer already completed.
func TestQuestRun_ThreeTasksCompleteOnce(t *testing.T) {
	b := newQuestBed(t, threeTasks()...)
	b.completeAll()
	s := b.run()

	assert.Equal(t, workflows.QuestRunCompleted, s.Status)
	assert.Equal(t, questPaid, s.PointsAwarded)
	require.NotNil(t, s.CompletedAt)
	assert.Equal(t, june1.Add(3*time.Hour), *s.CompletedAt)
	done := b.callsOf("CompleteQuest")
	require.Len(t, done, 1)
	assert.Equal(t, activities.QuestPeriodRef{QuestID: questID, UserID: participant, Period: "2026-06-01"}, done[0].arg)
	assert.Len(t, b.callsOf("RecordSubmission"), 3)
	assert.Len(t, b.callsOf("VerifyTask"), 1, "only the API check calls out")
	for _, id := range []string{quizTask, codeTask, apiTask} {
		assert.Equal(t, enums.UserTaskCompleted, taskIn(t, s, id).Status)
	}
	assert.Equal(t, []string{workflows.QuestRunVerifying, workflows.QuestRunCompleted}, b.statuses)
	assert.Equal(t, "conf-1", b.eventID, "ConveneEventId is the quest's conference")
	assert.Empty(t, b.callsOf("CloseQuestRun"))
	assert.Equal(t, june1.Add(3*time.Hour), b.env.Now().UTC(), "a one-off quest's run ends with its completion")

	joined := b.joined.state
	assert.Equal(t, workflows.QuestRunActive, joined.Status, "the join answers the state after the join transaction")
	assert.Equal(t, enums.RegistrationApproved, joined.Registration)
	assert.Len(t, joined.Tasks, 3)
	joins := b.callsOf("JoinQuest")
	require.Len(t, joins, 1)
	assert.Equal(t, activities.QuestJoin{QuestID: questID, OrganizationID: "org-1", UserID: participant}, joins[0].arg)
}

// TestQuestRun_RepeatedJoinAnswersTheState: a second JoinQuest (the same
// Update on the open run) answers the current state; the member is joined
// once.
func TestQuestRun_RepeatedJoinAnswersTheState(t *testing.T) {
	b := newQuestBed(t, threeTasks()...)
	b.submit(time.Hour, quizTask, activities.TaskAnswer{Answers: []int{1}})
	again := b.update(2*time.Hour, workflows.UpdateJoinQuest)
	b.submit(3*time.Hour, codeTask, activities.TaskAnswer{Code: "LAUNCH"})
	b.submit(4*time.Hour, apiTask, activities.TaskAnswer{})
	s := b.run()

	st := accepted(t, again)
	assert.Equal(t, workflows.QuestRunActive, st.Status)
	assert.Equal(t, enums.UserTaskCompleted, taskIn(t, st, quizTask).Status)
	assert.Len(t, b.callsOf("JoinQuest"), 1)
	assert.Equal(t, workflows.QuestRunCompleted, s.Status)
}

// TestQuestRun_FullQuestRefusesTheJoin: the join activity finds no place
// left: the join Update and the run end with the exhausted refusal.
func TestQuestRun_FullQuestRefusesTheJoin(t *testing.T) {
	b := newQuestBed(t, threeTasks()...)
	b.env.OnActivity(b.acts.JoinQuest, mock.Anything, mock.Anything).Return(activities.QuestSnapshot{},
		temporal.NewNonRetryableApplicationError("the quest is full", workflows.ErrTypeExhausted, nil)).Once()
	err := b.execute()

	require.Error(t, err)
	require.True(t, b.joined.done)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, b.joined.err, &appErr)
	assert.Equal(t, workflows.ErrTypeExhausted, appErr.Type())
	assert.Empty(t, b.callsOf("CloseQuestRun"))
}

// TestQuestRun_Registration: a quest that needs approval waits for a
// reviewer: approved, the member completes it; rejected, the run ends at
// once; undecided at the quest's end, the registration expires. Nobody
// submits while it is pending, and the participant cannot decide.
func TestQuestRun_Registration(t *testing.T) {
	for _, tc := range []struct {
		name       string
		decide     *bool
		wantStatus string
		wantCalls  []string
		wantEnd    time.Time
	}{
		{name: "approved", decide: ptr(true), wantStatus: workflows.QuestRunCompleted,
			wantCalls: []string{"DecideRegistration", "CompleteQuest"}, wantEnd: june1.Add(5 * time.Hour)},
		{name: "rejected", decide: ptr(false), wantStatus: workflows.QuestRunRejected,
			wantCalls: []string{"DecideRegistration"}, wantEnd: june1.Add(2 * time.Hour)},
		{name: "no decision", wantStatus: workflows.QuestRunExpired,
			wantCalls: []string{"ExpireRegistration"}, wantEnd: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newQuestBed(t, questTask(quizTask, enums.TaskKindQuiz, 1))
			b.snap.RequiresApproval, b.snap.Registration = true, enums.RegistrationPending
			early := b.submit(time.Hour, quizTask, activities.TaskAnswer{Answers: []int{0}})
			own := b.update(90*time.Minute, workflows.UpdateDecideRegistration,
				workflows.RegistrationDecision{Actor: workflows.QuestActor{UserID: participant, CanReview: true}, Approve: true})
			var decision *questUpdate
			if tc.decide != nil {
				decision = b.update(2*time.Hour, workflows.UpdateDecideRegistration,
					workflows.RegistrationDecision{Actor: asReviewer, Approve: *tc.decide, Comment: "checked"})
				b.submit(5*time.Hour, quizTask, activities.TaskAnswer{Answers: []int{0}})
			}
			s := b.run()

			assert.Equal(t, workflows.QuestRunAwaitingApproval, b.joined.state.Status)
			refused(t, early, workflows.ErrTypeWrongState)
			refused(t, own, workflows.ErrTypeNotAllowed)
			assert.Equal(t, tc.wantStatus, s.Status)
			var names []string
			for _, c := range b.calls {
				if c.name != "JoinQuest" && c.name != "RecordSubmission" {
					names = append(names, c.name)
				}
			}
			assert.Equal(t, tc.wantCalls, names)
			assert.Equal(t, tc.wantEnd, b.env.Now().UTC(), "when the run ended")
			if decision != nil {
				answered := accepted(t, decision)
				d := b.callsOf("DecideRegistration")[0].arg.(activities.RegistrationDecisionRecord)
				assert.Equal(t, activities.RegistrationDecisionRecord{QuestID: questID, UserID: participant,
					ActorUserID: reviewer, Approve: *tc.decide, Comment: "checked"}, d)
				want := map[bool]string{true: workflows.QuestRunActive, false: workflows.QuestRunRejected}[*tc.decide]
				assert.Equal(t, want, answered.Status)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestQuestRun_APICheckRetries: the verifier answers 500 twice, then
// valid: 3 calls, retried with backoff, and the task completes. Three 500s:
// the workflow gives up ("verifier unavailable") and the task fails; a
// retry before the cooldown is refused naming when, one after it passes.
func TestQuestRun_APICheckRetries(t *testing.T) {
	serverError := errors.New("verifier answered 500")
	t.Run("500, 500, valid", func(t *testing.T) {
		b := newQuestBed(t, questTask(apiTask, enums.TaskKindAPICheck, 1))
		b.verdicts = []error{serverError, serverError}
		sub := b.submit(time.Hour, apiTask, activities.TaskAnswer{})
		s := b.run()

		tries := b.since(b.callsOf("VerifyTask"))
		require.Len(t, tries, 3)
		assert.Equal(t, []time.Duration{time.Hour, time.Hour + time.Second}, tries[:2], "the first retry a second later")
		assert.Greater(t, tries[2], tries[1], "the second retry later still")
		assert.Empty(t, b.callsOf("GiveUpVerification"))
		assert.Equal(t, enums.UserTaskCompleted, taskIn(t, accepted(t, sub), apiTask).Status, "the submission answers the final outcome")
		assert.Equal(t, workflows.QuestRunCompleted, s.Status)
		assert.Len(t, b.callsOf("CompleteQuest"), 1)
	})
	t.Run("three 500s, then retried after the cooldown", func(t *testing.T) {
		b := newQuestBed(t, questTask(apiTask, enums.TaskKindAPICheck, 1))
		b.verdicts = []error{serverError, serverError, serverError}
		first := b.submit(time.Hour, apiTask, activities.TaskAnswer{})
		early := b.submit(90*time.Minute, apiTask, activities.TaskAnswer{})
		late := b.submit(2*time.Hour+time.Minute, apiTask, activities.TaskAnswer{})
		s := b.run()

		assert.Len(t, b.callsOf("VerifyTask"), 4, "3 tries, then 1 for the retry")
		gaveUp := b.callsOf("GiveUpVerification")
		require.Len(t, gaveUp, 1)
		assert.WithinDuration(t, june1.Add(time.Hour), gaveUp[0].at, 5*time.Second, "gives up after the third try, not later")
		failed := taskIn(t, accepted(t, first), apiTask)
		assert.Equal(t, enums.UserTaskFailed, failed.Status)
		assert.Equal(t, unavailable, failed.Reason)
		refused(t, early, workflows.ErrTypeWrongState)
		assert.Contains(t, early.rejected.Error(), "2026-06-01T11:00:00Z", "names when it may be retried: the cooldown after the attempt")
		assert.Equal(t, enums.UserTaskCompleted, taskIn(t, accepted(t, late), apiTask).Status)
		assert.Len(t, b.callsOf("RecordSubmission"), 2)
		assert.Equal(t, workflows.QuestRunCompleted, s.Status)
	})
}

// TestQuestRun_ConcurrentSubmissionsRecordOne: ten SubmitTask of the same
// task at once: one submission is recorded and verified, one completion;
// the other nine are refused (by the validator, or by the handler's
// re-check once the first is done) with ErrTypeWrongState.
func TestQuestRun_ConcurrentSubmissionsRecordOne(t *testing.T) {
	b := newQuestBed(t, questTask(apiTask, enums.TaskKindAPICheck, 1))
	var subs []*questUpdate
	for range 10 {
		subs = append(subs, b.submit(time.Hour, apiTask, activities.TaskAnswer{}))
	}
	s := b.run()

	assert.Len(t, b.callsOf("RecordSubmission"), 1)
	assert.Len(t, b.callsOf("VerifyTask"), 1)
	assert.Len(t, b.callsOf("CompleteQuest"), 1)
	ok := 0
	for _, sub := range subs {
		require.True(t, sub.done)
		if err := errors.Join(sub.rejected, sub.err); err != nil {
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, err, &appErr)
			assert.Equal(t, workflows.ErrTypeWrongState, appErr.Type())
			continue
		}
		ok++
	}
	assert.Equal(t, 1, ok)
	assert.Equal(t, workflows.QuestRunCompleted, s.Status)
}

// TestQuestRun_UnconfiguredVerifierWaitsForReview: with no API-check
// verifier configured the submission goes to review and never completes
// by itself: past the quest's end the run still waits for the review,
// until the quest is archived and the run expires unpaid.
func TestQuestRun_UnconfiguredVerifierWaitsForReview(t *testing.T) {
	b := newQuestBed(t, questTask(apiTask, enums.TaskKindAPICheck, 1))
	b.unconfigured[enums.TaskKindAPICheck] = true
	sub := b.submit(time.Hour, apiTask, activities.TaskAnswer{})
	midway := b.queryAt(10 * 24 * time.Hour)
	afterEnd := b.queryAt(35 * 24 * time.Hour)
	b.env.RegisterDelayedCallback(func() { b.env.SignalWorkflow(workflows.SignalQuestClosed, nil) }, 40*24*time.Hour)
	s := b.run()

	assert.Equal(t, enums.UserTaskInReview, taskIn(t, accepted(t, sub), apiTask).Status)
	assert.Equal(t, workflows.QuestRunInReview, midway.Status)
	assert.Equal(t, workflows.QuestRunInReview, afterEnd.Status, "past the quest's end the run still waits for the review")
	assert.Empty(t, b.callsOf("VerifyTask"))
	assert.Empty(t, b.callsOf("CompleteQuest"))
	assert.Equal(t, workflows.QuestRunExpired, s.Status)
	closes := b.callsOf("CloseQuestRun")
	require.Len(t, closes, 1)
	assert.Equal(t, june1.Add(40*24*time.Hour), closes[0].at, "closed by the quest's archiving, not by its end")
	assert.Equal(t, activities.QuestRunClose{QuestID: questID, UserID: participant, Status: workflows.QuestRunExpired}, closes[0].arg)
	assert.Equal(t, []string{workflows.QuestRunInReview, workflows.QuestRunExpired}, b.statuses)
}

// TestQuestRun_ReviewAndItsSLA: a manual proof waits for a reviewer. The
// participant may not review it (nor a member who is no reviewer): both
// are refused and leave no ReviewTask. Unreviewed, the reviewers are
// reminded at the deadline (one SLA after the submission) and the admins
// at twice the SLA; the approval completes the quest.
func TestQuestRun_ReviewAndItsSLA(t *testing.T) {
	b := newQuestBed(t, questTask(proofTask, enums.TaskKindManualProof, 1))
	b.submit(time.Hour, proofTask, activities.TaskAnswer{Proof: "https://example.org/photo.jpg"})
	own := b.update(2*time.Hour, workflows.UpdateReviewTask,
		workflows.TaskReview{Actor: workflows.QuestActor{UserID: participant, CanReview: true}, TaskID: proofTask, Approve: true})
	member := b.update(3*time.Hour, workflows.UpdateReviewTask,
		workflows.TaskReview{Actor: workflows.QuestActor{UserID: "member-2"}, TaskID: proofTask, Approve: true})
	review := b.update(60*time.Hour, workflows.UpdateReviewTask,
		workflows.TaskReview{Actor: asReviewer, TaskID: proofTask, Approve: true, Comment: "nice"})
	s := b.run()

	refused(t, own, workflows.ErrTypeNotAllowed)
	refused(t, member, workflows.ErrTypeNotAllowed)
	reminders := b.callsOf("RemindReviewers")
	require.Len(t, reminders, 2)
	assert.Equal(t, []time.Duration{time.Hour + questSLA, time.Hour + 2*questSLA}, b.since(reminders))
	assert.Equal(t, 1, reminders[0].arg.(activities.ReviewReminder).Level)
	assert.Equal(t, activities.ReviewReminder{QuestID: questID, UserID: participant, TaskID: proofTask, Period: "2026-06-01",
		Level: 2}, reminders[1].arg)
	reviews := b.callsOf("ReviewTask")
	require.Len(t, reviews, 1, "the refused reviews left nothing")
	assert.Equal(t, reviewer, reviews[0].arg.(activities.TaskReviewRecord).ReviewerID)
	answered := accepted(t, review)
	assert.Equal(t, workflows.QuestRunCompleted, answered.Status)
	assert.Equal(t, 2, taskIn(t, answered, proofTask).ReviewReminders)
	assert.Equal(t, workflows.QuestRunCompleted, s.Status)
	assert.Len(t, b.callsOf("CompleteQuest"), 1)
	assert.Equal(t, []string{workflows.QuestRunInReview, workflows.QuestRunCompleted}, b.statuses)
}

// TestQuestRun_RejectedReviewMayBeSubmittedAgain: a rejected proof fails
// with the reviewer's comment; after the cooldown the participant submits
// it again and a second review approves it.
func TestQuestRun_RejectedReviewMayBeSubmittedAgain(t *testing.T) {
	b := newQuestBed(t, questTask(proofTask, enums.TaskKindManualProof, 1))
	b.submit(time.Hour, proofTask, activities.TaskAnswer{Proof: "blurry"})
	rejected := b.update(2*time.Hour, workflows.UpdateReviewTask,
		workflows.TaskReview{Actor: asReviewer, TaskID: proofTask, Comment: "too blurry"})
	b.submit(4*time.Hour, proofTask, activities.TaskAnswer{Proof: "sharp"})
	b.update(5*time.Hour, workflows.UpdateReviewTask, workflows.TaskReview{Actor: asReviewer, TaskID: proofTask, Approve: true})
	s := b.run()

	failed := taskIn(t, accepted(t, rejected), proofTask)
	assert.Equal(t, enums.UserTaskFailed, failed.Status)
	assert.Equal(t, "too blurry", failed.Reason)
	assert.Len(t, b.callsOf("ReviewTask"), 2)
	assert.Equal(t, workflows.QuestRunCompleted, s.Status)
	assert.Empty(t, b.callsOf("RemindReviewers"), "each review came before its deadline")
}

// TestQuestRun_QuestClosedSignal: the quest is archived while the member
// is midway: the run closes (the place freed) and ends expired.
func TestQuestRun_QuestClosedSignal(t *testing.T) {
	b := newQuestBed(t, threeTasks()...)
	b.submit(time.Hour, quizTask, activities.TaskAnswer{Answers: []int{1}})
	b.env.RegisterDelayedCallback(func() { b.env.SignalWorkflow(workflows.SignalQuestClosed, nil) }, 2*time.Hour)
	late := b.submit(3*time.Hour, codeTask, activities.TaskAnswer{Code: "LAUNCH"})
	s := b.run()

	assert.Equal(t, workflows.QuestRunExpired, s.Status)
	closes := b.callsOf("CloseQuestRun")
	require.Len(t, closes, 1)
	assert.Equal(t, june1.Add(2*time.Hour), closes[0].at)
	assert.Empty(t, b.callsOf("CompleteQuest"))
	assert.False(t, late.done, "the run ended before the late submission")
}

// TestQuestRun_DailyQuestOverTwoDays: a daily quest open for 1 and 2
// June, completed each day: the first day's run completes its period,
// waits for midnight and continues as new for 2 June; the continued run
// completes that period and ends. Two completions, two periods.
func TestQuestRun_DailyQuestOverTwoDays(t *testing.T) {
	daily := func(b *questBed, period string, ends time.Time) {
		b.snap.Recurrence, b.snap.Period, b.snap.PeriodEnds = enums.RecurrenceDaily, period, ends
		b.snap.EndsAt = time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC)
	}
	june2 := time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)

	first := newQuestBed(t, questTask(quizTask, enums.TaskKindQuiz, 1))
	daily(first, "2026-06-01", june2)
	sub := first.submit(time.Hour, quizTask, activities.TaskAnswer{Answers: []int{2}})
	again := first.submit(2*time.Hour, quizTask, activities.TaskAnswer{Answers: []int{2}})
	err := first.execute()
	require.True(t, isContinueAsNew(err), "the first day's run continues as new: %v", err)
	assert.Equal(t, june2, first.env.Now().UTC(), "at the period's end")
	assert.Equal(t, workflows.QuestRunCompleted, accepted(t, sub).Status)
	refused(t, again, workflows.ErrTypeWrongState)
	assert.Contains(t, again.rejected.Error(), "2026-06-02T00:00:00Z", "names when the next period starts")

	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, err, &can)
	var next workflows.QuestRunInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	assert.Equal(t, "2026-06-02", next.Period)
	assert.Equal(t, "conf-1", next.ConferenceID)

	second := newQuestBed(t, questTask(quizTask, enums.TaskKindQuiz, 1))
	daily(second, "2026-06-02", second.snap.EndsAt)
	second.in = next
	second.env.SetStartTime(june2)
	second.submit(10*time.Hour, quizTask, activities.TaskAnswer{Answers: []int{2}})
	require.NoError(t, second.execute())
	var s workflows.QuestRunState
	require.NoError(t, second.env.GetWorkflowResult(&s))

	assert.Equal(t, workflows.QuestRunCompleted, s.Status)
	assert.Equal(t, "2026-06-02", second.callsOf("JoinQuest")[0].arg.(activities.QuestJoin).Period,
		"the continued run joins for its period")
	var periods []string
	for _, c := range append(first.callsOf("CompleteQuest"), second.callsOf("CompleteQuest")...) {
		periods = append(periods, c.arg.(activities.QuestPeriodRef).Period)
	}
	assert.Equal(t, []string{"2026-06-01", "2026-06-02"}, periods)
}

// TestQuestRun_DailyQuestIncompleteRollsOver: a day left incomplete rolls
// over at midnight all the same; nothing is paid or closed for it.
func TestQuestRun_DailyQuestIncompleteRollsOver(t *testing.T) {
	b := newQuestBed(t, questTask(quizTask, enums.TaskKindQuiz, 1), questTask(codeTask, enums.TaskKindSecretCode, 2))
	b.snap.Recurrence, b.snap.PeriodEnds = enums.RecurrenceDaily, time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)
	b.submit(time.Hour, quizTask, activities.TaskAnswer{Answers: []int{2}})
	wrong := b.submit(2*time.Hour, codeTask, activities.TaskAnswer{Code: "nope"})
	err := b.execute()

	require.True(t, isContinueAsNew(err), "%v", err)
	assert.Equal(t, enums.UserTaskFailed, taskIn(t, accepted(t, wrong), codeTask).Status)
	assert.Empty(t, b.callsOf("CompleteQuest"))
	assert.Empty(t, b.callsOf("CloseQuestRun"))
}

// TestQuestRun_SubmitRefusals: what the submit-task validator refuses,
// each leaving no submission.
func TestQuestRun_SubmitRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sub     workflows.TaskSubmission
		before  func(b *questBed)
		errType string
	}{
		{name: "another member's submission", sub: workflows.TaskSubmission{Actor: workflows.QuestActor{UserID: "member-2"}, TaskID: codeTask},
			errType: workflows.ErrTypeNotAllowed},
		{name: "a reviewer submitting for the member", sub: workflows.TaskSubmission{Actor: asReviewer, TaskID: codeTask},
			errType: workflows.ErrTypeNotAllowed},
		{name: "a task the quest does not have", sub: workflows.TaskSubmission{Actor: asParticipant, TaskID: "task-other"},
			errType: workflows.ErrTypeWrongState},
		{name: "before the quest starts", sub: workflows.TaskSubmission{Actor: asParticipant, TaskID: codeTask},
			before: func(b *questBed) { b.snap.StartsAt = june1.Add(48 * time.Hour) }, errType: workflows.ErrTypeWrongState},
		{name: "a task already completed", sub: workflows.TaskSubmission{Actor: asParticipant, TaskID: quizTask},
			before: func(b *questBed) { b.snap.Tasks[0].Status = enums.UserTaskCompleted }, errType: workflows.ErrTypeWrongState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newQuestBed(t, questTask(quizTask, enums.TaskKindQuiz, 1), questTask(codeTask, enums.TaskKindSecretCode, 2))
			if tc.before != nil {
				tc.before(b)
			}
			out := b.update(time.Hour, workflows.UpdateSubmitTask, tc.sub)
			b.env.RegisterDelayedCallback(func() { b.env.SignalWorkflow(workflows.SignalQuestClosed, nil) }, 2*time.Hour)
			b.run()

			refused(t, out, tc.errType)
			assert.Empty(t, b.callsOf("RecordSubmission"))
		})
	}
}

// TestQuestRun_JoinOfACompletedPeriod: the join finds the period already
// completed (a member joining again): a one-off quest's run ends completed
// at once; a recurring one waits for the next period. Nothing is paid
// again.
func TestQuestRun_JoinOfACompletedPeriod(t *testing.T) {
	for _, tc := range []struct {
		name       string
		recurrence string
		wantEnd    time.Time
		wantNew    bool
	}{
		{name: "one-off", recurrence: enums.RecurrenceNone, wantEnd: june1},
		{name: "daily", recurrence: enums.RecurrenceDaily, wantEnd: time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC), wantNew: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newQuestBed(t, questTask(quizTask, enums.TaskKindQuiz, 1))
			completedAt := june1.Add(-time.Hour)
			b.snap.Recurrence, b.snap.CompletedAt, b.snap.PointsAwarded = tc.recurrence, &completedAt, questPaid
			b.snap.Tasks[0].Status = enums.UserTaskCompleted
			if tc.recurrence != enums.RecurrenceNone {
				b.snap.PeriodEnds = time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)
			}
			err := b.execute()

			assert.Equal(t, tc.wantNew, isContinueAsNew(err), "%v", err)
			if !tc.wantNew {
				require.NoError(t, err)
			}
			assert.Equal(t, workflows.QuestRunCompleted, accepted(t, b.joined).Status)
			assert.Equal(t, questPaid, b.joined.state.PointsAwarded)
			assert.Equal(t, tc.wantEnd, b.env.Now().UTC())
			assert.Empty(t, b.callsOf("CompleteQuest"))
			assert.Empty(t, b.callsOf("CloseQuestRun"))
		})
	}
}

// dailyUntilJune3 makes the bed's quest daily, open for 1 and 2 June: the
// first period ends at midnight.
func dailyUntilJune3(b *questBed) {
	b.snap.Recurrence, b.snap.PeriodEnds = enums.RecurrenceDaily, time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)
	b.snap.EndsAt = time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC)
}

// optional is a task the quest does not require.
func optional(t activities.QuestTaskProgress) activities.QuestTaskProgress {
	t.Required = false
	return t
}

// TestQuestRun_DailyPeriodDrainsItsReview: a daily quest's manual proof
// is still in review at midnight: the run does not roll over but drains
// the period: a submission after midnight is refused (the period has
// ended), the reviewers are reminded at the deadline as before, the run
// stays in review; the approval the next afternoon completes the old
// period (its points), and only then the run continues as new for
// 2 June.
func TestQuestRun_DailyPeriodDrainsItsReview(t *testing.T) {
	b := newQuestBed(t, questTask(proofTask, enums.TaskKindManualProof, 1), optional(questTask(quizTask, enums.TaskKindQuiz, 2)))
	dailyUntilJune3(b)
	b.submit(time.Hour, proofTask, activities.TaskAnswer{Proof: "https://example.org/photo.jpg"})
	late := b.submit(16*time.Hour, quizTask, activities.TaskAnswer{Answers: []int{1}})
	draining := b.queryAt(20 * time.Hour)
	review := b.update(30*time.Hour, workflows.UpdateReviewTask,
		workflows.TaskReview{Actor: asReviewer, TaskID: proofTask, Approve: true})
	err := b.execute()

	require.True(t, isContinueAsNew(err), "the run continues as new once drained: %v", err)
	assert.Equal(t, june1.Add(30*time.Hour), b.env.Now().UTC(), "not at midnight: after the review")
	refused(t, late, workflows.ErrTypeWrongState)
	assert.Contains(t, late.rejected.Error(), "the period 2026-06-01 has ended")
	assert.Empty(t, b.callsOfTask("RecordSubmission", quizTask))
	assert.Equal(t, workflows.QuestRunInReview, draining.Status)
	assert.Equal(t, "2026-06-01", draining.Period)
	assert.Equal(t, []time.Duration{time.Hour + questSLA}, b.since(b.callsOf("RemindReviewers")),
		"the review's deadline is kept past midnight")

	answered := accepted(t, review)
	assert.Equal(t, workflows.QuestRunCompleted, answered.Status)
	assert.Equal(t, questPaid, answered.PointsAwarded)
	done := b.callsOf("CompleteQuest")
	require.Len(t, done, 1)
	assert.Equal(t, activities.QuestPeriodRef{QuestID: questID, UserID: participant, Period: "2026-06-01"}, done[0].arg)
	assert.Equal(t, "2026-06-01", b.callsOf("ReviewTask")[0].arg.(activities.TaskReviewRecord).Period)
	assert.Equal(t, []string{workflows.QuestRunInReview, workflows.QuestRunCompleted}, b.statuses)

	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, err, &can)
	var next workflows.QuestRunInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	assert.Equal(t, "2026-06-02", next.Period)
}

// TestQuestRun_DailyPeriodDrainsItsCheck: an API check submitted a second
// before midnight whose verifier fails twice: the retries run past
// midnight, the verdict completes the old period, then the run rolls over.
func TestQuestRun_DailyPeriodDrainsItsCheck(t *testing.T) {
	b := newQuestBed(t, questTask(apiTask, enums.TaskKindAPICheck, 1))
	dailyUntilJune3(b)
	serverError := errors.New("verifier answered 500")
	b.verdicts = []error{serverError, serverError}
	sub := b.submit(15*time.Hour-time.Second, apiTask, activities.TaskAnswer{})
	err := b.execute()

	require.True(t, isContinueAsNew(err), "%v", err)
	assert.Len(t, b.callsOf("VerifyTask"), 3)
	assert.Equal(t, enums.UserTaskCompleted, taskIn(t, accepted(t, sub), apiTask).Status)
	done := b.callsOf("CompleteQuest")
	require.Len(t, done, 1)
	assert.True(t, done[0].at.After(b.snap.PeriodEnds), "completed after midnight")
	assert.Equal(t, "2026-06-01", done[0].arg.(activities.QuestPeriodRef).Period)
	assert.True(t, b.env.Now().After(b.snap.PeriodEnds))
}

// TestQuestRun_OneOffQuestDrainsItsReview: a one-off quest reaches its
// end with the required proof in review: the run stays open (in review),
// refuses a submission after the end, and takes the review: approved, the
// quest completes (paid, nothing closed); rejected, the run expires.
func TestQuestRun_OneOffQuestDrainsItsReview(t *testing.T) {
	for _, tc := range []struct {
		name       string
		approve    bool
		wantStatus string
		completes  int
		closes     int
		statuses   []string
	}{
		{name: "approved after the end", approve: true, wantStatus: workflows.QuestRunCompleted, completes: 1,
			statuses: []string{workflows.QuestRunInReview, workflows.QuestRunCompleted}},
		// The rejection leaves the task failed (active) until the loop
		// expires the drained run.
		{name: "rejected after the end", wantStatus: workflows.QuestRunExpired, closes: 1,
			statuses: []string{workflows.QuestRunInReview, workflows.QuestRunActive, workflows.QuestRunExpired}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newQuestBed(t, questTask(proofTask, enums.TaskKindManualProof, 1), optional(questTask(quizTask, enums.TaskKindQuiz, 2)))
			reviewAt := b.snap.EndsAt.Add(48 * time.Hour).Sub(june1)
			b.submit(time.Hour, proofTask, activities.TaskAnswer{Proof: "https://example.org/photo.jpg"})
			late := b.submit(reviewAt-time.Hour, quizTask, activities.TaskAnswer{Answers: []int{1}})
			draining := b.queryAt(reviewAt - time.Minute)
			review := b.update(reviewAt, workflows.UpdateReviewTask,
				workflows.TaskReview{Actor: asReviewer, TaskID: proofTask, Approve: tc.approve})
			s := b.run()

			refused(t, late, workflows.ErrTypeWrongState)
			assert.Contains(t, late.rejected.Error(), "the period 2026-06-01 has ended")
			assert.Equal(t, workflows.QuestRunInReview, draining.Status)
			accepted(t, review)
			assert.Equal(t, tc.wantStatus, s.Status)
			assert.Equal(t, june1.Add(reviewAt), b.env.Now().UTC(), "the run ends with the review")
			assert.Len(t, b.callsOf("CompleteQuest"), tc.completes)
			assert.Len(t, b.callsOf("CloseQuestRun"), tc.closes)
			assert.Len(t, b.callsOf("RemindReviewers"), 2, "reminded, then escalated")
			assert.Equal(t, tc.statuses, b.statuses)
		})
	}
}

// TestQuestRun_JoinResumesACheckLeftVerifying: the join finds an API
// check a failed run left verifying: the new run verifies it again (the
// same submission, nothing recorded anew) instead of refusing the task
// for good; valid, the quest completes.
func TestQuestRun_JoinResumesACheckLeftVerifying(t *testing.T) {
	b := newQuestBed(t, questTask(apiTask, enums.TaskKindAPICheck, 1))
	b.snap.Tasks[0].Status, b.snap.Tasks[0].Attempts = enums.UserTaskVerifying, 1
	s := b.run()

	verifies := b.callsOf("VerifyTask")
	require.Len(t, verifies, 1)
	assert.Equal(t, activities.SubmissionRecord{QuestID: questID, UserID: participant, TaskID: apiTask, Period: "2026-06-01"},
		verifies[0].arg)
	assert.Empty(t, b.callsOf("RecordSubmission"))
	assert.Equal(t, workflows.QuestRunCompleted, s.Status)
	assert.Len(t, b.callsOf("CompleteQuest"), 1)
	assert.Equal(t, enums.UserTaskVerifying, taskIn(t, b.joined.state, apiTask).Status,
		"the join answers the state it found")
}
