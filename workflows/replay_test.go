package workflows_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/workflows"
)

// TestReplay_RecordedHistories replays histories recorded from real runs
// (testdata/*.json, exported from the integration tests' Temporal server)
// against the current workflow code. A change that is not deterministic
// with respect to running workflows fails here: put it behind
// workflow.GetVersion, then record a new history next to the old ones.
func TestReplay_RecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(workflows.TicketOrder, workflow.RegisterOptions{Name: workflows.TicketOrderWorkflowName})
			r.RegisterWorkflowWithOptions(workflows.EventCancellation, workflow.RegisterOptions{Name: workflows.EventCancellationWorkflowName})
			r.RegisterWorkflowWithOptions(workflows.ContentApproval, workflow.RegisterOptions{Name: workflows.ContentApprovalWorkflowName})
			r.RegisterWorkflowWithOptions(workflows.TeamChallenge, workflow.RegisterOptions{Name: workflows.TeamChallengeWorkflowName})
			r.RegisterWorkflowWithOptions(workflows.Onboarding, workflow.RegisterOptions{Name: workflows.OnboardingWorkflowName})
			r.RegisterWorkflowWithOptions(workflows.QuestRun, workflow.RegisterOptions{Name: workflows.QuestRunWorkflowName})
			r.RegisterWorkflowWithOptions(workflows.SafetyAlert, workflow.RegisterOptions{Name: workflows.SafetyAlertWorkflowName})
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
