package activities

// Order checks: what an order workflow asks the outside world before it
// acts, so it never trusts a signal or a snapshot taken long ago: the
// payment as the provider sees it, the event's current times, and whether
// a ticket was checked in.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/activity"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/providers/payment"
)

// PaymentCheck is an order's payment as the provider reports it, compared
// with the order's stored quote.
type PaymentCheck struct {
	// Paid: the provider says the checkout is paid.
	Paid bool
	// Matches: paid, for exactly the quoted amount and currency.
	Matches bool
	// PaidMinor and Currency are what the provider says was paid.
	PaidMinor int64
	Currency  string
	// Problem says, for people, why the payment does not confirm the order.
	Problem string
}

// VerifyPayment re-fetches the order's payment from the provider and
// compares status, amount and currency with the quote the checkout was
// created for. A payment signal is only a hint: this is the truth the
// workflow confirms on. A mismatch is logged and audited.
func (a *Events) VerifyPayment(ctx context.Context, in PaymentInput) (PaymentCheck, error) {
	p, err := db.PaymentOrderByRequest(ctx, a.DB, uuid.MustParse(in.RequestID))
	if errors.Is(err, db.ErrNotFound) || (err == nil && p.ProviderPaymentID == nil) {
		return a.refusePayment(ctx, in.RequestID, PaymentCheck{Problem: "a payment was reported but the order has no checkout"})
	}
	if err != nil {
		return PaymentCheck{}, err
	}
	pay, err := a.Payments.GetPayment(ctx, *p.ProviderPaymentID)
	if errors.Is(err, payment.ErrNotFound) {
		return a.refusePayment(ctx, in.RequestID, PaymentCheck{Problem: "a payment was reported but the provider does not know it"})
	}
	if err != nil {
		return PaymentCheck{}, fmt.Errorf("re-fetch payment of %s: %w", in.RequestID, err)
	}
	check := comparePayment(p, pay)
	if check.Matches {
		return check, nil
	}
	return a.refusePayment(ctx, in.RequestID, check)
}

// comparePayment checks the provider's payment against the stored order.
func comparePayment(p *db.PaymentOrder, pay payment.Payment) PaymentCheck {
	check := PaymentCheck{Paid: pay.Status == payment.StatusPaid, PaidMinor: pay.Amount, Currency: pay.Currency}
	switch {
	case !check.Paid:
		check.Problem = fmt.Sprintf("a payment was reported but the provider says it is %s", pay.Status)
	case pay.Amount != p.AmountMinor || !strings.EqualFold(pay.Currency, p.Currency):
		check.Problem = fmt.Sprintf("paid %d %s but the order was quoted %d %s", pay.Amount, strings.ToUpper(pay.Currency),
			p.AmountMinor, p.Currency)
	default:
		check.Matches = true
	}
	return check
}

// refusePayment logs and audits a payment that does not confirm the order.
func (a *Events) refusePayment(ctx context.Context, requestID string, check PaymentCheck) (PaymentCheck, error) {
	activity.GetLogger(ctx).Warn("payment refused", "request_id", requestID, "problem", check.Problem)
	err := a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := db.RequestByID(ctx, tx, uuid.MustParse(requestID))
		if err != nil {
			return err
		}
		return a.audit(ctx, tx, r, "payment_order", "payment_refused", map[string]any{"problem": check.Problem,
			"paid_minor": check.PaidMinor, "currency": check.Currency})
	})
	return check, err
}

// EventTimes is an event's current start and end.
type EventTimes struct {
	StartsAt time.Time
	EndsAt   time.Time
}

// CurrentEventTimes reads the event's start and end as they are now, so an
// order whose timer fired at a deadline the host has since moved waits on.
func (a *Events) CurrentEventTimes(ctx context.Context, eventID string) (EventTimes, error) {
	ev, err := db.EventByID(ctx, a.DB, uuid.MustParse(eventID))
	if err != nil {
		return EventTimes{}, err
	}
	return EventTimes{StartsAt: ev.StartsAt, EndsAt: ev.EndsAt}, nil
}

// TicketCheckedIn reports whether the order's ticket was checked in: the
// buyer can then no longer cancel it for a refund.
func (a *Events) TicketCheckedIn(ctx context.Context, requestID string) (bool, error) {
	return db.AttendeeCheckedIn(ctx, a.DB, uuid.MustParse(requestID))
}

// HoldsLiveTicket reports whether an order produced a ticket that is not
// cancelled: an event cancellation compensates such an order even when its
// workflow has already closed.
func (a *Events) HoldsLiveTicket(ctx context.Context, requestID string) (bool, error) {
	return db.HoldsLiveTicket(ctx, a.DB, uuid.MustParse(requestID))
}
