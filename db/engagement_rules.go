package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Rules engine rows (migration 20261204000300_engagement_rules).

// Rule is an organization's gamification rule: on a domain event of
// TriggerType whose conditions all hold, it runs its actions, at most
// CapCount times per member per CapPeriod (nil: no cap).
type Rule struct {
	bun.BaseModel `bun:"table:gamification_rules,alias:gr"`

	ID             uuid.UUID       `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID       `bun:"organization_id,type:uuid,notnull"`
	Name           string          `bun:"name,notnull"`
	Description    string          `bun:"description,notnull"`
	TriggerType    string          `bun:"trigger_type,notnull"`
	Conditions     []RuleCondition `bun:"conditions,type:jsonb,notnull"`
	Actions        []RuleAction    `bun:"actions,type:jsonb,notnull"`
	CapPeriod      string          `bun:"cap_period,notnull"`
	CapCount       *int            `bun:"cap_count"`
	IsActive       bool            `bun:"is_active,notnull"`
	Priority       int             `bun:"priority,notnull"`
	CreatedBy      *uuid.UUID      `bun:"created_by,type:uuid"`
	Timestamps
}

// RuleCondition is one named CEL expression (internal/rules).
type RuleCondition struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
}

// RuleAction is one thing a rule does when it fires; exactly one field
// is set.
type RuleAction struct {
	AwardPoints *int64     `json:"award_points,omitempty"`
	AwardBadge  *uuid.UUID `json:"award_badge,omitempty"`
	Notify      *string    `json:"notify,omitempty"`
}

// RuleExecution is one evaluation of a rule on a domain event.
type RuleExecution struct {
	bun.BaseModel `bun:"table:rule_executions,alias:rex"`

	ID             uuid.UUID      `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID      `bun:"organization_id,type:uuid,notnull"`
	RuleID         uuid.UUID      `bun:"rule_id,type:uuid,notnull"`
	DomainEventID  uuid.UUID      `bun:"domain_event_id,type:uuid,notnull"`
	UserID         *uuid.UUID     `bun:"user_id,type:uuid"`
	Outcome        string         `bun:"outcome,notnull"`
	Details        map[string]any `bun:"details,type:jsonb,notnull"`
	CreatedAt      time.Time      `bun:"created_at,nullzero,notnull,default:now()"`
}

// InsertRule stores a new rule.
func InsertRule(ctx context.Context, idb bun.IDB, r *Rule) error {
	if r.ID == uuid.Nil {
		r.ID = NewID()
	}
	if _, err := idb.NewInsert().Model(r).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert rule %q: %w", r.Name, err)
	}
	return nil
}

// SaveRule writes every editable column of r.
func SaveRule(ctx context.Context, idb bun.IDB, r *Rule) error {
	_, err := idb.NewUpdate().Model(r).
		Column("name", "description", "trigger_type", "conditions", "actions", "cap_period", "cap_count", "is_active", "priority").
		Set("updated_at = now()").WherePK().Returning("updated_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("save rule %s: %w", r.ID, err)
	}
	return nil
}

// RuleByID returns a rule of any organization; forUpdate locks it.
func RuleByID(ctx context.Context, idb bun.IDB, id uuid.UUID, forUpdate bool) (*Rule, error) {
	var r Rule
	q := idb.NewSelect().Model(&r).Where("gr.id = ?", id)
	if forUpdate {
		q = q.For("UPDATE")
	}
	err := q.Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("rule %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("rule %s: %w", id, err)
	}
	return &r, nil
}

// ActiveRulesFor lists the organization's active rules for one trigger,
// in the order they run (priority, then id).
func ActiveRulesFor(ctx context.Context, idb bun.IDB, orgID uuid.UUID, triggerType string) ([]Rule, error) {
	var out []Rule
	err := idb.NewSelect().Model(&out).
		Where("gr.organization_id = ? AND gr.trigger_type = ? AND gr.is_active", orgID, triggerType).
		OrderExpr("gr.priority, gr.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("active rules for %s: %w", triggerType, err)
	}
	return out, nil
}

