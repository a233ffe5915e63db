package workflows

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/db/enums"
)

// The ticket-order contract: one workflow per join request, from request to
// host decision, seat hold, payment, ticket and the event's end.
const (
	// TicketOrderWorkflowName is the registered workflow type.
	TicketOrderWorkflowName = "TicketOrder"
	// UpdateAdmit returns the order's state once its first decision is made
	// (pending host approval, waitlisted, awaiting payment or accepted).
	UpdateAdmit = "admit"
	// UpdateDecide is the host's approve/decline of a pending request.
	UpdateDecide = "decide"
	// UpdateCancel is the buyer withdrawing the request or ticket.
	UpdateCancel = "cancel"
	// SignalPayment carries a provider payment status from the webhook.
	SignalPayment = "payment"
	// SignalSeatOffered tells a waitlisted order a seat was held for it.
	SignalSeatOffered = "seat-offered"
	// SignalEventCancelled tells an order its event was cancelled.
	SignalEventCancelled = "event-cancelled"
)

// Order statuses; the first eight are event_requests.status (package enums).
const (
	StatusPending         = enums.RequestPending
	StatusWaitlisted      = enums.RequestWaitlisted
	StatusOffered         = enums.RequestOffered
	StatusAwaitingPayment = enums.RequestAwaitingPayment
	StatusAccepted        = enums.RequestAccepted
	StatusDeclined        = enums.RequestDeclined
	StatusCancelled       = enums.RequestCancelled
	StatusExpired         = enums.RequestExpired
	// StatusRejected means the request was never registered (e.g. the
	// person already has an open request for the event).
	StatusRejected = "rejected"
	// StatusNeedsAttention is the ConveneStatus (search attribute only) of
	// an order an operator has to look at: a refused refund or checkout, a
	// payment signal the provider does not confirm, a payment that does not
	// match the quote. The state query's Attention says what happened and
	// Status keeps the order's own status.
	StatusNeedsAttention = "needs_attention"
)

const ticketOrderPrefix = "ticket-order/"

// TicketOrderWorkflowID is the workflow ID of a join request.
func TicketOrderWorkflowID(requestID string) string { return workflowID(ticketOrderPrefix, requestID) }

// RequestIDFromTicketOrderWorkflowID inverts TicketOrderWorkflowID.
func RequestIDFromTicketOrderWorkflowID(id string) (string, error) {
	return businessIDOf(ticketOrderPrefix, id)
}

// TicketOrderInput starts an order; everything else is read from the
// database by the first activity.
type TicketOrderInput struct {
	RequestID string
	EventID   string
	UserID    string
	Seats     int32
	Message   string
	// InviteID is set when the request comes from an accepted invite,
	// which skips host approval.
	InviteID string
	// LatePaymentGrace is how long after a hold expired a payment is still
	// awaited (and then honoured or refunded); default one hour.
	LatePaymentGrace time.Duration
	// DecisionDays bounds the wait for the host (also bounded by the
	// event's start); default 7.
	DecisionDays int
}

// DecideInput is the host's decision.
type DecideInput struct {
	ActorUserID string
	Accept      bool
	HostMessage string
}

// CancelInput withdraws a request or ticket.
type CancelInput struct {
	ActorUserID string
	Reason      string
}

// PaymentSignal is a payment status re-fetched from the provider.
type PaymentSignal struct {
	ProviderPaymentID string
	Status            string
}

// EventCancelledSignal says why the event was cancelled.
type EventCancelledSignal struct {
	Reason string
}

// TicketOrderState is what the state query and every update return.
type TicketOrderState struct {
	RequestID      string
	EventID        string
	UserID         string
	HostUserID     string
	OrganizationID string
	Seats          int32
	Status         string
	Reason         string
	HostMessage    string
	IsPaid         bool
	ReservationID  string
	HoldExpiresAt  time.Time
	CheckoutURL    string
	TicketID       string
	RefundedMinor  int64
	// Attention is set when an operator has to act (see
	// StatusNeedsAttention): what went wrong, for people.
	Attention string
}

// Open reports whether the order can still change.
func (s TicketOrderState) Open() bool { return enums.IsOpenRequestStatus(s.Status) }

// TicketOrderStart is everything an order's start needs: the input plus
// what its search attributes and summary show. It is stored in the River
// job that starts the workflow when the API commits something first (an
// invite used), so it is plain JSON-able data.
type TicketOrderStart struct {
	Input      TicketOrderInput `json:"input"`
	OrgID      string           `json:"org_id,omitempty"` // "" for an event without organization
	EventTitle string           `json:"event_title"`
}

// TicketOrderStartOptions are an order's start options: its fixed ID, the
// search attributes an operator filters by and the summary the UI shows. A
// second start with the same ID finds the first run.
func TicketOrderStartOptions(taskQueue string, st TicketOrderStart) client.StartWorkflowOptions {
	in := st.Input
	attrs := []temporal.SearchAttributeUpdate{SearchEventID.ValueSet(in.EventID),
		SearchUserID.ValueSet(in.UserID), SearchStatus.ValueSet(StatusPending)}
	if st.OrgID != "" {
		attrs = append(attrs, SearchOrgID.ValueSet(st.OrgID))
	}
	return client.StartWorkflowOptions{
		ID: TicketOrderWorkflowID(in.RequestID), TaskQueue: taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		// A request ID has one order, ever: a late start must not run a
		// closed (e.g. rejected) order again.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(attrs...),
		StaticSummary:         fmt.Sprintf("Ticket order: %d seat(s) for %q", in.Seats, st.EventTitle),
		StaticDetails:         fmt.Sprintf("request %s · event %s · buyer %s", in.RequestID, in.EventID, in.UserID),
	}
}

// StartTicketOrder starts the order's workflow, or finds it started: the
// API's direct start after the admission commits, and the River job
// workflowstart.TicketOrderArgs committed with it as the safety net.
func StartTicketOrder(ctx context.Context, c client.Client, taskQueue string, st TicketOrderStart) error {
	opts := TicketOrderStartOptions(taskQueue, st)
	// The first workflow task goes straight to this process's worker when
	// it has a free slot: one matching round trip less per order.
	opts.EnableEagerStart = true
	return startOnce(ctx, c, opts, TicketOrderWorkflowName, st.Input)
}
