// Command leaderboard measures the engagement leaderboards through the
// API over a large organization: -members members in -teams teams, seeded
// with SQL (generate_series; one ledger entry each, through the ledger's
// trigger, so user_points is what the application would have built). It
// times -calls calls each of GetLeaderboard's top 50 (all time and this
// month), a deep page reached by following page tokens, a team's top 50
// and GetMyRank, prints each query's plan (none may sort), then measures
// ledger writes per second (db.PointsLedger.Award, -writers at once, on
// random members and on one hot member) beside pgbench's plain insert and
// hot-row update rates on the same Postgres in the same run.
//
// It starts the throwaway stack of the other benchmarks
// (bench/internal/stack).
//
// Usage:
//
//	go run ./bench/leaderboard -members 100000 -teams 200 -calls 1000
//
// The last line of stdout is {"bench":"leaderboard","top50_p99_ms":…,…}.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/convene/convene/bench/internal/stack"
)

// options are the benchmark's command-line flags.
type options struct {
	members, teams, calls int
	// concurrency bounds the API calls in flight.
	concurrency int
	// writers write ledger entries at once; writeSeconds is how long each
	// write phase (and each pgbench run) lasts.
	writers, writeSeconds int
	// deepRank is where the deep page starts.
	deepRank int
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("leaderboard", flag.ContinueOnError)
	fs.IntVar(&o.members, "members", 100000, "members of the organization, each with one ledger entry")
	fs.IntVar(&o.teams, "teams", 200, "teams the members are spread over")
	fs.IntVar(&o.calls, "calls", 1000, "timed API calls of each kind")
	fs.IntVar(&o.concurrency, "concurrency", 4, "API calls in flight at once")
	fs.IntVar(&o.writers, "writers", 32, "concurrent ledger writers (and pgbench clients)")
	fs.IntVar(&o.writeSeconds, "write-seconds", 10, "duration of each write phase and pgbench run")
	fs.IntVar(&o.deepRank, "deep-rank", 0, "rank the deep page starts after (0: half the members)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.deepRank == 0 {
		o.deepRank = o.members / 2
	}
	return o, o.validate()
}

func (o options) validate() error {
	switch {
	case o.members < 100 || o.members > 2_000_000:
		return fmt.Errorf("-members must be between 100 and 2000000, got %d", o.members)
	case o.teams < 1 || o.teams > o.members:
		return fmt.Errorf("-teams must be between 1 and -members, got %d", o.teams)
	case o.calls < 1 || o.calls > 100000:
		return fmt.Errorf("-calls must be between 1 and 100000, got %d", o.calls)
	case o.concurrency < 1 || o.concurrency > 200:
		return fmt.Errorf("-concurrency must be between 1 and 200, got %d", o.concurrency)
	case o.writers < 1 || o.writers > 200:
		return fmt.Errorf("-writers must be between 1 and 200, got %d", o.writers)
	case o.writeSeconds < 1 || o.writeSeconds > 600:
		return fmt.Errorf("-write-seconds must be between 1 and 600, got %d", o.writeSeconds)
	case o.deepRank < 1 || o.deepRank >= o.members:
		return fmt.Errorf("-deep-rank must be between 1 and -members, got %d", o.deepRank)
	}
	return nil
}

func main() { stack.Main("leaderboard", parseOptions, run) }

// run starts the stack, seeds, measures, prints the report and tears the
// stack down whatever happens.
func run(ctx context.Context, o options) error {
	progress("starting Postgres, Temporal, the worker and the API in a temp dir")
	return stack.Run(ctx, stack.Options{}, func(ctx context.Context, s *stack.Stack) ([]string, error) {
		progress("seeding %d members in %d teams", o.members, o.teams)
		w, err := seed(ctx, s.DB(), o)
		if err != nil {
			return nil, err
		}
		r := results{}
		if r.reads, err = measureReads(ctx, s, w, o); err != nil {
			return nil, err
		}
		if r.plans, err = explainAll(ctx, s.DB(), w); err != nil {
			return nil, err
		}
		if r.writes, err = measureWrites(ctx, s, w, o); err != nil {
			return nil, err
		}
		return r.failures(), printReport(os.Stdout, o, r)
	})
}

// progress tells the person waiting what is happening, on stderr so stdout
// holds only the report.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "leaderboard: "+format+"\n", args...)
}
