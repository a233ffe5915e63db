package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/engagement"
	"github.com/convene/convene/internal/rules"
)

// EvaluateRulesWorker reacts to one domain event: the organization's
// active rules act on it, then its subject's automatic badges are
// checked, all in one transaction, so a retried job repeats nothing.
type EvaluateRulesWorker struct {
	river.WorkerDefaults[engagement.EvaluateRulesArgs]
	DB       *db.DB
	Recorder engagement.Recorder
	Rules    *rules.Engine
}

// Work evaluates the event.
func (w *EvaluateRulesWorker) Work(ctx context.Context, job *river.Job[engagement.EvaluateRulesArgs]) error {
	return w.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ev, err := db.DomainEventByID(ctx, tx, job.Args.DomainEventID)
		if err != nil {
			return fmt.Errorf("evaluate rules: %w", err)
		}
		if err := w.applyRules(ctx, tx, ev); err != nil {
			return err
		}
		if ev.SubjectUserID == nil {
			return nil
		}
		_, err = w.Recorder.AwardEarnedBadges(ctx, tx, ev.OrganizationID, *ev.SubjectUserID, ev.CauseDepth)
		return err
	})
}

// applyRules runs the active rules of ev's type in priority order. At
// the maximum cause depth each is only logged (depth_limit), so rules
// that trigger each other stop.
func (w *EvaluateRulesWorker) applyRules(ctx context.Context, tx bun.Tx, ev *db.DomainEvent) error {
	active, err := db.ActiveRulesFor(ctx, tx, ev.OrganizationID, ev.Type)
	if err != nil {
		return err
	}
	for i := range active {
		if err := w.applyRule(ctx, tx, &active[i], ev); err != nil {
			return fmt.Errorf("rule %s on event %s: %w", active[i].ID, ev.ID, err)
		}
	}
	return nil
}

// applyRule claims the rule's execution on ev (a rule that ran on ev
// before is skipped), evaluates it, takes a cap slot and acts, and logs
// the outcome.
func (w *EvaluateRulesWorker) applyRule(ctx context.Context, tx bun.Tx, r *db.Rule, ev *db.DomainEvent) error {
	// The claim's outcome is provisional: FinishRuleExecution sets the
	// real one before the transaction commits.
	exec := &db.RuleExecution{OrganizationID: ev.OrganizationID, RuleID: r.ID, DomainEventID: ev.ID,
		UserID: ev.SubjectUserID, Outcome: enums.RuleDepthLimit}
	claimed, err := db.ClaimRuleExecution(ctx, tx, exec)
	if err != nil || !claimed {
		return err
	}
	if ev.CauseDepth >= engagement.MaxCauseDepth {
		exec.Details = map[string]any{"cause_depth": ev.CauseDepth}
		return db.FinishRuleExecution(ctx, tx, exec)
	}
	verdict, err := w.Rules.Judge(ctx, tx, r, ev)
	if err != nil {
		return err
	}
	exec.Outcome, err = w.capOutcome(ctx, tx, r, ev, verdict.AllHold)
	if err != nil {
		return err
	}
	exec.Details = map[string]any{"conditions": verdict.Conditions}
	if exec.Outcome == enums.RuleFired {
		done, err := w.act(ctx, tx, r, ev)
		if err != nil {
			return err
		}
		exec.Details["actions"] = done
	}
	return db.FinishRuleExecution(ctx, tx, exec)
}

// capOutcome decides what a rule whose conditions came out as hold does:
// it fires if its cap has room for the event's subject (taking a slot,
// the member's counter locked until tx ends), else it is capped. An event
// without a subject member has no one to act for.
func (w *EvaluateRulesWorker) capOutcome(ctx context.Context, tx bun.Tx, r *db.Rule, ev *db.DomainEvent, hold bool) (string, error) {
	if !hold || ev.SubjectUserID == nil {
		return enums.RuleConditionsFalse, nil
	}
	ok, err := db.TakeRuleCapSlot(ctx, tx, r, *ev.SubjectUserID, ev.OccurredAt)
	if err != nil {
		return "", err
	}
	if !ok {
		return enums.RuleCapped, nil
	}
	return enums.RuleFired, nil
}

// act runs a fired rule's actions for ev's subject and describes what
// each did. An action that cannot apply (an archived badge, a total
// that would go negative) is reported, not retried.
func (w *EvaluateRulesWorker) act(ctx context.Context, tx bun.Tx, r *db.Rule, ev *db.DomainEvent) ([]map[string]any, error) {
	userID := *ev.SubjectUserID
	done := make([]map[string]any, 0, len(r.Actions))
	for _, a := range r.Actions {
		var res map[string]any
		var err error
		switch {
		case a.AwardPoints != nil:
			res, err = awardRulePoints(ctx, tx, r, ev, userID, *a.AwardPoints)
		case a.AwardBadge != nil:
			res, err = w.awardRuleBadge(ctx, tx, r, ev, userID, *a.AwardBadge)
		case a.Notify != nil:
			res, err = map[string]any{"notify": *a.Notify}, notifyRule(ctx, tx, r, userID, *a.Notify)
		}
		if err != nil {
			return nil, err
		}
		done = append(done, res)
	}
	return done, nil
}

func awardRulePoints(ctx context.Context, tx bun.Tx, r *db.Rule, ev *db.DomainEvent, userID uuid.UUID, amount int64) (map[string]any, error) {
	refType, refID := "rule", r.ID.String()
	balance, err := db.PointsLedger{}.Award(ctx, tx, db.LedgerEntry{OrganizationID: r.OrganizationID, UserID: userID,
		Amount: amount, Type: enums.LedgerRule, ReferenceType: &refType, ReferenceID: &refID, Reason: "rule: " + r.Name,
		IdempotencyKey: "rule:" + r.ID.String() + ":" + ev.ID.String()})
	res := map[string]any{"award_points": amount}
	switch {
	case errors.Is(err, db.ErrNegativeBalance):
		res["error"] = err.Error()
	case err != nil && !errors.Is(err, db.ErrAlreadyRecorded):
		return nil, err
	default:
		res["balance_after"] = balance
	}
	return res, nil
}

func (w *EvaluateRulesWorker) awardRuleBadge(ctx context.Context, tx bun.Tx, r *db.Rule, ev *db.DomainEvent, userID, badgeID uuid.UUID) (map[string]any, error) {
	awarded, err := w.Recorder.AwardBadge(ctx, tx, engagement.BadgeGrant{OrganizationID: r.OrganizationID,
		BadgeID: badgeID, UserID: userID, Reason: "rule: " + r.Name, CauseDepth: ev.CauseDepth})
	res := map[string]any{"award_badge": badgeID.String(), "awarded": awarded}
	switch {
	case errors.Is(err, engagement.ErrBadgeArchived), errors.Is(err, db.ErrNotFound):
		res["error"] = err.Error()
	case err != nil:
		return nil, err
	}
	return res, nil
}

func notifyRule(ctx context.Context, tx bun.Tx, r *db.Rule, userID uuid.UUID, message string) error {
	return db.Notify(ctx, tx, &db.Notification{RecipientUserID: userID, OrganizationID: &r.OrganizationID,
		Type: "rule_fired", Title: r.Name, Message: message, ReferenceType: "rule", ReferenceID: r.ID.String()})
}
