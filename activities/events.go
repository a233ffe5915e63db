// Package activities holds the side effects of Convene's workflows: methods
// on one struct per domain whose fields are their dependencies. Each
// activity is one database transaction (plus at most one provider call),
// idempotent by its business key, so Temporal may retry it freely; business
// failures are non-retryable application errors with a typed name.
package activities

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/admission"
	"github.com/convene/convene/internal/money"
	"github.com/convene/convene/internal/providers/payment"
	"github.com/convene/convene/internal/tickets"
	"github.com/convene/convene/jobs"
)

// Error types the ticket-order workflow branches on.
const (
	// ErrHoldGone: the reservation to confirm was already released.
	ErrHoldGone = "HoldGone"
	// ErrRequestRejected: the request cannot be registered.
	ErrRequestRejected = "RequestRejected"
	// ErrPaymentRefused: the payment provider refused a checkout or refund
	// as it stands; retrying cannot help, an operator has to act.
	ErrPaymentRefused = "PaymentRefused"
)

// Events are the ticketing activities.
type Events struct {
	DB       *db.DB
	Payments payment.Provider
	Keys     *tickets.Keys
	// Notices sends the buyer's and host's notices (inbox, push, email)
	// in the transaction of the change they announce.
	Notices *jobs.Notices
	Now     func() time.Time
}

// EventSnapshot is what an order needs to know of its event.
type EventSnapshot struct {
	HostUserID       string
	OrganizationID   string
	Title            string
	IsPaid           bool
	RequiresApproval bool
	StartsAt         time.Time
	EndsAt           time.Time
	HoldMinutes      int32
}

// snapshot is what the workflow keeps of an event.
func snapshot(ev *db.Event) EventSnapshot {
	s := EventSnapshot{HostUserID: ev.HostUserID.String(), Title: ev.Title, IsPaid: ev.IsPaid, RequiresApproval: ev.RequiresApproval,
		StartsAt: ev.StartsAt, EndsAt: ev.EndsAt, HoldMinutes: ev.HoldMinutes}
	if ev.OrganizationID != nil {
		s.OrganizationID = ev.OrganizationID.String()
	}
	return s
}

// quoteFor prices seats of an event as it is priced now; a free event
// quotes zero.
func quoteFor(ev *db.Event, seats int32) (money.Breakdown, error) {
	b, err := admission.Quote(ev, seats)
	if err != nil {
		return money.Breakdown{}, temporal.NewNonRetryableApplicationError(err.Error(), "BadPricing", err)
	}
	return b, nil
}

// orderQuote is the price a request pays: the quote stored when it was
// made (the event's current pricing only for requests made before quotes
// were stored).
func orderQuote(r *db.Request, ev *db.Event) (money.Breakdown, error) {
	if r.Quote != nil {
		return *r.Quote, nil
	}
	return quoteFor(ev, r.Seats)
}

// OpenOrders lists the request IDs of an event whose orders are still open.
func (a *Events) OpenOrders(ctx context.Context, eventID string) ([]string, error) {
	ids, err := db.OpenRequestIDs(ctx, a.DB, uuid.MustParse(eventID))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, id.String())
	}
	return out, nil
}

// desk issues tickets the way the API's admission does.
func (a *Events) desk() *admission.Desk {
	return &admission.Desk{DB: a.DB, Keys: a.Keys, Notices: a.Notices, Now: a.Now, AuditSource: "workflow"}
}

// audit records a step of an order in the audit log, in the step's
// transaction and attributed to the buyer.
func (a *Events) audit(ctx context.Context, tx bun.Tx, r *db.Request, objectType, action string, payload map[string]any) error {
	ev, err := db.EventByID(ctx, tx, r.EventID)
	if err != nil {
		return err
	}
	return a.desk().Audit(ctx, tx, ev, r, objectType, action, payload)
}

// notifyBuyer sends the buyer a ticketing notice about their request.
// event names what happened (e.g. "refunded"); it happens at most once per
// request, so event and request ID key the notice and a retried activity
// does not send it twice.
func (a *Events) notifyBuyer(ctx context.Context, tx bun.Tx, r *db.Request, event, title, message string) error {
	return a.Notices.Send(ctx, tx, jobs.Notice{Key: event + "/" + r.ID.String(), To: r.RequesterUserID, Category: db.CategoryTicketing,
		Title: title, Body: message, ReferenceType: "event_request", ReferenceID: r.ID.String()})
}
