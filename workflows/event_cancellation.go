package workflows

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
)

// The event-cancellation contract: when a host cancels an event, this
// workflow tells every open order of it, and each order releases its hold,
// refunds its payment and notifies its buyer through its own workflow.
const (
	// EventCancellationWorkflowName is the registered workflow type.
	EventCancellationWorkflowName = "EventCancellation"
	eventCancellationPrefix       = "event-cancellation/"
	// StatusCancelling is the ConveneStatus of a running event cancellation.
	StatusCancelling = "cancelling"
)

// EventCancellationWorkflowID is the workflow ID of an event's cancellation.
func EventCancellationWorkflowID(eventID string) string {
	return workflowID(eventCancellationPrefix, eventID)
}

// EventIDFromCancellationWorkflowID inverts EventCancellationWorkflowID.
func EventIDFromCancellationWorkflowID(id string) (string, error) {
	return businessIDOf(eventCancellationPrefix, id)
}

// EventCancellationInput names the cancelled event.
type EventCancellationInput struct {
	EventID string
	Reason  string
}

// EventCancellationStart is everything a cancellation's start needs: the
// input plus what its search attributes and summary show. It is stored in
// the River job that starts the workflow, so it is plain JSON-able data.
type EventCancellationStart struct {
	Input      EventCancellationInput `json:"input"`
	OrgID      string                 `json:"org_id,omitempty"` // "" for an event without organization
	HostUserID string                 `json:"host_user_id"`
	Title      string                 `json:"title"`
}

// StartEventCancellation starts the event's cancellation workflow on
// taskQueue, or finds it running or completed (see startOnce); only a
// failed run is started afresh. The API calls it after commit and the River
// job workflowstart.EventCancellationArgs calls it if the API did not.
func StartEventCancellation(ctx context.Context, c client.Client, taskQueue string, st EventCancellationStart) error {
	attrs := []temporal.SearchAttributeUpdate{SearchEventID.ValueSet(st.Input.EventID),
		SearchUserID.ValueSet(st.HostUserID), SearchStatus.ValueSet(StatusCancelling)}
	if st.OrgID != "" {
		attrs = append(attrs, SearchOrgID.ValueSet(st.OrgID))
	}
	return startOnce(ctx, c, client.StartWorkflowOptions{
		ID:                    EventCancellationWorkflowID(st.Input.EventID),
		TaskQueue:             taskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		TypedSearchAttributes: temporal.NewSearchAttributes(attrs...),
		StaticSummary:         "Cancel event: " + st.Title,
	}, EventCancellationWorkflowName, st.Input)
}

// EventCancellationResult counts the orders told.
type EventCancellationResult struct {
	Notified int
	Missing  int
}

// EventCancellation signals every open order of the event. The list comes
// from one activity and the signals are recorded in history, so a worker
// dying half-way resumes where it stopped.
func EventCancellation(ctx workflow.Context, in EventCancellationInput) (EventCancellationResult, error) {
	var acts *activities.Events
	var ids []string
	if err := workflow.ExecuteActivity(activityOptions(ctx), acts.OpenOrders, in.EventID).Get(ctx, &ids); err != nil {
		return EventCancellationResult{}, fmt.Errorf("list open orders: %w", err)
	}
	var res EventCancellationResult
	for _, id := range ids {
		f := workflow.SignalExternalWorkflow(ctx, TicketOrderWorkflowID(id), "", SignalEventCancelled, EventCancelledSignal{Reason: in.Reason})
		if err := f.Get(ctx, nil); err != nil {
			// The order already finished (e.g. it just expired): nothing to undo.
			workflow.GetLogger(ctx).Warn("order not running", "request_id", id, "error", err)
			res.Missing++
			continue
		}
		res.Notified++
	}
	return res, nil
}
