// Command quests measures sandbox-verified quest submissions through the
// API: one published quest of one secret_code task (verified inline by the
// run's Update, no outside service), -members members who each join it,
// then each send one SubmitTask with the right code, -concurrency calls in
// flight; each call is timed from sending to the verified answer. In the
// same run, on the same open runs and before the submissions (a completed
// one-off run ends), it measures the ceiling: a repeated JoinQuest, which
// only answers the run's state through its `join` Update, one per member
// at the same concurrency.
//
// It starts the throwaway stack of the other benchmarks
// (bench/internal/stack), writes the organization, its owner and the
// members straight to the database, and creates, fills and publishes the
// quest through the API as the owner.
//
// Usage:
//
//	go run ./bench/quests -members 1000 -concurrency 32
//
// The last line of stdout is {"bench":"quests","submissions_per_s":…,"p50_ms":…,"p99_ms":…,"ceiling_updates_per_s":…,"ratio":…,…}.
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
	// members join the quest and each submit its one task once.
	members int
	// concurrency bounds the calls in flight.
	concurrency int
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("quests", flag.ContinueOnError)
	fs.IntVar(&o.members, "members", 1000, "members who join the quest and submit its secret code once")
	fs.IntVar(&o.concurrency, "concurrency", 32, "calls in flight at once (joins, ceiling and submissions)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	return o, o.validate()
}

func (o options) validate() error {
	switch {
	case o.members < 1 || o.members > 100000:
		return fmt.Errorf("-members must be between 1 and 100000, got %d", o.members)
	case o.concurrency < 1 || o.concurrency > 200:
		return fmt.Errorf("-concurrency must be between 1 and 200, got %d", o.concurrency)
	}
	return nil
}

func main() { stack.Main("quests", parseOptions, run) }

// run starts the stack, measures, checks, prints the report and tears the
// stack down whatever happens.
func run(ctx context.Context, o options) error {
	progress("starting Postgres, Temporal, the worker and the API in a temp dir")
	return stack.Run(ctx, stack.Options{}, func(ctx context.Context, s *stack.Stack) ([]string, error) {
		r, err := measure(ctx, s, o)
		if err != nil {
			return nil, err
		}
		return r.failures, printReport(os.Stdout, o, r)
	})
}

// progress tells the person waiting what is happening, on stderr so stdout
// holds only the report.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "quests: "+format+"\n", args...)
}
