package workflows_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/workflows"
)

const (
	host  = "host-1"
	buyer = "buyer-1"
)

// testBundle is one order workflow in the time-skipping test environment
// with every activity mocked. Unless a test loads an admitted order
// (ticket_order_admitted_test.go), LoadOrder finds no row, so the run
// registers and claims through activities: the path of a start committed
// before the API admitted requests itself, which shares every later step.
type testBundle struct {
	env     *testsuite.TestWorkflowEnvironment
	acts    *activities.Events
	start   time.Time
	event   activities.EventSnapshot
	updates int
	// searchStatuses are the ConveneStatus values upserted, in order.
	searchStatuses []string
}

func setup(t *testing.T, event activities.EventSnapshot) *testBundle {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	acts := &activities.Events{}
	env.RegisterActivity(acts)
	env.RegisterWorkflow(workflows.TicketOrder)
	b := &testBundle{env: env, acts: acts, start: env.Now()}
	if event.StartsAt.IsZero() {
		event.StartsAt = b.start.Add(10 * 24 * time.Hour)
		event.EndsAt = event.StartsAt.Add(4 * time.Hour)
	}
	if event.HoldMinutes == 0 {
		event.HoldMinutes = 15
	}
	event.HostUserID = host
	b.event = event
	env.OnActivity(acts.RegisterRequest, mock.Anything, mock.Anything).
		Return(activities.Registration{Status: workflows.StatusPending, Event: event}, nil).Once()
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if status, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(workflows.SearchStatus); ok {
			b.searchStatuses = append(b.searchStatuses, status)
		}
	}).Return(nil)
	return b
}

// run starts the order. The checks a test did not set expectations for
// answer as the common case would, registered last so a test's own
// expectations win: the provider confirms the payment, the event was not
// moved, the ticket was not checked in.
func (b *testBundle) run(in workflows.TicketOrderInput) {
	if in.RequestID == "" {
		in = workflows.TicketOrderInput{RequestID: "req-1", EventID: "event-1", UserID: buyer, Seats: 2}
	}
	b.env.OnActivity(b.acts.VerifyPayment, mock.Anything, mock.Anything).
		Return(activities.PaymentCheck{Paid: true, Matches: true, PaidMinor: 1180, Currency: "INR"}, nil).Maybe()
	b.env.OnActivity(b.acts.CurrentEventTimes, mock.Anything, mock.Anything).
		Return(activities.EventTimes{StartsAt: b.event.StartsAt, EndsAt: b.event.EndsAt}, nil).Maybe()
	b.env.OnActivity(b.acts.TicketCheckedIn, mock.Anything, mock.Anything).Return(false, nil).Maybe()
	b.env.OnActivity(b.acts.LoadOrder, mock.Anything, mock.Anything).Return(activities.OrderSnapshot{}, nil).Maybe()
	b.env.ExecuteWorkflow(workflows.TicketOrder, in)
}

func (b *testBundle) result(t *testing.T) workflows.TicketOrderState {
	t.Helper()
	require.True(t, b.env.IsWorkflowCompleted())
	require.NoError(t, b.env.GetWorkflowError())
	var s workflows.TicketOrderState
	require.NoError(t, b.env.GetWorkflowResult(&s))
	return s
}

func (b *testBundle) expectHold(expires time.Time) {
	b.env.OnActivity(b.acts.ClaimSeats, mock.Anything, mock.MatchedBy(func(in activities.ClaimInput) bool { return !in.Reopen })).
		Return(activities.ClaimResult{Held: true, ReservationID: "hold-1", ExpiresAt: expires}, nil).Once()
}

func (b *testBundle) expectCheckout() {
	b.env.OnActivity(b.acts.CreatePayment, mock.Anything, activities.PaymentInput{RequestID: "req-1"}).
		Return(activities.PaymentInfo{CheckoutURL: "http://pay/1", AmountMinor: 1180}, nil).Once()
}

func (b *testBundle) expectConfirm() {
	b.env.OnActivity(b.acts.ConfirmOrder, mock.Anything, mock.Anything).
		Return(activities.Confirmation{AttendeeID: "att-1", TicketID: "ticket-1"}, nil).Once()
}

