package api

import (
	"context"
	"errors"

	"github.com/convene/convene/workflows"
	"go.temporal.io/sdk/client"
)

// noDirectStarts is the Temporal client of an API built with
// SkipDirectWorkflowStarts: starting a workflow fails, as if the process
// died right after commit, so a test sees the workflow run only because
// the River job committed with the rows started it. Updates, signals and
// queries pass through.
type noDirectStarts struct{ client.Client }

// ExecuteWorkflow fails without starting anything.
func (noDirectStarts) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, errors.New("direct workflow start skipped (SkipDirectWorkflowStarts)")
}

// noOrderStarts is the Temporal client of an API built with
// SkipDirectOrderStarts: every start of a ticket order fails, as if the
// process died right after committing the order's admission.
type noOrderStarts struct{ client.Client }

// ExecuteWorkflow fails for a ticket order and passes others through.
func (c noOrderStarts) ExecuteWorkflow(ctx context.Context, opts client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	if wf == workflows.TicketOrderWorkflowName {
		return nil, errors.New("direct order start skipped (SkipDirectOrderStarts)")
	}
	return c.Client.ExecuteWorkflow(ctx, opts, wf, args...)
}

// UpdateWithStartWorkflow fails without starting anything.
func (noOrderStarts) UpdateWithStartWorkflow(context.Context, client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return nil, errors.New("direct order start skipped (SkipDirectOrderStarts)")
}
