// Package workflows holds Convene's durable processes. Each workflow has its
// contract (ID helpers, update/signal/query names, input and state types) at
// the top of its file, imported by api/ and worker/; the code below it is
// deterministic and does all I/O through activities.
package workflows

import (
	"time"

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

// activityOptions is the default for short database and provider calls:
// retried with backoff until they succeed, except for the business errors
// each activity marks non-retryable.
func activityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}
