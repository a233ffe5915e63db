package api_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/convene/convene/internal/testenv"
)

// recordHistoryEnv names the variable that makes recordHistory write files:
// CONVENE_RECORD_HISTORIES=1 go test -run TestX ./api/ records the runs a
// test marks into workflows/testdata, where workflows/replay_test.go replays
// them against every later version of the workflow code.
const recordHistoryEnv = "CONVENE_RECORD_HISTORIES"

// recordHistory waits for the workflow to close and, when recording is on,
// writes its history as workflows/testdata/<name>.json.
func recordHistory(t *testing.T, a *testenv.API, workflowID, name string) {
	t.Helper()
	if os.Getenv(recordHistoryEnv) == "" {
		return
	}
	ctx := context.Background()
	require.NoError(t, a.Temporal.GetWorkflow(ctx, workflowID, "").Get(ctx, nil))
	history := &historypb.History{}
	it := a.Temporal.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		history.Events = append(history.Events, ev)
	}
	out, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(history)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join("..", "workflows", "testdata", name+".json"), append(out, '\n'), 0o644))
}
