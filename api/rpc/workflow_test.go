package rpc_test

import (
	"errors"
	"fmt"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/workflows"
)

// TestUpdateError_MapsRefusalsByTypeNotWording: the mapping holds whatever
// a refusal says, so a workflow may reword its messages freely.
func TestUpdateError_MapsRefusalsByTypeNotWording(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want connect.Code
	}{
		{"not allowed", temporal.NewApplicationError("any new wording", workflows.ErrTypeNotAllowed), connect.CodePermissionDenied},
		{"wrong state", temporal.NewApplicationError("entirely different words", workflows.ErrTypeWrongState), connect.CodeFailedPrecondition},
		{"non-retryable", temporal.NewNonRetryableApplicationError("no", workflows.ErrTypeNotAllowed, nil), connect.CodePermissionDenied},
		{"wrapped", fmt.Errorf("update failed: %w", temporal.NewApplicationError("later", workflows.ErrTypeWrongState)), connect.CodeFailedPrecondition},
		{"an activity's refusal a handler wrapped", temporal.NewApplicationErrorWithCause("reassign buddy: activity error", "wrapError",
			temporal.NewNonRetryableApplicationError("not eligible", workflows.ErrTypeWrongState, nil)), connect.CodeFailedPrecondition},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := rpc.UpdateError(tc.err, "closed", "thing")
			var cerr *connect.Error
			require.ErrorAs(t, err, &cerr)
			assert.Equal(t, tc.want, cerr.Code())
			assert.Contains(t, tc.err.Error(), cerr.Message(), "the workflow's message reaches the caller")
		})
	}
}

func TestUpdateError_ClosedWorkflowAndOtherFailures(t *testing.T) {
	t.Parallel()
	assert.NoError(t, rpc.UpdateError(nil, "closed", "thing"))

	closed := rpc.UpdateError(serviceerror.NewNotFound("workflow not found"), "this request is closed", "thing")
	assert.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(closed))
	assert.Contains(t, closed.Error(), "this request is closed")

	for _, err := range []error{
		temporal.NewApplicationError("a message that looks like a refusal", "SomeOtherType"),
		errors.New("connection reset"),
	} {
		got := rpc.UpdateError(err, "closed", "ticket order")
		var cerr *connect.Error
		assert.False(t, errors.As(got, &cerr), "not a refusal: left for the log interceptor to report as internal")
		assert.ErrorIs(t, got, err)
		assert.Contains(t, got.Error(), "update ticket order")
	}
}
