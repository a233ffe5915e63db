package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const (
	// ceilingTaskQueue is polled only by the benchmark's own worker, so the
	// trivial workflow never mixes with the orders' task queue.
	ceilingTaskQueue = "bench-temporal-ceiling"
	// ceilingWorkflowName is the trivial workflow's registered type.
	ceilingWorkflowName = "BenchTrivial"
	// ceilingActivityName is its one local activity.
	ceilingActivityName = "BenchNoop"
)

// trivialWorkflow is the least a workflow can do and still be one: start,
// run one local activity, complete. Its rate is what the Temporal server
// itself allows on this machine, the bound for any design that runs a
// workflow per order.
func trivialWorkflow(ctx workflow.Context) error {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
	return workflow.ExecuteLocalActivity(ctx, ceilingActivityName).Get(ctx, nil)
}

// noop is the trivial workflow's local activity.
func noop(context.Context) error { return nil }

// temporalCeiling runs n trivial workflows, inFlight at a time, on the
// stack's Temporal through a bench-only worker, and returns the completed
// workflows per second (start → result).
func temporalCeiling(ctx context.Context, c client.Client, n, inFlight int) (float64, error) {
	w := worker.New(c, ceilingTaskQueue, worker.Options{MaxConcurrentWorkflowTaskPollers: 4})
	w.RegisterWorkflowWithOptions(trivialWorkflow, workflow.RegisterOptions{Name: ceilingWorkflowName})
	w.RegisterActivityWithOptions(noop, activity.RegisterOptions{Name: ceilingActivityName})
	if err := w.Start(); err != nil {
		return 0, fmt.Errorf("start the ceiling worker: %w", err)
	}
	defer w.Stop()
	next := make(chan int)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for range min(inFlight, n) {
		wg.Go(func() {
			for i := range next {
				errs[i] = runTrivial(ctx, c, i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return float64(n) / elapsed.Seconds(), nil
}

// runTrivial starts one trivial workflow and waits for it to complete.
func runTrivial(ctx context.Context, c client.Client, i int) error {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: fmt.Sprintf("bench-trivial-%d-%d", time.Now().UnixNano(), i), TaskQueue: ceilingTaskQueue,
	}, ceilingWorkflowName)
	if err != nil {
		return fmt.Errorf("start trivial workflow %d: %w", i, err)
	}
	if err := run.Get(ctx, nil); err != nil {
		return fmt.Errorf("trivial workflow %d: %w", i, err)
	}
	return nil
}