func (b *testBundle) update(name string, arg any, check func(workflows.TicketOrderState, error)) {
	b.updates++
	b.env.UpdateWorkflow(name, fmt.Sprintf("%s-%d", name, b.updates), &testsuite.TestUpdateCallback{
		OnReject: func(err error) { check(workflows.TicketOrderState{}, err) },
		OnAccept: func() {},
		OnComplete: func(v any, err error) {
			s, _ := v.(workflows.TicketOrderState)
			check(s, err)
		},
	}, arg)
}

func TestTicketOrder_ApprovePayTicket(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true, RequiresApproval: true})
	b.expectHold(b.start.Add(2*time.Hour + 15*time.Minute))
	b.expectCheckout()
	b.expectConfirm()

	var refused, decided workflows.TicketOrderState
	var refusedErr error
	b.env.RegisterDelayedCallback(func() {
		b.update(workflows.UpdateDecide, workflows.DecideInput{ActorUserID: buyer, Accept: true}, func(s workflows.TicketOrderState, err error) {
			refused, refusedErr = s, err
		})
	}, time.Hour)
	b.env.RegisterDelayedCallback(func() {
		b.update(workflows.UpdateDecide, workflows.DecideInput{ActorUserID: host, Accept: true, HostMessage: "welcome"},
			func(s workflows.TicketOrderState, err error) { require.NoError(t, err); decided = s })
	}, 2*time.Hour)
	b.env.RegisterDelayedCallback(func() {
		b.env.SignalWorkflow(workflows.SignalPayment, workflows.PaymentSignal{ProviderPaymentID: "pay-1", Status: "paid"})
	}, 2*time.Hour+5*time.Minute)
	b.run(workflows.TicketOrderInput{})

	s := b.result(t)
	require.Error(t, refusedErr, "only the host may decide")
	var refusal *temporal.ApplicationError
	require.ErrorAs(t, refusedErr, &refusal)
	assert.Equal(t, workflows.ErrTypeNotAllowed, refusal.Type(), "refused as not allowed, by type")
	assert.Empty(t, refused.Status)
	assert.Equal(t, workflows.StatusAwaitingPayment, decided.Status, "the decide update returns the new state")
	assert.Equal(t, "http://pay/1", s.CheckoutURL)
	assert.Equal(t, workflows.StatusAccepted, s.Status)
	assert.Equal(t, "ticket-1", s.TicketID)
	assert.Equal(t, "welcome", s.HostMessage)
	b.env.AssertExpectations(t)
}

func TestTicketOrder_Decline(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true, RequiresApproval: true})
	b.env.OnActivity(b.acts.CloseRequest, mock.Anything, activities.CloseInput{RequestID: "req-1", Status: workflows.StatusDeclined, Reason: "full house"}).
		Return(activities.ReleaseResult{}, nil).Once()
	b.env.RegisterDelayedCallback(func() {
		b.update(workflows.UpdateDecide, workflows.DecideInput{ActorUserID: host, Accept: false, HostMessage: "full house"},
			func(s workflows.TicketOrderState, err error) {
				require.NoError(t, err)
				assert.Equal(t, workflows.StatusDeclined, s.Status)
			})
	}, time.Hour)
	b.run(workflows.TicketOrderInput{})
	s := b.result(t)
	assert.Equal(t, workflows.StatusDeclined, s.Status)
	b.env.AssertNotCalled(t, "ClaimSeats", mock.Anything, mock.Anything)
	b.env.AssertExpectations(t)
}

func TestTicketOrder_NoDecisionExpiresAtEventStart(t *testing.T) {
	starts := time.Now().Add(48 * time.Hour)
	b := setup(t, activities.EventSnapshot{RequiresApproval: true, StartsAt: starts, EndsAt: starts.Add(time.Hour)})
	b.env.OnActivity(b.acts.CloseRequest, mock.Anything, mock.MatchedBy(func(in activities.CloseInput) bool { return in.Status == workflows.StatusExpired })).
		Return(activities.ReleaseResult{}, nil).Once()
	b.run(workflows.TicketOrderInput{})
	s := b.result(t)
	assert.Equal(t, workflows.StatusExpired, s.Status)
	assert.WithinDuration(t, starts, b.env.Now(), time.Minute, "expired when the event started, not after 7 days")
}

