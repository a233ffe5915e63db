package rpc

import (
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/workflows"
)

// refusalCodes maps each workflow refusal type (workflows.ErrType*) to the
// Connect code it means. It is read-only.
var refusalCodes = map[string]connect.Code{
	workflows.ErrTypeNotAllowed: connect.CodePermissionDenied,
	workflows.ErrTypeWrongState: connect.CodeFailedPrecondition,
	workflows.ErrTypeConflict:   connect.CodeAborted,
	workflows.ErrTypeExhausted:  connect.CodeResourceExhausted,
}

// UpdateError turns the error of a workflow update into what the caller
// sees: a refusal becomes the Connect code of its type with the workflow's
// message; a workflow that has closed answers closedMsg as
// FailedPrecondition; anything else is an internal failure naming what was
// updated. It returns nil for nil.
func UpdateError(err error, closedMsg, what string) error {
	if err == nil {
		return nil
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return connect.NewError(connect.CodeFailedPrecondition, errors.New(closedMsg))
	}
	if refusal, code := refusalIn(err); refusal != nil {
		return connect.NewError(code, errors.New(refusal.Message()))
	}
	return fmt.Errorf("update %s: %w", what, err)
}

// refusalIn is the first refusal in err's chain with its code: a handler
// that wraps an activity's business refusal ("reassign buddy: %w") reaches
// the client as an application error of another type whose cause chain
// holds the refusal.
func refusalIn(err error) (*temporal.ApplicationError, connect.Code) {
	for ; err != nil; err = errors.Unwrap(err) {
		if appErr, ok := err.(*temporal.ApplicationError); ok {
			if code, known := refusalCodes[appErr.Type()]; known {
				return appErr, code
			}
		}
	}
	return nil, 0
}
