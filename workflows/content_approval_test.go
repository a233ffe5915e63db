package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/workflows"
)

const author = "author-1"

// approvalBundle is one approval run in the time-skipping environment
// with every activity mocked: each step's assignees come from assignees,
// the publish child is a fake that records when it ran, and the next
// version's run (a child of a revise) is mocked and recorded.
type approvalBundle struct {
	env       *testsuite.TestWorkflowEnvironment
	acts      *activities.ContentApprovals
	start     time.Time
	assignees map[int][]activities.ApprovalAssignee
	escalated []activities.ApprovalAssignee
	updates   int

	votes       []activities.ApprovalVoteRecord
	resolutions []string
	reminders   []int
	escalations []int
	publishedAt []time.Time
	nextRuns    []workflows.ContentApprovalInput
}

func setupApproval(t *testing.T, steps ...activities.ApprovalStepPlan) *approvalBundle {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	acts := &activities.ContentApprovals{}
	env.RegisterActivity(acts)
	env.RegisterWorkflowWithOptions(workflows.ContentApproval, workflow.RegisterOptions{Name: workflows.ContentApprovalWorkflowName})
	b := &approvalBundle{env: env, acts: acts, start: env.Now(), assignees: map[int][]activities.ApprovalAssignee{}}
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in workflows.ContentPublishInput) (workflows.ContentPublishResult, error) {
		b.publishedAt = append(b.publishedAt, workflow.Now(ctx))
		return workflows.ContentPublishResult{Status: enums.ContentPublished}, nil
	}, workflow.RegisterOptions{Name: workflows.ContentPublishWorkflowName})
	// The mock applies to the run under test too: version 1 is the real
	// workflow, later versions (children of a revise) are recorded.
	env.OnWorkflow(workflows.ContentApprovalWorkflowName, mock.Anything, mock.Anything).Return(
		func(ctx workflow.Context, in workflows.ContentApprovalInput) (workflows.ContentApprovalState, error) {
			if in.Version == 1 {
				return workflows.ContentApproval(ctx, in)
			}
			b.nextRuns = append(b.nextRuns, in)
			return workflows.ContentApprovalState{Version: in.Version, Status: enums.ContentInReview}, nil
		})
	b.mockActivities(steps)
	return b
}

func (b *approvalBundle) mockActivities(steps []activities.ApprovalStepPlan) {
	b.env.OnActivity(b.acts.LoadApprovalRun, mock.Anything, mock.Anything).Return(
		func(context.Context, string) (activities.ApprovalRun, error) {
			return activities.ApprovalRun{RequestID: "req-1", Status: enums.ApprovalPending, Steps: steps, ScheduledFor: b.start.Add(72 * time.Hour)}, nil
		})
	b.env.OnActivity(b.acts.EscalateApprovalStep, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ApprovalStepRef) ([]activities.ApprovalAssignee, error) {
			b.escalations = append(b.escalations, in.Step)
			return append(b.assignees[in.Step], b.escalated...), nil
		})
	b.env.OnActivity(b.acts.RemindApprovers, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ApprovalStepRef) error {
			b.reminders = append(b.reminders, in.Step)
			return nil
		})
	b.env.OnActivity(b.acts.RecordApprovalVote, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ApprovalVoteRecord) error {
			b.votes = append(b.votes, in)
			return nil
		})
	b.env.OnActivity(b.acts.ResolveApprovalRequest, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ApprovalResolution) error {
			b.resolutions = append(b.resolutions, in.RequestStatus+"/"+in.ContentStatus)
			return nil
		})
	b.env.OnActivity(b.acts.WriteNextContentVersion, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NextVersionInput) (activities.NextVersion, error) {
			return activities.NextVersion{ContentVersionID: "cv-2", Version: in.ExpectedVersion + 1, Title: in.Title}, nil
		})
	b.env.OnActivity(b.acts.RescheduleContentVersion, mock.Anything, mock.Anything).Return(nil)
}

// people are assignees listed by user ID.
func people(ids ...string) []activities.ApprovalAssignee {
	out := make([]activities.ApprovalAssignee, 0, len(ids))
	for _, id := range ids {
		out = append(out, activities.ApprovalAssignee{UserID: id, Reason: enums.AssignedListed})
	}
	return out
}

func step(quorum string, n int) activities.ApprovalStepPlan {
	return activities.ApprovalStepPlan{Name: quorum, Quorum: quorum, QuorumN: n, SLAHours: 24}
}

