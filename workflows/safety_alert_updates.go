package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
)

// handleRecord answers the record Update once RecordAlert is done: the
// first TriggerAlert's, and every retried one's, with the state.
func (a *safetyAlert) handleRecord(ctx workflow.Context) (SafetyAlertState, error) {
	_ = workflow.Await(ctx, func() bool { return a.recorded })
	return a.answer(), a.recordErr
}

// validateOpen refuses a decision before the alert is recorded, after a
// failed record, and once it is resolved.
func (a *safetyAlert) validateOpen() error {
	switch {
	case !a.recorded:
		return refuseWrongState("the alert is still being recorded")
	case a.recordErr != nil:
		return refuseWrongState("the alert could not be recorded")
	case a.resolved():
		return refuseWrongState("the alert was already resolved (%s) by %s at %s", a.state.Outcome,
			a.state.ResolvedBy, utc(*a.state.ResolvedAt))
	}
	return nil
}

// mayRespond admits the people the alert reaches: a member of a target
// group, a host of one of its events, or staff.
func mayRespond(actor AlertActor) bool { return actor.TargetMember || actor.Host || actor.Staff }

// validateAcknowledge admits an acknowledgement of an unresolved alert by
// anyone it reaches but the sender. A later acknowledgement by someone
// else is recorded too; the first one is kept.
func (a *safetyAlert) validateAcknowledge(_ workflow.Context, ack AlertAck) error {
	if err := a.validateOpen(); err != nil {
		return err
	}
	switch {
	case ack.Actor.UserID == a.in.SenderID:
		return refuseNotAllowed("the sender cannot acknowledge their own alert")
	case !mayRespond(ack.Actor):
		return refuseNotAllowed("only members of the alert's groups, its events' hosts and staff acknowledge it")
	}
	return nil
}

// handleAcknowledge records the acknowledgement; the first one stops the
// escalation and makes the alert acknowledged.
func (a *safetyAlert) handleAcknowledge(ctx workflow.Context, ack AlertAck) (SafetyAlertState, error) {
	err := a.exclusive(ctx, func() error {
		if err := a.validateAcknowledge(ctx, ack); err != nil {
			return err
		}
		err := workflow.ExecuteActivity(activityOptions(ctx), a.acts.AcknowledgeAlert, activities.AlertDecision{
			BatchID: a.in.BatchID, UserID: ack.Actor.UserID}).Get(ctx, nil)
		if err != nil {
			return fmt.Errorf("acknowledge safety alert %s by %s: %w", a.in.BatchID, ack.Actor.UserID, err)
		}
		if a.state.AcknowledgedBy != "" {
			return nil
		}
		now := workflow.Now(ctx)
		a.state.AcknowledgedBy, a.state.AcknowledgedAt = ack.Actor.UserID, &now
		a.setStatus(ctx, enums.AlertAcknowledged)
		return nil
	})
	return a.answer(), err
}

// validateResolve admits one resolution of the alert with a known outcome:
// by anyone it reaches, or by the sender as safe.
func (a *safetyAlert) validateResolve(_ workflow.Context, res AlertResolution) error {
	if err := a.validateOpen(); err != nil {
		return err
	}
	switch {
	case !slices.Contains(enums.AlertOutcomes, res.Outcome):
		return refuseWrongState("outcome %q is not one of %s", res.Outcome, strings.Join(enums.AlertOutcomes, ", "))
	case res.Actor.UserID == a.in.SenderID && res.Outcome != enums.AlertOutcomeSafe:
		return refuseNotAllowed("the sender may only resolve their own alert as %s", enums.AlertOutcomeSafe)
	case res.Actor.UserID != a.in.SenderID && !mayRespond(res.Actor):
		return refuseNotAllowed("only the sender, members of the alert's groups, its events' hosts and staff resolve it")
	}
	return nil
}

// handleResolve records the resolution (ResolveAlert tells everyone the
// alert reached); the run then ends.
func (a *safetyAlert) handleResolve(ctx workflow.Context, res AlertResolution) (SafetyAlertState, error) {
	err := a.exclusive(ctx, func() error {
		if err := a.validateResolve(ctx, res); err != nil {
			return err
		}
		err := workflow.ExecuteActivity(activityOptions(ctx), a.acts.ResolveAlert, activities.AlertDecision{
			BatchID: a.in.BatchID, UserID: res.Actor.UserID, Outcome: res.Outcome, Note: res.Note}).Get(ctx, nil)
		if err != nil {
			return fmt.Errorf("resolve safety alert %s by %s: %w", a.in.BatchID, res.Actor.UserID, err)
		}
		now := workflow.Now(ctx)
		a.state.ResolvedBy, a.state.ResolvedAt, a.state.Outcome = res.Actor.UserID, &now, res.Outcome
		a.setStatus(ctx, enums.AlertResolved)
		return nil
	})
	return a.answer(), err
}
