package devstack

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func TestTemporalDevServerPersistsAcrossRestarts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	port, err := temporalFreePort("127.0.0.1")
	require.NoError(t, err)
	uiPort, err := temporalFreePort("127.0.0.1")
	require.NoError(t, err)
	var records, belowWarn atomic.Int64
	logger := slog.New(temporalCountingHandler{
		Handler:   slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}),
		records:   &records,
		belowWarn: &belowWarn,
	})
	opts := TemporalOptions{
		DBFile:           filepath.Join(t.TempDir(), "data", "temporal.db"),
		Port:             port,
		UIPort:           uiPort,
		Namespace:        "convene-test",
		SearchAttributes: ConveneSearchAttributes(),
		Logger:           logger,
	}

	// Cold start: new file, schema, namespace, search attributes, UI.
	began := time.Now()
	srv, err := StartTemporal(ctx, opts)
	require.NoError(t, err)
	t.Logf("cold start: %v", time.Since(began))
	t.Cleanup(func() { _ = srv.Stop() })

	require.Equal(t, "127.0.0.1:"+strconv.Itoa(port), srv.FrontendAddress())
	require.Equal(t, "http://127.0.0.1:"+strconv.Itoa(uiPort), srv.UIAddress())
	requireTemporalNamespace(ctx, t, srv.FrontendAddress(), opts.Namespace, ConveneSearchAttributes())
	requireTemporalUI(ctx, t, srv.UIAddress(), opts.Namespace)
	require.NoError(t, srv.Stop())
	require.NoError(t, srv.Stop(), "Stop is idempotent")

	// Restart on the same file: namespace and attributes are still there.
	began = time.Now()
	srv, err = StartTemporal(ctx, opts)
	require.NoError(t, err)
	t.Logf("restart: %v", time.Since(began))
	requireTemporalNamespace(ctx, t, srv.FrontendAddress(), opts.Namespace, ConveneSearchAttributes())
	require.NoError(t, srv.Stop())

	// Restart with one more attribute: it is added through the
	// OperatorService and usable in queries when StartTemporal returns.
	want := ConveneSearchAttributes()
	want["ConveneTestScore"] = enumspb.INDEXED_VALUE_TYPE_INT
	opts.SearchAttributes = want
	opts.UIPort = -1
	began = time.Now()
	srv, err = StartTemporal(ctx, opts)
	require.NoError(t, err)
	t.Logf("restart adding a search attribute: %v", time.Since(began))
	require.Empty(t, srv.UIAddress())
	requireTemporalNamespace(ctx, t, srv.FrontendAddress(), opts.Namespace, want)
	require.NoError(t, srv.Stop())

	// The console stays quiet: no info or debug logs while running, nothing
	// from leftover connections after Stop.
	require.Zero(t, belowWarn.Load(), "server logs below warn reach the logger")
	logged := records.Load()
	time.Sleep(1500 * time.Millisecond)
	require.Equal(t, logged, records.Load(), "the server logs after Stop")
}

func requireTemporalNamespace(
	ctx context.Context, t *testing.T, addr, namespace string, want map[string]enumspb.IndexedValueType,
) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()

	ns, err := workflowservice.NewWorkflowServiceClient(conn).DescribeNamespace(ctx,
		&workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	require.NoError(t, err)
	require.Equal(t, 7*24*time.Hour, ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())

	attrs, err := operatorservice.NewOperatorServiceClient(conn).ListSearchAttributes(ctx,
		&operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	require.NoError(t, err)
	got := maps.Clone(attrs.GetCustomAttributes())
	for name := range got {
		if _, ok := want[name]; !ok {
			delete(got, name)
		}
	}
	require.Equal(t, want, got)

	// The attributes are usable in visibility queries.
	_, err = workflowservice.NewWorkflowServiceClient(conn).CountWorkflowExecutions(ctx,
		&workflowservice.CountWorkflowExecutionsRequest{
			Namespace: namespace,
			Query:     `ConveneOrgId = "org" AND ConveneStatus = "pending"`,
		})
	require.NoError(t, err)
}

func requireTemporalUI(ctx context.Context, t *testing.T, base, namespace string) {
	t.Helper()
	get := func(path string) (int, string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}

	status, body := get("/")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "<html")

	status, body = get("/api/v1/namespaces")
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, `"`+namespace+`"`)
}

// temporalCountingHandler counts the records it passes on.
type temporalCountingHandler struct {
	slog.Handler
	records, belowWarn *atomic.Int64
}

func (h temporalCountingHandler) Handle(ctx context.Context, r slog.Record) error {
	h.records.Add(1)
	if r.Level < slog.LevelWarn {
		h.belowWarn.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

func (h temporalCountingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return temporalCountingHandler{Handler: h.Handler.WithAttrs(attrs), records: h.records, belowWarn: h.belowWarn}
}

func (h temporalCountingHandler) WithGroup(name string) slog.Handler {
	return temporalCountingHandler{Handler: h.Handler.WithGroup(name), records: h.records, belowWarn: h.belowWarn}
}
