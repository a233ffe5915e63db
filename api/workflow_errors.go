package api

import (
	"errors"
	"fmt"
	"strings"

	"connectrpc.com/connect"
	"go.temporal.io/api/serviceerror"
)

// updateError turns a refused workflow update into the Connect code it
// means. Update validators prefix their refusals with "permission denied: "
// or "failed precondition: " (see workflows); a workflow that has closed
// answers closedMsg as FailedPrecondition; anything else is an internal
// failure naming what was updated.
func updateError(err error, closedMsg, what string) error {
	if err == nil {
		return nil
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return connect.NewError(connect.CodeFailedPrecondition, errors.New(closedMsg))
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "permission denied: "):
		return connect.NewError(connect.CodePermissionDenied, errors.New(after(msg, "permission denied: ")))
	case strings.Contains(msg, "failed precondition: "):
		return connect.NewError(connect.CodeFailedPrecondition, errors.New(after(msg, "failed precondition: ")))
	}
	return fmt.Errorf("update %s: %w", what, err)
}

// after is the text following marker, without Temporal's trailing
// "(type: …)" detail.
func after(s, marker string) string {
	_, rest, _ := strings.Cut(s, marker)
	if i := strings.Index(rest, " ("); i > 0 {
		rest = rest[:i]
	}
	return rest
}
