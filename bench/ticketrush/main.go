// Command ticketrush measures how fast Convene sells out a free event when
// many people press "join" at once, and compares that with the hardware's
// ceiling for such a rush on this machine.
//
// It starts a throwaway copy of the `make run` stack in a temp dir (a private
// Postgres with fsync on, the embedded Temporal dev server, the real worker
// and the real API on a loopback port), creates a host, -buyers users with
// access tokens and one free published event of -capacity seats, then sends
// one RequestToJoin per buyer through the Connect client with at most
// -concurrency calls in flight. Each call is an admission: one Postgres
// transaction decides it (ACCEPTED with the ticket issued, or WAITLISTED)
// and commits the River job that starts the order's workflow; the workflow
// is started right after commit, off the request path. So the latency of a
// call is "RequestToJoin → ticket", and the workflows drain behind the rush
// as a backlog, timed from the rush's start until Temporal lists them all.
// Afterwards it checks the outcome in the database (exactly min(buyers,
// capacity) tickets, going_count to match, everyone else waitlisted, one
// workflow per buyer).
//
// The two ceilings are measured in the same run, on the same servers: every
// admission ends with one conditional update of the event's row, whose lock
// it holds until commit, so admissions queue one behind another on that row
// however many API processes run; pgbench's single-row conditional update
// of one hot row against the same cluster is therefore the ceiling of
// admissions per second. Every order is a workflow, so a trivial workflow
// (start → one local activity → complete, 64 in flight) on the same
// Temporal is the ceiling of the backlog's drain. The report also shows the
// event-row updates per second the rush reached (from pg_stat_user_tables).
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
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/internal/config"
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
	// temporalStore is where the stack's Temporal keeps its state: sqlite
	// or postgres.
	temporalStore string
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("ticketrush", flag.ContinueOnError)
	fs.IntVar(&o.buyers, "buyers", 2000, "number of buyers, each sending one RequestToJoin")
	fs.IntVar(&o.capacity, "capacity", 1000, "seats of the event")
	fs.IntVar(&o.concurrency, "concurrency", 64, "RequestToJoin calls in flight at once (also pgbench clients)")
	fs.IntVar(&o.pgbenchSeconds, "pgbench-seconds", 10, "duration of the pgbench hot-row run (0 skips it)")
	fs.IntVar(&o.ceilingWorkflows, "ceiling-workflows", 1000, "trivial workflows run for the Temporal ceiling, 64 in flight (0 skips it)")
	fs.StringVar(&o.temporalStore, "temporal-store", stack.TemporalStoreFromEnv(), "where Temporal keeps its state: sqlite or postgres (the stack's cluster) (CONVENE_TEMPORAL_STORE)")
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
	case o.temporalStore != config.TemporalStoreSQLite && o.temporalStore != config.TemporalStorePostgres:
		return fmt.Errorf("-temporal-store must be sqlite or postgres, got %q", o.temporalStore)
	}
	return nil
}

func main() { stack.Main("ticketrush", parseOptions, run) }

// run starts the stack, measures, prints the report and tears the stack
// down whatever happens.
func run(ctx context.Context, o options) error {
	progress("starting Postgres, Temporal (on %s), the worker and the API in a temp dir", o.temporalStore)
	return stack.Run(ctx, stack.Options{TemporalStore: o.temporalStore}, func(ctx context.Context, s *stack.Stack) ([]string, error) {
		r, err := measure(ctx, s, o)
		if err != nil {
			return nil, err
		}
		printReport(os.Stdout, o, r)
		return r.check.failures, printJSON(os.Stdout, o, r)
	})
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
	// bucketed is the second rush, on an event with seat buckets.
	bucketed bucketedRun
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
	if r.check, err = verify(ctx, s.DB(), ev, o, r.rush, r.backlog.started); err != nil {
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
	if r.eventRowUpdates, err = rowUpdatesSince(ctx, s.DB(), before, rushEnded); err != nil {
		return r, err
	}
	r.bucketed, err = measureBucketed(ctx, s, o)
	r.check.failures = append(r.check.failures, r.bucketed.failures...)
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
