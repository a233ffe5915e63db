// Package workflows holds Convene's durable processes. Each workflow has its
// contract (ID helpers, update/signal/query names, input and state types,
// status constants), imported by api/ and worker/: at the top of its file,
// or in its own <workflow>_contract.go when the workflow is long. What all
// workflows share (search attributes, refusal types, activity options, the
// workflow-ID helper pair) is in this file. Workflow code is deterministic
// and does all I/O through activities; it never imports db (closed
// vocabularies come from db/enums).
package workflows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Typed search attributes every Convene workflow keeps current, so
// operators can filter runs in the Temporal UI.
var (
	SearchOrgID   = temporal.NewSearchAttributeKeyKeyword("ConveneOrgId")
	SearchEventID = temporal.NewSearchAttributeKeyKeyword("ConveneEventId")
	SearchUserID  = temporal.NewSearchAttributeKeyKeyword("ConveneUserId")
	SearchStatus  = temporal.NewSearchAttributeKeyKeyword("ConveneStatus")
)

// QueryState is the query every Convene workflow answers with its state.
const QueryState = "state"

// Refusal types: every Update validator refuses with a Temporal application
// error of one of these types, and the API maps each type to a Connect code
// in one table (api/rpc). Messages are for people; callers branch on types.
const (
	// ErrTypeNotAllowed: the caller may not take this step (PermissionDenied).
	ErrTypeNotAllowed = "ConveneNotAllowed"
	// ErrTypeWrongState: the step does not fit the workflow's current state,
	// including a workflow still registering (FailedPrecondition).
	ErrTypeWrongState = "ConveneWrongState"
	// ErrTypeConflict: the step was based on something that changed since,
	// e.g. an edit of a version that is no longer current (Aborted).
	ErrTypeConflict = "ConveneConflict"
	// ErrTypeExhausted: a limit is reached, e.g. a quest with no place
	// left (ResourceExhausted).
	ErrTypeExhausted = "ConveneExhausted"
)

// refuseNotAllowed is a validator refusal for a caller who may not act.
func refuseNotAllowed(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrTypeNotAllowed, nil)
}

// refuseWrongState is a validator refusal for a step the state does not allow.
func refuseWrongState(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrTypeWrongState, nil)
}

// refuseConflict is a refusal of a step based on stale data.
func refuseConflict(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrTypeConflict, nil)
}

// Activity defaults: every activity, regular or local, gets the same
// start-to-close timeout and retry policy, so a change to either is made here.
const (
	activityTimeout      = 30 * time.Second
	retryInitialInterval = time.Second
	retryBackoff         = 2
	retryMaximumInterval = time.Minute
)

// activityRetryPolicy retries with backoff until the activity succeeds,
// except for the business errors each activity marks non-retryable.
func activityRetryPolicy() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:    retryInitialInterval,
		BackoffCoefficient: retryBackoff,
		MaximumInterval:    retryMaximumInterval,
	}
}

// activityOptions is the default for short database and provider calls.
func activityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: activityTimeout,
		RetryPolicy:         activityRetryPolicy(),
	})
}

// localActivityOptions is activityOptions for local activities.
func localActivityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: activityTimeout,
		RetryPolicy:         activityRetryPolicy(),
	})
}

// workflowID is the ID of the workflow of kind prefix (e.g. "ticket-order/")
// for one business ID: every Convene workflow ID is built here.
func workflowID(prefix, businessID string) string { return prefix + businessID }

// businessIDOf inverts workflowID: the business ID in id, or an error if
// id is not a workflow ID of that kind.
func businessIDOf(prefix, id string) (string, error) {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || rest == "" {
		return "", fmt.Errorf("%q is not a workflow id of the form %s<id>", id, prefix)
	}
	return rest, nil
}

// startOnce starts a workflow whose ID is its business ID, so starting it
// again is harmless: WorkflowIDConflictPolicy USE_EXISTING joins a running
// run, and a closed run that opts' reuse policy refuses to repeat answers
// WorkflowExecutionAlreadyStarted, which counts as started. The API's fast
// path after commit and the River job written in the same transaction
// (package jobs/workflowstart) both start through here, so whichever comes second is a
// no-op.
func startOnce(ctx context.Context, c client.Client, opts client.StartWorkflowOptions, name string, in any) error {
	opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	_, err := c.ExecuteWorkflow(ctx, opts, name, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start %s %s: %w", name, opts.ID, err)
	}
	return nil
}
