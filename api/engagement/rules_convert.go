package engagement

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/rules"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
)

// ruleCapPeriods maps the proto cap periods to gamification_rules.cap_period.
var ruleCapPeriods = rpc.NewEnum(map[engagementv1.RuleCapPeriod]string{
	engagementv1.RuleCapPeriod_RULE_CAP_PERIOD_DAY:   enums.CapDay,
	engagementv1.RuleCapPeriod_RULE_CAP_PERIOD_WEEK:  enums.CapWeek,
	engagementv1.RuleCapPeriod_RULE_CAP_PERIOD_MONTH: enums.CapMonth,
	engagementv1.RuleCapPeriod_RULE_CAP_PERIOD_TOTAL: enums.CapTotal,
})

// ruleOutcomes maps the proto outcomes to rule_executions.outcome.
var ruleOutcomes = rpc.NewEnum(map[engagementv1.RuleExecutionOutcome]string{
	engagementv1.RuleExecutionOutcome_RULE_EXECUTION_OUTCOME_FIRED:            enums.RuleFired,
	engagementv1.RuleExecutionOutcome_RULE_EXECUTION_OUTCOME_CONDITIONS_FALSE: enums.RuleConditionsFalse,
	engagementv1.RuleExecutionOutcome_RULE_EXECUTION_OUTCOME_CAPPED:           enums.RuleCapped,
	engagementv1.RuleExecutionOutcome_RULE_EXECUTION_OUTCOME_DEPTH_LIMIT:      enums.RuleDepthLimit,
})

// applySpec checks spec against what protovalidate cannot see (CEL that
// compiles to a bool, badges of r's organization, one points action) and
// sets r's definition from it. field names spec in errors, e.g.
// "rule.conditions[1].expression".
func (s *rulesServer) applySpec(ctx context.Context, idb bun.IDB, r *db.Rule, spec *engagementv1.RuleSpec, field string) error {
	conds := make([]db.RuleCondition, len(spec.GetConditions()))
	for i, c := range spec.GetConditions() {
		conds[i] = db.RuleCondition{Name: c.GetName(), Expression: c.GetExpression()}
	}
	candidate := &db.Rule{Conditions: conds}
	if _, err := s.engine.Compile(rules.ConditionsOf(candidate)); err != nil {
		var ce *rules.CompileError
		if errors.As(err, &ce) {
			return rpc.InvalidField(fmt.Sprintf("%s.conditions[%d].expression", field, ce.Index), ce.Err.Error())
		}
		return err
	}
	actions, err := ruleActions(ctx, idb, r.OrganizationID, spec.GetActions(), field)
	if err != nil {
		return err
	}
	r.Name, r.Description, r.TriggerType = spec.GetName(), spec.GetDescription(), spec.GetTriggerType()
	r.Conditions, r.Actions, r.Priority = conds, actions, int(spec.GetPriority())
	r.CapPeriod, r.CapCount = enums.CapTotal, nil
	if c := spec.GetCap(); c != nil {
		count := int(c.GetCount())
		r.CapPeriod, r.CapCount = ruleCapPeriods.Name(c.GetPeriod()), &count
	}
	return nil
}

// ruleActions converts and checks a rule's actions.
func ruleActions(ctx context.Context, idb bun.IDB, orgID uuid.UUID, in []*engagementv1.RuleAction, field string) ([]db.RuleAction, error) {
	out := make([]db.RuleAction, len(in))
	pointsAt := -1
	for i, a := range in {
		at := fmt.Sprintf("%s.actions[%d]", field, i)
		switch a.GetAction().(type) {
		case *engagementv1.RuleAction_AwardPoints:
			if pointsAt >= 0 {
				return nil, rpc.InvalidField(at+".award_points", fmt.Sprintf("actions[%d] awards points already; a rule awards points once", pointsAt))
			}
			pointsAt = i
			n := a.GetAwardPoints()
			out[i].AwardPoints = &n
		case *engagementv1.RuleAction_AwardBadgeId:
			id := uuid.MustParse(a.GetAwardBadgeId())
			if err := ruleBadgeUsable(ctx, idb, orgID, id, at+".award_badge_id"); err != nil {
				return nil, err
			}
			out[i].AwardBadge = &id
		case *engagementv1.RuleAction_NotifyMessage:
			m := a.GetNotifyMessage()
			out[i].Notify = &m
		}
	}
	return out, nil
}

