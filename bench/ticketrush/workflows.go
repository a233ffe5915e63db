package main

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/workflows"
)

// visibilityWait bounds how long after the rush the benchmark waits for
// Temporal to start and list every order's workflow: the backlog drains
// at Temporal's pace, well behind the admissions.
const visibilityWait = 3 * time.Minute

// backlogResult is what Temporal says about the orders' workflows.
type backlogResult struct {
	// started is how many ticket-order workflows Temporal lists.
	started int64
	// drain is rush start → every buyer's workflow listed (and, as the
	// rush has ended, every request answered).
	drain time.Duration
}

// workflowsPerSecond is started workflows over the drain time.
func (b backlogResult) workflowsPerSecond() float64 {
	if b.drain <= 0 {
		return 0
	}
	return float64(b.started) / b.drain.Seconds()
}

// awaitBacklog polls Temporal's count of ticket-order workflows until it
// reaches want or visibilityWait passes, and times it from rushStart.
func awaitBacklog(ctx context.Context, c client.Client, want int64, rushStart time.Time) (backlogResult, error) {
	deadline := time.Now().Add(visibilityWait)
	query := fmt.Sprintf("WorkflowType = '%s'", workflows.TicketOrderWorkflowName)
	for {
		resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err != nil {
			return backlogResult{}, fmt.Errorf("count ticket-order workflows: %w", err)
		}
		r := backlogResult{started: resp.GetCount(), drain: time.Since(rushStart)}
		if r.started >= want || time.Now().After(deadline) {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
