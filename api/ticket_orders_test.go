package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	"github.com/convene/convene/workflows"
)

// hostEdits changes an event inserted by publishedEvent the way its host
// does: UpdateEvent with the full event, changed by mod.
func hostEdits(t *testing.T, a *testenv.API, host testenv.Session, ev *db.Event, mod func(*eventsv1.EventInput)) {
	t.Helper()
	in := &eventsv1.EventInput{Title: ev.Title, StartsAt: timestamppb.New(ev.StartsAt), EndsAt: timestamppb.New(ev.EndsAt),
		Timezone: ev.Timezone, Capacity: ev.Capacity, MaxSeatsPerRequest: ev.MaxSeatsPerRequest, RequiresApproval: ev.RequiresApproval,
		IsPaid: ev.IsPaid, TicketPriceMinor: ev.TicketPriceMinor, Currency: ev.Currency, GstBps: ev.GSTBps,
		HoldMinutes: ev.HoldMinutes, RefundCutoffHours: ev.RefundCutoffHours}
	mod(in)
	_, err := a.Events.UpdateEvent(context.Background(), testenv.As(host, &eventsv1.UpdateEventRequest{EventId: ev.ID.String(), Event: in}))
	require.NoError(t, err)
}

// joinPaid requests one seat of a paid event without approval and waits
// for its checkout.
func joinPaid(t *testing.T, a *testenv.API, buyer testenv.Session, ev *db.Event) *eventsv1.JoinRequest {
	t.Helper()
	joined, err := a.Ticketing.RequestToJoin(context.Background(), testenv.As(buyer, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
	require.NoError(t, err)
	require.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_AWAITING_PAYMENT, joined.Msg.GetRequest().GetStatus())
	return awaitCheckout(t, a, buyer, joined.Msg.GetRequest().GetId())
}

func refundedMinor(t *testing.T, a *testenv.API, requestID string) int64 {
	t.Helper()
	var order db.PaymentOrder
	require.NoError(t, a.DB.NewSelect().Model(&order).Where("request_id = ?", mustUUID(requestID)).Scan(context.Background()))
	return order.RefundedMinor
}

// orderState asks the order's workflow for its state, as an operator's
// Temporal UI does.
func orderState(t *testing.T, a *testenv.API, requestID string) workflows.TicketOrderState {
	t.Helper()
	v, err := a.Temporal.QueryWorkflow(context.Background(), workflows.TicketOrderWorkflowID(requestID), "", workflows.QueryState)
	require.NoError(t, err)
	var s workflows.TicketOrderState
	require.NoError(t, v.Get(&s))
	return s
}

// TestTicketOrder_PriceChangeAffectsOnlyNewRequests: held at ₹10 (₹11.80
// with GST), the host raises the price to ₹50; the buyer pays ₹11.80, the
// ticket is worth ₹11.80 and so is the refund when they cancel.
func TestTicketOrder_PriceChangeAffectsOnlyNewRequests(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, buyer := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5, priceMinor: 1000})
	r := joinPaid(t, a, buyer, ev)
	hostEdits(t, a, host, ev, func(in *eventsv1.EventInput) { in.TicketPriceMinor = 5000 })

	payOnCheckoutPage(t, a, r.GetCheckoutUrl())
	accepted := awaitStatus(t, a, buyer, r.GetId(), eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED)
	assert.Equal(t, int64(1180), accepted.GetPrice().GetTotal().GetAmountMinor(), "the request shows the price it was quoted")
	att, err := db.AttendeeByRequest(ctx, a.DB, mustUUID(r.GetId()))
	require.NoError(t, err)
	assert.Equal(t, int64(1180), att.PricePaidMinor, "the ticket is worth what was paid")

	_, err = a.Ticketing.CancelRequest(ctx, testenv.As(buyer, &eventsv1.CancelRequestRequest{RequestId: r.GetId(), Reason: "plans changed"}))
	require.NoError(t, err)
	testenv.Eventually(t, 20*time.Second, func() bool { return refundedMinor(t, a, r.GetId()) > 0 }, "no refund for %s", r.GetId())
	assert.Equal(t, int64(1180), refundedMinor(t, a, r.GetId()))
	var refund db.PaymentRefund
	require.NoError(t, a.DB.NewSelect().Model(&refund).Where("payment_order_id = (SELECT id FROM payment_orders WHERE request_id = ?)", mustUUID(r.GetId())).Scan(ctx))
	assert.Equal(t, int64(1180), refund.AmountMinor)
}

// TestTicketOrder_ForgedOrWrongPaymentGivesNoTicket: a "paid" signal sent
// straight to Temporal with nothing paid is refused and flagged; a payment
// the provider reports for less than the quote cancels the order and is
// refunded. Neither issues a ticket.
func TestTicketOrder_ForgedOrWrongPaymentGivesNoTicket(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	buyer, ev, r := paidOrder(t, a)

	err := a.Temporal.SignalWorkflow(ctx, workflows.TicketOrderWorkflowID(r.GetId()), "", workflows.SignalPayment,
		workflows.PaymentSignal{Status: "paid"})
	require.NoError(t, err)
	var state workflows.TicketOrderState
	testenv.Eventually(t, 20*time.Second, func() bool {
		state = orderState(t, a, r.GetId())
		return state.Attention != ""
	}, "the forged payment was never flagged")
	assert.Contains(t, state.Attention, "pending")
	assert.Equal(t, workflows.StatusAwaitingPayment, state.Status, "still waiting for a real payment")
	assert.EqualValues(t, 0, countRows(t, a, (*db.Ticket)(nil), "event_id = ?", ev.ID))

	providerID := r.GetCheckoutUrl()[strings.LastIndex(r.GetCheckoutUrl(), "/")+1:]
	_, err = a.DB.NewUpdate().Table("sandbox_payments").Set("amount = 100").Where("id = ?", providerID).Exec(ctx)
	require.NoError(t, err)
	payOnCheckoutPage(t, a, r.GetCheckoutUrl())
	awaitStatus(t, a, buyer, r.GetId(), eventsv1.RequestStatus_REQUEST_STATUS_CANCELLED)
	testenv.Eventually(t, 20*time.Second, func() bool { return refundedMinor(t, a, r.GetId()) > 0 }, "the underpayment was not refunded")
	assert.Equal(t, int64(100), refundedMinor(t, a, r.GetId()), "exactly what was paid goes back")
	assert.EqualValues(t, 0, countRows(t, a, (*db.Ticket)(nil), "event_id = ?", ev.ID))
	assert.Contains(t, orderState(t, a, r.GetId()).Attention, "quoted 29500 INR")
	recordHistory(t, a, workflows.TicketOrderWorkflowID(r.GetId()), "ticket_order_admitted_forged_then_underpaid")
}

