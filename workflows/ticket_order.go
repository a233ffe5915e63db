package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
)

// TicketOrder is the ticket-order workflow. Its story:
//  1. register the request and read the event;
//  2. if the event needs approval, wait for the host (or expire);
//  3. claim seats: a hold, or a place on the waitlist until a seat is offered;
//  4. free: confirm at once; paid: create the checkout and wait for payment
//     until the hold expires, honouring or refunding a late payment;
//  5. stay open until the event ends to serve cancellations.
func TicketOrder(ctx workflow.Context, in TicketOrderInput) (TicketOrderState, error) {
	o, err := newTicketOrder(ctx, in)
	if err != nil {
		return TicketOrderState{}, err
	}
	err = o.run(ctx)
	if temporal.IsCanceledError(err) || errors.Is(ctx.Err(), workflow.ErrCanceled) {
		o.compensate(ctx)
	}
	// Let update callers see the final state before the run closes.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return o.state, err
}

type ticketOrder struct {
	in    TicketOrderInput
	state TicketOrderState
	event activities.EventSnapshot

	admitted       bool
	decision       *DecideInput
	cancel         *CancelInput
	eventCancelled *EventCancelledSignal
	offer          *activities.SeatOffer
	paid           bool
	acts           *activities.Events
	// localAdmission runs the short admission steps (register, claim,
	// confirm) as local activities: no task-queue round trip each, which
	// is most of an order's latency in a rush.
	localAdmission bool
	// hardened runs verify payments with the provider, re-read the event's
	// times when a deadline passes, refuse cancelling a checked-in ticket
	// and record provider refusals for an operator (see versionHardened).
	hardened bool
}

// versionLocalAdmission marks the switch of admission steps to local
// activities; runs recorded before it replay with regular activities.
const versionLocalAdmission = "local-admission-activities"

// versionHardened marks the orders that check before they act (payment
// re-fetched and compared with the quote, event times re-read at each
// deadline, check-in looked up before a cancel) and flag provider refusals;
// runs recorded before it replay without those activities.
const versionHardened = "verified-payments-fresh-deadlines"

func newTicketOrder(ctx workflow.Context, in TicketOrderInput) (*ticketOrder, error) {
	if in.LatePaymentGrace == 0 {
		in.LatePaymentGrace = time.Hour
	}
	if in.DecisionDays == 0 {
		in.DecisionDays = 7
	}
	o := &ticketOrder{in: in, state: TicketOrderState{RequestID: in.RequestID, EventID: in.EventID, UserID: in.UserID,
		Seats: in.Seats, Status: StatusPending}}
	if err := o.registerHandlers(ctx); err != nil {
		return nil, err
	}
	o.receiveSignals(ctx)
	return o, nil
}

func (o *ticketOrder) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (TicketOrderState, error) { return o.state, nil }); err != nil {
		return fmt.Errorf("register state query: %w", err)
	}
	if err := workflow.SetUpdateHandler(ctx, UpdateAdmit, func(ctx workflow.Context) (TicketOrderState, error) {
		err := workflow.Await(ctx, func() bool { return o.admitted })
		return o.state, err
	}); err != nil {
		return fmt.Errorf("register admit update: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecide, o.handleDecide,
		workflow.UpdateHandlerOptions{Validator: o.validateDecide}); err != nil {
		return fmt.Errorf("register decide update: %w", err)
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateCancel, o.handleCancel,
		workflow.UpdateHandlerOptions{Validator: o.validateCancel})
}

func (o *ticketOrder) validateDecide(_ workflow.Context, in DecideInput) error {
	if !o.admitted || o.state.HostUserID == "" {
		return refuseWrongState("the request is still being registered; try again")
	}
	if in.ActorUserID != o.state.HostUserID {
		return refuseNotAllowed("only the event's host can decide on requests")
	}
	if o.state.Status != StatusPending || o.decision != nil {
		return refuseWrongState("the request is %s, not pending", o.state.Status)
	}
	return nil
}

func (o *ticketOrder) handleDecide(ctx workflow.Context, in DecideInput) (TicketOrderState, error) {
	o.decision = &in
	err := workflow.Await(ctx, func() bool { return o.state.Status != StatusPending || !o.state.Open() })
	return o.state, err
}