// TestTicketOrder_HoldExpiresOffersWaitlist: the buyer never pays, the
// hold expires, the checkout is closed and the freed seat is offered to the
// first waitlisted order by signalling its workflow.
func TestTicketOrder_HoldExpiresOffersWaitlist(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true})
	b.expectHold(b.start.Add(15 * time.Minute))
	b.expectCheckout()
	b.env.OnActivity(b.acts.CancelPayment, mock.Anything, activities.PaymentInput{RequestID: "req-1"}).
		Return(activities.CancelPaymentResult{}, nil).Once()
	offer := activities.SeatOffer{RequestID: "req-waiting", ReservationID: "hold-2", ExpiresAt: b.start.Add(30 * time.Minute)}
	b.env.OnActivity(b.acts.CloseRequest, mock.Anything, mock.MatchedBy(func(in activities.CloseInput) bool { return in.Status == workflows.StatusExpired })).
		Return(activities.ReleaseResult{Offers: []activities.SeatOffer{offer}}, nil).Once()
	b.env.OnSignalExternalWorkflow(mock.Anything, workflows.TicketOrderWorkflowID("req-waiting"), "", workflows.SignalSeatOffered,
		mock.MatchedBy(func(o activities.SeatOffer) bool { return o.ReservationID == offer.ReservationID })).Return(nil).Once()
	b.run(workflows.TicketOrderInput{})

	s := b.result(t)
	assert.Equal(t, workflows.StatusExpired, s.Status)
	assert.WithinDuration(t, b.start.Add(15*time.Minute+time.Hour), b.env.Now(), time.Minute, "waited out the late-payment grace")
	b.env.AssertExpectations(t)
}

// TestTicketOrder_WaitlistedGetsOfferedSeat: a waitlisted order receives a
// seat offer, pays and gets its ticket.
func TestTicketOrder_WaitlistedGetsOfferedSeat(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true})
	b.env.OnActivity(b.acts.ClaimSeats, mock.Anything, mock.Anything).Return(activities.ClaimResult{WaitlistPosition: 1}, nil).Once()
	b.expectCheckout()
	b.expectConfirm()
	var admitted workflows.TicketOrderState
	b.env.RegisterDelayedCallback(func() {
		b.update(workflows.UpdateAdmit, nil, func(s workflows.TicketOrderState, err error) { require.NoError(t, err); admitted = s })
	}, time.Minute)
	b.env.RegisterDelayedCallback(func() {
		b.env.SignalWorkflow(workflows.SignalSeatOffered, activities.SeatOffer{RequestID: "req-1", ReservationID: "hold-9", ExpiresAt: b.start.Add(5 * time.Hour)})
	}, 4*time.Hour)
	b.env.RegisterDelayedCallback(func() {
		b.env.SignalWorkflow(workflows.SignalPayment, workflows.PaymentSignal{Status: "paid"})
	}, 4*time.Hour+time.Minute)
	b.run(workflows.TicketOrderInput{})
	s := b.result(t)
	assert.Equal(t, workflows.StatusWaitlisted, admitted.Status, "RequestToJoin sees waitlisted, not an error")
	assert.Equal(t, workflows.StatusAccepted, s.Status)
	assert.Equal(t, "hold-9", s.ReservationID)
}

// TestTicketOrder_LatePaymentRefunded: the payment lands after the hold
// expired and the seat went to someone else, so it is refunded in full.
func TestTicketOrder_LatePaymentRefunded(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true})
	b.expectHold(b.start.Add(15 * time.Minute))
	b.expectCheckout()
	b.env.OnActivity(b.acts.CancelPayment, mock.Anything, mock.Anything).Return(activities.CancelPaymentResult{}, nil).Once()
	b.env.OnActivity(b.acts.CloseRequest, mock.Anything, mock.Anything).Return(activities.ReleaseResult{}, nil).Once()
	b.env.OnActivity(b.acts.ClaimSeats, mock.Anything, mock.MatchedBy(func(in activities.ClaimInput) bool { return in.Reopen })).
		Return(activities.ClaimResult{Held: false}, nil).Once()
	b.env.OnActivity(b.acts.RefundPayment, mock.Anything, mock.MatchedBy(func(in activities.RefundInput) bool { return in.AmountMinor == 0 })).
		Return(activities.RefundResult{RefundedMinor: 1180}, nil).Once()
	b.env.RegisterDelayedCallback(func() {
		b.env.SignalWorkflow(workflows.SignalPayment, workflows.PaymentSignal{Status: "paid"})
	}, 20*time.Minute)
	b.run(workflows.TicketOrderInput{})
	s := b.result(t)
	assert.Equal(t, workflows.StatusExpired, s.Status)
	assert.Equal(t, int64(1180), s.RefundedMinor)
	b.env.AssertNotCalled(t, "ConfirmOrder", mock.Anything, mock.Anything)
}

