package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/workflows"
)

// admitted makes LoadOrder return the order as the API's admission left
// it; the run then never registers or claims through activities.
func (b *testBundle) admitted(snap activities.OrderSnapshot) {
	snap.Found = true
	snap.Event = b.event
	b.env.OnActivity(b.acts.LoadOrder, mock.Anything, "req-1").Return(snap, nil).Once()
}

// notRegistered checks the run took over without registering or claiming.
func (b *testBundle) notRegistered(t *testing.T) {
	t.Helper()
	b.env.AssertNotCalled(t, "RegisterRequest", mock.Anything, mock.Anything)
	b.env.AssertNotCalled(t, "ClaimSeats", mock.Anything, mock.Anything)
}

func TestTicketOrder_AdmittedFreeTicketStaysOpenUntilTheEventEnds(t *testing.T) {
	b := setup(t, activities.EventSnapshot{})
	b.admitted(activities.OrderSnapshot{Status: workflows.StatusAccepted, TicketID: "ticket-7"})
	b.env.OnActivity(b.acts.NotifyAdmittedTicket, mock.Anything, "req-1").Return(nil).Once()
	var admitted workflows.TicketOrderState
	b.env.RegisterDelayedCallback(func() {
		b.update(workflows.UpdateAdmit, nil, func(s workflows.TicketOrderState, err error) { require.NoError(t, err); admitted = s })
	}, time.Minute)
	b.run(workflows.TicketOrderInput{})

	s := b.result(t)
	assert.Equal(t, workflows.StatusAccepted, admitted.Status)
	assert.Equal(t, "ticket-7", s.TicketID)
	assert.Equal(t, workflows.StatusAccepted, s.Status)
	assert.WithinDuration(t, b.event.EndsAt, b.env.Now(), time.Minute, "open until the event ends")
	assert.Equal(t, []string{workflows.StatusAccepted}, b.searchStatuses, "the operator sees the admitted status")
	b.env.AssertNotCalled(t, "ConfirmOrder", mock.Anything, mock.Anything)
	b.env.AssertNumberOfCalls(t, "NotifyAdmittedTicket", 1)
	b.notRegistered(t)
}

// TestTicketOrder_AdmittedHoldExpiresAtItsStoredDeadline: the workflow
// started 10 minutes after the admission (a backlog); the hold still
// expires 15 minutes after the admission, not after the start.
func TestTicketOrder_AdmittedHoldExpiresAtItsStoredDeadline(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true})
	expires := b.start.Add(5 * time.Minute)
	b.admitted(activities.OrderSnapshot{Status: workflows.StatusAwaitingPayment, ReservationID: "hold-1", HoldExpiresAt: expires})
	b.expectCheckout()
	var expiredAt time.Time
	b.env.OnActivity(b.acts.CancelPayment, mock.Anything, activities.PaymentInput{RequestID: "req-1"}).
		Run(func(mock.Arguments) { expiredAt = b.env.Now() }).Return(activities.CancelPaymentResult{}, nil).Once()
	b.env.OnActivity(b.acts.CloseRequest, mock.Anything, mock.MatchedBy(func(in activities.CloseInput) bool { return in.Status == workflows.StatusExpired })).
		Return(activities.ReleaseResult{}, nil).Once()
	b.run(workflows.TicketOrderInput{})

	s := b.result(t)
	assert.Equal(t, workflows.StatusExpired, s.Status)
	assert.WithinDuration(t, expires, expiredAt, time.Second, "the hold ended at the deadline the admission stored")
	b.notRegistered(t)
}

func TestTicketOrder_AdmittedHoldPaidGetsTicket(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true})
	b.admitted(activities.OrderSnapshot{Status: workflows.StatusAwaitingPayment, ReservationID: "hold-1", HoldExpiresAt: b.start.Add(15 * time.Minute)})
	b.expectCheckout()
	b.env.OnActivity(b.acts.ConfirmOrder, mock.Anything, activities.ConfirmInput{RequestID: "req-1", ReservationID: "hold-1"}).
		Return(activities.Confirmation{TicketID: "ticket-1"}, nil).Once()
	b.env.RegisterDelayedCallback(func() {
		b.env.SignalWorkflow(workflows.SignalPayment, workflows.PaymentSignal{Status: "paid"})
	}, 3*time.Minute)
	b.run(workflows.TicketOrderInput{})

	s := b.result(t)
	assert.Equal(t, workflows.StatusAccepted, s.Status)
	assert.Equal(t, "ticket-1", s.TicketID)
	b.notRegistered(t)
}