// ListRules pages through an organization's rules, newest first, keyset
// on (created_at, id); a zero beforeID starts at the newest.
func ListRules(ctx context.Context, idb bun.IDB, orgID uuid.UUID, beforeAt time.Time, beforeID uuid.UUID, limit int) ([]Rule, error) {
	var out []Rule
	q := idb.NewSelect().Model(&out).Where("gr.organization_id = ?", orgID).
		OrderExpr("gr.created_at DESC, gr.id DESC").Limit(int64(limit))
	if beforeID != uuid.Nil {
		q = q.Where("(gr.created_at, gr.id) < (?, ?)", beforeAt, beforeID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	return out, nil
}

// ListRuleExecutions pages through one rule's executions, newest first,
// keyset on (created_at, id).
func ListRuleExecutions(ctx context.Context, idb bun.IDB, orgID, ruleID uuid.UUID, beforeAt time.Time, beforeID uuid.UUID, limit int) ([]RuleExecution, error) {
	var out []RuleExecution
	q := idb.NewSelect().Model(&out).Where("rex.organization_id = ? AND rex.rule_id = ?", orgID, ruleID).
		OrderExpr("rex.created_at DESC, rex.id DESC").Limit(int64(limit))
	if beforeID != uuid.Nil {
		q = q.Where("(rex.created_at, rex.id) < (?, ?)", beforeAt, beforeID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list executions of rule %s: %w", ruleID, err)
	}
	return out, nil
}

// ClaimRuleExecution inserts e unless the rule already ran on the event
// and reports whether this call claimed it. A concurrent claim of the
// same pair waits for the first transaction and then claims nothing, so
// a rule acts on an event at most once however often its job runs.
// The caller sets e's final outcome with FinishRuleExecution in the
// same transaction.
func ClaimRuleExecution(ctx context.Context, idb bun.IDB, e *RuleExecution) (bool, error) {
	if e.ID == uuid.Nil {
		e.ID = NewID()
	}
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	res, err := idb.NewInsert().Model(e).On("CONFLICT (rule_id, domain_event_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("claim rule %s on event %s: %w", e.RuleID, e.DomainEventID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim rule %s on event %s: %w", e.RuleID, e.DomainEventID, err)
	}
	return n == 1, nil
}

// FinishRuleExecution records a claimed execution's outcome and details.
func FinishRuleExecution(ctx context.Context, idb bun.IDB, e *RuleExecution) error {
	if _, err := idb.NewUpdate().Model(e).Column("outcome", "details").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("finish rule execution %s: %w", e.ID, err)
	}
	return nil
}

// TakeRuleCapSlot counts one firing of a capped rule for a member in the
// period that holds at (organization zone) and reports whether the cap
// allowed it. The counter row is locked until the transaction ends, so
// concurrent events of one member never fire the rule past its cap.
func TakeRuleCapSlot(ctx context.Context, tx bun.Tx, r *Rule, userID uuid.UUID, at time.Time) (bool, error) {
	if r.CapCount == nil {
		return true, nil
	}
	key, err := RuleCapPeriodKey(ctx, tx, r.OrganizationID, r.CapPeriod, at)
	if err != nil {
		return false, err
	}
	var count int
	err = tx.NewRaw(`INSERT INTO rule_cap_counters AS c (organization_id, rule_id, user_id, period_key, count)
		VALUES (?, ?, ?, ?, 1)
		ON CONFLICT (rule_id, user_id, period_key) DO UPDATE SET count = c.count + 1, updated_at = now()
		WHERE c.count < ?
		RETURNING c.count`, r.OrganizationID, r.ID, userID, key, *r.CapCount).Scan(ctx, &count)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cap of rule %s for %s: %w", r.ID, userID, err)
	}
	return true, nil
}

