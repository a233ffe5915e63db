package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"connectrpc.com/connect"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
)

func TestCreateNotificationJob_TemplateVariablesAreBounded(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	o := newJobOrg(t, a)
	orgID := o.org.GetId()
	audits := auditCount(t, a)

	withTemplates := func(title, body string, vars map[string]string) *notificationsv1.CreateNotificationJobRequest {
		req := jobRequest(orgID, membersOf(orgID))
		req.Title, req.Body, req.Variables = title, body, vars
		return req
	}
	manyVars := map[string]string{}
	for i := range 51 {
		manyVars[fmt.Sprintf("v%d", i)] = "x"
	}
	tests := []struct {
		name    string
		req     *notificationsv1.CreateNotificationJobRequest
		mention string
	}{
		{"a value longer than a body", withTemplates("t", "b", map[string]string{"v": strings.Repeat("x", 4001)}), "variables"},
		{"too many variables", withTemplates("t", "b", manyVars), "variables"},
		{"a key that is no identifier", withTemplates("t", "b", map[string]string{"a b": "x"}), "variables"},
		{"an empty key", withTemplates("t", "b", map[string]string{"": "x"}), "variables"},
		{"the reserved key name", withTemplates("t", "{{name}}", map[string]string{"name": "x"}), "variables"},
		{"a title too long once filled in", withTemplates("{{v}}", "b", map[string]string{"v": strings.Repeat("x", 201)}), "title"},
		{"a title too long with the longest name", withTemplates(strings.Repeat("t", 101)+"{{name}}", "b", nil), "title"},
		{"a body too long once filled in", withTemplates("t", "{{v}}{{v}}", map[string]string{"v": strings.Repeat("x", 2001)}), "body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Notifications.CreateNotificationJob(ctx, testenv.As(o.owner, tc.req))
			testenv.RequireCode(t, err, connect.CodeInvalidArgument)
			assert.Contains(t, err.Error(), tc.mention)
		})
	}
	assert.Zero(t, countRows(t, a, (*db.NotificationJob)(nil), "TRUE"), "no refused request creates a job")
	assert.Equal(t, audits, auditCount(t, a), "nor an audit row")

	// Exactly at the limits, counted in characters, not bytes.
	fits := withTemplates(strings.Repeat("é", 100)+"{{name}}", "{{v}}", map[string]string{"v": strings.Repeat("é", 4000)})
	_, err := a.Notifications.CreateNotificationJob(ctx, testenv.As(o.owner, fits))
	require.NoError(t, err)
}
