package workflows

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
)

// The safety-alert contract: one run per alert (safety-alert/<batch id>)
// from the record of its rows, through the notice to every member of the
// target groups, the escalations (the events' hosts, then platform staff,
// repeated) to its resolution. Its ConveneStatus is one of enums.Alert*:
// operators list escalations with ConveneStatus = "escalated_staff".
const (
	// SafetyAlertWorkflowName is the registered workflow type.
	SafetyAlertWorkflowName = "SafetyAlert"
	// UpdateRecordAlert is the Update sent with the start
	// (Update-with-Start, USE_EXISTING): it answers the SafetyAlertState
	// once the rows are recorded, so a retried TriggerAlert answers the
	// same alert and adds nothing.
	UpdateRecordAlert = "record"
	// UpdateAcknowledgeAlert acknowledges an open alert (AlertAck).
	UpdateAcknowledgeAlert = "acknowledge"
	// UpdateResolveAlert resolves an open alert (AlertResolution).
	UpdateResolveAlert = "resolve"

	safetyAlertPrefix = "safety-alert/"
)

// safetyBatchSpace names the batch IDs made from a sender and the
// client's request ID (UUID v5): the same request always makes the same
// batch, and so the same workflow.
var safetyBatchSpace = uuid.MustParse("6f1f4b1e-5a0c-4c47-9d0e-2b7e9a3c1d54")

// SafetyAlertBatchID is the batch ID of a sender's TriggerAlert with
// clientRequestID.
func SafetyAlertBatchID(senderID, clientRequestID string) string {
	return uuid.NewSHA1(safetyBatchSpace, []byte(senderID+"/"+clientRequestID)).String()
}

// SafetyAlertWorkflowID is the run of one alert.
func SafetyAlertWorkflowID(batchID string) string { return workflowID(safetyAlertPrefix, batchID) }

// SafetyAlertInput starts an alert's run. The API has checked the sender
// is a member of every group; RecordAlert checks it again in its
// transaction.
type SafetyAlertInput struct {
	BatchID         string
	SenderID        string
	ClientRequestID string
	GroupIDs        []string
	// AlertType is one of enums.AlertTypes.
	AlertType string
	Message   string
	// Latitude and Longitude are both set or both nil.
	Latitude, Longitude *float64
	// SenderName only makes the run's summary readable.
	SenderName string
	// No acknowledgement HostAfter after the alert → the events' hosts;
	// StaffAfter → platform staff, again every StaffRepeat.
	HostAfter, StaffAfter, StaffRepeat time.Duration
}

// AlertActor is who sends an acknowledge or resolve Update. The API
// decides the flags; the workflow compares UserID with the sender.
type AlertActor struct {
	UserID string
	// TargetMember: a member of one of the alert's groups.
	TargetMember bool
	// Host: the host (or an organization owner/admin) of one of the
	// alert's events.
	Host  bool
	Staff bool
}

// AlertAck acknowledges an open alert: a target member, host or staff
// (not the sender).
type AlertAck struct {
	Actor AlertActor
}

// AlertResolution resolves an open alert: a target member, host or
// staff with any outcome; the sender only with enums.AlertOutcomeSafe.
type AlertResolution struct {
	Actor   AlertActor
	Outcome string
	Note    string
}

// SafetyAlertState is what the state query and every Update answer.
type SafetyAlertState struct {
	BatchID  string
	SenderID string
	// Status is one of enums.Alert*.
	Status    string
	AlertType string
	GroupIDs  []string
	EventIDs  []string
	CreatedAt time.Time
	// NotifiedCount is how many members were told (0 until step 2 ends).
	NotifiedCount  int
	AcknowledgedBy string
	AcknowledgedAt *time.Time
	// HostEscalatedAt is when the hosts were told; StaffEscalations how
	// many times staff were.
	HostEscalatedAt  *time.Time
	StaffEscalations int
	ResolvedBy       string
	ResolvedAt       *time.Time
	Outcome          string
}

// AlertRecord is what RecordAlert wrote (the activities' type, so the API
// need not import activities).
type AlertRecord = activities.AlertRecord

// SafetyAlertStartOptions are the start options of an alert's run: its
// fixed ID, conflict policy USE_EXISTING (a retried TriggerAlert joins
// the run), reuse refused (an alert runs once), the search attributes
// and the static summary "<type> alert from <sender>".
func SafetyAlertStartOptions(taskQueue string, in SafetyAlertInput) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID: SafetyAlertWorkflowID(in.BatchID), TaskQueue: taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(SearchUserID.ValueSet(in.SenderID),
			SearchStatus.ValueSet(enums.AlertOpen)),
		StaticSummary: fmt.Sprintf("%s alert from %s", in.AlertType, in.SenderName),
	}
}

// TriggerSafetyAlert starts (or joins) the alert's run with the record
// Update and returns the state once its rows are written: the API process
// may die after this returns and nothing is lost.
func TriggerSafetyAlert(ctx context.Context, c client.Client, taskQueue string, in SafetyAlertInput) (SafetyAlertState, error) {
	start := c.NewWithStartWorkflowOperation(SafetyAlertStartOptions(taskQueue, in), SafetyAlertWorkflowName, in)
	handle, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{UpdateName: UpdateRecordAlert,
			WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		return SafetyAlertState{}, fmt.Errorf("trigger safety alert %s: %w", in.BatchID, err)
	}
	var st SafetyAlertState
	if err := handle.Get(ctx, &st); err != nil {
		return SafetyAlertState{}, fmt.Errorf("trigger safety alert %s: %w", in.BatchID, err)
	}
	return st, nil
}
