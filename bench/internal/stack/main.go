package stack

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// CPUProfileEnv names the variable that makes a benchmark write a CPU
// profile of its whole process (API, worker, embedded Temporal, load
// generator) to the file it names, for `go tool pprof`.
const CPUProfileEnv = "CONVENE_BENCH_CPUPROFILE"

// ErrCheckFailed means a benchmark finished but its outcome is wrong (a
// count, a duplicate, an oversold seat); the report printed the FAIL lines.
var ErrCheckFailed = errors.New("correctness check failed: see the FAIL lines above")

// Run starts a stack with o, hands it to measure, which prints its report
// and returns the checks that failed, and tears the stack down whatever
// happens: ErrCheckFailed when a check failed.
func Run(ctx context.Context, o Options, measure func(context.Context, *Stack) (failures []string, err error)) (err error) {
	s, err := Start(ctx, o)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	failures, err := measure(ctx, s)
	if err != nil {
		return err
	}
	if len(failures) > 0 {
		return ErrCheckFailed
	}
	return nil
}

// Main runs a benchmark command: it parses the flags (exit 2 when they are
// wrong), runs the benchmark under a context that Ctrl-C or SIGTERM cancels,
// and exits 1 when it fails, so every benchmark behaves the same.
func Main[O any](name string, parse func([]string) (O, error), run func(context.Context, O) error) {
	o, err := parse(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopProfile, err := startCPUProfile(os.Getenv(CPUProfileEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
	err = run(ctx, o)
	stopProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		stop()
		os.Exit(1)
	}
}

// startCPUProfile profiles the process into path until the returned stop
// is called; with path "" it does nothing.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start CPU profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
