package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/workflows"
)

func setupJob(t *testing.T, scheduledIn time.Duration) (*testsuite.TestWorkflowEnvironment, *activities.Notifications) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	acts := &activities.Notifications{}
	env.RegisterActivity(acts)
	env.RegisterWorkflowWithOptions(workflows.NotificationJob, workflowOptions(workflows.NotificationJobWorkflowName))
	env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil)
	env.OnActivity(acts.LoadJob, mock.Anything, "job-1").Return(activities.JobInfo{ScheduledAt: env.Now().Add(scheduledIn)}, nil)
	env.OnActivity(acts.SetJobStatus, mock.Anything, "job-1", mock.Anything).Return(nil).Maybe()
	return env, acts
}

func TestNotificationJob_WaitsForScheduleResolvesPagesAndReports(t *testing.T) {
	env, acts := setupJob(t, 2*time.Hour)
	env.OnActivity(acts.ResolvePages, mock.Anything, "job-1").Return(activities.PageResult{Pages: 4, Users: 4000, Items: 4000}, nil).Twice()
	env.OnActivity(acts.ResolvePages, mock.Anything, "job-1").Return(activities.PageResult{Pages: 1, Users: 10, Items: 10, Done: true}, nil).Once()
	polls := expectProgressPolls(env, acts,
		activities.JobProgress{Resolved: 8010, Pending: 8000, Sent: 10},
		activities.JobProgress{Resolved: 8010, Pending: 7000, Sent: 1010},
		activities.JobProgress{Resolved: 8010, Pending: 7000, Sent: 1010},
		activities.JobProgress{Resolved: 8010, Pending: 100, Sent: 7910},
		activities.JobProgress{Resolved: 8010, Sent: 8000, Skipped: 10})
	env.OnActivity(acts.FinishJob, mock.Anything, "job-1", workflows.JobCompleted).Return(activities.JobProgress{Resolved: 8010, Sent: 8000, Skipped: 10}, nil).Once()
	env.ExecuteWorkflow(workflows.NotificationJob, workflows.NotificationJobInput{JobID: "job-1"})
	require.NoError(t, env.GetWorkflowError())
	var s workflows.NotificationJobState
	require.NoError(t, env.GetWorkflowResult(&s))
	assert.Equal(t, workflows.JobCompleted, s.Status)
	assert.Equal(t, 9, s.Pages, "pages, not resolution steps")
	assert.Equal(t, int64(8010), s.Resolved)
	assert.Equal(t, []time.Duration{
		250 * time.Millisecond,  // first re-check
		1750 * time.Millisecond, // 7,000 left at 1,000 per 250 ms
		3500 * time.Millisecond, // none went: twice the last wait
		250 * time.Millisecond,  // 100 left at 6,900 per 3.5 s, but at least a quarter second
	}, gaps(*polls), "delivery is re-checked when the pending items should be done")
	env.AssertExpectations(t)
}

// TestNotificationJob_RunsBeforeBatchedPagingKeepTheirCommands replays the
// commands of runs recorded before versionBatchedPaging: one ResolvePage
// per page and a first delivery re-check after a second.
func TestNotificationJob_RunsBeforeBatchedPagingKeepTheirCommands(t *testing.T) {
	env, acts := setupJob(t, 0)
	env.OnGetVersion("batched-paging", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	env.OnActivity(acts.ResolvePage, mock.Anything, "job-1").Return(activities.PageResult{Users: 1000, Items: 1000}, nil).Twice()
	env.OnActivity(acts.ResolvePage, mock.Anything, "job-1").Return(activities.PageResult{Users: 10, Items: 10, Done: true}, nil).Once()
	polls := expectProgressPolls(env, acts,
		activities.JobProgress{Resolved: 2010, Pending: 500, Sent: 1510},
		activities.JobProgress{Resolved: 2010, Sent: 2000, Skipped: 10})
	env.OnActivity(acts.FinishJob, mock.Anything, "job-1", workflows.JobCompleted).Return(activities.JobProgress{Resolved: 2010, Sent: 2000, Skipped: 10}, nil).Once()
	env.ExecuteWorkflow(workflows.NotificationJob, workflows.NotificationJobInput{JobID: "job-1"})
	require.NoError(t, env.GetWorkflowError())
	var s workflows.NotificationJobState
	require.NoError(t, env.GetWorkflowResult(&s))
	assert.Equal(t, 3, s.Pages)
	assert.Equal(t, int64(2010), s.Resolved)
	assert.Equal(t, []time.Duration{time.Second}, gaps(*polls))
	env.AssertNotCalled(t, "ResolvePages", mock.Anything, mock.Anything)
	env.AssertExpectations(t)
}

// expectProgressPolls makes the Progress activity return answers in
// order and records the workflow time of each call.
func expectProgressPolls(env *testsuite.TestWorkflowEnvironment, acts *activities.Notifications, answers ...activities.JobProgress) *[]time.Time {
	var at []time.Time
	for _, p := range answers {
		env.OnActivity(acts.Progress, mock.Anything, "job-1").Return(func(context.Context, string) (activities.JobProgress, error) {
			at = append(at, env.Now())
			return p, nil
		}).Once()
	}
	return &at
}

// gaps are the intervals between consecutive times.
func gaps(at []time.Time) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(at); i++ {
		out = append(out, at[i].Sub(at[i-1]))
	}
	return out
}

