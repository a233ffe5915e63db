package jobs_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/engagement"
	"github.com/convene/convene/internal/rules"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/jobs"
)

var rulesPhone atomic.Int64

// rulesBundle is an organization with one member and the rules job.
type rulesBundle struct {
	d      *db.DB
	orgID  uuid.UUID
	userID uuid.UUID
	worker *jobs.EvaluateRulesWorker
}

func setupRules(t *testing.T) rulesBundle {
	t.Helper()
	ctx := context.Background()
	d := testenv.NewDB(t)
	user, _, err := db.CreateUserWithPhone(ctx, d, fmt.Sprintf("+1415%07d", 5_000_000+rulesPhone.Add(1)))
	require.NoError(t, err)
	org := &db.Organization{ID: db.NewID(), Name: "Acme", Slug: "acme-" + db.NewID().String()[24:], Status: "active", Settings: map[string]any{}}
	require.NoError(t, db.InsertOrganization(ctx, d, org))
	inserter, err := river.NewClient(d.RiverDriver(), &river.Config{})
	require.NoError(t, err)
	w := &jobs.EvaluateRulesWorker{DB: d, Recorder: engagement.Recorder{River: inserter}, Rules: rules.New()}
	return rulesBundle{d: d, orgID: org.ID, userID: user.ID, worker: w}
}

func (b rulesBundle) rule(t *testing.T, trigger string, conditions []string, capCount *int, actions ...db.RuleAction) *db.Rule {
	t.Helper()
	r := &db.Rule{OrganizationID: b.orgID, Name: "rule " + trigger, TriggerType: trigger, Actions: actions,
		CapPeriod: enums.CapDay, CapCount: capCount, IsActive: true, Priority: 100, Conditions: []db.RuleCondition{}}
	for i, c := range conditions {
		r.Conditions = append(r.Conditions, db.RuleCondition{Name: fmt.Sprintf("c%d", i), Expression: c})
	}
	require.NoError(t, db.InsertRule(context.Background(), b.d, r))
	return r
}

func (b rulesBundle) emit(t *testing.T, eventType string, depth int) *db.DomainEvent {
	t.Helper()
	ev := &db.DomainEvent{OrganizationID: b.orgID, Type: eventType, SubjectUserID: &b.userID, CauseDepth: depth,
		Payload: map[string]any{"n": 1}}
	require.NoError(t, b.d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		return b.worker.Recorder.Emit(ctx, tx, ev)
	}))
	return ev
}

func (b rulesBundle) work(ev *db.DomainEvent) error {
	return b.worker.Work(context.Background(), &river.Job[engagement.EvaluateRulesArgs]{
		Args: engagement.EvaluateRulesArgs{DomainEventID: ev.ID}})
}

func (b rulesBundle) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, b.d.NewRaw(query, args...).Scan(context.Background(), &n))
	return n
}

func (b rulesBundle) outcomes(t *testing.T, ruleID uuid.UUID) map[string]int {
	t.Helper()
	var rows []db.RuleExecution
	require.NoError(t, b.d.NewSelect().Model(&rows).Where("rule_id = ?", ruleID).Scan(context.Background()))
	out := map[string]int{}
	for _, r := range rows {
		out[r.Outcome]++
	}
	return out
}

func points(n int64) db.RuleAction    { return db.RuleAction{AwardPoints: &n} }
func notify(msg string) db.RuleAction { return db.RuleAction{Notify: &msg} }

// TestEvaluateRules_ThirdCheckInFiresOnceEvenRetried: a rule for the
// third check-in of the month is false on the first two, fires on the
// third, and running the third's job again (a River retry) awards and
// notifies nothing more.
func TestEvaluateRules_ThirdCheckInFiresOnceEvenRetried(t *testing.T) {
	t.Parallel()
	b := setupRules(t)
	r := b.rule(t, enums.EventTicketCheckedIn,
		[]string{"event.type == 'ticket.checked_in' && member.checkins_this_month >= 3"}, nil, points(25), notify("Three in a month!"))

	var third *db.DomainEvent
	for range 3 {
		third = b.emit(t, enums.EventTicketCheckedIn, 0)
		require.NoError(t, b.work(third))
	}
	require.NoError(t, b.work(third), "a retried job")

	assert.Equal(t, map[string]int{enums.RuleConditionsFalse: 2, enums.RuleFired: 1}, b.outcomes(t, r.ID))
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM points_ledger WHERE type = 'rule' AND idempotency_key = ?",
		"rule:"+r.ID.String()+":"+third.ID.String()))
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM notifications WHERE recipient_user_id = ? AND type = 'rule_fired'", b.userID))
	p, err := db.UserPointsOf(context.Background(), b.d, b.orgID, b.userID)
	require.NoError(t, err)
	assert.EqualValues(t, 25, p.TotalPoints)
}

