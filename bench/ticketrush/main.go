// Command ticketrush measures how fast Convene sells out a free event when
// many people press "join" at once, and compares that with the hardware's
// ceiling for such a rush on this machine.
//
// It starts a throwaway copy of the `make run` stack in a temp dir (a private
// Postgres with fsync on, the embedded Temporal dev server on SQLite, the real
// worker and the real API on a loopback port), creates a host, -buyers users
// with access tokens and one free published event of -capacity seats, then
// sends one RequestToJoin per buyer through the Connect client with at most
// -concurrency calls in flight. For a free event each call returns only once
// the order's workflow has decided it: ACCEPTED with the ticket issued, or
// WAITLISTED. The latency of a call is therefore "RequestToJoin → ticket".
// Afterwards it checks the outcome in the database (exactly min(buyers,
// capacity) tickets, going_count to match, everyone else waitlisted).
//
// Why pgbench is the ceiling: every request updates one row, the event's.
// Registering it bumps requests_count, claiming a seat updates seats_taken
// (or waitlist_count) and issuing the ticket bumps going_count, each in its
// own committed transaction, and a transaction that has updated the row holds
// its lock until it commits, so these transactions queue one behind another
// however many API and worker processes run. No deployment of this design can
// beat the rate at which Postgres commits single-row updates of one hot row,
// which is what pgbench measures against the same cluster at the end of the
// run (same fsync setting, disk and CPU). A confirmed order takes three such
// transactions, so about a third of the pgbench figure bounds confirmed
// orders per second. The report also shows the event-row updates per second
// the rush actually reached (from pg_stat_user_tables): far below pgbench
// means the hot row is not yet the bottleneck.
//
// Everything runs on this one machine, so the API, the worker, Temporal,
// Postgres and the load generator share the CPU: the numbers describe a
// single-box `make run`, not a scaled-out deployment.
//
// Usage:
//
//	go run ./bench/ticketrush -buyers 2000 -capacity 1000 -concurrency 64
//
// The last line of stdout is one JSON object with the figures of issue 9
// section 5, for scripts to compare runs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/proto/convene/events/v1/eventsv1connect"
)

// options are the benchmark's command-line flags.
type options struct {
	// buyers is how many people each send one RequestToJoin.
	buyers int
	// capacity is the event's number of seats.
	capacity int
	// concurrency bounds the calls in flight (and pgbench's clients).
	concurrency int
	// pgbenchSeconds is how long pgbench runs; 0 skips it.
	pgbenchSeconds int
	// ceilingWorkflows is how many trivial workflows measure Temporal's
	// ceiling; 0 skips it.
	ceilingWorkflows int
}

// errCheckFailed means the run finished but the database disagrees with
// what a correct sell-out leaves behind; the failures were printed.
var errCheckFailed = errors.New("correctness check failed: see the FAIL lines above")

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("ticketrush", flag.ContinueOnError)
	fs.IntVar(&o.buyers, "buyers", 2000, "number of buyers, each sending one RequestToJoin")
	fs.IntVar(&o.capacity, "capacity", 1000, "seats of the event")
	fs.IntVar(&o.concurrency, "concurrency", 64, "RequestToJoin calls in flight at once (also pgbench clients)")
	fs.IntVar(&o.pgbenchSeconds, "pgbench-seconds", 10, "duration of the pgbench hot-row run (0 skips it)")
	fs.IntVar(&o.ceilingWorkflows, "ceiling-workflows", 1000, "trivial workflows run for the Temporal ceiling, 64 in flight (0 skips it)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	return o, o.validate()
}

func (o options) validate() error {
	switch {
	case o.buyers < 1 || o.buyers > 100000:
		return fmt.Errorf("-buyers must be between 1 and 100000, got %d", o.buyers)
	case o.capacity < 1:
		return fmt.Errorf("-capacity must be at least 1, got %d", o.capacity)
	case o.concurrency < 1 || o.concurrency > 200:
		return fmt.Errorf("-concurrency must be between 1 and 200 (Postgres allows 300 connections), got %d", o.concurrency)
	case o.pgbenchSeconds < 0:
		return fmt.Errorf("-pgbench-seconds must not be negative, got %d", o.pgbenchSeconds)
	case o.ceilingWorkflows < 0:
		return fmt.Errorf("-ceiling-workflows must not be negative, got %d", o.ceilingWorkflows)
	}
	return nil
}

