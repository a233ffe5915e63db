package api_test

import (
	"context"
	"os"
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

// safetyStubs answer the safety-alert activities as the real ones would
// for an alert in two groups of one event with three members to tell,
// without a database: the recorded history depends only on what the
// activities answer.
type safetyStubs struct{ now func() time.Time }

func (s *safetyStubs) RecordAlert(context.Context, activities.RecordAlertInput) (activities.AlertRecord, error) {
	return activities.AlertRecord{CreatedAt: s.now(), EventIDs: []string{"event-1"}}, nil
}

func (*safetyStubs) NotifyAlertMembers(context.Context, string) (int, error)          { return 3, nil }
func (*safetyStubs) EscalateAlertToHosts(context.Context, string) error               { return nil }
func (*safetyStubs) EscalateAlertToStaff(context.Context, string, int) error          { return nil }
func (*safetyStubs) AcknowledgeAlert(context.Context, activities.AlertDecision) error { return nil }
func (*safetyStubs) ResolveAlert(context.Context, activities.AlertDecision) error     { return nil }

// TestSafetyAlert_RecordEscalateAckResolve records the safety-alert
// history workflows/replay_test.go replays: a trigger by
// Update-with-Start (retried once, recorded once), the hosts then staff
// told, a stranger's acknowledgement refused (absent from the history), a
// member's acknowledgement, the sender's resolution as assisted refused,
// and a member's resolution. The escalation delays are a second and two
// so the run takes seconds. It runs only when recording, on its own
// worker with stub activities, so it needs neither the safety schema nor
// the API.
func TestSafetyAlert_RecordEscalateAckResolve(t *testing.T) {
	if os.Getenv(recordHistoryEnv) == "" {
		t.Skip("records histories; set " + recordHistoryEnv + "=1")
	}
	ctx := context.Background()
	const queue = "safety-alert-record"
	wk := tworker.New(temporalClient, queue, tworker.Options{})
	wk.RegisterWorkflowWithOptions(workflows.SafetyAlert, workflow.RegisterOptions{Name: workflows.SafetyAlertWorkflowName})
	wk.RegisterActivity(&safetyStubs{now: time.Now})
	require.NoError(t, wk.Start())
	t.Cleanup(wk.Stop)

	sender, requestID := uuid.NewString(), uuid.NewString()
	in := workflows.SafetyAlertInput{BatchID: workflows.SafetyAlertBatchID(sender, requestID), SenderID: sender,
		ClientRequestID: requestID, GroupIDs: []string{"group-1", "group-2"}, AlertType: enums.AlertTypeHelp,
		Message: "Need help", SenderName: "Ada", HostAfter: time.Second, StaffAfter: 2 * time.Second,
		StaffRepeat: time.Hour}
	st, err := workflows.TriggerSafetyAlert(ctx, temporalClient, queue, in)
	require.NoError(t, err)
	assert.Equal(t, enums.AlertOpen, st.Status)
	_, err = workflows.TriggerSafetyAlert(ctx, temporalClient, queue, in)
	require.NoError(t, err, "a retried trigger answers the same alert")

	id := workflows.SafetyAlertWorkflowID(in.BatchID)
	require.Eventually(t, func() bool {
		v, err := temporalClient.QueryWorkflow(ctx, id, "", workflows.QueryState)
		var s workflows.SafetyAlertState
		return err == nil && v.Get(&s) == nil && s.StaffEscalations == 1
	}, 30*time.Second, 100*time.Millisecond, "hosts, then staff are told")

	update := func(name string, arg any) (workflows.SafetyAlertState, error) {
		h, err := temporalClient.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name,
			Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err != nil {
			return workflows.SafetyAlertState{}, err
		}
		var s workflows.SafetyAlertState
		return s, h.Get(ctx, &s)
	}
	member := workflows.AlertActor{UserID: "member-2", TargetMember: true}
	_, err = update(workflows.UpdateAcknowledgeAlert, workflows.AlertAck{Actor: workflows.AlertActor{UserID: "stranger-1"}})
	require.Error(t, err, "a stranger may not acknowledge")
	st, err = update(workflows.UpdateAcknowledgeAlert, workflows.AlertAck{Actor: member})
	require.NoError(t, err)
	assert.Equal(t, enums.AlertAcknowledged, st.Status)
	_, err = update(workflows.UpdateResolveAlert, workflows.AlertResolution{
		Actor: workflows.AlertActor{UserID: sender, TargetMember: true}, Outcome: enums.AlertOutcomeAssisted})
	require.Error(t, err, "the sender resolves as safe only")
	st, err = update(workflows.UpdateResolveAlert, workflows.AlertResolution{Actor: member,
		Outcome: enums.AlertOutcomeAssisted, Note: "walked her home"})
	require.NoError(t, err)
	assert.Equal(t, enums.AlertResolved, st.Status)

	recordHistory(t, &testenv.API{Temporal: temporalClient}, id, "safety-alert-escalate-ack-resolve")
}
