package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/providers/payment"
)

// PaymentInput names the order a payment activity acts on.
type PaymentInput struct {
	RequestID string
}

// PaymentInfo is the checkout the buyer pays through.
type PaymentInfo struct {
	PaymentOrderID    string
	ProviderPaymentID string
	CheckoutURL       string
	AmountMinor       int64
}

// CreatePayment opens a checkout at the provider for the order's total, or
// returns the one already opened. The request ID is the provider's
// idempotency key, so a retry after a lost response gets the same checkout.
func (a *Events) CreatePayment(ctx context.Context, in PaymentInput) (PaymentInfo, error) {
	requestID := uuid.MustParse(in.RequestID)
	if p, err := db.PaymentOrderByRequest(ctx, a.DB, requestID); err == nil {
		return paymentInfo(p), nil
	} else if !errors.Is(err, db.ErrNotFound) {
		return PaymentInfo{}, err
	}
	r, err := db.RequestByID(ctx, a.DB, requestID)
	if err != nil {
		return PaymentInfo{}, err
	}
	ev, err := db.EventByID(ctx, a.DB, r.EventID)
	if err != nil {
		return PaymentInfo{}, err
	}
	quote, err := quoteFor(ev, r.Seats)
	if err != nil {
		return PaymentInfo{}, err
	}
	expires := a.Now().Add(a.paymentWindow(r))
	checkout, err := a.Payments.CreateCheckout(ctx, payment.CheckoutInput{OrderID: r.ID.String(), Amount: quote.Total,
		Currency: ev.Currency, Description: fmt.Sprintf("%d × %s", r.Seats, ev.Title), ExpiresAt: expires})
	if err != nil {
		return PaymentInfo{}, fmt.Errorf("create checkout: %w", err)
	}
	raw, _ := json.Marshal(checkout)
	p := &db.PaymentOrder{ID: db.NewID(), OrderReference: r.ID.String(), RequestID: r.ID, UserID: r.RequesterUserID,
		EventID: ev.ID, AmountMinor: quote.Total, Currency: ev.Currency, Provider: a.Payments.Name(),
		ProviderPaymentID: &checkout.ProviderPaymentID, CheckoutURL: checkout.CheckoutURL, ProviderResponse: raw, Status: enums.PaymentCreated}
	if err := db.InsertPaymentOrderIfAbsent(ctx, a.DB, p); err != nil {
		return PaymentInfo{}, err
	}
	stored, err := db.PaymentOrderByRequest(ctx, a.DB, requestID)
	if err != nil {
		return PaymentInfo{}, err
	}
	return paymentInfo(stored), nil
}

// paymentWindow keeps the checkout open as long as the hold (the workflow
// also closes it when the hold expires).
func (a *Events) paymentWindow(r *db.Request) time.Duration {
	if r.HoldExpiresAt == nil {
		return 15 * time.Minute
	}
	if d := r.HoldExpiresAt.Sub(a.Now()); d > time.Minute {
		return d
	}
	return time.Minute
}

func paymentInfo(p *db.PaymentOrder) PaymentInfo {
	info := PaymentInfo{PaymentOrderID: p.ID.String(), CheckoutURL: p.CheckoutURL, AmountMinor: p.AmountMinor}
	if p.ProviderPaymentID != nil {
		info.ProviderPaymentID = *p.ProviderPaymentID
	}
	return info
}

// CancelPaymentResult reports a payment that completed before the cancel.
type CancelPaymentResult struct {
	AlreadyPaid bool
}

// CancelPayment closes an unpaid checkout so it can no longer be paid. If
// the buyer paid first, it says so and the workflow refunds or confirms.
func (a *Events) CancelPayment(ctx context.Context, in PaymentInput) (CancelPaymentResult, error) {
	p, err := db.PaymentOrderByRequest(ctx, a.DB, uuid.MustParse(in.RequestID))
	if errors.Is(err, db.ErrNotFound) || (err == nil && p.ProviderPaymentID == nil) {
		return CancelPaymentResult{}, nil
	}
	if err != nil {
		return CancelPaymentResult{}, err
	}
	switch err := a.Payments.CancelCheckout(ctx, *p.ProviderPaymentID); {
	case errors.Is(err, payment.ErrAlreadyPaid):
		return CancelPaymentResult{AlreadyPaid: true}, nil
	case err != nil:
		return CancelPaymentResult{}, fmt.Errorf("cancel checkout: %w", err)
	}
	if p.Status == enums.PaymentCreated {
		return CancelPaymentResult{}, db.SetPaymentStatus(ctx, a.DB, p.ID, enums.PaymentExpired)
	}
	return CancelPaymentResult{}, nil
}

// RefundInput refunds an order; AmountMinor 0 refunds what was paid.
type RefundInput struct {
	RequestID   string
	AmountMinor int64
	Reason      string
}

// RefundResult is what was refunded.
type RefundResult struct {
	RefundedMinor int64
}

// RefundPayment refunds at the provider with a key derived from the order,
// so retries never refund twice, and records the refund.
func (a *Events) RefundPayment(ctx context.Context, in RefundInput) (RefundResult, error) {
	p, err := db.PaymentOrderByRequest(ctx, a.DB, uuid.MustParse(in.RequestID))
	if err != nil {
		return RefundResult{}, err
	}
	amount := in.AmountMinor
	if amount == 0 {
		amount = p.AmountMinor
	}
	key := "refund:" + p.ID.String()
	refundID, err := a.Payments.Refund(ctx, *p.ProviderPaymentID, amount, key)
	if err != nil {
		return RefundResult{}, fmt.Errorf("refund at provider: %w", err)
	}
	err = a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := db.RequestByID(ctx, tx, p.RequestID)
		if err != nil {
			return err
		}
		created, err := db.RecordRefund(ctx, tx, &db.PaymentRefund{ID: db.NewID(), PaymentOrderID: p.ID, IdempotencyKey: key,
			ProviderRefundID: refundID, AmountMinor: amount, Reason: in.Reason})
		if err != nil || !created {
			return err
		}
		if err := a.audit(ctx, tx, r, "payment_order", "refunded", map[string]any{"amount_minor": amount, "reason": in.Reason}); err != nil {
			return err
		}
		return a.notifyBuyer(ctx, tx, r, "refunded", "Your payment was refunded",
			fmt.Sprintf("%d %s refunded: %s", amount, p.Currency, in.Reason))
	})
	return RefundResult{RefundedMinor: amount}, err
}
