package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
)

// SafetyAlert is the run of one alert. Its story:
//  1. record the batch, its rows and the audit in one activity; the
//     `record` Update (sent with the start) answers once that is done, and
//     a retried TriggerAlert's `record` answers the current state. A
//     sender who is not a member of every group ends the run there;
//  2. tell every member of the target groups but the sender, once each;
//  3. with no acknowledgement HostAfter after the alert, tell the events'
//     hosts; StaffAfter after it, platform staff, again every
//     StaffRepeat: until someone acknowledges or resolves it;
//  4. `acknowledge` (a target member, host or staff, not the sender)
//     stops the escalation; `resolve` (the same people, or the sender as
//     safe) ends the run once every Update has its answer.
//
// Activities retry until they succeed: an alert is never dropped for a
// passing failure, and each activity is idempotent.
func SafetyAlert(ctx workflow.Context, in SafetyAlertInput) (SafetyAlertState, error) {
	a := &safetyAlert{in: in, state: SafetyAlertState{BatchID: in.BatchID, SenderID: in.SenderID, Status: enums.AlertOpen,
		AlertType: in.AlertType, GroupIDs: slices.Clone(in.GroupIDs)}}
	if err := a.registerHandlers(ctx); err != nil {
		return a.state, err
	}
	err := a.run(ctx)
	// Let update callers see the final state before the run closes.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return a.answer(), err
}

type safetyAlert struct {
	in    SafetyAlertInput
	state SafetyAlertState
	acts  *activities.Safety
	// recorded is set once RecordAlert answered (recordErr its error): the
	// record Update waits for it and the other Updates are refused before.
	recorded  bool
	recordErr error
	// busy is held by whoever runs an activity that writes the alert (the
	// run's step or an Update's handler), so an escalation never writes
	// over an acknowledgement or a resolution, and the resolution notice
	// never precedes the alert's.
	busy bool
}

func (a *safetyAlert) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (SafetyAlertState, error) { return a.answer(), nil }); err != nil {
		return fmt.Errorf("register state query: %w", err)
	}
	if err := workflow.SetUpdateHandler(ctx, UpdateRecordAlert, a.handleRecord); err != nil {
		return fmt.Errorf("register %s update: %w", UpdateRecordAlert, err)
	}
	handlers := []struct {
		name      string
		handler   any
		validator any
	}{
		{UpdateAcknowledgeAlert, a.handleAcknowledge, a.validateAcknowledge},
		{UpdateResolveAlert, a.handleResolve, a.validateResolve},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler,
			workflow.UpdateHandlerOptions{Validator: h.validator}); err != nil {
			return fmt.Errorf("register %s update: %w", h.name, err)
		}
	}
	return nil
}

func (a *safetyAlert) run(ctx workflow.Context) error {
	if err := a.record(ctx); err != nil {
		return err
	}
	if err := a.exclusive(ctx, func() error { return a.notifyMembers(ctx) }); err != nil {
		return err
	}
	if err := a.escalate(ctx); err != nil {
		return err
	}
	_ = workflow.Await(ctx, a.resolved)
	return nil
}

// record writes the alert's rows and takes its time and events from them.
func (a *safetyAlert) record(ctx workflow.Context) error {
	defer func() { a.recorded = true }()
	var rec AlertRecord
	err := workflow.ExecuteActivity(activityOptions(ctx), a.acts.RecordAlert, activities.RecordAlertInput{
		BatchID: a.in.BatchID, SenderID: a.in.SenderID, ClientRequestID: a.in.ClientRequestID,
		GroupIDs: a.in.GroupIDs, AlertType: a.in.AlertType, Message: a.in.Message,
		Latitude: a.in.Latitude, Longitude: a.in.Longitude}).Get(ctx, &rec)
	if err != nil {
		a.recordErr = fmt.Errorf("record safety alert %s: %w", a.in.BatchID, err)
		return a.recordErr
	}
	a.state.CreatedAt = rec.CreatedAt
	if a.state.CreatedAt.IsZero() {
		a.state.CreatedAt = workflow.Now(ctx)
	}
	a.state.EventIDs = slices.Clone(rec.EventIDs)
	if len(rec.EventIDs) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(ctx, SearchEventID.ValueSet(rec.EventIDs[0])); err != nil {
			workflow.GetLogger(ctx).Warn("event search attribute not updated", "error", err)
		}
	}
	workflow.SetCurrentDetails(ctx, safetyAlertDetails(a.state))
	return nil
}

// notifyMembers tells every member of the target groups but the sender.
func (a *safetyAlert) notifyMembers(ctx workflow.Context) error {
	var told int
	err := workflow.ExecuteActivity(activityOptions(ctx), a.acts.NotifyAlertMembers, a.in.BatchID).Get(ctx, &told)
	if err != nil {
		return fmt.Errorf("notify members of safety alert %s: %w", a.in.BatchID, err)
	}
	a.state.NotifiedCount = told
	workflow.SetCurrentDetails(ctx, safetyAlertDetails(a.state))
	return nil
}

