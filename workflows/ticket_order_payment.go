package workflows

// The ticket order's payment steps: the checkout, the wait for payment
// within the hold, late payments and refunds. Money is never kept without
// a ticket: every path that ends an order after a payment refunds it.

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
)

// collectPayment creates the checkout and waits for payment until the hold
// expires. It reports whether the order was confirmed.
func (o *ticketOrder) collectPayment(ctx workflow.Context) (bool, error) {
	actx := activityOptions(ctx)
	var pay activities.PaymentInfo
	if err := workflow.ExecuteActivity(actx, o.acts.CreatePayment, activities.PaymentInput{RequestID: o.in.RequestID}).Get(ctx, &pay); err != nil {
		return false, fmt.Errorf("create payment: %w", err)
	}
	o.state.CheckoutURL = pay.CheckoutURL
	o.admitted = true
	inTime, err := workflow.AwaitWithTimeout(ctx, o.state.HoldExpiresAt.Sub(workflow.Now(ctx)), func() bool {
		return o.paid || o.cancel != nil || o.eventCancelled != nil
	})
	if err != nil {
		return false, err
	}
	switch {
	case o.paid:
		return o.confirmPaid(ctx)
	case o.cancel != nil:
		return false, o.abandonCheckout(ctx, StatusCancelled, o.cancel.Reason)
	case o.eventCancelled != nil:
		return false, o.abandonCheckout(ctx, StatusCancelled, "event cancelled: "+o.eventCancelled.Reason)
	case !inTime:
		return false, o.expireHold(ctx)
	}
	return false, nil
}

// confirmPaid confirms a paid order; if the hold is gone (a race with
// expiry), it falls back to the late-payment rules.
func (o *ticketOrder) confirmPaid(ctx workflow.Context) (bool, error) {
	err := o.confirm(activityOptions(ctx))
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrHoldGone {
		return o.honourLatePayment(ctx)
	}
	return err == nil, err
}

// expireHold releases the seats, closes the checkout and notifies the
// buyer, then waits a grace period for a payment already under way.
func (o *ticketOrder) expireHold(ctx workflow.Context) error {
	paidMeanwhile, err := o.cancelCheckout(ctx)
	if err != nil {
		return err
	}
	if err := o.close(ctx, StatusExpired, "the seat hold expired before payment"); err != nil {
		return err
	}
	if !paidMeanwhile {
		arrived, err := workflow.AwaitWithTimeout(ctx, o.in.LatePaymentGrace, func() bool { return o.paid })
		if err != nil || !arrived {
			return err
		}
	}
	_, err = o.honourLatePayment(ctx)
	return err
}

// honourLatePayment confirms a payment that arrived after the hold expired
// if seats can still be claimed, and refunds it otherwise: money is never
// kept without a ticket.
func (o *ticketOrder) honourLatePayment(ctx workflow.Context) (bool, error) {
	var claim activities.ClaimResult
	err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.ClaimSeats, activities.ClaimInput{
		RequestID: o.in.RequestID, HoldUntil: o.holdUntil(ctx), Reopen: true,
	}).Get(ctx, &claim)
	if err != nil {
		return false, fmt.Errorf("reclaim seats for late payment: %w", err)
	}
	if !claim.Held {
		return false, o.refund(ctx, 0, "paid after the hold expired and the event is full")
	}
	o.state.ReservationID, o.state.HoldExpiresAt = claim.ReservationID, claim.ExpiresAt
	if err := o.confirm(activityOptions(ctx)); err != nil {
		return false, err
	}
	return true, nil
}

// abandonCheckout closes an unpaid order; a payment that slipped in first
// is refunded.
func (o *ticketOrder) abandonCheckout(ctx workflow.Context, status, reason string) error {
	paid, err := o.cancelCheckout(ctx)
	if err != nil {
		return err
	}
	if err := o.close(ctx, status, reason); err != nil {
		return err
	}
	if paid || o.paid {
		return o.refund(ctx, 0, reason)
	}
	return nil
}

func (o *ticketOrder) cancelCheckout(ctx workflow.Context) (paid bool, err error) {
	var res activities.CancelPaymentResult
	err = workflow.ExecuteActivity(activityOptions(ctx), o.acts.CancelPayment, activities.PaymentInput{RequestID: o.in.RequestID}).Get(ctx, &res)
	if err != nil {
		return false, fmt.Errorf("cancel checkout: %w", err)
	}
	if res.AlreadyPaid {
		o.paid = true
	}
	return res.AlreadyPaid, nil
}

func (o *ticketOrder) refund(ctx workflow.Context, amount int64, reason string) error {
	var r activities.RefundResult
	err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.RefundPayment, activities.RefundInput{
		RequestID: o.in.RequestID, AmountMinor: amount, Reason: reason,
	}).Get(ctx, &r)
	if err != nil {
		return fmt.Errorf("refund payment: %w", err)
	}
	o.state.RefundedMinor += r.RefundedMinor
	return nil
}
