package rules_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/rules"
)

func TestCompile_RefusesWhatCannotRun(t *testing.T) {
	t.Parallel()
	engine := rules.New()
	cases := []struct {
		name, expr string
		wantErr    string
	}{
		{"check-in threshold", "event.type == 'ticket.checked_in' && member.checkins_this_month >= 3", ""},
		{"payload value", "event.payload.points >= 10.0", ""},
		{"payload key test", "'rating' in event.payload && event.payload.rating == 5.0", ""},
		{"events by type", "member.events_this_month['quiz.passed'] > 2", ""},
		{"timestamp", "event.occurred_at > timestamp('2026-01-01T00:00:00Z')", ""},
		{"syntax", "member.total_points >=", "Syntax error"},
		{"unknown member field", "member.checkins >= 3", "undefined field 'checkins'"},
		{"unknown variable", "user.total_points > 1", "undeclared reference to 'user'"},
		{"type mismatch", "member.total_points == 'many'", "no matching overload"},
		{"not a bool", "member.total_points + 1", "must be a bool"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := engine.Compile([]rules.Condition{{Name: "ok", Expression: "true"}, {Name: c.name, Expression: c.expr}})
			if c.wantErr == "" {
				require.NoError(t, err)
				return
			}
			var ce *rules.CompileError
			require.True(t, errors.As(err, &ce), "a *CompileError: %v", err)
			assert.Equal(t, 1, ce.Index, "the failing condition's position")
			assert.ErrorContains(t, err, c.wantErr)
		})
	}
}

func TestEvaluate_ReportsEachCondition(t *testing.T) {
	t.Parallel()
	engine := rules.New()
	ev := rules.Event{Type: "ticket.checked_in", OccurredAt: time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC),
		Reference: "ticket:t1", Payload: map[string]any{"event_id": "e1", "points": 12.0}}
	member := rules.Member{TotalPoints: 40, CheckinsThisMonth: 3, EventsThisMonth: map[string]int64{"ticket.checked_in": 3}}

	cases := []struct {
		name    string
		exprs   []string
		values  []bool
		errs    []string
		allHold bool
	}{
		{"third check-in", []string{"event.type == 'ticket.checked_in'", "member.checkins_this_month >= 3"},
			[]bool{true, true}, []string{"", ""}, true},
		{"second condition false", []string{"event.payload.points > 10.0", "member.total_points >= 100"},
			[]bool{true, false}, []string{"", ""}, false},
		{"missing payload key fails, not panics", []string{"event.payload.rating == 5.0"},
			[]bool{false}, []string{"no such key"}, false},
		{"map by type", []string{"member.events_this_month['ticket.checked_in'] == 3"},
			[]bool{true}, []string{""}, true},
		{"cost limit", []string{"[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, a+b+c+d > 0))))"},
			[]bool{false}, []string{"cost limit"}, false},
		{"no conditions hold vacuously", nil, nil, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			conds := make([]rules.Condition, len(c.exprs))
			for i, e := range c.exprs {
				conds[i] = rules.Condition{Name: c.name, Expression: e}
			}
			prgs, err := engine.Compile(conds)
			require.NoError(t, err)
			results, all := rules.Evaluate(prgs, ev, member)
			require.Len(t, results, len(c.exprs))
			for i, r := range results {
				assert.Equal(t, c.exprs[i], r.Expression)
				assert.Equal(t, c.values[i], r.Value, "condition %d", i)
				if c.errs[i] == "" {
					assert.Empty(t, r.Error, "condition %d", i)
				} else {
					assert.Contains(t, r.Error, c.errs[i], "condition %d", i)
				}
			}
			assert.Equal(t, c.allHold, all)
		})
	}
}
