// Package rules is the rules engine's expression language: CEL
// conditions over the domain event that triggered a rule and the
// counters of the member it is about. Conditions are compiled and
// type-checked when a rule is saved (Compile), so a typo or a non-bool
// condition is refused then, and evaluated with a cost limit (Evaluate),
// so no rule can hold the rules job for long.
package rules

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"
)

// CostLimit bounds the work one condition may do when evaluated (CEL's
// abstract cost units: roughly one per operation or element visited).
// Conditions over an event and a member's counters need far less; a
// condition that loops over a large list fails instead of stalling the
// job.
const CostLimit = 10_000

// Event is what a condition sees as `event`: the domain event that
// triggered the rule. CEL sees it as a map (type, occurred_at,
// reference, payload) because the payload's values have no static
// type; a misspelt key is an evaluation error ("no such key"), which
// DryRunRule shows.
type Event struct {
	// Type is the domain event type, e.g. "ticket.checked_in".
	Type string
	// OccurredAt is when the fact happened.
	OccurredAt time.Time
	// Reference is "<reference type>:<reference id>", empty if none.
	Reference string
	// Payload holds the facts of the event (JSON: numbers are doubles).
	Payload map[string]any
}

func (ev Event) celValue() map[string]any {
	payload := ev.Payload
	if payload == nil {
		payload = map[string]any{}
	}
	return map[string]any{"type": ev.Type, "occurred_at": ev.OccurredAt, "reference": ev.Reference, "payload": payload}
}

// Member is what a condition sees as `member`: the counters of the
// event's subject, as of the event. Its fields are typed, so a
// misspelt counter is refused when the rule is saved.
type Member struct {
	TotalPoints     int64 `cel:"total_points"`
	PointsThisMonth int64 `cel:"points_this_month"`
	LifetimePoints  int64 `cel:"lifetime_points"`
	CurrentStreak   int64 `cel:"current_streak"`
	BadgesCount     int64 `cel:"badges_count"`
	// CheckinsThisMonth counts ticket.checked_in events of the month
	// (organization zone), the triggering one included.
	CheckinsThisMonth int64 `cel:"checkins_this_month"`
	// EventsThisMonth counts the member's domain events of the month by
	// type, the triggering one included.
	EventsThisMonth map[string]int64 `cel:"events_this_month"`
}

// Condition is one named CEL expression of a rule; a rule's conditions
// must all hold.
type Condition struct {
	Name       string
	Expression string
}

// CompileError is a condition that does not compile, type-check or
// yield a bool. Index is its position in the rule's conditions.
type CompileError struct {
	Index int
	Err   error
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("condition %d: %v", e.Index, e.Err)
}

func (e *CompileError) Unwrap() error { return e.Err }

// ErrNotBool is a condition whose result is not a bool.
var ErrNotBool = errors.New("a condition must be a bool expression")

// Engine compiles and evaluates conditions. It is safe for concurrent
// use; build one with New and share it.
type Engine struct {
	env *cel.Env
}

// New builds the CEL environment with `event` and `member`. The
// declarations are fixed, so an error here is a programming error and
// panics (as prometheus.MustRegister does).
func New() *Engine {
	env, err := cel.NewEnv(
		ext.NativeTypes(reflect.TypeFor[Member](), ext.ParseStructTags(true)),
		cel.Variable("event", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("member", cel.ObjectType("rules.Member")),
	)
	if err != nil {
		panic(fmt.Sprintf("rules environment: %v", err))
	}
	return &Engine{env: env}
}

// Program is a compiled condition.
type Program struct {
	Condition
	prg cel.Program
}

// Compile parses and type-checks every condition; the first that fails
// is a *CompileError.
func (e *Engine) Compile(conds []Condition) ([]Program, error) {
	out := make([]Program, 0, len(conds))
	for i, c := range conds {
		prg, err := e.compileOne(c.Expression)
		if err != nil {
			return nil, &CompileError{Index: i, Err: err}
		}
		out = append(out, Program{Condition: c, prg: prg})
	}
	return out, nil
}

func (e *Engine) compileOne(expr string) (cel.Program, error) {
	ast, iss := e.env.Compile(expr)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	if !ast.OutputType().IsExactType(cel.BoolType) && !ast.OutputType().IsExactType(cel.DynType) {
		return nil, fmt.Errorf("%w, this one is %s", ErrNotBool, ast.OutputType())
	}
	prg, err := e.env.Program(ast, cel.CostLimit(CostLimit))
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	return prg, nil
}

// Result is one condition's outcome on an event: its value, or why it
// could not be evaluated (a failed condition counts as false).
type Result struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
	Value      bool   `json:"value"`
	Error      string `json:"error,omitempty"`
}

// Evaluate runs every condition (none stops early, so a dry run shows
// them all) and reports whether all of them hold.
func Evaluate(prgs []Program, ev Event, m Member) ([]Result, bool) {
	vars := map[string]any{"event": ev.celValue(), "member": m}
	results := make([]Result, 0, len(prgs))
	all := true
	for _, p := range prgs {
		r := Result{Name: p.Name, Expression: p.Expression}
		out, _, err := p.prg.Eval(vars)
		if err != nil {
			r.Error = err.Error()
		} else if b, ok := out.Value().(bool); ok {
			r.Value = b
		} else {
			r.Error = fmt.Sprintf("%v: got %s", ErrNotBool, out.Type().TypeName())
		}
		all = all && r.Value
		results = append(results, r)
	}
	return results, all
}
