package api_test

import (
	"context"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// rulesWorld is organization A (owner, member) and B (owner).
type rulesWorld struct {
	a                     *testenv.API
	owner, member, ownerB testenv.Session
	org, orgB             string
}

func setupRulesAPI(t *testing.T) *rulesWorld {
	t.Helper()
	a := setup(t)
	w := &rulesWorld{a: a, owner: a.NewUser(t, newPhone()), member: a.NewUser(t, newPhone()), ownerB: a.NewUser(t, newPhone())}
	w.org = createOrg(t, a, w.owner, "rules-"+uuid.NewString()[:8]).GetId()
	w.orgB = createOrg(t, a, w.ownerB, "rules-b-"+uuid.NewString()[:8]).GetId()
	addAndAccept(t, a, w.owner, w.org, w.member, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	return w
}

func checkinRuleSpec() *engagementv1.RuleSpec {
	return &engagementv1.RuleSpec{Name: "Regular", TriggerType: enums.EventTicketCheckedIn, Priority: 10,
		Conditions: []*engagementv1.RuleCondition{
			{Name: "is a check-in", Expression: "event.type == 'ticket.checked_in'"},
			{Name: "third this month", Expression: "member.checkins_this_month >= 3"},
		},
		Actions: []*engagementv1.RuleAction{{Action: &engagementv1.RuleAction_AwardPoints{AwardPoints: 30}}},
		Cap:     &engagementv1.RuleCap{Period: engagementv1.RuleCapPeriod_RULE_CAP_PERIOD_MONTH, Count: 1}}
}

func (w *rulesWorld) createRule(t *testing.T, spec *engagementv1.RuleSpec) *engagementv1.Rule {
	t.Helper()
	resp, err := w.a.Rules.CreateRule(context.Background(), testenv.As(w.owner, &engagementv1.CreateRuleRequest{OrganizationId: w.org, Rule: spec}))
	require.NoError(t, err)
	return resp.Msg.GetRule()
}

// storeCheckIn writes a ticket.checked_in domain event of the member
// straight in the outbox (no rules job runs on it).
func (w *rulesWorld) storeCheckIn(t *testing.T) string {
	t.Helper()
	user := mustUUID(w.member.UserID)
	ev := &db.DomainEvent{OrganizationID: mustUUID(w.org), Type: enums.EventTicketCheckedIn, SubjectUserID: &user,
		Payload: map[string]any{"event_id": uuid.NewString()}}
	require.NoError(t, db.InsertDomainEvent(context.Background(), w.a.DB, ev))
	return ev.ID.String()
}

func (w *rulesWorld) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, w.a.DB.NewRaw(query, args...).Scan(context.Background(), &n))
	return n
}