// at runs an update after d, passing its outcome to check (nil: expect success).
func (b *approvalBundle) at(t *testing.T, d time.Duration, name string, arg any, check func(workflows.ContentApprovalState, error)) {
	if check == nil {
		check = func(_ workflows.ContentApprovalState, err error) { require.NoError(t, err, "%s at %s", name, d) }
	}
	b.env.RegisterDelayedCallback(func() {
		b.updates++
		b.env.UpdateWorkflow(name, fmt.Sprintf("%s-%d", name, b.updates), &testsuite.TestUpdateCallback{
			OnReject: func(err error) { check(workflows.ContentApprovalState{}, err) },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				s, _ := v.(workflows.ContentApprovalState)
				check(s, err)
			},
		}, arg)
	}, d)
}

func (b *approvalBundle) approve(t *testing.T, d time.Duration, stepN int, who string) {
	b.at(t, d, workflows.UpdateApprove, workflows.ContentVote{Version: 1, Step: stepN, ActorUserID: who}, nil)
}

// run runs version 1. Steps are assigned from b.assignees unless a test
// set its own OpenApprovalStep expectation, registered first so it wins.
func (b *approvalBundle) run(t *testing.T) workflows.ContentApprovalState {
	t.Helper()
	b.env.OnActivity(b.acts.OpenApprovalStep, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ApprovalStepRef) ([]activities.ApprovalAssignee, error) {
			return b.assignees[in.Step], nil
		}).Maybe()
	b.env.ExecuteWorkflow(workflows.ContentApprovalWorkflowName, workflows.ContentApprovalInput{OrganizationID: "org-1",
		ContentID: "content-1", ContentVersionID: "cv-1", Version: 1, AuthorUserID: author, Title: "Launch"})
	require.True(t, b.env.IsWorkflowCompleted())
	require.NoError(t, b.env.GetWorkflowError())
	var s workflows.ContentApprovalState
	require.NoError(t, b.env.GetWorkflowResult(&s))
	return s
}

// refusal asserts an update was refused with the refusal type want.
func refusal(t *testing.T, want string) func(workflows.ContentApprovalState, error) {
	return func(_ workflows.ContentApprovalState, err error) {
		var appErr *temporal.ApplicationError
		require.True(t, errors.As(err, &appErr), "want a %s refusal, got %v", want, err)
		assert.Equal(t, want, appErr.Type(), appErr.Message())
	}
}

func TestContentApproval_AnyThenAllPublishesAtScheduledTime(t *testing.T) {
	b := setupApproval(t, step(enums.QuorumAny, 1), step(enums.QuorumAll, 1))
	b.assignees[1] = people("a1", "a2")
	b.assignees[2] = people("b1", "b2")
	b.approve(t, time.Hour, 1, "a2")
	b.approve(t, 2*time.Hour, 2, "b1")
	var afterOne workflows.ContentApprovalState
	b.at(t, 2*time.Hour+time.Minute, workflows.UpdateApprove, workflows.ContentVote{Version: 1, Step: 2, ActorUserID: "b1"},
		refusal(t, workflows.ErrTypeWrongState))
	b.env.RegisterDelayedCallback(func() {
		v, err := b.env.QueryWorkflow(workflows.QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&afterOne))
	}, 150*time.Minute)
	b.approve(t, 3*time.Hour, 2, "b2")

	s := b.run(t)
	assert.Equal(t, enums.ContentPublished, s.Status)
	assert.Equal(t, 1, afterOne.Approvals, "one of two counted on the all-step")
	assert.Equal(t, 2, afterOne.Needed)
	assert.Len(t, b.votes, 3)
	assert.Equal(t, []string{"approved/scheduled"}, b.resolutions)
	require.Len(t, b.publishedAt, 1)
	assert.True(t, b.start.Add(72*time.Hour).Equal(b.publishedAt[0]), "published at scheduled_for, not at approval")
}

func TestContentApproval_TwoOfThreeRefusesThirdVote(t *testing.T) {
	b := setupApproval(t, step(enums.QuorumN, 2))
	b.assignees[1] = people("a1", "a2", "a3")
	b.approve(t, time.Hour, 1, "a1")
	b.approve(t, 2*time.Hour, 1, "a3")
	b.at(t, 3*time.Hour, workflows.UpdateApprove, workflows.ContentVote{Version: 1, Step: 1, ActorUserID: "a2"},
		refusal(t, workflows.ErrTypeWrongState))

	s := b.run(t)
	assert.Equal(t, enums.ContentPublished, s.Status)
	assert.Len(t, b.votes, 2, "the third vote is never recorded")
}

