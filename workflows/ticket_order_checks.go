package workflows

// The checks a hardened order makes before it acts (see versionHardened):
// deadlines follow the event when the host moves it, a checked-in ticket
// is not cancelled, and whatever an operator must act on is flagged where
// the Temporal UI shows it.

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
)

// awaitDeadline waits for cond until deadline(). When the timer fires, a
// hardened run re-reads the event's times, since the host may have moved
// the event since the order read them, and waits on while the deadline
// lies ahead. It reports whether cond held. Reading on timer fire keeps
// UpdateEvent free of any fan-out and is deterministic: the times are an
// activity result in the history.
func (o *ticketOrder) awaitDeadline(ctx workflow.Context, deadline func() time.Time, cond func() bool) (bool, error) {
	for {
		ok, err := workflow.AwaitWithTimeout(ctx, deadline().Sub(workflow.Now(ctx)), cond)
		if err != nil || ok || !o.hardened {
			return ok, err
		}
		var t activities.EventTimes
		if err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.CurrentEventTimes, o.in.EventID).Get(ctx, &t); err != nil {
			return false, fmt.Errorf("re-read event times: %w", err)
		}
		o.event.StartsAt, o.event.EndsAt = t.StartsAt, t.EndsAt
		if !deadline().After(workflow.Now(ctx)) {
			return cond(), nil
		}
	}
}

// refuseCheckedIn refuses the buyer's cancel of a ticket already checked
// in: the seat was used, so there is nothing to give back. The validator
// cannot read the database, so the update handler asks an activity.
func (o *ticketOrder) refuseCheckedIn(ctx workflow.Context) error {
	if !o.hardened || o.state.Status != StatusAccepted {
		return nil
	}
	var checkedIn bool
	if err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.TicketCheckedIn, o.in.RequestID).Get(ctx, &checkedIn); err != nil {
		return fmt.Errorf("look up check-in: %w", err)
	}
	if checkedIn {
		return refuseWrongState("the ticket was checked in at the door; it can no longer be cancelled or refunded")
	}
	return nil
}

// needAttention flags the order for an operator: the state query's
// Attention says what happened and ConveneStatus becomes
// StatusNeedsAttention, so `ConveneStatus = "needs_attention"` finds it.
func (o *ticketOrder) needAttention(ctx workflow.Context, problem string) {
	workflow.GetLogger(ctx).Error("ticket order needs an operator", "request_id", o.in.RequestID, "problem", problem)
	o.state.Attention = problem
	o.upsertSearchAttributes(ctx)
}
