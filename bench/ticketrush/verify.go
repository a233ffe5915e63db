package main

import (
	"context"
	"fmt"
	"time"

	"github.com/convene/convene/db"
)

// checkResult is what the database says after the rush.
type checkResult struct {
	tickets, going, waitlistedRows, waitlistCount int
	// failures are human-readable mismatches; empty when the run was correct.
	failures []string
}

// verify checks a correct sell-out: exactly min(buyers, capacity) tickets
// and going_count, everyone else waitlisted, every call answered and every
// order's workflow started.
func verify(ctx context.Context, d *db.DB, ev *db.Event, o options, res rushResult, started int64) (checkResult, error) {
	var c checkResult
	tickets, err := d.NewSelect().Model((*db.Ticket)(nil)).Where("event_id = ?", ev.ID).Count(ctx)
	if err != nil {
		return c, fmt.Errorf("count tickets: %w", err)
	}
	waitlisted, err := d.NewSelect().Model((*db.Request)(nil)).Where("event_id = ? AND status = 'waitlisted'", ev.ID).Count(ctx)
	if err != nil {
		return c, fmt.Errorf("count waitlisted requests: %w", err)
	}
	stored, err := db.EventByID(ctx, d, ev.ID)
	if err != nil {
		return c, fmt.Errorf("reload event: %w", err)
	}
	c.tickets, c.waitlistedRows = int(tickets), int(waitlisted)
	c.going, c.waitlistCount = int(stored.GoingCount), int(stored.WaitlistCount)
	c.failures = mismatches(c, o, res, started)
	return c, nil
}

func mismatches(c checkResult, o options, res rushResult, started int64) []string {
	sold := min(o.buyers, o.capacity)
	checks := []struct {
		what      string
		got, want int
	}{
		{"tickets issued", c.tickets, sold},
		{"events.going_count", c.going, sold},
		{"waitlisted requests", c.waitlistedRows, o.buyers - sold},
		{"events.waitlist_count", c.waitlistCount, o.buyers - sold},
		{"ACCEPTED answers", res.accepted, sold},
		{"WAITLISTED answers", res.waitlisted, o.buyers - sold},
		{"answers with another status", res.other, 0},
		{"failed calls", res.errors, 0},
		{"ticket-order workflows started", int(started), o.buyers},
	}
	var out []string
	for _, ch := range checks {
		if ch.got != ch.want {
			out = append(out, fmt.Sprintf("%s: got %d, want %d", ch.what, ch.got, ch.want))
		}
	}
	if res.firstErr != nil {
		out = append(out, fmt.Sprintf("first failed call: %v", res.firstErr))
	}
	return out
}

// statsDelay is how long after the rush Postgres's statistics are complete:
// backends report their counts when they go idle, but at most once a second,
// and a backend that went idle too soon after its last report waits 10 s.
const statsDelay = 11 * time.Second

// eventRowUpdates reads Postgres's count of row updates of the events table.
func eventRowUpdates(ctx context.Context, d *db.DB) (int64, error) {
	var n int64
	err := d.NewRaw(`SELECT coalesce(sum(n_tup_upd), 0) FROM pg_stat_user_tables WHERE relname = 'events'`).Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("read events update count: %w", err)
	}
	return n, nil
}

// rowUpdatesSince is the number of events-row updates after before, read
// once statsDelay has passed since the rush ended.
func rowUpdatesSince(ctx context.Context, d *db.DB, before int64, rushEnded time.Time) (int64, error) {
	select {
	case <-time.After(time.Until(rushEnded.Add(statsDelay))):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	after, err := eventRowUpdates(ctx, d)
	return after - before, err
}