func TestContentApproval_RefusesVotesThatMayNotCount(t *testing.T) {
	b := setupApproval(t, step(enums.QuorumAll, 1), step(enums.QuorumAny, 1))
	b.assignees[1] = people("a1", "a2", author)
	b.assignees[2] = people("b1")
	for _, tc := range []struct {
		name string
		vote workflows.ContentVote
		want string
	}{
		{"author", workflows.ContentVote{Version: 1, Step: 1, ActorUserID: author}, workflows.ErrTypeNotAllowed},
		{"non-assignee", workflows.ContentVote{Version: 1, Step: 1, ActorUserID: "b1"}, workflows.ErrTypeNotAllowed},
		{"stale step", workflows.ContentVote{Version: 1, Step: 2, ActorUserID: "a1"}, workflows.ErrTypeWrongState},
		{"stale version", workflows.ContentVote{Version: 2, Step: 1, ActorUserID: "a1"}, workflows.ErrTypeWrongState},
		{"double vote", workflows.ContentVote{Version: 1, Step: 1, ActorUserID: "a1"}, workflows.ErrTypeWrongState},
	} {
		t.Log(tc.name)
		b.at(t, 2*time.Hour, workflows.UpdateApprove, tc.vote, refusal(t, tc.want))
	}
	b.approve(t, time.Hour, 1, "a1")
	b.at(t, 3*time.Hour, workflows.UpdateWithdraw, workflows.ContentWithdrawal{ActorUserID: author}, nil)

	s := b.run(t)
	assert.Equal(t, enums.ContentWithdrawn, s.Status)
	assert.Len(t, b.votes, 1)
	assert.Equal(t, []string{"withdrawn/withdrawn"}, b.resolutions)
}

func TestContentApproval_RequestChangesThenReviseSupersedes(t *testing.T) {
	b := setupApproval(t, step(enums.QuorumAny, 1))
	b.assignees[1] = people("a1")
	b.at(t, time.Hour, workflows.UpdateRequestChanges, workflows.ContentVote{Version: 1, Step: 1, ActorUserID: "a1", Comment: "shorter"}, nil)
	b.at(t, 2*time.Hour, workflows.UpdateRevise, workflows.ContentEdit{EditorUserID: author, ExpectedVersion: 2, Title: "Launch!"},
		refusal(t, workflows.ErrTypeConflict))
	var next workflows.ContentApprovalState
	b.at(t, 3*time.Hour, workflows.UpdateRevise, workflows.ContentEdit{EditorUserID: author, ExpectedVersion: 1, Title: "Launch!"},
		func(s workflows.ContentApprovalState, err error) { require.NoError(t, err); next = s })

	s := b.run(t)
	assert.Equal(t, workflows.ContentSuperseded, s.Status)
	assert.Equal(t, 2, s.SupersededBy)
	assert.Equal(t, 2, next.Version)
	assert.Equal(t, []string{"changes_requested/changes_requested"}, b.resolutions)
	require.Len(t, b.nextRuns, 1)
	assert.Equal(t, "cv-2", b.nextRuns[0].ContentVersionID)
	assert.Empty(t, b.publishedAt)
}

func TestContentApproval_EditAfterApprovalNeverPublishesOldVersion(t *testing.T) {
	b := setupApproval(t, step(enums.QuorumAny, 1))
	b.assignees[1] = people("a1")
	b.approve(t, time.Hour, 1, "a1")
	b.at(t, 10*time.Hour, workflows.UpdateRevise, workflows.ContentEdit{EditorUserID: author, ExpectedVersion: 1, Title: "Fixed"}, nil)

	s := b.run(t)
	assert.Equal(t, workflows.ContentSuperseded, s.Status)
	assert.Empty(t, b.publishedAt, "version 1 never publishes")
	require.Len(t, b.nextRuns, 1)
	assert.Equal(t, 2, b.nextRuns[0].Version)
}

func TestContentApproval_RemindThenEscalateThenTargetApproves(t *testing.T) {
	b := setupApproval(t, step(enums.QuorumAll, 1))
	b.assignees[1] = people("a1", "a2")
	b.escalated = []activities.ApprovalAssignee{{UserID: "boss", Reason: enums.AssignedEscalation}}
	b.approve(t, 49*time.Hour, 1, "boss")

	s := b.run(t)
	assert.Equal(t, []int{1}, b.reminders, "reminded once at the SLA")
	assert.Equal(t, []int{1}, b.escalations, "escalated once, as long again later")
	assert.Equal(t, enums.ContentPublished, s.Status)
	require.Len(t, b.votes, 1)
	assert.Equal(t, "boss", b.votes[0].ActorUserID)
}

