package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/workflows"
)

// TestWorkflowIDs_RoundTrip checks every workflow's ID helper pair: the
// business ID comes back out, and an ID of another kind (or without a
// business ID) is refused.
func TestWorkflowIDs_RoundTrip(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		id     func(string) string
		parse  func(string) (string, error)
		prefix string
	}{
		{"ticket order", workflows.TicketOrderWorkflowID, workflows.RequestIDFromTicketOrderWorkflowID, "ticket-order/"},
		{"notification job", workflows.NotificationJobWorkflowID, workflows.JobIDFromNotificationJobWorkflowID, "notification-job/"},
		{"event cancellation", workflows.EventCancellationWorkflowID, workflows.EventIDFromCancellationWorkflowID, "event-cancellation/"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			id := c.id("0193a6f0-7c1e-7000-8000-000000000001")
			assert.Equal(t, c.prefix+"0193a6f0-7c1e-7000-8000-000000000001", id)
			business, err := c.parse(id)
			require.NoError(t, err)
			assert.Equal(t, "0193a6f0-7c1e-7000-8000-000000000001", business)
			_, err = c.parse("content-approval/abc")
			require.Error(t, err, "another kind's id")
			_, err = c.parse(c.prefix)
			require.Error(t, err, "no business id")
		})
	}
}