// RuleCapRoom reports, without writing, whether a capped rule may still
// fire for a member in the period that holds at.
func RuleCapRoom(ctx context.Context, idb bun.IDB, r *Rule, userID uuid.UUID, at time.Time) (bool, error) {
	if r.CapCount == nil {
		return true, nil
	}
	key, err := RuleCapPeriodKey(ctx, idb, r.OrganizationID, r.CapPeriod, at)
	if err != nil {
		return false, err
	}
	var count int
	err = idb.NewRaw(`SELECT coalesce((SELECT count FROM rule_cap_counters WHERE rule_id = ? AND user_id = ? AND period_key = ?), 0)`,
		r.ID, userID, key).Scan(ctx, &count)
	if err != nil {
		return false, fmt.Errorf("cap of rule %s for %s: %w", r.ID, userID, err)
	}
	return count < *r.CapCount, nil
}

// RuleCapPeriodKey names the cap period that holds at: the first day of
// the day, ISO week or month in the organization's zone, or "total".
func RuleCapPeriodKey(ctx context.Context, idb bun.IDB, orgID uuid.UUID, period string, at time.Time) (string, error) {
	if period == "total" {
		return "total", nil
	}
	var key string
	err := idb.NewRaw(`SELECT date_trunc(?, ? AT TIME ZONE coalesce(
			(SELECT time_zone FROM engagement_settings WHERE organization_id = ?), 'UTC'))::date::text`,
		period, at, orgID).Scan(ctx, &key)
	if err != nil {
		return "", fmt.Errorf("cap period %s: %w", period, err)
	}
	return key, nil
}

// RuleMemberFacts are the counters a rule's conditions read about the
// member an event is about, as of the event.
type RuleMemberFacts struct {
	Points      *UserPoints
	BadgesCount int64
	// EventsThisMonth counts the member's domain events by type from the
	// start of at's month (organization zone) up to at.
	EventsThisMonth map[string]int64
}

// LoadRuleMemberFacts reads the counters of a member for an event that
// happened at at.
func LoadRuleMemberFacts(ctx context.Context, idb bun.IDB, orgID, userID uuid.UUID, at time.Time) (*RuleMemberFacts, error) {
	points, err := UserPointsOf(ctx, idb, orgID, userID)
	if err != nil {
		return nil, err
	}
	facts := &RuleMemberFacts{Points: points, EventsThisMonth: map[string]int64{}}
	var month time.Time
	err = idb.NewRaw(`SELECT date_trunc('month', ?::timestamptz AT TIME ZONE coalesce(
			(SELECT time_zone FROM engagement_settings WHERE organization_id = ?), 'UTC'))::date`, at, orgID).Scan(ctx, &month)
	if err != nil {
		return nil, fmt.Errorf("month of %s: %w", at, err)
	}
	if !points.MonthKey.Equal(month) {
		// The row's month is over: nothing gained this month yet.
		points.PointsThisMonth = 0
	}
	facts.BadgesCount, err = countInt64(ctx, idb, `SELECT count(*) FROM badge_awards WHERE organization_id = ? AND user_id = ?`, orgID, userID)
	if err != nil {
		return nil, fmt.Errorf("badges of %s: %w", userID, err)
	}
	var rows []struct {
		Type  string `bun:"type"`
		Count int64  `bun:"count"`
	}
	err = idb.NewRaw(`WITH z AS (SELECT coalesce((SELECT time_zone FROM engagement_settings WHERE organization_id = ?), 'UTC') AS zone)
		SELECT type, count(*) AS count FROM domain_events, z
		 WHERE organization_id = ? AND subject_user_id = ?
		   AND occurred_at >= date_trunc('month', ?::timestamptz AT TIME ZONE z.zone) AT TIME ZONE z.zone
		   AND occurred_at <= ?
		 GROUP BY type`, orgID, orgID, userID, at, at).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("events this month of %s: %w", userID, err)
	}
	for _, r := range rows {
		facts.EventsThisMonth[r.Type] = r.Count
	}
	return facts, nil
}

func countInt64(ctx context.Context, idb bun.IDB, query string, args ...any) (int64, error) {
	var n int64
	err := idb.NewRaw(query, args...).Scan(ctx, &n)
	return n, err
}