func TestTicketOrder_AdmittedWaitlistedGetsOfferedSeat(t *testing.T) {
	b := setup(t, activities.EventSnapshot{})
	b.admitted(activities.OrderSnapshot{Status: workflows.StatusWaitlisted})
	b.env.OnActivity(b.acts.ConfirmOrder, mock.Anything, activities.ConfirmInput{RequestID: "req-1", ReservationID: "hold-9"}).
		Return(activities.Confirmation{TicketID: "ticket-9"}, nil).Once()
	b.env.RegisterDelayedCallback(func() {
		b.env.SignalWorkflow(workflows.SignalSeatOffered, activities.SeatOffer{RequestID: "req-1", ReservationID: "hold-9", ExpiresAt: b.start.Add(5 * time.Hour)})
	}, 4*time.Hour)
	b.run(workflows.TicketOrderInput{})

	s := b.result(t)
	assert.Equal(t, workflows.StatusAccepted, s.Status)
	assert.Equal(t, "ticket-9", s.TicketID)
	b.notRegistered(t)
}

// TestTicketOrder_AdmittedOfferMadeBeforeTheStart: a seat was offered
// while the workflow had not started (the offer's signal found none); the
// row says offered, and the workflow confirms that hold.
func TestTicketOrder_AdmittedOfferMadeBeforeTheStart(t *testing.T) {
	b := setup(t, activities.EventSnapshot{})
	b.admitted(activities.OrderSnapshot{Status: workflows.StatusOffered, ReservationID: "hold-3", HoldExpiresAt: b.start.Add(15 * time.Minute)})
	b.env.OnActivity(b.acts.ConfirmOrder, mock.Anything, activities.ConfirmInput{RequestID: "req-1", ReservationID: "hold-3"}).
		Return(activities.Confirmation{TicketID: "ticket-3"}, nil).Once()
	b.run(workflows.TicketOrderInput{})

	s := b.result(t)
	assert.Equal(t, workflows.StatusAccepted, s.Status)
	assert.Equal(t, "ticket-3", s.TicketID)
}

func TestTicketOrder_AdmittedPendingWaitsForTheHost(t *testing.T) {
	b := setup(t, activities.EventSnapshot{RequiresApproval: true})
	b.admitted(activities.OrderSnapshot{Status: workflows.StatusPending})
	b.expectHold(b.start.Add(2*time.Hour + 15*time.Minute))
	b.expectConfirm()
	b.env.RegisterDelayedCallback(func() {
		b.update(workflows.UpdateDecide, workflows.DecideInput{ActorUserID: host, Accept: true}, func(_ workflows.TicketOrderState, err error) {
			require.NoError(t, err)
		})
	}, 2*time.Hour)
	b.run(workflows.TicketOrderInput{})

	s := b.result(t)
	assert.Equal(t, workflows.StatusAccepted, s.Status)
	b.env.AssertNotCalled(t, "RegisterRequest", mock.Anything, mock.Anything)
}

// TestTicketOrder_AdmittedEventCancelledBeforeTheStart: the event was
// cancelled before the order's workflow started, so its cancellation found
// no workflow to signal; the workflow closes the hold itself.
func TestTicketOrder_AdmittedEventCancelledBeforeTheStart(t *testing.T) {
	b := setup(t, activities.EventSnapshot{IsPaid: true})
	b.admitted(activities.OrderSnapshot{Status: workflows.StatusAwaitingPayment, ReservationID: "hold-1",
		HoldExpiresAt: b.start.Add(15 * time.Minute), EventCancelled: true})
	b.env.OnActivity(b.acts.CloseRequest, mock.Anything, mock.MatchedBy(func(in activities.CloseInput) bool { return in.Status == workflows.StatusCancelled })).
		Return(activities.ReleaseResult{}, nil).Once()
	b.run(workflows.TicketOrderInput{})

	s := b.result(t)
	assert.Equal(t, workflows.StatusCancelled, s.Status)
	b.env.AssertNotCalled(t, "CreatePayment", mock.Anything, mock.Anything)
	b.env.AssertNumberOfCalls(t, "CloseRequest", 1)
}

func TestTicketOrder_AdmittedOrderClosedBeforeTheStartEnds(t *testing.T) {
	b := setup(t, activities.EventSnapshot{})
	b.admitted(activities.OrderSnapshot{Status: workflows.StatusCancelled})
	b.run(workflows.TicketOrderInput{})

	s := b.result(t)
	assert.Equal(t, workflows.StatusCancelled, s.Status)
	assert.WithinDuration(t, b.start, b.env.Now(), time.Second, "nothing left to wait for")
}