func TestNotificationJob_CancelBeforeScheduleSendsNothing(t *testing.T) {
	env, acts := setupJob(t, 24*time.Hour)
	env.OnActivity(acts.CancelPending, mock.Anything, "job-1").Return(int64(0), nil).Once()
	env.OnActivity(acts.FinishJob, mock.Anything, "job-1", workflows.JobCancelled).Return(activities.JobProgress{}, nil).Once()
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(workflows.UpdateCancelJob, "c1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("rejected: %v", err) }, OnAccept: func() {},
			OnComplete: func(v any, err error) {
				require.NoError(t, err)
				assert.Equal(t, workflows.JobCancelled, v.(workflows.NotificationJobState).Status)
			},
		}, workflows.CancelJobInput{ActorUserID: "admin"})
	}, time.Hour)
	env.ExecuteWorkflow(workflows.NotificationJob, workflows.NotificationJobInput{JobID: "job-1"})
	require.NoError(t, env.GetWorkflowError())
	env.AssertNotCalled(t, "ResolvePages", mock.Anything, mock.Anything)
	env.AssertExpectations(t)
}

func TestNotificationJob_CancelMidJobStopsPagingAndCancelsPending(t *testing.T) {
	env, acts := setupJob(t, 0)
	env.OnActivity(acts.ResolvePages, mock.Anything, "job-1").Return(activities.PageResult{Pages: 1, Users: 1000, Items: 1000}, nil).Once()
	env.OnActivity(acts.ResolvePages, mock.Anything, "job-1").After(time.Minute).Return(activities.PageResult{Pages: 1, Users: 1000, Items: 1000}, nil).Once()
	env.OnActivity(acts.CancelPending, mock.Anything, "job-1").Return(int64(1500), nil).Once()
	env.OnActivity(acts.FinishJob, mock.Anything, "job-1", workflows.JobCancelled).Return(activities.JobProgress{Resolved: 2000, Sent: 500, Cancelled: 1500}, nil).Once()
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(workflows.UpdateCancelJob, "c1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("rejected: %v", err) }, OnAccept: func() {}, OnComplete: func(any, error) {},
		}, workflows.CancelJobInput{ActorUserID: "admin"})
	}, 30*time.Second)
	env.ExecuteWorkflow(workflows.NotificationJob, workflows.NotificationJobInput{JobID: "job-1"})
	require.NoError(t, env.GetWorkflowError())
	var s workflows.NotificationJobState
	require.NoError(t, env.GetWorkflowResult(&s))
	assert.Equal(t, workflows.JobCancelled, s.Status)
	assert.Equal(t, 2, s.Pages, "no page after the cancel")
	env.AssertExpectations(t)
}

func TestNotificationJob_LargeAudienceContinuesAsNew(t *testing.T) {
	env, acts := setupJob(t, 0)
	env.OnActivity(acts.ResolvePages, mock.Anything, "job-1").Return(activities.PageResult{Pages: 3, Users: 3000, Items: 3000}, nil)
	env.ExecuteWorkflow(workflows.NotificationJob, workflows.NotificationJobInput{JobID: "job-1"})
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.True(t, isContinueAsNew(err), "a run makes at most 40 resolution steps, then continues as new: %v", err)
}

func workflowOptions(name string) workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: name}
}

func isContinueAsNew(err error) bool {
	var can *workflow.ContinueAsNewError
	return errors.As(err, &can)
}
