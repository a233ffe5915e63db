package api_test

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	tworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/workflows"
)

// questRunStubs answer the quest-run activities as the real ones would for
// a quest needing approval with a quiz, an API check and a manual proof,
// without a database: the recorded history depends only on what the
// activities answer. The API check's verifier fails its first try.
type questRunStubs struct {
	now      func() time.Time
	verifies atomic.Int32
}

func (s *questRunStubs) JoinQuest(_ context.Context, in activities.QuestJoin) (activities.QuestSnapshot, error) {
	now := s.now().UTC()
	task := func(id, kind string, position int) activities.QuestTaskProgress {
		return activities.QuestTaskProgress{TaskID: id, Position: position, Kind: kind, Title: kind, Required: true}
	}
	return activities.QuestSnapshot{QuestID: in.QuestID, OrganizationID: in.OrganizationID, Title: "Launch week",
		Points: 50, RequiresApproval: true, Recurrence: enums.RecurrenceNone, StartsAt: now.Add(-time.Hour),
		EndsAt: now.Add(24 * time.Hour), RetryCooldown: time.Hour, ReviewSLA: 24 * time.Hour,
		Registration: enums.RegistrationPending, Period: now.Format(time.DateOnly), PeriodEnds: now.Add(24 * time.Hour),
		Tasks: []activities.QuestTaskProgress{task("quiz", enums.TaskKindQuiz, 1), task("api", enums.TaskKindAPICheck, 2),
			task("proof", enums.TaskKindManualProof, 3)}}, nil
}

func (*questRunStubs) DecideRegistration(context.Context, activities.RegistrationDecisionRecord) error {
	return nil
}

func (*questRunStubs) ExpireRegistration(context.Context, activities.QuestRunRef) error { return nil }

func (s *questRunStubs) RecordSubmission(_ context.Context, r activities.SubmissionRecord) (activities.TaskOutcome, error) {
	out := activities.TaskOutcome{TaskID: r.TaskID, Attempts: 1, At: s.now()}
	switch r.TaskID {
	case "quiz":
		out.Status = enums.UserTaskCompleted
	case "api":
		out.Status = enums.UserTaskVerifying
	default:
		due := s.now().Add(24 * time.Hour)
		out.Status, out.ReviewDueAt = enums.UserTaskInReview, &due
	}
	return out, nil
}

func (s *questRunStubs) VerifyTask(_ context.Context, r activities.SubmissionRecord) (activities.TaskOutcome, error) {
	if s.verifies.Add(1) == 1 {
		return activities.TaskOutcome{}, errors.New("verifier answered 500")
	}
	return activities.TaskOutcome{TaskID: r.TaskID, Status: enums.UserTaskCompleted, Attempts: 1, At: s.now()}, nil
}

func (s *questRunStubs) GiveUpVerification(_ context.Context, r activities.SubmissionRecord) (activities.TaskOutcome, error) {
	return activities.TaskOutcome{TaskID: r.TaskID, Status: enums.UserTaskFailed, Reason: "verifier unavailable", At: s.now()}, nil
}

func (s *questRunStubs) ReviewTask(_ context.Context, r activities.TaskReviewRecord) (activities.TaskOutcome, error) {
	status := enums.UserTaskCompleted
	if !r.Approve {
		status = enums.UserTaskFailed
	}
	return activities.TaskOutcome{TaskID: r.TaskID, Status: status, Reason: r.Comment, At: s.now()}, nil
}

func (*questRunStubs) RemindReviewers(context.Context, activities.ReviewReminder) error { return nil }

func (s *questRunStubs) CompleteQuest(context.Context, activities.QuestPeriodRef) (activities.CompletionResult, error) {
	return activities.CompletionResult{Points: 50, BalanceAfter: 50, CompletedAt: s.now()}, nil
}

func (*questRunStubs) CloseQuestRun(context.Context, activities.QuestRunClose) error { return nil }

// TestQuestRun_RecordApproveVerifyReview records the quest-run history
// workflows/replay_test.go replays: a join by Update-with-Start awaiting
// approval, the participant's own decision refused (absent from the
// history), the approval, a quiz, an API check whose first try fails and
// is retried, a manual proof the participant may not review, the
// reviewer's approval and the completion. It runs only when recording, on
// its own worker with stub activities, so it needs neither the quest
// schema nor the API.
func TestQuestRun_RecordApproveVerifyReview(t *testing.T) {
	if os.Getenv(recordHistoryEnv) == "" {
		t.Skip("records histories; set " + recordHistoryEnv + "=1")
	}
	ctx := context.Background()
	const queue = "quest-run-record"
	wk := tworker.New(temporalClient, queue, tworker.Options{})
	wk.RegisterWorkflowWithOptions(workflows.QuestRun, workflow.RegisterOptions{Name: workflows.QuestRunWorkflowName})
	wk.RegisterActivity(&questRunStubs{now: time.Now})
	require.NoError(t, wk.Start())
	t.Cleanup(wk.Stop)

	in := workflows.QuestRunInput{QuestID: uuid.NewString(), OrganizationID: "org-1", UserID: "member-1",
		QuestTitle: "Launch week", UserName: "Ada"}
	st, err := workflows.JoinQuest(ctx, temporalClient, queue, in)
	require.NoError(t, err)
	assert.Equal(t, workflows.QuestRunAwaitingApproval, st.Status)

	id := workflows.QuestRunWorkflowID(in.QuestID, in.UserID)
	update := func(name string, arg any) (workflows.QuestRunState, error) {
		h, err := temporalClient.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name,
			Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err != nil {
			return workflows.QuestRunState{}, err
		}
		var s workflows.QuestRunState
		return s, h.Get(ctx, &s)
	}
	participant := workflows.QuestActor{UserID: in.UserID, CanReview: true}
	reviewer := workflows.QuestActor{UserID: "approver-1", CanReview: true}
	_, err = update(workflows.UpdateDecideRegistration, workflows.RegistrationDecision{Actor: participant, Approve: true})
	require.Error(t, err, "the participant may not approve their own registration")
	st, err = update(workflows.UpdateDecideRegistration, workflows.RegistrationDecision{Actor: reviewer, Approve: true})
	require.NoError(t, err)
	assert.Equal(t, workflows.QuestRunActive, st.Status)
	for _, task := range []string{"quiz", "api", "proof"} {
		st, err = update(workflows.UpdateSubmitTask, workflows.TaskSubmission{Actor: workflows.QuestActor{UserID: in.UserID},
			TaskID: task, RequestID: task + "-1"})
		require.NoError(t, err)
	}
	assert.Equal(t, workflows.QuestRunInReview, st.Status)
	_, err = update(workflows.UpdateReviewTask, workflows.TaskReview{Actor: participant, TaskID: "proof", Approve: true})
	require.Error(t, err, "the participant may not review their own proof")
	st, err = update(workflows.UpdateReviewTask, workflows.TaskReview{Actor: reviewer, TaskID: "proof", Approve: true})
	require.NoError(t, err)
	assert.Equal(t, workflows.QuestRunCompleted, st.Status)
	assert.Equal(t, 50, st.PointsAwarded)

	recordHistory(t, &testenv.API{Temporal: temporalClient}, id, "quest-run-approve-verify-review")
}