func (o *ticketOrder) validateCancel(_ workflow.Context, in CancelInput) error {
	if !o.admitted {
		return refuseWrongState("the request is still being registered; try again")
	}
	if in.ActorUserID != o.state.UserID {
		return refuseNotAllowed("only the person who made the request can cancel it")
	}
	if !o.state.Open() || o.cancel != nil {
		return refuseWrongState("the request is already %s", o.state.Status)
	}
	return nil
}

func (o *ticketOrder) handleCancel(ctx workflow.Context, in CancelInput) (TicketOrderState, error) {
	if err := o.refuseCheckedIn(ctx); err != nil {
		return o.state, err
	}
	o.cancel = &in
	err := workflow.Await(ctx, func() bool { return !o.state.Open() })
	return o.state, err
}

// receiveSignals drains signal channels into state the main loop awaits.
func (o *ticketOrder) receiveSignals(ctx workflow.Context) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		payments := workflow.GetSignalChannel(ctx, SignalPayment)
		offers := workflow.GetSignalChannel(ctx, SignalSeatOffered)
		cancels := workflow.GetSignalChannel(ctx, SignalEventCancelled)
		for {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(payments, func(c workflow.ReceiveChannel, _ bool) {
				var p PaymentSignal
				c.Receive(ctx, &p)
				if p.Status == "paid" {
					o.paid = true
				}
			})
			sel.AddReceive(offers, func(c workflow.ReceiveChannel, _ bool) {
				var s activities.SeatOffer
				c.Receive(ctx, &s)
				if s.RequestID == o.in.RequestID {
					o.offer = &s
				}
			})
			sel.AddReceive(cancels, func(c workflow.ReceiveChannel, _ bool) {
				var s EventCancelledSignal
				c.Receive(ctx, &s)
				o.eventCancelled = &s
			})
			sel.Select(ctx)
		}
	})
}

func (o *ticketOrder) run(ctx workflow.Context) error {
	o.localAdmission = workflow.GetVersion(ctx, versionLocalAdmission, workflow.DefaultVersion, 1) == 1
	o.hardened = workflow.GetVersion(ctx, versionHardened, workflow.DefaultVersion, 1) == 1
	if workflow.GetVersion(ctx, versionAdmittedByAPI, workflow.DefaultVersion, 1) == 1 {
		found, err := o.load(ctx)
		if err != nil {
			return err
		}
		if found {
			return o.takeOver(ctx)
		}
		// A start committed before the API admitted requests itself
		// (an invite's River job): register and claim here, as then.
	}
	return o.registerAndClaim(ctx)
}

// registerAndClaim is the order of runs recorded before versionAdmittedByAPI:
// the workflow registers the request and claims its seats itself.
func (o *ticketOrder) registerAndClaim(ctx workflow.Context) error {
	ok, err := o.register(activityOptions(ctx))
	if err != nil || !ok {
		return err
	}
	if o.event.RequiresApproval && o.in.InviteID == "" {
		if proceed, err := o.awaitHostDecision(ctx); err != nil || !proceed {
			return err
		}
	}
	if held, err := o.claimOrWaitlist(ctx); err != nil || !held {
		return err
	}
	return o.fulfil(ctx)
}

// fulfil turns held seats into a ticket (at once when free, on payment
// when paid) and keeps the order open until the event ends.
func (o *ticketOrder) fulfil(ctx workflow.Context) error {
	if !o.event.IsPaid {
		if err := o.confirm(activityOptions(ctx)); err != nil {
			return err
		}
	} else if confirmed, err := o.collectPayment(ctx); err != nil || !confirmed {
		return err
	}
	return o.attend(ctx)
}

// register writes the request row and loads the event. A request that
// cannot be registered ends the workflow as rejected.
func (o *ticketOrder) register(ctx workflow.Context) (bool, error) {
	var reg activities.Registration
	err := o.admissionStep(ctx, o.acts.RegisterRequest, activities.RegisterInput{
		RequestID: o.in.RequestID, EventID: o.in.EventID, UserID: o.in.UserID, Seats: o.in.Seats,
		Message: o.in.Message, InviteID: o.in.InviteID,
	}).Get(ctx, &reg)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NonRetryable() {
		o.state.Reason = appErr.Message()
		o.setStatus(ctx, StatusRejected)
		o.admitted = true
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("register request: %w", err)
	}
	o.event = reg.Event
	o.state.HostUserID, o.state.OrganizationID, o.state.IsPaid = reg.Event.HostUserID, reg.Event.OrganizationID, reg.Event.IsPaid
	o.setStatus(ctx, reg.Status)
	return true, nil
}

