package rules

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
)

// Verdict is how a rule's conditions came out on a domain event.
type Verdict struct {
	// Conditions holds each condition's result, in the rule's order.
	Conditions []Result
	// AllHold says whether every condition holds (a rule without
	// conditions always holds).
	AllHold bool
}

// Judge evaluates r's conditions on ev, reading ev's subject's counters
// through idb; it writes nothing. A stored condition that no longer
// compiles holds false, with the compile error as its result.
func (e *Engine) Judge(ctx context.Context, idb bun.IDB, r *db.Rule, ev *db.DomainEvent) (Verdict, error) {
	conds := ConditionsOf(r)
	prgs, err := e.Compile(conds)
	if err != nil {
		return Verdict{Conditions: []Result{{Error: err.Error()}}}, nil
	}
	event, member, err := Inputs(ctx, idb, ev)
	if err != nil {
		return Verdict{}, err
	}
	results, all := Evaluate(prgs, event, member)
	return Verdict{Conditions: results, AllHold: all}, nil
}
