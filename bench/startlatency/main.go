// Command startlatency measures what starting a Temporal workflow costs a
// caller of the API: the latency of CreateNotificationJob, an RPC that
// stores a job, commits the River job that would start its workflow, then
// starts the workflow directly (StartWorkflow) before it answers.
//
// It starts the same throwaway stack as the ticket rush
// (bench/internal/stack), writes an organization with an owner and a few
// members straight to the database, then sends -calls CreateNotificationJob
// requests as the owner, -concurrency at a time, each for the in-app
// channel only (no SMS or email, so the organization's daily send quota is
// never touched) and scheduled a day ahead, so the workflows it starts only
// wait on their timer and the run measures the start, not the delivery.
//
// Usage:
//
//	go run ./bench/startlatency -calls 2000 -concurrency 16
//
// The last line of stdout is {"bench":"startlatency","p50_ms":…,"p99_ms":…}.
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
	// calls is how many CreateNotificationJob requests are sent.
	calls int
	// concurrency bounds the calls in flight.
	concurrency int
	// members is the size of the organization each job addresses.
	members int
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("startlatency", flag.ContinueOnError)
	fs.IntVar(&o.calls, "calls", 2000, "CreateNotificationJob calls, each starting one workflow")
	fs.IntVar(&o.concurrency, "concurrency", 16, "calls in flight at once")
	fs.IntVar(&o.members, "members", 10, "members of the organization each job addresses")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	return o, o.validate()
}

func (o options) validate() error {
	switch {
	case o.calls < 1 || o.calls > 100000:
		return fmt.Errorf("-calls must be between 1 and 100000, got %d", o.calls)
	case o.concurrency < 1 || o.concurrency > 200:
		return fmt.Errorf("-concurrency must be between 1 and 200, got %d", o.concurrency)
	case o.members < 1 || o.members > 10000:
		return fmt.Errorf("-members must be between 1 and 10000, got %d", o.members)
	}
	return nil
}

func main() { stack.Main("startlatency", parseOptions, run) }

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
	fmt.Fprintf(os.Stderr, "startlatency: "+format+"\n", args...)
}
