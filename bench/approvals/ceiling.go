package main

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const (
	// ceilingTaskQueue is polled only by the benchmark's own worker.
	ceilingTaskQueue = "bench-update-ceiling"
	// ceilingWorkflowName is the trivial workflow's registered type.
	ceilingWorkflowName = "BenchUpdateTarget"
	// ceilingUpdate is its one Update: count and return.
	ceilingUpdate = "bump"
	// ceilingDone is the signal that ends it.
	ceilingDone = "done"
)

// updateTarget is the least a workflow taking Updates can be: it counts
// each Update and returns, until told it is done. Its rate is what the
// Temporal server itself allows for Updates on this machine.
func updateTarget(ctx workflow.Context) (int, error) {
	n := 0
	if err := workflow.SetUpdateHandler(ctx, ceilingUpdate, func(workflow.Context) (int, error) { n++; return n, nil }); err != nil {
		return 0, err
	}
	workflow.GetSignalChannel(ctx, ceilingDone).Receive(ctx, nil)
	return n, workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// updateCeiling sends n trivial Updates, inFlight at a time, spread over
// inFlight target workflows (one Update at a time each, as votes on one
// content are), and returns the completed Updates per second.
func updateCeiling(ctx context.Context, c client.Client, n, inFlight int) (float64, error) {
	w := worker.New(c, ceilingTaskQueue, worker.Options{MaxConcurrentWorkflowTaskPollers: 8})
	w.RegisterWorkflowWithOptions(updateTarget, workflow.RegisterOptions{Name: ceilingWorkflowName})
	if err := w.Start(); err != nil {
		return 0, fmt.Errorf("start the ceiling worker: %w", err)
	}
	defer w.Stop()
	targets := make([]string, min(inFlight, n))
	for i := range targets {
		targets[i] = fmt.Sprintf("bench-update-target-%d-%d", time.Now().UnixNano(), i)
		if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: targets[i], TaskQueue: ceilingTaskQueue}, ceilingWorkflowName); err != nil {
			return 0, fmt.Errorf("start update target: %w", err)
		}
	}
	defer func() {
		for _, id := range targets {
			_ = c.SignalWorkflow(context.WithoutCancel(ctx), id, "", ceilingDone, nil)
		}
	}()
	start := time.Now()
	err := forEach(len(targets), len(targets), func(t int) error {
		for i := t; i < n; i += len(targets) {
			h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: targets[t], UpdateName: ceilingUpdate,
				WaitForStage: client.WorkflowUpdateStageCompleted})
			if err == nil {
				err = h.Get(ctx, nil)
			}
			if err != nil {
				return fmt.Errorf("trivial update: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