// awaitHostDecision waits for the host until the event starts or the
// decision window closes. It reports whether to go on to claim seats.
func (o *ticketOrder) awaitHostDecision(ctx workflow.Context) (bool, error) {
	o.admitted = true
	window := workflow.Now(ctx).AddDate(0, 0, o.in.DecisionDays)
	deadline := func() time.Time {
		if o.event.StartsAt.Before(window) {
			return o.event.StartsAt
		}
		return window
	}
	decided, err := o.awaitDeadline(ctx, deadline, func() bool {
		return o.decision != nil || o.cancel != nil || o.eventCancelled != nil
	})
	if err != nil {
		return false, err
	}
	switch {
	case !decided:
		return false, o.close(ctx, StatusExpired, "the host did not decide in time")
	case o.cancel != nil:
		return false, o.close(ctx, StatusCancelled, o.cancel.Reason)
	case o.eventCancelled != nil:
		return false, o.close(ctx, StatusCancelled, "event cancelled: "+o.eventCancelled.Reason)
	case !o.decision.Accept:
		o.state.HostMessage = o.decision.HostMessage
		return false, o.close(ctx, StatusDeclined, o.decision.HostMessage)
	}
	o.state.HostMessage = o.decision.HostMessage
	return true, nil
}

// claimOrWaitlist holds seats, or waits on the waitlist until a seat is
// offered. It reports whether the order now holds seats.
func (o *ticketOrder) claimOrWaitlist(ctx workflow.Context) (bool, error) {
	var claim activities.ClaimResult
	err := o.admissionStep(ctx, o.acts.ClaimSeats, activities.ClaimInput{
		RequestID: o.in.RequestID, HoldUntil: o.holdUntil(ctx), HostMessage: o.state.HostMessage,
	}).Get(ctx, &claim)
	if err != nil {
		return false, fmt.Errorf("claim seats: %w", err)
	}
	if claim.Held {
		o.hold(ctx, claim.ReservationID, claim.ExpiresAt, StatusAwaitingPayment)
		return true, nil
	}
	o.setStatus(ctx, StatusWaitlisted)
	return o.awaitSeatOffer(ctx)
}

// awaitSeatOffer waits on the waitlist until a seat is offered, the order
// or the event is cancelled, or the event starts. It reports whether the
// order now holds seats.
func (o *ticketOrder) awaitSeatOffer(ctx workflow.Context) (bool, error) {
	o.admitted = true
	offered, err := o.awaitDeadline(ctx, func() time.Time { return o.event.StartsAt }, func() bool {
		return o.offer != nil || o.cancel != nil || o.eventCancelled != nil
	})
	if err != nil {
		return false, err
	}
	switch {
	case o.cancel != nil:
		return false, o.close(ctx, StatusCancelled, o.cancel.Reason)
	case o.eventCancelled != nil:
		return false, o.close(ctx, StatusCancelled, "event cancelled: "+o.eventCancelled.Reason)
	case !offered:
		return false, o.close(ctx, StatusExpired, "no seat opened up before the event")
	}
	o.hold(ctx, o.offer.ReservationID, o.offer.ExpiresAt, StatusOffered)
	return true, nil
}

// admissionStep runs a short, idempotent database step: locally in new
// runs, as a regular activity in runs recorded before the switch.
func (o *ticketOrder) admissionStep(ctx workflow.Context, fn, arg any) workflow.Future {
	if !o.localAdmission {
		return workflow.ExecuteActivity(activityOptions(ctx), fn, arg)
	}
	return workflow.ExecuteLocalActivity(localActivityOptions(ctx), fn, arg)
}

func (o *ticketOrder) holdUntil(ctx workflow.Context) time.Time {
	return workflow.Now(ctx).Add(time.Duration(o.event.HoldMinutes) * time.Minute)
}

func (o *ticketOrder) hold(ctx workflow.Context, reservationID string, expires time.Time, paidStatus string) {
	o.state.ReservationID, o.state.HoldExpiresAt = reservationID, expires
	if o.event.IsPaid {
		o.setStatus(ctx, paidStatus)
		return
	}
	// Free orders are confirmed right away; the status moves to accepted then.
}

