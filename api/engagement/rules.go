package engagement

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/rules"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
)

// defaultRulesPageSize is the page of ListRules and ListRuleExecutions
// when the request leaves it 0.
const defaultRulesPageSize = 50

// rulesServer implements convene.engagement.v1.RulesService: owners and
// admins define the rules the rules job (jobs/engagement_rules.go)
// applies to domain events.
type rulesServer struct {
	Deps
	engine *rules.Engine
}

var _ engagementv1connect.RulesServiceHandler = (*rulesServer)(nil)

// rulesService mounts RulesService.
func rulesService(d Deps) rpc.Service {
	return rpc.NewService(engagementv1connect.RulesServiceName,
		engagementv1connect.RulesServiceHandler(&rulesServer{Deps: d, engine: rules.New()}),
		engagementv1connect.NewRulesServiceHandler)
}

// CreateRule stores a new active rule (owners and admins).
func (s *rulesServer) CreateRule(ctx context.Context, req *connect.Request[engagementv1.CreateRuleRequest]) (*connect.Response[engagementv1.CreateRuleResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	orgID := uuid.MustParse(msg.GetOrganizationId())
	r := &db.Rule{ID: db.NewID(), OrganizationID: orgID, IsActive: true, CreatedBy: &userID}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, orgID, rpc.ManagerRoles); err != nil {
			return err
		}
		if err := s.applySpec(ctx, tx, r, msg.GetRule(), "rule"); err != nil {
			return err
		}
		if err := db.InsertRule(ctx, tx, r); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &orgID, "rule", r.ID.String(), "rule.create",
			map[string]any{"name": r.Name, "trigger_type": r.TriggerType})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.CreateRuleResponse{Rule: ruleToProto(r)}), nil
}

// UpdateRule replaces a rule's definition (owners and admins).
func (s *rulesServer) UpdateRule(ctx context.Context, req *connect.Request[engagementv1.UpdateRuleRequest]) (*connect.Response[engagementv1.UpdateRuleResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	var r *db.Rule
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if r, err = s.managedRule(ctx, tx, msg.GetRuleId(), true); err != nil {
			return err
		}
		if err := s.applySpec(ctx, tx, r, msg.GetRule(), "rule"); err != nil {
			return err
		}
		if err := db.SaveRule(ctx, tx, r); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &r.OrganizationID, "rule", r.ID.String(), "rule.update",
			map[string]any{"name": r.Name, "trigger_type": r.TriggerType})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.UpdateRuleResponse{Rule: ruleToProto(r)}), nil
}

// SetRuleActive turns a rule on or off (owners and admins); setting the
// state it has changes nothing.
func (s *rulesServer) SetRuleActive(ctx context.Context, req *connect.Request[engagementv1.SetRuleActiveRequest]) (*connect.Response[engagementv1.SetRuleActiveResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	var r *db.Rule
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if r, err = s.managedRule(ctx, tx, msg.GetRuleId(), true); err != nil {
			return err
		}
		if r.IsActive == msg.GetActive() {
			return nil
		}
		r.IsActive = msg.GetActive()
		if err := db.SaveRule(ctx, tx, r); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &r.OrganizationID, "rule", r.ID.String(), "rule.set_active",
			map[string]any{"active": r.IsActive})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.SetRuleActiveResponse{Rule: ruleToProto(r)}), nil
}

// ListRules pages through an organization's rules, newest first (owners
// and admins).
func (s *rulesServer) ListRules(ctx context.Context, req *connect.Request[engagementv1.ListRulesRequest]) (*connect.Response[engagementv1.ListRulesResponse], error) {
	msg := req.Msg
	orgID := uuid.MustParse(msg.GetOrganizationId())
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.ManagerRoles); err != nil {
		return nil, err
	}
	page, err := rpc.TimePage("ListRules", msg.GetPageToken(), msg.GetPageSize(), defaultRulesPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.ListRules(ctx, s.DB, orgID, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	resp := &engagementv1.ListRulesResponse{}
	rows, resp.NextPageToken = rpc.NextPage(page, rows, func(r *db.Rule) (time.Time, uuid.UUID) { return r.CreatedAt, r.ID })
	for i := range rows {
		resp.Rules = append(resp.Rules, ruleToProto(&rows[i]))
	}
	return connect.NewResponse(resp), nil
}

// ListRuleExecutions pages through a rule's executions, newest first
// (owners and admins).
func (s *rulesServer) ListRuleExecutions(ctx context.Context, req *connect.Request[engagementv1.ListRuleExecutionsRequest]) (*connect.Response[engagementv1.ListRuleExecutionsResponse], error) {
	msg := req.Msg
	r, err := s.managedRule(ctx, s.DB, msg.GetRuleId(), false)
	if err != nil {
		return nil, err
	}
	page, err := rpc.TimePage("ListRuleExecutions", msg.GetPageToken(), msg.GetPageSize(), defaultRulesPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.ListRuleExecutions(ctx, s.DB, r.OrganizationID, r.ID, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	resp := &engagementv1.ListRuleExecutionsResponse{}
	rows, resp.NextPageToken = rpc.NextPage(page, rows, func(e *db.RuleExecution) (time.Time, uuid.UUID) { return e.CreatedAt, e.ID })
	for i := range rows {
		resp.Executions = append(resp.Executions, executionToProto(&rows[i]))
	}
	return connect.NewResponse(resp), nil
}

// managedRule loads a rule the caller manages: a rule of an organization
// the caller is not in is NotFound, a member who is not an owner or
// admin is PermissionDenied. lock locks it for a change (idb is then the
// transaction).
func (s *rulesServer) managedRule(ctx context.Context, idb bun.IDB, id string, lock bool) (*db.Rule, error) {
	r, err := db.RuleByID(ctx, idb, uuid.MustParse(id), lock)
	if errors.Is(err, db.ErrNotFound) {
		return nil, ruleNotFound()
	}
	if err != nil {
		return nil, err
	}
	if err := ruleOrgAccess(ctx, idb, r.OrganizationID, "rule"); err != nil {
		return nil, err
	}
	return r, nil
}

// ruleOrgAccess lets owners and admins of orgID at its rules and domain
// events; outsiders get NotFound ("<what> not found"), so ids of other
// organizations reveal nothing.
func ruleOrgAccess(ctx context.Context, idb bun.IDB, orgID uuid.UUID, what string) error {
	if _, err := rpc.OrgAccess(ctx, idb, orgID, rpc.AnyRole); err != nil {
		if code := connect.CodeOf(err); code == connect.CodePermissionDenied || code == connect.CodeNotFound {
			return connect.NewError(connect.CodeNotFound, errors.New(what+" not found"))
		}
		return err
	}
	_, err := rpc.OrgAccess(ctx, idb, orgID, rpc.ManagerRoles)
	return err
}

func ruleNotFound() error {
	return connect.NewError(connect.CodeNotFound, errors.New("rule not found"))
}