// TestTicketOrder_MovedEventCancelledAfterItsOldEndRefunds: the host moves
// the event 30 days later, the old end passes, then the host cancels the
// event: the ticket is revoked and the payment refunded in full.
func TestTicketOrder_MovedEventCancelledAfterItsOldEndRefunds(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, buyer := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := &db.Event{ID: db.NewID(), HostUserID: mustUUID(host.UserID), Title: "Soon", StartsAt: time.Now().Add(8 * time.Second).Truncate(time.Second),
		Timezone: "Asia/Kolkata", Capacity: 5, MaxSeatsPerRequest: 1, AllowedGenders: "all", IsPaid: true, TicketPriceMinor: 1000,
		Currency: "INR", GSTBps: 1800, FeeMode: "absorbed", Visibility: "public", Status: db.EventPublished, HoldMinutes: 15,
		RefundCutoffHours: 24, CoverImages: []string{}}
	ev.EndsAt = ev.StartsAt.Add(2 * time.Second)
	ev.Slug = "soon-" + ev.ID.String()[24:]
	require.NoError(t, db.InsertEvent(ctx, a.DB, ev))
	r := joinPaid(t, a, buyer, ev)
	payOnCheckoutPage(t, a, r.GetCheckoutUrl())
	awaitStatus(t, a, buyer, r.GetId(), eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED)

	hostEdits(t, a, host, ev, func(in *eventsv1.EventInput) {
		in.StartsAt, in.EndsAt = timestamppb.New(ev.StartsAt.AddDate(0, 0, 30)), timestamppb.New(ev.EndsAt.AddDate(0, 0, 30))
	})
	time.Sleep(time.Until(ev.EndsAt.Add(2 * time.Second))) // the order's timer at the old end fires
	_, err := a.Events.CancelEvent(ctx, testenv.As(host, &eventsv1.CancelEventRequest{EventId: ev.ID.String(), Reason: "venue lost"}))
	require.NoError(t, err)

	awaitStatus(t, a, buyer, r.GetId(), eventsv1.RequestStatus_REQUEST_STATUS_CANCELLED)
	testenv.Eventually(t, 20*time.Second, func() bool { return refundedMinor(t, a, r.GetId()) > 0 }, "no refund")
	assert.Equal(t, int64(1180), refundedMinor(t, a, r.GetId()))
	assert.EqualValues(t, 1, countRows(t, a, (*db.Ticket)(nil), "event_id = ? AND revoked_at IS NOT NULL", ev.ID))
	recordHistory(t, a, workflows.TicketOrderWorkflowID(r.GetId()), "ticket_order_admitted_moved_event_cancelled")
	recordHistory(t, a, workflows.EventCancellationWorkflowID(ev.ID.String()), "event_cancellation_admitted_after_move")
}

// TestTicketOrder_CheckedInTicketCannotBeCancelled: the buyer pays, is
// checked in when the door opens, then cancels: refused as
// failed_precondition, the ticket stays valid and nothing is refunded.
func TestTicketOrder_CheckedInTicketCannotBeCancelled(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, buyer := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5, priceMinor: 1000})
	r := joinPaid(t, a, buyer, ev)
	payOnCheckoutPage(t, a, r.GetCheckoutUrl())
	awaitStatus(t, a, buyer, r.GetId(), eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED)
	mine, err := a.Ticketing.ListMyTickets(ctx, testenv.As(buyer, &eventsv1.ListMyTicketsRequest{}))
	require.NoError(t, err)
	// The door opens hours before the start, days after the purchase.
	host = advanceTo(t, a, ev.StartsAt.Add(-time.Hour), host)
	buyer = a.Login(t, buyer.Phone)
	scan, err := a.Ticketing.CheckIn(ctx, testenv.As(host, &eventsv1.CheckInRequest{EventId: ev.ID.String(),
		Code: mine.Msg.GetTickets()[0].GetCode(), Nonce: "door-1", DeviceId: "scanner-1"}))
	require.NoError(t, err)
	require.Equal(t, eventsv1.CheckInResult_CHECK_IN_RESULT_OK, scan.Msg.GetResult())

	_, err = a.Ticketing.CancelRequest(ctx, testenv.As(buyer, &eventsv1.CancelRequestRequest{RequestId: r.GetId(), Reason: "want my money"}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED, requestStatus(t, a, buyer, r.GetId()).GetStatus())
	assert.EqualValues(t, 0, countRows(t, a, (*db.PaymentRefund)(nil), "payment_order_id = (SELECT id FROM payment_orders WHERE request_id = ?)", mustUUID(r.GetId())))
	assert.EqualValues(t, 0, countRows(t, a, (*db.Ticket)(nil), "event_id = ? AND revoked_at IS NOT NULL", ev.ID))
}
