package rules

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
)

// Inputs reads what a rule's conditions see for a stored domain event:
// the event and its subject's counters as of the event (an event without
// a subject has zero counters).
func Inputs(ctx context.Context, idb bun.IDB, ev *db.DomainEvent) (Event, Member, error) {
	event := Event{Type: ev.Type, OccurredAt: ev.OccurredAt, Payload: ev.Payload}
	if ev.ReferenceType != nil && ev.ReferenceID != nil {
		event.Reference = *ev.ReferenceType + ":" + *ev.ReferenceID
	}
	member := Member{EventsThisMonth: map[string]int64{}}
	if ev.SubjectUserID == nil {
		return event, member, nil
	}
	facts, err := db.LoadRuleMemberFacts(ctx, idb, ev.OrganizationID, *ev.SubjectUserID, ev.OccurredAt)
	if err != nil {
		return Event{}, Member{}, err
	}
	member = Member{
		TotalPoints:       facts.Points.TotalPoints,
		PointsThisMonth:   facts.Points.PointsThisMonth,
		LifetimePoints:    facts.Points.LifetimePoints,
		CurrentStreak:     int64(facts.Points.CurrentStreak),
		BadgesCount:       facts.BadgesCount,
		CheckinsThisMonth: facts.EventsThisMonth[enums.EventTicketCheckedIn],
		EventsThisMonth:   facts.EventsThisMonth,
	}
	return event, member, nil
}

// ConditionsOf returns a stored rule's conditions in the engine's terms.
func ConditionsOf(r *db.Rule) []Condition {
	out := make([]Condition, len(r.Conditions))
	for i, c := range r.Conditions {
		out[i] = Condition{Name: c.Name, Expression: c.Expression}
	}
	return out
}
