// Command fanout measures how fast Convene delivers one admin notification
// to every member of a large organization, and compares that with River's
// own job throughput on this machine.
//
// It starts a throwaway copy of the `make run` stack (bench/internal/stack:
// a private Postgres with fsync on, the embedded Temporal dev server, the
// real worker and the real API on a loopback port), writes an organization
// with an owner and -recipients members straight to the database, and as
// the owner creates a notification job through the API: audience
// ORGANIZATION_MEMBERS with role member, channel IN_APP only. The clock runs
// from that CreateNotificationJob call until GetNotificationJob (polled
// every 250 ms) reports the job COMPLETED: the NotificationJob workflow has
// paged the audience in (pages of -page-size recipients, about a second of
// pages per ResolvePages activity, each page inserting its items and
// enqueuing one River job for its in-app items in one transaction), River's
// notifications queue has run those jobs (each settles its page's items and
// writes their inbox rows with one COPY in one transaction), and the
// workflow has seen nothing pending and recorded the outcome. It then checks the database: N items, N sent, N
// inbox rows, no recipient twice.
//
// The ceiling, measured in the same run after the fan-out: one COPY of N
// inbox rows of the same shape into the same table. River's no-op job
// throughput (N no-op jobs inserted in batches of -page-size, worked with
// the notifications queue's MaxWorkers) is printed beside it: it bounds
// push, email and SMS, which stay one job per item.
//
// Everything shares one machine's CPU: Postgres, Temporal, the worker, the
// API and the benchmark.
//
// Usage:
//
//	go run ./bench/fanout -recipients 100000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/internal/app"
)

// options are the benchmark's command-line flags.
type options struct {
	// recipients is how many members the organization has.
	recipients int
	// pageSize is the worker's NotificationPageSize, also the no-op
	// insert batch.
	pageSize int
	// timeout bounds each of the two measurements.
	timeout time.Duration
	// skipCeiling skips the River no-op run.
	skipCeiling bool
	// cpuProfile, when set, is where a CPU profile of the fan-out (this
	// process: API, worker, embedded Temporal; not Postgres) is written.
	cpuProfile string
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("fanout", flag.ContinueOnError)
	fs.IntVar(&o.recipients, "recipients", 100000, "members of the organization, each getting one in-app notification")
	fs.IntVar(&o.pageSize, "page-size", 2500, "recipients per page and transaction (worker NotificationPageSize); also the no-op insert batch")
	fs.DurationVar(&o.timeout, "timeout", 15*time.Minute, "give up on the fan-out (and on the no-op run) after this long")
	fs.BoolVar(&o.skipCeiling, "skip-river", false, "skip the River no-op throughput run")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the fan-out (API, worker, Temporal; not Postgres) to this file")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	return o, o.validate()
}

func (o options) validate() error {
	switch {
	case o.recipients < 1 || o.recipients > 1000000:
		return fmt.Errorf("-recipients must be between 1 and 1000000, got %d", o.recipients)
	case o.pageSize < 1 || o.pageSize > 10000:
		return fmt.Errorf("-page-size must be between 1 and 10000, got %d", o.pageSize)
	case o.timeout <= 0:
		return fmt.Errorf("-timeout must be positive, got %s", o.timeout)
	}
	return nil
}

func main() { stack.Main("fanout", parseOptions, run) }

// run starts the stack, measures, prints the report and tears the stack
// down whatever happens.
func run(ctx context.Context, o options) error {
	progress("starting Postgres, Temporal, the worker and the API in a temp dir")
	opts := stack.Options{App: func(a *app.Options) {
		// Push, email and Telegram go to the dev sandboxes (unused by an
		// in-app job, but configured as under `make run`); no channel is
		// rate limited.
		a.Config.NotifyRateLimits = nil
		a.NotificationPageSize = o.pageSize
	}}
	return stack.Run(ctx, opts, func(ctx context.Context, s *stack.Stack) ([]string, error) {
		var r results
		stopProfile, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return nil, err
		}
		r.fanout, err = fanOut(ctx, s, o)
		if err = errors.Join(err, stopProfile()); err != nil {
			return nil, err
		}
		progress("COPY ceiling: %d inbox rows in one COPY", o.recipients)
		if r.copySeconds, err = copyCeiling(ctx, s, o.recipients); err != nil {
			return nil, err
		}
		if !o.skipCeiling {
			progress("River ceiling: %d no-op jobs, %d workers", o.recipients, noopMaxWorkers)
			if r.noopPerSec, err = riverCeiling(ctx, s, o); err != nil {
				return nil, err
			}
		}
		printReport(os.Stdout, o, r)
		return r.fanout.failures, nil
	})
}

// results are everything the report shows.
type results struct {
	fanout fanoutResult
	// noopPerSec is River's no-op jobs completed per second; 0 when skipped.
	noopPerSec float64
	// copySeconds is one COPY of as many inbox rows of the fan-out's shape.
	copySeconds float64
}

// startCPUProfile profiles this process into path until the returned stop
// is called; an empty path profiles nothing.
func startCPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, errors.Join(fmt.Errorf("start cpu profile: %w", err), f.Close())
	}
	return func() error { pprof.StopCPUProfile(); return f.Close() }, nil
}

// progress tells the person waiting what is happening, on stderr so stdout
// holds only the report.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "fanout: "+format+"\n", args...)
}