// escalate tells the hosts, then staff round after round, each at its
// time from the alert's, until the alert is acknowledged or resolved.
func (a *safetyAlert) escalate(ctx workflow.Context) error {
	for {
		at := a.nextEscalationAt()
		if d := at.Sub(workflow.Now(ctx)); d > 0 {
			_, _ = workflow.AwaitWithTimeout(ctx, d, a.settled)
		}
		if a.settled() {
			return nil
		}
		if err := a.exclusive(ctx, func() error { return a.escalateOnce(ctx) }); err != nil {
			return err
		}
	}
}

// nextEscalationAt is when the next escalation is due: the hosts'
// HostAfter after the alert, staff round n StaffAfter + (n-1)·StaffRepeat
// after it.
func (a *safetyAlert) nextEscalationAt() time.Time {
	if a.state.HostEscalatedAt == nil {
		return a.state.CreatedAt.Add(a.in.HostAfter)
	}
	return a.state.CreatedAt.Add(a.in.StaffAfter + time.Duration(a.state.StaffEscalations)*a.in.StaffRepeat)
}

// escalateOnce takes the next escalation, unless an acknowledgement or a
// resolution came while it waited for its turn.
func (a *safetyAlert) escalateOnce(ctx workflow.Context) error {
	if a.settled() {
		return nil
	}
	if a.state.HostEscalatedAt == nil {
		err := workflow.ExecuteActivity(activityOptions(ctx), a.acts.EscalateAlertToHosts, a.in.BatchID).Get(ctx, nil)
		if err != nil {
			return fmt.Errorf("escalate safety alert %s to hosts: %w", a.in.BatchID, err)
		}
		now := workflow.Now(ctx)
		a.state.HostEscalatedAt = &now
		a.setStatus(ctx, enums.AlertEscalatedHost)
		return nil
	}
	round := a.state.StaffEscalations + 1
	err := workflow.ExecuteActivity(activityOptions(ctx), a.acts.EscalateAlertToStaff, a.in.BatchID, round).Get(ctx, nil)
	if err != nil {
		return fmt.Errorf("escalate safety alert %s to staff (round %d): %w", a.in.BatchID, round, err)
	}
	a.state.StaffEscalations = round
	a.setStatus(ctx, enums.AlertEscalatedStaff)
	return nil
}

// settled reports whether someone has acknowledged or resolved the alert:
// nothing escalates any more.
func (a *safetyAlert) settled() bool {
	return a.state.AcknowledgedBy != "" || a.resolved()
}

func (a *safetyAlert) resolved() bool { return a.state.Status == enums.AlertResolved }

// exclusive runs fn while no other writer (the run or another Update's
// handler) runs; fn's activities and its state change are one step.
func (a *safetyAlert) exclusive(ctx workflow.Context, fn func() error) error {
	_ = workflow.Await(ctx, func() bool { return !a.busy })
	a.busy = true
	defer func() { a.busy = false }()
	return fn()
}

// answer is the state as the query and the Updates answer it: a copy, so
// the run's later changes never show through an earlier answer.
func (a *safetyAlert) answer() SafetyAlertState {
	s := a.state
	s.GroupIDs = slices.Clone(a.state.GroupIDs)
	s.EventIDs = slices.Clone(a.state.EventIDs)
	return s
}

// setStatus records status in the state and, when it changed, in the
// search attribute operators filter on; the details line follows.
func (a *safetyAlert) setStatus(ctx workflow.Context, status string) {
	if status != a.state.Status {
		if err := workflow.UpsertTypedSearchAttributes(ctx, SearchStatus.ValueSet(status)); err != nil {
			workflow.GetLogger(ctx).Warn("status search attribute not updated", "error", err)
		}
	}
	a.state.Status = status
	workflow.SetCurrentDetails(ctx, safetyAlertDetails(a.state))
}

// safetyAlertDetails is the run's details line: "notified 12, escalated
// to staff ×2, acknowledged".
func safetyAlertDetails(s SafetyAlertState) string {
	parts := []string{fmt.Sprintf("notified %d", s.NotifiedCount)}
	switch {
	case s.StaffEscalations > 0:
		parts = append(parts, fmt.Sprintf("escalated to staff ×%d", s.StaffEscalations))
	case s.HostEscalatedAt != nil:
		parts = append(parts, "escalated to hosts")
	}
	if s.AcknowledgedBy != "" {
		parts = append(parts, "acknowledged")
	}
	if s.Status == enums.AlertResolved {
		parts = append(parts, "resolved "+s.Outcome)
	}
	return strings.Join(parts, ", ")
}
