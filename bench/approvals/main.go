// Command approvals measures votes on content approval chains through the
// API: -items pieces of content, each under a chain of two all-of-3 steps,
// get every approval (items × 2 × 3 Approve calls), -concurrency calls in
// flight: a step's three votes are sent at once, and when a step is
// decided the next step's votes join the queue as soon as the run has
// assigned it (that hand-off is timed apart). Each Approve is a Temporal
// Update on the version's approval run whose validator counts the vote
// before an activity writes it. In the same
// run it measures the ceiling: trivial Updates per second on the same
// Temporal, through a bench-only worker and workflow.
//
// It starts the throwaway stack of the other benchmarks
// (bench/internal/stack), writes the organization, its approvers and the
// drafts straight to the database, defines the chain and submits every
// draft through the API, waits for every run to assign its first step,
// then votes.
//
// Usage:
//
//	go run ./bench/approvals -items 500 -concurrency 64
//
// The last line of stdout is {"bench":"approvals","approves_per_s":…,"p50_ms":…,"p99_ms":…,"ceiling_updates_per_s":…}.
package main

import (
	"context"
	"fmt"
	"os"

	"flag"

	"github.com/convene/convene/bench/internal/stack"
)

// options are the benchmark's command-line flags.
type options struct {
	// items is how many pieces of content are approved.
	items int
	// concurrency bounds the calls in flight.
	concurrency int
	// ceilingUpdates is how many trivial Updates measure the ceiling.
	ceilingUpdates int
}

// approversPerStep and steps shape the chain: two steps, all of three.
const (
	approversPerStep = 3
	steps            = 2
)

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("approvals", flag.ContinueOnError)
	fs.IntVar(&o.items, "items", 500, "pieces of content, each approved by 3 approvers at each of 2 steps")
	fs.IntVar(&o.concurrency, "concurrency", 64, "Approve calls in flight at once")
	fs.IntVar(&o.ceilingUpdates, "ceiling-updates", 3000, "trivial Updates sent to measure the ceiling")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	return o, o.validate()
}

func (o options) validate() error {
	switch {
	case o.items < 1 || o.items > 10000:
		return fmt.Errorf("-items must be between 1 and 10000, got %d", o.items)
	case o.concurrency < 1 || o.concurrency > 200:
		return fmt.Errorf("-concurrency must be between 1 and 200, got %d", o.concurrency)
	case o.ceilingUpdates < 1 || o.ceilingUpdates > 100000:
		return fmt.Errorf("-ceiling-updates must be between 1 and 100000, got %d", o.ceilingUpdates)
	}
	return nil
}

func main() { stack.Main("approvals", parseOptions, run) }

// run starts the stack, measures, checks, prints the report and tears the
// stack down whatever happens.
func run(ctx context.Context, o options) error {
	progress("starting Postgres, Temporal, the worker and the API in a temp dir")
	return stack.Run(ctx, stack.Options{}, func(ctx context.Context, s *stack.Stack) ([]string, error) {
		r, err := measure(ctx, s, o)
		if err != nil {
			return nil, err
		}
		progress("ceiling: %d trivial Updates, %d at a time", o.ceilingUpdates, o.concurrency)
		if r.ceiling, err = updateCeiling(ctx, s.Temporal(), o.ceilingUpdates, o.concurrency); err != nil {
			return nil, err
		}
		return r.failures, printReport(os.Stdout, o, r)
	})
}

// progress tells the person waiting what is happening, on stderr so stdout
// holds only the report.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "approvals: "+format+"\n", args...)
}
