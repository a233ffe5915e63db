package workflows

import (
	"context"
	"errors"
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

// EventCancellationResult counts the orders told and, of those whose
// workflow had already closed, the ones compensated here and the ones
// whose refund the provider refused (left for an operator).
type EventCancellationResult struct {
	Notified    int
	Missing     int
	Compensated int
	Refused     int
}

// versionCompensateClosed marks cancellations that compensate orders whose
// workflow already closed; runs recorded before it only signalled.
const versionCompensateClosed = "compensate-closed-orders"

// EventCancellation signals every open order of the event. The list comes
// from one activity and the signals are recorded in history, so a worker
// dying half-way resumes where it stopped. An order whose workflow already
// closed (e.g. it ended at the event's old end before the host moved the
// event) but still holds a live ticket is compensated by activities here:
// ticket revoked, seats released, the stored quote refunded, buyer told.
// Each activity is idempotent and the sequence is in this history, so that
// happens exactly once.
func EventCancellation(ctx workflow.Context, in EventCancellationInput) (EventCancellationResult, error) {
	var acts *activities.Events
	var ids []string
	if err := workflow.ExecuteActivity(activityOptions(ctx), acts.OpenOrders, in.EventID).Get(ctx, &ids); err != nil {
		return EventCancellationResult{}, fmt.Errorf("list open orders: %w", err)
	}
	compensate := workflow.GetVersion(ctx, versionCompensateClosed, workflow.DefaultVersion, 1) == 1
	var res EventCancellationResult
	for _, id := range ids {
		f := workflow.SignalExternalWorkflow(ctx, TicketOrderWorkflowID(id), "", SignalEventCancelled, EventCancelledSignal{Reason: in.Reason})
		if err := f.Get(ctx, nil); err == nil {
			res.Notified++
			continue
		}
		res.Missing++
		if !compensate {
			workflow.GetLogger(ctx).Warn("order not running", "request_id", id)
			continue
		}
		if err := compensateClosedOrder(ctx, acts, id, in.Reason, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// compensateClosedOrder does for an order whose workflow has closed what
// the order would have done on the event-cancelled signal.
func compensateClosedOrder(ctx workflow.Context, acts *activities.Events, requestID, reason string, res *EventCancellationResult) error {
	actx := activityOptions(ctx)
	var live bool
	if err := workflow.ExecuteActivity(actx, acts.HoldsLiveTicket, requestID).Get(ctx, &live); err != nil {
		return fmt.Errorf("look up ticket of %s: %w", requestID, err)
	}
	if !live {
		return nil // nothing held: the order closed without a ticket
	}
	reason = "event cancelled: " + reason
	var rel activities.ReleaseResult
	err := workflow.ExecuteActivity(actx, acts.CancelAttendance, activities.CancelAttendanceInput{
		RequestID: requestID, Reason: reason, ForceFullRefund: true, Now: workflow.Now(ctx)}).Get(ctx, &rel)
	if err != nil {
		return fmt.Errorf("cancel attendance of %s: %w", requestID, err)
	}
	res.Compensated++
	if rel.RefundMinor == 0 {
		return nil
	}
	err = workflow.ExecuteActivity(actx, acts.RefundPayment, activities.RefundInput{
		RequestID: requestID, AmountMinor: rel.RefundMinor, Reason: reason}).Get(ctx, nil)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrPaymentRefused {
		workflow.GetLogger(ctx).Error("refund refused by the payment provider; an operator must refund", "request_id", requestID, "error", err)
		res.Refused++
		return nil
	}
	if err != nil {
		return fmt.Errorf("refund %s: %w", requestID, err)
	}
	return nil
}