// TestTicketOrder_LatePaymentConfirmedWhenSeatsRemain: the checkout could
// not be cancelled because the buyer had just paid, and seats are free.
func TestTicketOrder_LatePaymentConfirmedWhenSeatsRemain(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true})
	b.expectHold(b.start.Add(15 * time.Minute))
	b.expectCheckout()
	b.env.OnActivity(b.acts.CancelPayment, mock.Anything, mock.Anything).Return(activities.CancelPaymentResult{AlreadyPaid: true}, nil).Once()
	b.env.OnActivity(b.acts.CloseRequest, mock.Anything, mock.Anything).Return(activities.ReleaseResult{}, nil).Once()
	b.env.OnActivity(b.acts.ClaimSeats, mock.Anything, mock.MatchedBy(func(in activities.ClaimInput) bool { return in.Reopen })).
		Return(activities.ClaimResult{Held: true, ReservationID: "hold-late"}, nil).Once()
	b.expectConfirm()
	b.run(workflows.TicketOrderInput{})
	s := b.result(t)
	assert.Equal(t, workflows.StatusAccepted, s.Status)
	assert.Equal(t, "ticket-1", s.TicketID)
}

func TestTicketOrder_BuyerCancelRefunds(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true})
	b.expectHold(b.start.Add(15 * time.Minute))
	b.expectCheckout()
	b.expectConfirm()
	b.env.OnActivity(b.acts.CancelAttendance, mock.Anything, mock.MatchedBy(func(in activities.CancelAttendanceInput) bool { return !in.ForceFullRefund })).
		Return(activities.ReleaseResult{RefundMinor: 1180}, nil).Once()
	b.env.OnActivity(b.acts.RefundPayment, mock.Anything, activities.RefundInput{RequestID: "req-1", AmountMinor: 1180, Reason: "plans changed"}).
		Return(activities.RefundResult{RefundedMinor: 1180}, nil).Once()
	b.env.RegisterDelayedCallback(func() {
		b.env.SignalWorkflow(workflows.SignalPayment, workflows.PaymentSignal{Status: "paid"})
	}, time.Minute)
	b.env.RegisterDelayedCallback(func() {
		b.update(workflows.UpdateCancel, workflows.CancelInput{ActorUserID: host}, func(_ workflows.TicketOrderState, err error) {
			require.Error(t, err, "the host cannot cancel the buyer's ticket")
		})
		b.update(workflows.UpdateCancel, workflows.CancelInput{ActorUserID: buyer, Reason: "plans changed"}, func(s workflows.TicketOrderState, err error) {
			require.NoError(t, err)
			assert.Equal(t, workflows.StatusCancelled, s.Status)
		})
	}, 24*time.Hour)
	b.run(workflows.TicketOrderInput{})
	s := b.result(t)
	assert.Equal(t, workflows.StatusCancelled, s.Status)
	assert.Equal(t, int64(1180), s.RefundedMinor)
	b.env.AssertExpectations(t)
}

func TestTicketOrder_EventCancelledRefundsAttendee(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true})
	b.expectHold(b.start.Add(15 * time.Minute))
	b.expectCheckout()
	b.expectConfirm()
	b.env.OnActivity(b.acts.CancelAttendance, mock.Anything, mock.MatchedBy(func(in activities.CancelAttendanceInput) bool { return in.ForceFullRefund })).
		Return(activities.ReleaseResult{RefundMinor: 1180}, nil).Once()
	b.env.OnActivity(b.acts.RefundPayment, mock.Anything, mock.Anything).Return(activities.RefundResult{RefundedMinor: 1180}, nil).Once()
	b.env.RegisterDelayedCallback(func() {
		b.env.SignalWorkflow(workflows.SignalPayment, workflows.PaymentSignal{Status: "paid"})
	}, time.Minute)
	b.env.RegisterDelayedCallback(func() {
		b.env.SignalWorkflow(workflows.SignalEventCancelled, workflows.EventCancelledSignal{Reason: "storm"})
	}, 48*time.Hour)
	b.run(workflows.TicketOrderInput{})
	s := b.result(t)
	assert.Equal(t, workflows.StatusCancelled, s.Status)
	assert.Contains(t, s.Reason, "storm")
}