// ruleBadgeUsable refuses a badge that is not the organization's or is
// archived.
func ruleBadgeUsable(ctx context.Context, idb bun.IDB, orgID, badgeID uuid.UUID, field string) error {
	b, err := db.BadgeInOrg(ctx, idb, orgID, badgeID)
	if errors.Is(err, db.ErrNotFound) {
		return rpc.InvalidField(field, "no such badge in this organization")
	}
	if err != nil {
		return err
	}
	if b.ArchivedAt != nil {
		return rpc.InvalidField(field, "the badge is archived")
	}
	return nil
}

func ruleToProto(r *db.Rule) *engagementv1.Rule {
	out := &engagementv1.Rule{Id: r.ID.String(), OrganizationId: r.OrganizationID.String(), Spec: ruleSpecToProto(r),
		Active: r.IsActive, CreatedAt: timestamppb.New(r.CreatedAt), UpdatedAt: timestamppb.New(r.UpdatedAt)}
	if r.CreatedBy != nil {
		out.CreatedByUserId = r.CreatedBy.String()
	}
	return out
}

func ruleSpecToProto(r *db.Rule) *engagementv1.RuleSpec {
	spec := &engagementv1.RuleSpec{Name: r.Name, Description: r.Description, TriggerType: r.TriggerType,
		Priority: int32(r.Priority), Actions: ruleActionsToProto(r.Actions)}
	for _, c := range r.Conditions {
		spec.Conditions = append(spec.Conditions, &engagementv1.RuleCondition{Name: c.Name, Expression: c.Expression})
	}
	if r.CapCount != nil {
		spec.Cap = &engagementv1.RuleCap{Period: ruleCapPeriods.Value(r.CapPeriod), Count: int32(*r.CapCount)}
	}
	return spec
}

func ruleActionsToProto(actions []db.RuleAction) []*engagementv1.RuleAction {
	out := make([]*engagementv1.RuleAction, 0, len(actions))
	for _, a := range actions {
		pa := &engagementv1.RuleAction{}
		switch {
		case a.AwardPoints != nil:
			pa.Action = &engagementv1.RuleAction_AwardPoints{AwardPoints: *a.AwardPoints}
		case a.AwardBadge != nil:
			pa.Action = &engagementv1.RuleAction_AwardBadgeId{AwardBadgeId: a.AwardBadge.String()}
		case a.Notify != nil:
			pa.Action = &engagementv1.RuleAction_NotifyMessage{NotifyMessage: *a.Notify}
		}
		out = append(out, pa)
	}
	return out
}

func conditionResultsToProto(results []rules.Result) []*engagementv1.RuleConditionResult {
	out := make([]*engagementv1.RuleConditionResult, 0, len(results))
	for _, r := range results {
		out = append(out, &engagementv1.RuleConditionResult{Name: r.Name, Expression: r.Expression, Value: r.Value, Error: r.Error})
	}
	return out
}

// executionToProto converts a logged execution; its details hold the
// condition results and action reports the rules job wrote.
func executionToProto(e *db.RuleExecution) *engagementv1.RuleExecution {
	out := &engagementv1.RuleExecution{Id: e.ID.String(), RuleId: e.RuleID.String(), DomainEventId: e.DomainEventID.String(),
		Outcome: ruleOutcomes.Value(e.Outcome), CreatedAt: timestamppb.New(e.CreatedAt)}
	if e.UserID != nil {
		out.UserId = e.UserID.String()
	}
	conds, _ := e.Details["conditions"].([]any)
	for _, c := range conds {
		m, _ := c.(map[string]any)
		name, _ := m["name"].(string)
		expr, _ := m["expression"].(string)
		value, _ := m["value"].(bool)
		msg, _ := m["error"].(string)
		out.Conditions = append(out.Conditions, &engagementv1.RuleConditionResult{Name: name, Expression: expr, Value: value, Error: msg})
	}
	actions, _ := e.Details["actions"].([]any)
	for _, a := range actions {
		m, _ := a.(map[string]any)
		if st, err := structpb.NewStruct(m); err == nil {
			out.Actions = append(out.Actions, st)
		}
	}
	return out
}
