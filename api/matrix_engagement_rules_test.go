package api_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
)

// The rules topic's placeholders: a rule of organization A and a stored
// domain event of A's member.
const (
	fxRuleA        = "@ruleA"
	fxDomainEventA = "@domainEventA"
)

func init() {
	matrixTopics = append(matrixTopics, matrixTopic{name: "rules", build: buildRulesTopic,
		tenant: []tenantCase{
			{engagementv1connect.RulesServiceCreateRuleProcedure, hidden, &engagementv1.CreateRuleRequest{OrganizationId: fxOrgA, Rule: matrixRuleSpec()}},
			{engagementv1connect.RulesServiceUpdateRuleProcedure, notFound, &engagementv1.UpdateRuleRequest{RuleId: fxRuleA, Rule: matrixRuleSpec()}},
			{engagementv1connect.RulesServiceSetRuleActiveProcedure, notFound, &engagementv1.SetRuleActiveRequest{RuleId: fxRuleA}},
			{engagementv1connect.RulesServiceListRulesProcedure, hidden, &engagementv1.ListRulesRequest{OrganizationId: fxOrgA}},
			{engagementv1connect.RulesServiceListRuleExecutionsProcedure, notFound, &engagementv1.ListRuleExecutionsRequest{RuleId: fxRuleA}},
			{engagementv1connect.RulesServiceDryRunRuleProcedure, notFound, &engagementv1.DryRunRuleRequest{
				Rule: &engagementv1.DryRunRuleRequest_RuleId{RuleId: fxRuleA}, DomainEventId: fxDomainEventA}},
		},
		// Writes as A's member: each spoiled request is refused, and the
		// valid one too (members do not manage rules), so no row changes.
		input: []inputCase{
			{engagementv1connect.RulesServiceCreateRuleProcedure, asMemberA, &engagementv1.CreateRuleRequest{OrganizationId: fxOrgA, Rule: matrixRuleSpec()}},
			{engagementv1connect.RulesServiceUpdateRuleProcedure, asMemberA, &engagementv1.UpdateRuleRequest{RuleId: fxRuleA, Rule: matrixRuleSpec()}},
			{engagementv1connect.RulesServiceSetRuleActiveProcedure, asMemberA, &engagementv1.SetRuleActiveRequest{RuleId: fxRuleA, Active: true}},
			{engagementv1connect.RulesServiceListRulesProcedure, asOwnerA, &engagementv1.ListRulesRequest{OrganizationId: fxOrgA, PageSize: 10}},
			{engagementv1connect.RulesServiceListRuleExecutionsProcedure, asOwnerA, &engagementv1.ListRuleExecutionsRequest{RuleId: fxRuleA, PageSize: 10}},
			{engagementv1connect.RulesServiceDryRunRuleProcedure, asOwnerA, &engagementv1.DryRunRuleRequest{
				Rule: &engagementv1.DryRunRuleRequest_RuleSpec{RuleSpec: matrixRuleSpec()}, DomainEventId: fxDomainEventA}},
		},
	})
}

// matrixRuleSpec is a valid rule with every kind of field set.
func matrixRuleSpec() *engagementv1.RuleSpec {
	return &engagementv1.RuleSpec{Name: "Regular", Description: "d", TriggerType: enums.EventTicketCheckedIn, Priority: 5,
		Conditions: []*engagementv1.RuleCondition{{Name: "third", Expression: "member.checkins_this_month >= 3"}},
		Actions: []*engagementv1.RuleAction{
			{Action: &engagementv1.RuleAction_AwardPoints{AwardPoints: 10}},
			{Action: &engagementv1.RuleAction_NotifyMessage{NotifyMessage: "Well done"}},
		},
		Cap: &engagementv1.RuleCap{Period: engagementv1.RuleCapPeriod_RULE_CAP_PERIOD_DAY, Count: 3}}
}

// buildRulesTopic creates A's rule through the API and stores a domain
// event of A's member.
func buildRulesTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	ctx := context.Background()
	resp, err := f.a.Rules.CreateRule(ctx, testenv.As(f.ownerA, &engagementv1.CreateRuleRequest{OrganizationId: f.orgA, Rule: matrixRuleSpec()}))
	require.NoError(t, err)
	user := mustUUID(f.memberA.UserID)
	ev := &db.DomainEvent{OrganizationID: mustUUID(f.orgA), Type: enums.EventTicketCheckedIn, SubjectUserID: &user,
		Payload: map[string]any{"event_id": f.freeEvent}}
	require.NoError(t, db.InsertDomainEvent(ctx, f.a.DB, ev))
	return map[string]string{fxRuleA: resp.Msg.GetRule().GetId(), fxDomainEventA: ev.ID.String()}
}