// confirm consumes the hold and issues the ticket.
func (o *ticketOrder) confirm(ctx workflow.Context) error {
	var c activities.Confirmation
	err := o.admissionStep(ctx, o.acts.ConfirmOrder, activities.ConfirmInput{
		RequestID: o.in.RequestID, ReservationID: o.state.ReservationID,
	}).Get(ctx, &c)
	if err != nil {
		return fmt.Errorf("confirm order: %w", err)
	}
	o.state.TicketID = c.TicketID
	o.setStatus(ctx, StatusAccepted)
	o.admitted = true
	return nil
}

// attend keeps a confirmed order open until the event ends, serving the
// buyer's cancellation and the event's cancellation.
func (o *ticketOrder) attend(ctx workflow.Context) error {
	_, err := o.awaitDeadline(ctx, func() time.Time { return o.event.EndsAt }, func() bool {
		return o.cancel != nil || o.eventCancelled != nil
	})
	if err != nil {
		return err
	}
	switch {
	case o.eventCancelled != nil:
		return o.cancelTicket(ctx, "event cancelled: "+o.eventCancelled.Reason, true)
	case o.cancel != nil:
		return o.cancelTicket(ctx, o.cancel.Reason, false)
	}
	return nil
}

// cancelTicket revokes the ticket, frees the seats and refunds per the
// event's policy (in full when the event itself was cancelled).
func (o *ticketOrder) cancelTicket(ctx workflow.Context, reason string, fullRefund bool) error {
	var res activities.ReleaseResult
	err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.CancelAttendance, activities.CancelAttendanceInput{
		RequestID: o.in.RequestID, Reason: reason, ForceFullRefund: fullRefund, Now: workflow.Now(ctx),
	}).Get(ctx, &res)
	if err != nil {
		return fmt.Errorf("cancel attendance: %w", err)
	}
	o.setStatus(ctx, StatusCancelled)
	o.state.Reason = reason
	o.offerSeats(ctx, res.Offers)
	if o.event.IsPaid && res.RefundMinor > 0 {
		return o.refund(ctx, res.RefundMinor, reason)
	}
	return nil
}

// close ends an order that holds no ticket: it releases any hold (offering
// the seats to the waitlist), records the final status and notifies.
func (o *ticketOrder) close(ctx workflow.Context, status, reason string) error {
	var res activities.ReleaseResult
	err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.CloseRequest, activities.CloseInput{
		RequestID: o.in.RequestID, Status: status, Reason: reason,
	}).Get(ctx, &res)
	if err != nil {
		return fmt.Errorf("close request as %s: %w", status, err)
	}
	o.state.Reason = reason
	o.setStatus(ctx, status)
	o.admitted = true
	o.offerSeats(ctx, res.Offers)
	return nil
}

// offerSeats tells each waitlisted order that a seat is held for it. The
// signals are part of this workflow's history, so none is lost if a worker
// dies after the release committed.
func (o *ticketOrder) offerSeats(ctx workflow.Context, offers []activities.SeatOffer) {
	for _, offer := range offers {
		f := workflow.SignalExternalWorkflow(ctx, TicketOrderWorkflowID(offer.RequestID), "", SignalSeatOffered, offer)
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("offer seat to waitlisted order", "request_id", offer.RequestID, "error", err)
		}
	}
}

// compensate undoes what a cancelled run holds, in a context that is not
// itself cancelled.
func (o *ticketOrder) compensate(ctx workflow.Context) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	log := workflow.GetLogger(dctx)
	var err error
	if o.state.Status == StatusAccepted {
		err = o.cancelTicket(dctx, "order workflow cancelled by an operator", true)
	} else if o.state.Open() {
		err = o.abandonCheckout(dctx, StatusCancelled, "order workflow cancelled by an operator")
	}
	if err != nil {
		log.Error("compensate cancelled order", "error", err)
	}
}

// setStatus records a status and mirrors it into the search attributes.
func (o *ticketOrder) setStatus(ctx workflow.Context, status string) {
	o.state.Status = status
	o.upsertSearchAttributes(ctx)
}

// upsertSearchAttributes mirrors the status (or StatusNeedsAttention) and
// the organization into the search attributes.
func (o *ticketOrder) upsertSearchAttributes(ctx workflow.Context) {
	status := o.state.Status
	if o.state.Attention != "" {
		status = StatusNeedsAttention
	}
	updates := []temporal.SearchAttributeUpdate{SearchStatus.ValueSet(status)}
	if o.state.OrganizationID != "" {
		updates = append(updates, SearchOrgID.ValueSet(o.state.OrganizationID))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes", "error", err)
	}
}
