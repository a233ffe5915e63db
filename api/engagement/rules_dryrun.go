package engagement

import (
	"context"
	"errors"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/engagement"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
)

// DryRunRule evaluates a stored or unsaved rule on a stored domain event
// and says why it would or would not fire (owners and admins of the
// event's organization). It reads only: no execution, cap slot, points
// or notice is written.
func (s *rulesServer) DryRunRule(ctx context.Context, req *connect.Request[engagementv1.DryRunRuleRequest]) (*connect.Response[engagementv1.DryRunRuleResponse], error) {
	msg := req.Msg
	ev, err := db.DomainEventByID(ctx, s.DB, uuid.MustParse(msg.GetDomainEventId()))
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("domain event not found"))
	}
	if err != nil {
		return nil, err
	}
	if err := ruleOrgAccess(ctx, s.DB, ev.OrganizationID, "domain event"); err != nil {
		return nil, err
	}
	r, err := s.dryRunSubject(ctx, msg, ev.OrganizationID)
	if err != nil {
		return nil, err
	}
	verdict, err := s.engine.Judge(ctx, s.DB, r, ev)
	if err != nil {
		return nil, err
	}
	resp := &engagementv1.DryRunRuleResponse{TriggerMatches: r.TriggerType == ev.Type,
		Conditions: conditionResultsToProto(verdict.Conditions), ConditionsHold: verdict.AllHold,
		BelowDepthLimit: ev.CauseDepth < engagement.MaxCauseDepth}
	if ev.SubjectUserID != nil {
		if resp.CapAllows, err = db.RuleCapRoom(ctx, s.DB, r, *ev.SubjectUserID, ev.OccurredAt); err != nil {
			return nil, err
		}
	}
	resp.WouldFire = resp.TriggerMatches && resp.ConditionsHold && resp.CapAllows && resp.BelowDepthLimit
	if resp.WouldFire {
		resp.Actions = ruleActionsToProto(r.Actions)
	}
	return connect.NewResponse(resp), nil
}

// dryRunSubject is the rule a dry run tries: a stored rule of the
// event's organization, or the request's unsaved spec checked as
// CreateRule checks it.
func (s *rulesServer) dryRunSubject(ctx context.Context, msg *engagementv1.DryRunRuleRequest, orgID uuid.UUID) (*db.Rule, error) {
	if spec := msg.GetRuleSpec(); spec != nil {
		r := &db.Rule{OrganizationID: orgID}
		if err := s.applySpec(ctx, s.DB, r, spec, "rule_spec"); err != nil {
			return nil, err
		}
		return r, nil
	}
	r, err := s.managedRule(ctx, s.DB, msg.GetRuleId(), false)
	if err != nil {
		return nil, err
	}
	if r.OrganizationID != orgID {
		return nil, ruleNotFound()
	}
	return r, nil
}