func main() { stack.Main("ticketrush", parseOptions, run) }

// run starts the stack, measures, prints the report and tears the stack
// down whatever happens.
func run(ctx context.Context, o options) (err error) {
	progress("starting Postgres, Temporal, the worker and the API in a temp dir")
	s, err := stack.Start(ctx, stack.Options{})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	r, err := measure(ctx, s, o)
	if err != nil {
		return err
	}
	printReport(os.Stdout, o, r)
	if err := printJSON(os.Stdout, o, r); err != nil {
		return err
	}
	if len(r.check.failures) > 0 {
		return errCheckFailed
	}
	return nil
}

// results are everything the report shows.
type results struct {
	rush  rushResult
	check checkResult
	// eventRowUpdates is how many times the event's row was updated during
	// the rush (from pg_stat_user_tables).
	eventRowUpdates int64
	// hotRowTPS is pgbench's single-row updates per second; 0 when skipped.
	hotRowTPS float64
	// backlog is the orders' workflows as Temporal lists them.
	backlog backlogResult
	// temporalCeiling is trivial workflows per second on the same
	// Temporal; 0 when skipped.
	temporalCeiling float64
}

// measure seeds the event and buyers, runs the rush, checks the outcome in
// the database and runs pgbench for the ceiling.
func measure(ctx context.Context, s *stack.Stack, o options) (results, error) {
	var r results
	progress("creating the host, %d buyers and an event of %d seats", o.buyers, o.capacity)
	ev, buyers, err := seed(ctx, s, o)
	if err != nil {
		return r, err
	}
	before, err := eventRowUpdates(ctx, s.DB())
	if err != nil {
		return r, err
	}
	progress("rush: %d RequestToJoin calls, %d at a time", o.buyers, o.concurrency)
	rushStart := time.Now()
	r.rush = rush(ctx, ticketing(s, o.concurrency), ev, buyers, o.concurrency)
	rushEnded := time.Now()
	if r.backlog, err = awaitBacklog(ctx, s.Temporal(), int64(o.buyers), rushStart); err != nil {
		return r, err
	}
	if r.check, err = verify(ctx, s.DB(), ev, o, r.rush); err != nil {
		return r, err
	}
	if o.pgbenchSeconds > 0 {
		progress("pgbench: one hot row, %d clients, %d s", o.concurrency, o.pgbenchSeconds)
		if r.hotRowTPS, err = hotRowCeiling(ctx, s, o.concurrency, o.pgbenchSeconds); err != nil {
			return r, err
		}
	}
	if o.ceilingWorkflows > 0 {
		progress("Temporal ceiling: %d trivial workflows, %d in flight", o.ceilingWorkflows, ceilingInFlight)
		if r.temporalCeiling, err = temporalCeiling(ctx, s.Temporal(), o.ceilingWorkflows, ceilingInFlight); err != nil {
			return r, err
		}
	}
	// Read after pgbench, whose run covers most of the statistics delay.
	r.eventRowUpdates, err = rowUpdatesSince(ctx, s.DB(), before, rushEnded)
	return r, err
}

// ceilingInFlight is the trivial workflows in flight for the Temporal
// ceiling, as issue 9 defines it.
const ceilingInFlight = 64

// progress tells the person waiting what is happening, on stderr so stdout
// holds only the report.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ticketrush: "+format+"\n", args...)
}

// ticketing is a Connect client of the API whose transport keeps one
// connection per concurrent caller.
func ticketing(s *stack.Stack, concurrency int) eventsv1connect.TicketingServiceClient {
	return eventsv1connect.NewTicketingServiceClient(s.HTTPClient(concurrency), s.APIURL())
}
