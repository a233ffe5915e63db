package api

import (
	"context"
	"errors"

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
// SkipDirectOrderStarts: a ticket order's update-with-start fails, as if
// the process died right after committing an invite's use.
type noOrderStarts struct{ client.Client }

// UpdateWithStartWorkflow fails without starting anything.
func (noOrderStarts) UpdateWithStartWorkflow(context.Context, client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return nil, errors.New("direct order start skipped (SkipDirectOrderStarts)")
}
