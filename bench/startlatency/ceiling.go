package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const (
	// ceilingTaskQueue is polled only by the benchmark's own worker.
	ceilingTaskQueue = "bench-start-ceiling"
	// ceilingWorkflowName is the ceiling's workflow type.
	ceilingWorkflowName = "BenchWaitADay"
)

// waitADay does what a scheduled notification job does after its start:
// it waits on a timer past the end of the run.
func waitADay(ctx workflow.Context) error {
	return workflow.Sleep(ctx, scheduleAhead)
}

// startCeiling times calls bare StartWorkflow calls on the stack's
// Temporal, concurrency at a time, each starting a workflow that waits on
// a timer: the start without the API, its transaction or its River job.
func startCeiling(ctx context.Context, c client.Client, calls, concurrency int) ([]time.Duration, error) {
	w := worker.New(c, ceilingTaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(waitADay, workflow.RegisterOptions{Name: ceilingWorkflowName})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start the ceiling worker: %w", err)
	}
	defer w.Stop()
	latencies := make([]time.Duration, calls)
	errs := make([]error, calls)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(concurrency, calls) {
		wg.Go(func() {
			for i := range next {
				latencies[i], errs[i] = startOne(ctx, c, i)
			}
		})
	}
	for i := range calls {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(latencies)
	return latencies, nil
}

// startOne starts the i-th ceiling workflow and returns how long the start took.
func startOne(ctx context.Context, c client.Client, i int) (time.Duration, error) {
	start := time.Now()
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: fmt.Sprintf("bench-start-ceiling-%d", i), TaskQueue: ceilingTaskQueue,
	}, ceilingWorkflowName); err != nil {
		return 0, fmt.Errorf("start ceiling workflow %d: %w", i, err)
	}
	return time.Since(start), nil
}