func TestTicketOrder_FreeEventConfirmsAtOnceAndEndsWithEvent(t *testing.T) {
	b := setup(t, activities.EventSnapshot{})
	b.expectHold(b.start.Add(15 * time.Minute))
	b.expectConfirm()
	b.run(workflows.TicketOrderInput{})
	s := b.result(t)
	assert.Equal(t, workflows.StatusAccepted, s.Status)
	assert.WithinDuration(t, b.start.Add(10*24*time.Hour+4*time.Hour), b.env.Now(), time.Minute, "open until the event ends")
	b.env.AssertNotCalled(t, "CreatePayment", mock.Anything, mock.Anything)
}

func TestTicketOrder_DuplicateRequestRejected(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	acts := &activities.Events{}
	env.RegisterActivity(acts)
	env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil)
	env.OnActivity(acts.LoadOrder, mock.Anything, mock.Anything).Return(activities.OrderSnapshot{}, nil)
	env.OnActivity(acts.RegisterRequest, mock.Anything, mock.Anything).
		Return(activities.Registration{}, temporal.NewNonRetryableApplicationError("you already have an open request for this event", activities.ErrRequestRejected, errors.New("dup")))
	env.ExecuteWorkflow(workflows.TicketOrder, workflows.TicketOrderInput{RequestID: "req-1", EventID: "e", UserID: buyer, Seats: 1})
	require.NoError(t, env.GetWorkflowError())
	var s workflows.TicketOrderState
	require.NoError(t, env.GetWorkflowResult(&s))
	assert.Equal(t, workflows.StatusRejected, s.Status)
	assert.Contains(t, s.Reason, "already have an open request")
}

// TestEventCancellation_CompensatesOrdersWhoseWorkflowClosed: "a" and "b"
// are running and get the signal; "c" closed at the event's old end with a
// live paid ticket, so the cancellation revokes it and refunds the stored
// quote itself; "d" closed without a ticket and needs nothing.
func TestEventCancellation_CompensatesOrdersWhoseWorkflowClosed(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	acts := &activities.Events{}
	env.RegisterActivity(acts)
	env.OnActivity(acts.OpenOrders, mock.Anything, "event-1").Return([]string{"a", "b", "c", "d"}, nil)
	for _, id := range []string{"a", "b"} {
		env.OnSignalExternalWorkflow(mock.Anything, workflows.TicketOrderWorkflowID(id), "", workflows.SignalEventCancelled, mock.Anything).Return(nil).Once()
	}
	for _, id := range []string{"c", "d"} {
		env.OnSignalExternalWorkflow(mock.Anything, workflows.TicketOrderWorkflowID(id), "", workflows.SignalEventCancelled, mock.Anything).
			Return(errors.New("workflow already completed")).Once()
	}
	env.OnActivity(acts.HoldsLiveTicket, mock.Anything, "c").Return(true, nil).Once()
	env.OnActivity(acts.HoldsLiveTicket, mock.Anything, "d").Return(false, nil).Once()
	env.OnActivity(acts.CancelAttendance, mock.Anything, mock.MatchedBy(func(in activities.CancelAttendanceInput) bool {
		return in.RequestID == "c" && in.ForceFullRefund
	})).Return(activities.ReleaseResult{RefundMinor: 1000}, nil).Once()
	env.OnActivity(acts.RefundPayment, mock.Anything, activities.RefundInput{RequestID: "c", AmountMinor: 1000, Reason: "event cancelled: storm"}).
		Return(activities.RefundResult{RefundedMinor: 1000}, nil).Once()
	env.ExecuteWorkflow(workflows.EventCancellation, workflows.EventCancellationInput{EventID: "event-1", Reason: "storm"})
	require.NoError(t, env.GetWorkflowError())
	var res workflows.EventCancellationResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, workflows.EventCancellationResult{Notified: 2, Missing: 2, Compensated: 1}, res)
	env.AssertExpectations(t)
}

func TestTicketOrderWorkflowID_RoundTrip(t *testing.T) {
	id, err := workflows.RequestIDFromTicketOrderWorkflowID(workflows.TicketOrderWorkflowID("abc"))
	require.NoError(t, err)
	assert.Equal(t, "abc", id)
	_, err = workflows.RequestIDFromTicketOrderWorkflowID("content-approval/abc")
	require.Error(t, err)
}
