package workflows

import (
	"time"

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
