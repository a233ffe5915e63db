package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/workflows"
)

// paidAt signals a payment as the webhook would, after d.
func (b *testBundle) paidAt(d time.Duration) {
	b.env.RegisterDelayedCallback(func() {
		b.env.SignalWorkflow(workflows.SignalPayment, workflows.PaymentSignal{ProviderPaymentID: "pay-1", Status: "paid"})
	}, d)
}

// TestTicketOrder_ForgedPaymentSignalIssuesNoTicket: someone signals
// "paid" straight to Temporal without paying. The provider does not
// confirm it, so the order issues no ticket, is flagged for an operator,
// keeps waiting for a real payment and expires with its hold.
func TestTicketOrder_ForgedPaymentSignalIssuesNoTicket(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true})
	b.expectHold(b.start.Add(15 * time.Minute))
	b.expectCheckout()
	b.env.OnActivity(b.acts.VerifyPayment, mock.Anything, activities.PaymentInput{RequestID: "req-1"}).
		Return(activities.PaymentCheck{Problem: "a payment was reported but the provider says it is pending"}, nil).Once()
	b.env.OnActivity(b.acts.CancelPayment, mock.Anything, mock.Anything).Return(activities.CancelPaymentResult{}, nil).Once()
	b.env.OnActivity(b.acts.CloseRequest, mock.Anything, mock.MatchedBy(func(in activities.CloseInput) bool { return in.Status == workflows.StatusExpired })).
		Return(activities.ReleaseResult{}, nil).Once()
	b.paidAt(time.Minute)
	b.run(workflows.TicketOrderInput{})

	s := b.result(t)
	assert.Equal(t, workflows.StatusExpired, s.Status)
	assert.Empty(t, s.TicketID)
	assert.Contains(t, s.Attention, "provider says it is pending")
	assert.Equal(t, workflows.StatusNeedsAttention, b.searchStatuses[len(b.searchStatuses)-1], "the Temporal UI lists it as needs_attention")
	b.env.AssertNotCalled(t, "ConfirmOrder", mock.Anything, mock.Anything)
	b.env.AssertExpectations(t)
}

// TestTicketOrder_UnderpaymentRefundedWithoutTicket: the provider says the
// checkout was paid, but 500 instead of the quoted 1180. No ticket; the
// order is cancelled and the 500 refunded.
func TestTicketOrder_UnderpaymentRefundedWithoutTicket(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true})
	b.expectHold(b.start.Add(15 * time.Minute))
	b.expectCheckout()
	b.env.OnActivity(b.acts.VerifyPayment, mock.Anything, mock.Anything).
		Return(activities.PaymentCheck{Paid: true, PaidMinor: 500, Currency: "INR", Problem: "paid 500 INR but the order was quoted 1180 INR"}, nil).Once()
	b.env.OnActivity(b.acts.CloseRequest, mock.Anything, mock.MatchedBy(func(in activities.CloseInput) bool { return in.Status == workflows.StatusCancelled })).
		Return(activities.ReleaseResult{}, nil).Once()
	b.env.OnActivity(b.acts.RefundPayment, mock.Anything, mock.MatchedBy(func(in activities.RefundInput) bool { return in.AmountMinor == 500 })).
		Return(activities.RefundResult{RefundedMinor: 500}, nil).Once()
	b.paidAt(time.Minute)
	b.run(workflows.TicketOrderInput{})

	s := b.result(t)
	assert.Equal(t, workflows.StatusCancelled, s.Status)
	assert.Empty(t, s.TicketID)
	assert.Equal(t, int64(500), s.RefundedMinor)
	assert.Contains(t, s.Attention, "quoted 1180 INR")
	b.env.AssertNotCalled(t, "ConfirmOrder", mock.Anything, mock.Anything)
	b.env.AssertExpectations(t)
}