// TestRules_BadRuleIsInvalidArgumentNamingTheField: a condition that
// does not compile, type-check or yield a bool, a foreign badge or two
// points actions are refused naming the field, with CEL's message, and
// store nothing.
func TestRules_BadRuleIsInvalidArgumentNamingTheField(t *testing.T) {
	w := setupRulesAPI(t)
	ctx := context.Background()
	foreignBadge := &db.Badge{ID: db.NewID(), OrganizationID: mustUUID(w.orgB), Name: "B's", Kind: enums.BadgeManual, Rarity: "common"}
	_, err := w.a.DB.NewInsert().Model(foreignBadge).Exec(ctx)
	require.NoError(t, err)

	withCondition := func(expr string) *engagementv1.RuleSpec {
		s := checkinRuleSpec()
		s.Conditions[1].Expression = expr
		return s
	}
	withActions := func(actions ...*engagementv1.RuleAction) *engagementv1.RuleSpec {
		s := checkinRuleSpec()
		s.Actions = actions
		return s
	}
	points := &engagementv1.RuleAction{Action: &engagementv1.RuleAction_AwardPoints{AwardPoints: 5}}
	cases := []struct {
		name  string
		spec  *engagementv1.RuleSpec
		field string
		says  string
	}{
		{"syntax", withCondition("member.checkins_this_month >="), "rule.conditions[1].expression", "Syntax error"},
		{"unknown counter", withCondition("member.checkins >= 3"), "rule.conditions[1].expression", "undefined field 'checkins'"},
		{"not a bool", withCondition("member.total_points * 2"), "rule.conditions[1].expression", "must be a bool"},
		{"foreign badge", withActions(&engagementv1.RuleAction{Action: &engagementv1.RuleAction_AwardBadgeId{AwardBadgeId: foreignBadge.ID.String()}}),
			"rule.actions[0].award_badge_id", "no such badge"},
		{"points twice", withActions(points, points), "rule.actions[1].award_points", "once"},
	}
	for _, c := range cases {
		_, err := w.a.Rules.CreateRule(ctx, testenv.As(w.owner, &engagementv1.CreateRuleRequest{OrganizationId: w.org, Rule: c.spec}))
		testenv.RequireCode(t, err, connect.CodeInvalidArgument)
		assert.Contains(t, err.Error(), c.field, c.name)
		assert.Contains(t, err.Error(), c.says, c.name)
	}
	assert.Zero(t, w.count(t, "SELECT count(*) FROM gamification_rules"), "nothing refused was stored")

	rule := w.createRule(t, checkinRuleSpec())
	_, err = w.a.Rules.UpdateRule(ctx, testenv.As(w.owner, &engagementv1.UpdateRuleRequest{RuleId: rule.GetId(),
		Rule: withCondition("member.nope > 1")}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	assert.Contains(t, err.Error(), "rule.conditions[1].expression")
	assert.Equal(t, 1, w.count(t, "SELECT count(*) FROM gamification_rules WHERE conditions->1->>'expression' = 'member.checkins_this_month >= 3'"),
		"the refused update changed nothing")
}

// TestRules_DryRunShowsEachConditionOnAStoredEvent tries the third-check-in
// rule on the member's second and third stored check-ins: the second
// fails on "third this month", the third would fire with its actions,
// an unsaved spec with a missing payload key reports the key, and none
// of it writes a thing.
func TestRules_DryRunShowsEachConditionOnAStoredEvent(t *testing.T) {
	w := setupRulesAPI(t)
	ctx := context.Background()
	rule := w.createRule(t, checkinRuleSpec())
	w.storeCheckIn(t)
	second := w.storeCheckIn(t)
	third := w.storeCheckIn(t)

	dry := func(req *engagementv1.DryRunRuleRequest) *engagementv1.DryRunRuleResponse {
		resp, err := w.a.Rules.DryRunRule(ctx, testenv.As(w.owner, req))
		require.NoError(t, err)
		return resp.Msg
	}
	values := func(r *engagementv1.DryRunRuleResponse) []bool {
		var out []bool
		for _, c := range r.GetConditions() {
			out = append(out, c.GetValue())
		}
		return out
	}

	onSecond := dry(&engagementv1.DryRunRuleRequest{Rule: &engagementv1.DryRunRuleRequest_RuleId{RuleId: rule.GetId()}, DomainEventId: second})
	assert.Equal(t, []bool{true, false}, values(onSecond))
	assert.Equal(t, "third this month", onSecond.GetConditions()[1].GetName())
	assert.True(t, onSecond.GetTriggerMatches())
	assert.True(t, onSecond.GetCapAllows())
	assert.False(t, onSecond.GetWouldFire())
	assert.Empty(t, onSecond.GetActions())

	onThird := dry(&engagementv1.DryRunRuleRequest{Rule: &engagementv1.DryRunRuleRequest_RuleId{RuleId: rule.GetId()}, DomainEventId: third})
	assert.Equal(t, []bool{true, true}, values(onThird))
	assert.True(t, onThird.GetWouldFire())
	require.Len(t, onThird.GetActions(), 1)
	assert.EqualValues(t, 30, onThird.GetActions()[0].GetAwardPoints())

	spec := checkinRuleSpec()
	spec.Conditions = append(spec.Conditions, &engagementv1.RuleCondition{Name: "five stars", Expression: "event.payload.rating == 5.0"})
	unsaved := dry(&engagementv1.DryRunRuleRequest{Rule: &engagementv1.DryRunRuleRequest_RuleSpec{RuleSpec: spec}, DomainEventId: third})
	assert.Equal(t, []bool{true, true, false}, values(unsaved))
	assert.Contains(t, unsaved.GetConditions()[2].GetError(), "rating")
	assert.False(t, unsaved.GetWouldFire())

	assert.Zero(t, w.count(t, "SELECT count(*) FROM rule_executions"))
	assert.Zero(t, w.count(t, "SELECT count(*) FROM rule_cap_counters"))
	assert.Zero(t, w.count(t, "SELECT count(*) FROM points_ledger"))
}

// TestRules_OwnersAndAdminsOnly: members may not manage rules, another
// organization's owner finds nothing of A's, and A's owner manages them.
func TestRules_OwnersAndAdminsOnly(t *testing.T) {
	w := setupRulesAPI(t)
	ctx := context.Background()
	rule := w.createRule(t, checkinRuleSpec())
	event := w.storeCheckIn(t)

	_, err := w.a.Rules.CreateRule(ctx, testenv.As(w.member, &engagementv1.CreateRuleRequest{OrganizationId: w.org, Rule: checkinRuleSpec()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Rules.SetRuleActive(ctx, testenv.As(w.member, &engagementv1.SetRuleActiveRequest{RuleId: rule.GetId()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Rules.ListRules(ctx, testenv.As(w.ownerB, &engagementv1.ListRulesRequest{OrganizationId: w.org}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Rules.UpdateRule(ctx, testenv.As(w.ownerB, &engagementv1.UpdateRuleRequest{RuleId: rule.GetId(), Rule: checkinRuleSpec()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = w.a.Rules.DryRunRule(ctx, testenv.As(w.ownerB, &engagementv1.DryRunRuleRequest{
		Rule: &engagementv1.DryRunRuleRequest_RuleSpec{RuleSpec: checkinRuleSpec()}, DomainEventId: event}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	off, err := w.a.Rules.SetRuleActive(ctx, testenv.As(w.owner, &engagementv1.SetRuleActiveRequest{RuleId: rule.GetId(), Active: false}))
	require.NoError(t, err)
	assert.False(t, off.Msg.GetRule().GetActive())
	list, err := w.a.Rules.ListRules(ctx, testenv.As(w.owner, &engagementv1.ListRulesRequest{OrganizationId: w.org}))
	require.NoError(t, err)
	require.Len(t, list.Msg.GetRules(), 1)
	assert.Equal(t, "third this month", list.Msg.GetRules()[0].GetSpec().GetConditions()[1].GetName())
	assert.Equal(t, engagementv1.RuleCapPeriod_RULE_CAP_PERIOD_MONTH, list.Msg.GetRules()[0].GetSpec().GetCap().GetPeriod())
	execs, err := w.a.Rules.ListRuleExecutions(ctx, testenv.As(w.owner, &engagementv1.ListRuleExecutionsRequest{RuleId: rule.GetId()}))
	require.NoError(t, err)
	assert.Empty(t, execs.Msg.GetExecutions())
}