func TestContentApproval_DelegateVotesOnBehalf(t *testing.T) {
	b := setupApproval(t, step(enums.QuorumAny, 1))
	b.assignees[1] = []activities.ApprovalAssignee{{UserID: "deputy", OnBehalfOf: "a1", Reason: enums.AssignedDelegate}}
	b.at(t, time.Hour, workflows.UpdateApprove, workflows.ContentVote{Version: 1, Step: 1, ActorUserID: "a1"}, refusal(t, workflows.ErrTypeNotAllowed))
	b.approve(t, 2*time.Hour, 1, "deputy")

	s := b.run(t)
	assert.Equal(t, enums.ContentPublished, s.Status)
	require.Len(t, b.votes, 1)
	assert.Equal(t, "a1", b.votes[0].OnBehalfOf)
}

func TestContentApproval_UnapprovedAtScheduledTimeExpires(t *testing.T) {
	b := setupApproval(t, activities.ApprovalStepPlan{Name: "legal", Quorum: enums.QuorumAny, QuorumN: 1, SLAHours: 200})
	b.assignees[1] = people("a1")
	b.at(t, 73*time.Hour, workflows.UpdateApprove, workflows.ContentVote{Version: 1, Step: 1, ActorUserID: "a1"},
		func(_ workflows.ContentApprovalState, err error) { require.Error(t, err) })

	s := b.run(t)
	assert.Equal(t, enums.ContentExpired, s.Status)
	assert.Equal(t, []string{"expired/expired"}, b.resolutions)
	assert.Empty(t, b.publishedAt)
	assert.Empty(t, b.reminders, "the SLA was never reached")
}

func TestContentApproval_RescheduleMovesPublish(t *testing.T) {
	b := setupApproval(t, step(enums.QuorumAny, 1))
	b.assignees[1] = people("a1")
	b.approve(t, time.Hour, 1, "a1")
	b.at(t, 2*time.Hour, workflows.UpdateReschedule, workflows.ContentReschedule{ActorUserID: author, ScheduledFor: b.start.Add(100 * time.Hour)}, nil)

	b.run(t)
	require.Len(t, b.publishedAt, 1)
	assert.True(t, b.start.Add(100*time.Hour).Equal(b.publishedAt[0]), "published at the new time")
}

func TestContentApproval_TwelveSteps(t *testing.T) {
	steps := make([]activities.ApprovalStepPlan, 12)
	for i := range steps {
		steps[i] = step(enums.QuorumAny, 1)
	}
	b := setupApproval(t, steps...)
	for i := 1; i <= 12; i++ {
		who := fmt.Sprintf("s%d", i)
		b.assignees[i] = people(who)
		b.approve(t, time.Duration(i)*time.Hour, i, who)
	}

	s := b.run(t)
	assert.Equal(t, enums.ContentPublished, s.Status)
	assert.Equal(t, 12, s.TotalSteps)
	assert.Len(t, b.votes, 12)
}

func TestContentApproval_VoteWhileNextStepIsAssignedWaits(t *testing.T) {
	b := setupApproval(t, step(enums.QuorumAny, 1), step(enums.QuorumAny, 1))
	b.assignees[1] = people("a1")
	b.env.OnActivity(b.acts.OpenApprovalStep, mock.Anything, mock.MatchedBy(func(in activities.ApprovalStepRef) bool { return in.Step == 2 })).
		After(10*time.Minute).Return(people("b1"), nil).Once()
	b.approve(t, time.Hour, 1, "a1")
	var during workflows.ContentApprovalState
	b.env.RegisterDelayedCallback(func() {
		v, err := b.env.QueryWorkflow(workflows.QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&during))
	}, time.Hour+5*time.Minute)
	b.at(t, time.Hour+5*time.Minute, workflows.UpdateApprove, workflows.ContentVote{Version: 1, Step: 2, ActorUserID: "b1"},
		refusal(t, workflows.ErrTypeWrongState))
	b.approve(t, 2*time.Hour, 2, "b1")

	s := b.run(t)
	assert.Equal(t, enums.ContentPublished, s.Status)
	assert.Equal(t, 2, during.CurrentStep)
	assert.Empty(t, during.Assignees, "step 1's approvers are not shown as step 2's")
	assert.Len(t, b.votes, 2)
}