// TestTicketOrder_RefusedRefundLeftForOperator: the provider refuses the
// refund of a cancelled ticket. The order does not retry forever: it ends
// cancelled, flagged with the provider's answer.
func TestTicketOrder_RefusedRefundLeftForOperator(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true})
	b.expectHold(b.start.Add(15 * time.Minute))
	b.expectCheckout()
	b.expectConfirm()
	b.env.OnActivity(b.acts.CancelAttendance, mock.Anything, mock.Anything).Return(activities.ReleaseResult{RefundMinor: 1180}, nil).Once()
	b.env.OnActivity(b.acts.RefundPayment, mock.Anything, mock.Anything).
		Return(activities.RefundResult{}, temporal.NewNonRetryableApplicationError("refund at provider: the provider refused: charge disputed",
			activities.ErrPaymentRefused, nil)).Once()
	b.paidAt(time.Minute)
	b.env.RegisterDelayedCallback(func() {
		b.update(workflows.UpdateCancel, workflows.CancelInput{ActorUserID: buyer, Reason: "plans changed"}, func(_ workflows.TicketOrderState, err error) {
			require.NoError(t, err)
		})
	}, 24*time.Hour)
	b.run(workflows.TicketOrderInput{})

	s := b.result(t)
	assert.Equal(t, workflows.StatusCancelled, s.Status)
	assert.Zero(t, s.RefundedMinor)
	assert.Contains(t, s.Attention, "charge disputed")
	b.env.AssertExpectations(t)
}

// TestTicketOrder_FollowsMovedEventUntilCancelled: the host moves the event
// 30 days later. When the old end passes, the order reads the new times
// and stays open, so the later cancellation of the event still revokes the
// ticket and refunds it in full.
func TestTicketOrder_FollowsMovedEventUntilCancelled(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true})
	moved := activities.EventTimes{StartsAt: b.event.StartsAt.AddDate(0, 0, 30), EndsAt: b.event.EndsAt.AddDate(0, 0, 30)}
	b.expectHold(b.start.Add(15 * time.Minute))
	b.expectCheckout()
	b.expectConfirm()
	b.env.OnActivity(b.acts.CurrentEventTimes, mock.Anything, "event-1").Return(moved, nil).Once()
	b.env.OnActivity(b.acts.CancelAttendance, mock.Anything, mock.MatchedBy(func(in activities.CancelAttendanceInput) bool { return in.ForceFullRefund })).
		Return(activities.ReleaseResult{RefundMinor: 1180}, nil).Once()
	b.env.OnActivity(b.acts.RefundPayment, mock.Anything, mock.Anything).Return(activities.RefundResult{RefundedMinor: 1180}, nil).Once()
	b.paidAt(time.Minute)
	b.env.RegisterDelayedCallback(func() {
		b.env.SignalWorkflow(workflows.SignalEventCancelled, workflows.EventCancelledSignal{Reason: "venue lost"})
	}, 20*24*time.Hour) // well after the old end (day 10), before the new one
	b.run(workflows.TicketOrderInput{})

	s := b.result(t)
	assert.Equal(t, workflows.StatusCancelled, s.Status)
	assert.Equal(t, int64(1180), s.RefundedMinor)
	assert.WithinDuration(t, b.start.Add(20*24*time.Hour), b.env.Now(), time.Minute)
	b.env.AssertExpectations(t)
}

// TestTicketOrder_CheckedInTicketCannotBeCancelled: after the door scan the
// buyer's cancel is refused as wrong state; nothing is revoked or refunded
// and the order stays accepted until the event ends.
func TestTicketOrder_CheckedInTicketCannotBeCancelled(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true})
	b.expectHold(b.start.Add(15 * time.Minute))
	b.expectCheckout()
	b.expectConfirm()
	b.env.OnActivity(b.acts.TicketCheckedIn, mock.Anything, "req-1").Return(true, nil).Once()
	var refusal error
	b.paidAt(time.Minute)
	b.env.RegisterDelayedCallback(func() {
		b.update(workflows.UpdateCancel, workflows.CancelInput{ActorUserID: buyer, Reason: "refund please"}, func(_ workflows.TicketOrderState, err error) {
			refusal = err
		})
	}, 24*time.Hour)
	b.run(workflows.TicketOrderInput{})

	s := b.result(t)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, refusal, &appErr)
	assert.Equal(t, workflows.ErrTypeWrongState, appErr.Type())
	assert.Equal(t, workflows.StatusAccepted, s.Status)
	assert.Zero(t, s.RefundedMinor)
	b.env.AssertNotCalled(t, "CancelAttendance", mock.Anything, mock.Anything)
	b.env.AssertNotCalled(t, "RefundPayment", mock.Anything, mock.Anything)
}
