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
		if o.providerRefused(ctx, err, "checkout") {
			return false, o.close(ctx, StatusCancelled, "the payment provider refused the checkout")
		}
		return false, fmt.Errorf("create payment: %w", err)
	}
	o.state.CheckoutURL = pay.CheckoutURL
	o.admitted = true
	for {
		inTime, err := workflow.AwaitWithTimeout(ctx, o.state.HoldExpiresAt.Sub(workflow.Now(ctx)), func() bool {
			return o.paid || o.cancel != nil || o.eventCancelled != nil
		})
		if err != nil {
			return false, err
		}
		switch {
		case o.paid:
			check, err := o.verifyPayment(ctx)
			switch {
			case err != nil:
				return false, err
			case check.Matches:
				return o.confirmPaid(ctx)
			case check.Paid:
				return false, o.refuseWrongPayment(ctx, check)
			}
			// A paid signal the provider does not confirm: wait on for a real payment.
		case o.cancel != nil:
			return false, o.abandonCheckout(ctx, StatusCancelled, o.cancel.Reason)
		case o.eventCancelled != nil:
			return false, o.abandonCheckout(ctx, StatusCancelled, "event cancelled: "+o.eventCancelled.Reason)
		case !inTime:
			return false, o.expireHold(ctx)
		default:
			return false, nil
		}
	}
}

// verifyPayment asks the provider (through an activity) whether the order
// is paid for exactly its stored quote: the payment signal is only a hint,
// anyone who reaches Temporal can send it. A payment that is not there is
// flagged and forgotten; runs recorded before versionHardened trust the
// signal as they did.
func (o *ticketOrder) verifyPayment(ctx workflow.Context) (activities.PaymentCheck, error) {
	if !o.hardened {
		return activities.PaymentCheck{Paid: true, Matches: true}, nil
	}
	var check activities.PaymentCheck
	err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.VerifyPayment, activities.PaymentInput{RequestID: o.in.RequestID}).Get(ctx, &check)
	if err != nil {
		return check, fmt.Errorf("verify payment: %w", err)
	}
	if !check.Matches {
		o.needAttention(ctx, "payment not accepted: "+check.Problem)
	}
	if !check.Paid {
		o.paid = false
	}
	return check, nil
}

// refuseWrongPayment ends an order paid for another amount or currency than
// quoted: no ticket, and what was paid goes back.
func (o *ticketOrder) refuseWrongPayment(ctx workflow.Context, check activities.PaymentCheck) error {
	reason := "the payment did not match the quoted price"
	if err := o.close(ctx, StatusCancelled, reason); err != nil {
		return err
	}
	return o.refund(ctx, check.PaidMinor, reason)
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
	check, err := o.verifyPayment(ctx)
	switch {
	case err != nil || !check.Paid:
		return err
	case !check.Matches:
		return o.refund(ctx, check.PaidMinor, "the payment did not match the quoted price")
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
	if o.providerRefused(ctx, err, "refund ("+reason+")") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("refund payment: %w", err)
	}
	o.state.RefundedMinor += r.RefundedMinor
	return nil
}

// providerRefused reports whether err is the payment provider refusing a
// step (activities.ErrPaymentRefused), which retrying cannot fix; a
// hardened run then flags the order for an operator and goes on.
func (o *ticketOrder) providerRefused(ctx workflow.Context, err error, step string) bool {
	var appErr *temporal.ApplicationError
	if !o.hardened || !errors.As(err, &appErr) || appErr.Type() != activities.ErrPaymentRefused {
		return false
	}
	o.needAttention(ctx, step+" refused by the payment provider: "+appErr.Message())
	return true
}
