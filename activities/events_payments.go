package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/temporal"

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
	quote, err := orderQuote(r, ev)
	if err != nil {
		return PaymentInfo{}, err
	}
	expires := a.Now().Add(a.paymentWindow(r))
	checkout, err := a.Payments.CreateCheckout(ctx, payment.CheckoutInput{OrderID: r.ID.String(), Amount: quote.Total,
		Currency: quote.Currency, Description: fmt.Sprintf("%d × %s", r.Seats, ev.Title), ExpiresAt: expires})
	if err != nil {
		return PaymentInfo{}, providerError("create checkout", err)
	}
	raw, _ := json.Marshal(checkout)
	p := &db.PaymentOrder{ID: db.NewID(), OrderReference: r.ID.String(), RequestID: r.ID, UserID: r.RequesterUserID,
		EventID: ev.ID, AmountMinor: quote.Total, Currency: quote.Currency, Provider: a.Payments.Name(),
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
// so retries never refund twice, and records the refund. It never refunds
// more than was paid and not yet refunded; a refund the provider refuses
// is a non-retryable ErrPaymentRefused for an operator to act on.
func (a *Events) RefundPayment(ctx context.Context, in RefundInput) (RefundResult, error) {
	p, err := db.PaymentOrderByRequest(ctx, a.DB, uuid.MustParse(in.RequestID))
	if err != nil {
		return RefundResult{}, err
	}
	key := "refund:" + p.ID.String()
	if done, err := db.RefundByKey(ctx, a.DB, key); err == nil {
		return RefundResult{RefundedMinor: done.AmountMinor}, nil // retried after it was recorded
	} else if !errors.Is(err, db.ErrNotFound) {
		return RefundResult{}, err
	}
	amount := refundable(p, in.AmountMinor)
	if amount == 0 || p.ProviderPaymentID == nil {
		return RefundResult{}, nil
	}
	refundID, err := a.Payments.Refund(ctx, *p.ProviderPaymentID, amount, key)
	if err != nil {
		return RefundResult{}, providerError("refund at provider", err)
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

// refundable bounds a refund by what the order was charged (its stored
// quote) less what was already refunded; asked 0, it is all of that.
func refundable(p *db.PaymentOrder, asked int64) int64 {
	left := max(p.AmountMinor-p.RefundedMinor, 0)
	if asked <= 0 || asked > left {
		return left
	}
	return asked
}

// providerError marks the provider's refusals (bad request, unknown
// payment, closed checkout) non-retryable, typed ErrPaymentRefused:
// repeating the same call cannot succeed, so the order records it for an
// operator instead. Anything else (network, 5xx) stays retryable.
func providerError(step string, err error) error {
	for _, refusal := range []error{payment.ErrInvalidRequest, payment.ErrNotFound, payment.ErrCheckoutClosed} {
		if errors.Is(err, refusal) {
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: the provider refused: %v", step, err), ErrPaymentRefused, err)
		}
	}
	return fmt.Errorf("%s: %w", step, err)
}
