package workflows

// Taking over an order the API admitted: RequestToJoin decides a request in
// one Postgres transaction (the request row, a ticket, a hold with its
// absolute expiry, a waitlist place or the wait for the host) and starts
// the workflow after commit. The workflow reads that state and goes on from
// it: the host's decision, the waitlist offer, the payment within the
// stored hold, and the ticket's life until the event ends.

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
)

// versionNotifyAdmitted marks orders whose ticket, issued at admission,
// the workflow announces (the admission's transaction sends no notices).
const versionNotifyAdmitted = "notify-admitted-ticket"

// versionAdmittedByAPI marks orders admitted by the API in its own
// transaction; the workflow loads and continues them. Runs recorded before
// it register the request and claim seats through activities.
const versionAdmittedByAPI = "admitted-by-api"

// load reads the admitted request. It reports false when the request has
// no row yet: a start committed before the API admitted requests itself.
func (o *ticketOrder) load(ctx workflow.Context) (bool, error) {
	var snap activities.OrderSnapshot
	err := workflow.ExecuteLocalActivity(localActivityOptions(ctx), o.acts.LoadOrder, o.in.RequestID).Get(ctx, &snap)
	if err != nil {
		return false, fmt.Errorf("load order: %w", err)
	}
	if !snap.Found {
		return false, nil
	}
	o.event = snap.Event
	o.state.HostUserID, o.state.OrganizationID, o.state.IsPaid = snap.Event.HostUserID, snap.Event.OrganizationID, snap.Event.IsPaid
	o.state.ReservationID, o.state.HoldExpiresAt, o.state.TicketID = snap.ReservationID, snap.HoldExpiresAt, snap.TicketID
	if snap.EventCancelled {
		// Its cancellation's signal found no workflow to tell.
		o.eventCancelled = &EventCancelledSignal{Reason: "the host cancelled the event"}
	}
	o.setStatus(ctx, snap.Status)
	return true, nil
}

// takeOver goes on from the state the admission committed.
func (o *ticketOrder) takeOver(ctx workflow.Context) error {
	if o.eventCancelled != nil && o.state.Open() && o.state.Status != StatusAccepted {
		return o.close(ctx, StatusCancelled, "event cancelled: "+o.eventCancelled.Reason)
	}
	switch o.state.Status {
	case StatusPending:
		if proceed, err := o.awaitHostDecision(ctx); err != nil || !proceed {
			return err
		}
		if held, err := o.claimOrWaitlist(ctx); err != nil || !held {
			return err
		}
	case StatusWaitlisted:
		if held, err := o.awaitSeatOffer(ctx); err != nil || !held {
			return err
		}
	case StatusOffered, StatusAwaitingPayment:
	case StatusAccepted:
		o.admitted = true
		if err := o.notifyAdmittedTicket(ctx); err != nil {
			return err
		}
		return o.attend(ctx)
	default:
		o.admitted = true // closed before its workflow started
		return nil
	}
	return o.fulfil(ctx)
}

// notifyAdmittedTicket tells buyer and host about the ticket the admission
// issued; runs recorded before versionNotifyAdmitted did not.
func (o *ticketOrder) notifyAdmittedTicket(ctx workflow.Context) error {
	if workflow.GetVersion(ctx, versionNotifyAdmitted, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	err := workflow.ExecuteLocalActivity(localActivityOptions(ctx), o.acts.NotifyAdmittedTicket, o.in.RequestID).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("notify admitted ticket: %w", err)
	}
	return nil
}
