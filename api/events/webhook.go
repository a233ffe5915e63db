package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/uptrace/bun"
	"go.temporal.io/api/serviceerror"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/providers/payment"
	"github.com/convene/convene/workflows"
)

// paymentWebhook receives the payment provider's events at
// POST /webhooks/payments/{provider}:
//
//	verify the signature (bad → 400, nothing changes)
//	→ record the provider event id (seen before → 200, nothing changes)
//	→ re-fetch the payment's status from the provider
//	→ signal the order's workflow
//	→ answer 2xx only once the signal is accepted (else 503, and the
//	  provider retries; the event id is rolled back with the transaction).
type paymentWebhook struct{ Deps }

// maxWebhookBody bounds the body read from the provider.
const maxWebhookBody = 1 << 20

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
	if err := p.handle(r.Context(), ev, body); err != nil {
		p.Log.Error("payment webhook not processed; provider will retry", "event_id", ev.ID, "error", err)
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	rpc.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handle processes one event exactly once: the event id row commits only
// if the workflow accepted the signal.
func (p *paymentWebhook) handle(ctx context.Context, ev payment.Event, body []byte) error {
	return p.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		fresh, err := db.RecordWebhookEvent(ctx, tx, &db.WebhookEvent{Provider: p.Payments.Name(), EventID: ev.ID,
			EventType: ev.Type, Payload: json.RawMessage(body)})
		if err != nil || !fresh {
			return err
		}
		if ev.ProviderPaymentID == "" {
			return nil // an event about nothing we track
		}
		pay, err := p.Payments.GetPayment(ctx, ev.ProviderPaymentID)
		if err != nil {
			return fmt.Errorf("re-fetch payment %s: %w", ev.ProviderPaymentID, err)
		}
		order, err := db.PaymentOrderByProviderID(ctx, tx, p.Payments.Name(), ev.ProviderPaymentID)
		if err != nil {
			// Not stored yet (the checkout activity is still committing): retry later.
			return err
		}
		return p.signal(ctx, tx, order, pay)
	})
}

// signal tells the order's workflow. A paid payment whose order already
// finished is refunded here: money is never kept without a ticket.
func (p *paymentWebhook) signal(ctx context.Context, tx bun.Tx, order *db.PaymentOrder, pay payment.Payment) error {
	err := p.Temporal.SignalWorkflow(ctx, workflows.TicketOrderWorkflowID(order.RequestID.String()), "", workflows.SignalPayment,
		workflows.PaymentSignal{ProviderPaymentID: pay.ProviderPaymentID, Status: string(pay.Status)})
	var notFound *serviceerror.NotFound
	if !errors.As(err, &notFound) {
		return err
	}
	if pay.Status != payment.StatusPaid || pay.AmountRefunded >= pay.Amount || order.Status == "paid" {
		return nil
	}
	key := "refund:" + order.ID.String()
	refundID, err := p.Payments.Refund(ctx, pay.ProviderPaymentID, pay.Amount-pay.AmountRefunded, key)
	if err != nil {
		return fmt.Errorf("refund orphaned payment: %w", err)
	}
	_, err = db.RecordRefund(ctx, tx, &db.PaymentRefund{ID: db.NewID(), PaymentOrderID: order.ID, IdempotencyKey: key,
		ProviderRefundID: refundID, AmountMinor: pay.Amount - pay.AmountRefunded, Reason: "paid after the order closed"})
	return err
}
