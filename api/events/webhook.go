package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/api/serviceerror"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/providers/payment"
	"github.com/convene/convene/workflows"
)

// paymentWebhook receives the payment provider's events at
// POST /webhooks/payments/{provider}. No database transaction is held
// across a call to the provider or to Temporal:
//
//	verify the signature (bad → 400, nothing changes)
//	→ record and claim the provider event id in one statement
//	  (already processed → 200, nothing changes; another delivery is
//	  processing it → 503)
//	→ find our payment order (a checkout that is not ours → recorded, 200)
//	→ re-fetch the payment from the provider (its client has a short timeout)
//	→ signal the order's workflow
//	→ mark the event processed and answer 200.
//
// A failure on the way releases the claim and answers 503: the provider
// retries and the event is processed again; the workflow ignores a repeated
// payment signal, so a retry after a signal that did land is harmless.
type paymentWebhook struct{ Deps }

const (
	// maxWebhookBody bounds the body read from the provider.
	maxWebhookBody = 1 << 20
	// webhookProcessTimeout bounds one delivery's processing (provider
	// re-fetch, signal, an orphan refund).
	webhookProcessTimeout = 30 * time.Second
	// webhookLease is how long a delivery holds an event it processes: a
	// concurrent repeat is answered 503 meanwhile, and a delivery whose
	// process died is taken over by the next repeat after it. Longer than
	// webhookProcessTimeout, so two deliveries never process one event.
	webhookLease = 2 * time.Minute
)

// Outcomes recorded on a processed webhook event.
const (
	outcomeNoCheckout     = "no_checkout"     // an event about no checkout (e.g. Stripe's charge.refunded)
	outcomeUnknownPayment = "unknown_payment" // a checkout that is not ours
	outcomeSignalled      = "signalled"       // the order's workflow got the payment signal
	outcomeOrderClosed    = "order_closed"    // the workflow had finished; a paid payment was refunded
)

// errWebhookInProgress: another delivery of the same event holds it.
var errWebhookInProgress = errors.New("another delivery of this event is being processed")

// errNotOurPayment: the event is about a checkout Convene did not create.
var errNotOurPayment = errors.New("checkout is not one of ours")

func (p *paymentWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("provider") != p.Payments.Name() {
		http.Error(w, "unknown payment provider", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	ev, err := p.Payments.ParseWebhook(body, r.Header)
	if err != nil {
		p.Log.Warn("payment webhook rejected", "error", err, "request_id", rpc.RequestInfoOf(r.Context()).ID)
		http.Error(w, "invalid webhook: "+err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), webhookProcessTimeout)
	defer cancel()
	if err := p.process(ctx, ev, body); err != nil {
		p.Log.Error("payment webhook not processed; provider will retry", "event_id", ev.ID, "error", err)
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	rpc.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// process handles one verified event exactly once: it is marked processed
// only after its processing succeeded, and released for the provider's
// retry when it failed.
func (p *paymentWebhook) process(ctx context.Context, ev payment.Event, body []byte) error {
	provider := p.Payments.Name()
	claim, err := db.ClaimWebhookEvent(ctx, p.DB, &db.WebhookEvent{Provider: provider, EventID: ev.ID,
		EventType: ev.Type, Payload: json.RawMessage(body)}, webhookLease)
	switch {
	case err != nil:
		return err
	case claim == db.WebhookAlreadyProcessed:
		return nil
	case claim == db.WebhookInProgress:
		return errWebhookInProgress
	}
	outcome, err := p.handle(ctx, ev)
	if err != nil {
		// The request's context may be what failed; the release must land.
		if relErr := db.ReleaseWebhookEvent(context.WithoutCancel(ctx), p.DB, provider, ev.ID); relErr != nil {
			err = errors.Join(err, relErr)
		}
		return err
	}
	return db.FinishWebhookEvent(ctx, p.DB, provider, ev.ID, outcome)
}

// handle acts on a claimed event and returns the outcome to record.
func (p *paymentWebhook) handle(ctx context.Context, ev payment.Event) (string, error) {
	if ev.ProviderPaymentID == "" {
		return outcomeNoCheckout, nil
	}
	order, err := p.orderOf(ctx, ev)
	if errors.Is(err, errNotOurPayment) {
		p.Log.Warn("payment webhook about a checkout that is not ours", "event_id", ev.ID,
			"provider_payment_id", ev.ProviderPaymentID, "order_id", ev.OrderID)
		return outcomeUnknownPayment, nil
	}
	if err != nil {
		return "", err
	}
	pay, err := p.Payments.GetPayment(ctx, ev.ProviderPaymentID)
	if err != nil {
		return "", fmt.Errorf("re-fetch payment %s: %w", ev.ProviderPaymentID, err)
	}
	return p.signal(ctx, order, pay)
}

// orderOf finds the payment order of the event's checkout. When none is
// stored, an event naming one of our join requests is ours but the
// checkout activity has not committed it yet (an error: retry later);
// anything else is errNotOurPayment.
func (p *paymentWebhook) orderOf(ctx context.Context, ev payment.Event) (*db.PaymentOrder, error) {
	order, err := db.PaymentOrderByProviderID(ctx, p.DB, p.Payments.Name(), ev.ProviderPaymentID)
	if !errors.Is(err, db.ErrNotFound) {
		return order, err
	}
	requestID, parseErr := uuid.Parse(ev.OrderID)
	if parseErr != nil {
		return nil, errNotOurPayment
	}
	if _, reqErr := db.RequestByID(ctx, p.DB, requestID); errors.Is(reqErr, db.ErrNotFound) {
		return nil, errNotOurPayment
	} else if reqErr != nil {
		return nil, reqErr
	}
	return nil, fmt.Errorf("payment order of request %s not stored yet: %w", requestID, err)
}

// signal tells the order's workflow. A paid payment whose order already
// finished is refunded here: money is never kept without a ticket.
func (p *paymentWebhook) signal(ctx context.Context, order *db.PaymentOrder, pay payment.Payment) (string, error) {
	err := p.Temporal.SignalWorkflow(ctx, workflows.TicketOrderWorkflowID(order.RequestID.String()), "", workflows.SignalPayment,
		workflows.PaymentSignal{ProviderPaymentID: pay.ProviderPaymentID, Status: string(pay.Status)})
	var notFound *serviceerror.NotFound
	if !errors.As(err, &notFound) {
		return outcomeSignalled, err
	}
	if pay.Status != payment.StatusPaid || pay.AmountRefunded >= pay.Amount || order.Status == "paid" {
		return outcomeOrderClosed, nil
	}
	return outcomeOrderClosed, p.refundOrphan(ctx, order, pay)
}

// refundOrphan refunds a payment made after its order closed, then records
// the refund in a short transaction of its own.
func (p *paymentWebhook) refundOrphan(ctx context.Context, order *db.PaymentOrder, pay payment.Payment) error {
	key := "refund:" + order.ID.String()
	amount := pay.Amount - pay.AmountRefunded
	refundID, err := p.Payments.Refund(ctx, pay.ProviderPaymentID, amount, key)
	if err != nil {
		return fmt.Errorf("refund orphaned payment: %w", err)
	}
	return p.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := db.RecordRefund(ctx, tx, &db.PaymentRefund{ID: db.NewID(), PaymentOrderID: order.ID, IdempotencyKey: key,
			ProviderRefundID: refundID, AmountMinor: amount, Reason: "paid after the order closed"})
		return err
	})
}