// TestEvaluateRules_CapUnderConcurrentEvents: 50 check-ins of one member
// evaluated at once against a rule capped at 3 a day fire it exactly 3
// times: 3 ledger rows, 47 capped executions.
func TestEvaluateRules_CapUnderConcurrentEvents(t *testing.T) {
	t.Parallel()
	b := setupRules(t)
	capCount := 3
	r := b.rule(t, enums.EventTicketCheckedIn, nil, &capCount, points(5))
	events := make([]*db.DomainEvent, 50)
	for i := range events {
		events[i] = b.emit(t, enums.EventTicketCheckedIn, 0)
	}

	var wg sync.WaitGroup
	errs := make(chan error, len(events))
	for _, ev := range events {
		wg.Go(func() { errs <- b.work(ev) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	assert.Equal(t, map[string]int{enums.RuleFired: 3, enums.RuleCapped: 47}, b.outcomes(t, r.ID))
	assert.Equal(t, 3, b.count(t, "SELECT count(*) FROM points_ledger WHERE type = 'rule' AND user_id = ?", b.userID))
	assert.Equal(t, 3, b.count(t, "SELECT count FROM rule_cap_counters WHERE rule_id = ?", r.ID))
}

// TestEvaluateRules_StopsAtCauseDepth: a rule acts on events up to depth
// 2 and is only logged (depth_limit) at depth 3; the badge it awards is
// recorded one level deeper than the event that caused it.
func TestEvaluateRules_StopsAtCauseDepth(t *testing.T) {
	t.Parallel()
	b := setupRules(t)
	ctx := context.Background()
	badge := &db.Badge{ID: db.NewID(), OrganizationID: b.orgID, Name: "Regular", Kind: enums.BadgeManual,
		Rarity: "common", Criteria: db.BadgeCriteria{}}
	_, err := b.d.NewInsert().Model(badge).Exec(ctx)
	require.NoError(t, err)
	r := b.rule(t, enums.EventQuizPassed, nil, nil, notify("again"), db.RuleAction{AwardBadge: &badge.ID})

	cases := []struct {
		depth       int
		outcome     string
		notices     int
		badgeEvents int
	}{
		{2, enums.RuleFired, 1, 1},
		{3, enums.RuleDepthLimit, 1, 1},
	}
	for _, c := range cases {
		ev := b.emit(t, enums.EventQuizPassed, c.depth)
		require.NoError(t, b.work(ev))
		var exec db.RuleExecution
		require.NoError(t, b.d.NewSelect().Model(&exec).Where("rule_id = ? AND domain_event_id = ?", r.ID, ev.ID).Scan(ctx))
		assert.Equal(t, c.outcome, exec.Outcome, "depth %d", c.depth)
		assert.Equal(t, c.notices, b.count(t, "SELECT count(*) FROM notifications WHERE type = 'rule_fired'"), "depth %d", c.depth)
		assert.Equal(t, c.badgeEvents, b.count(t, "SELECT count(*) FROM domain_events WHERE type = 'badge.awarded' AND cause_depth = 3"),
			"depth %d: the award's event is one deeper", c.depth)
	}
}

// TestEvaluateRules_BadgeActionEventIsOneDeeper: a rule's badge on a
// depth-0 check-in records badge.awarded at depth 1.
func TestEvaluateRules_BadgeActionEventIsOneDeeper(t *testing.T) {
	t.Parallel()
	b := setupRules(t)
	ctx := context.Background()
	badge := &db.Badge{ID: db.NewID(), OrganizationID: b.orgID, Name: "First check-in", Kind: enums.BadgeManual,
		Rarity: "common", Criteria: db.BadgeCriteria{}, PointsValue: 7}
	_, err := b.d.NewInsert().Model(badge).Exec(ctx)
	require.NoError(t, err)
	b.rule(t, enums.EventTicketCheckedIn, nil, nil, db.RuleAction{AwardBadge: &badge.ID})
	require.NoError(t, b.work(b.emit(t, enums.EventTicketCheckedIn, 0)))
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM domain_events WHERE type = 'badge.awarded' AND cause_depth = 1 AND subject_user_id = ?", b.userID))
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM badge_awards WHERE badge_id = ?", badge.ID))
}
