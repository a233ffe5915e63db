package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/convene/convene/internal/metrics"
)

const (
	pingProcedure   = "/convene.test.v1.TestService/Ping"
	failProcedure   = "/convene.test.v1.TestService/Fail"
	streamProcedure = "/convene.test.v1.TestService/Stream"
)

// scrape serves reg's /metrics once and returns the text exposition.
func scrape(t *testing.T, reg *metrics.Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	reg.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	return rec.Body.String()
}

// requireLines asserts that every line appears verbatim in the exposition.
func requireLines(t *testing.T, exposition string, lines ...string) {
	t.Helper()
	for _, line := range lines {
		require.Contains(t, exposition, line+"\n")
	}
}

func TestNew_ExposesRuntimeCollectors(t *testing.T) {
	t.Parallel()

	out := scrape(t, metrics.New())
	require.Contains(t, out, "go_goroutines ")
	require.Contains(t, out, "process_start_time_seconds ")
	require.NotNil(t, metrics.New().Prometheus())
}

// connectBundle is a Connect server whose handlers run through the
// interceptor, and clients that carry it too (the client side must not count).
type connectBundle struct {
	reg    *metrics.Registry
	ping   *connect.Client[emptypb.Empty, emptypb.Empty]
	fail   *connect.Client[emptypb.Empty, emptypb.Empty]
	stream *connect.Client[emptypb.Empty, emptypb.Empty]
}

func setupConnect(t *testing.T) *connectBundle {
	t.Helper()
	reg := metrics.New()
	interceptors := connect.WithInterceptors(reg.ConnectInterceptor())

	mux := http.NewServeMux()
	mux.Handle(pingProcedure, connect.NewUnaryHandler(pingProcedure,
		func(context.Context, *connect.Request[emptypb.Empty]) (*connect.Response[emptypb.Empty], error) {
			return connect.NewResponse(&emptypb.Empty{}), nil
		}, interceptors))
	mux.Handle(failProcedure, connect.NewUnaryHandler(failProcedure,
		func(context.Context, *connect.Request[emptypb.Empty]) (*connect.Response[emptypb.Empty], error) {
			return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("event is sold out"))
		}, interceptors))
	mux.Handle(streamProcedure, connect.NewServerStreamHandler(streamProcedure,
		func(_ context.Context, _ *connect.Request[emptypb.Empty], stream *connect.ServerStream[emptypb.Empty]) error {
			for range 3 {
				if err := stream.Send(&emptypb.Empty{}); err != nil {
					return fmt.Errorf("send: %w", err)
				}
			}
			return nil
		}, interceptors))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	newClient := func(procedure string) *connect.Client[emptypb.Empty, emptypb.Empty] {
		return connect.NewClient[emptypb.Empty, emptypb.Empty](srv.Client(), srv.URL+procedure, interceptors)
	}
	return &connectBundle{reg: reg, ping: newClient(pingProcedure), fail: newClient(failProcedure), stream: newClient(streamProcedure)}
}

func TestConnectInterceptor_CountsUnaryByCode(t *testing.T) {
	t.Parallel()
	b := setupConnect(t)
	ctx := t.Context()

	_, err := b.ping.CallUnary(ctx, connect.NewRequest(&emptypb.Empty{}))
	require.NoError(t, err)
	_, err = b.fail.CallUnary(ctx, connect.NewRequest(&emptypb.Empty{}))
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err))

	requireLines(t, scrape(t, b.reg),
		`convene_rpc_requests_total{code="ok",procedure="`+pingProcedure+`"} 1`,
		`convene_rpc_requests_total{code="failed_precondition",procedure="`+failProcedure+`"} 1`,
		`convene_rpc_duration_seconds_count{procedure="`+pingProcedure+`"} 1`,
		`convene_rpc_duration_seconds_count{procedure="`+failProcedure+`"} 1`,
	)
}

func TestConnectInterceptor_CountsStreamOnce(t *testing.T) {
	t.Parallel()
	b := setupConnect(t)

	stream, err := b.stream.CallServerStream(t.Context(), connect.NewRequest(&emptypb.Empty{}))
	require.NoError(t, err)
	received := 0
	for stream.Receive() {
		received++
	}
	require.NoError(t, stream.Err())
	require.NoError(t, stream.Close())
	require.Equal(t, 3, received)

	requireLines(t, scrape(t, b.reg),
		`convene_rpc_requests_total{code="ok",procedure="`+streamProcedure+`"} 1`,
		`convene_rpc_duration_seconds_count{procedure="`+streamProcedure+`"} 1`,
	)
}

func TestTemporalHandler_ExportsSDKMetrics(t *testing.T) {
	t.Parallel()
	reg := metrics.New()
	root := reg.TemporalHandler()
	client := root.WithTags(map[string]string{"namespace": "default", "client_name": "temporal_go"})
	worker := client.WithTags(map[string]string{"task_queue": "ticketing", "worker_type": ""})

	// One SDK name with two tag sets: both series survive under one family.
	client.Counter("temporal_request").Inc(2)
	worker.Counter("temporal_request").Inc(1)
	worker.Counter("temporal_request").Inc(-5) // ignored: counters only go up
	worker.Timer("temporal_request_latency").Record(1500 * time.Millisecond)
	worker.Gauge("temporal_num_pollers").Update(2)
	worker.Gauge("temporal_num_pollers").Update(3)
	// Later tags override earlier ones.
	client.WithTags(map[string]string{"namespace": "tenant-b"}).Counter("temporal_worker_start").Inc(1)

	requireLines(t, scrape(t, reg),
		`temporal_request_total{client_name="temporal_go",namespace="default"} 2`,
		`temporal_request_total{client_name="temporal_go",namespace="default",task_queue="ticketing"} 1`,
		`temporal_request_latency_seconds_sum{client_name="temporal_go",namespace="default",task_queue="ticketing"} 1.5`,
		`temporal_request_latency_seconds_count{client_name="temporal_go",namespace="default",task_queue="ticketing"} 1`,
		`temporal_num_pollers{client_name="temporal_go",namespace="default",task_queue="ticketing"} 3`,
		`temporal_worker_start_total{client_name="temporal_go",namespace="tenant-b"} 1`,
	)
}

func TestTemporalHandler_Conflicts(t *testing.T) {
	t.Parallel()
	reg := metrics.New()
	h := reg.TemporalHandler()

	// A counter "x" and a gauge "x_total" both want temporal_x_total: the
	// second type gets its type appended instead of breaking the scrape.
	h.Counter("x").Inc(1)
	h.Gauge("x_total").Update(4)
	// Tag keys that are not valid or are reserved label names are renamed
	// rather than panicking (le is the histogram bucket label).
	tagged := h.WithTags(map[string]string{"le": "a", "task-queue": "q", "__meta": "m", "9lives": "n"})
	tagged.Timer("rename").Record(time.Second)
	// SDK names without the prefix get it.
	h.Counter("custom.metric").Inc(7)

	requireLines(t, scrape(t, reg),
		`temporal_x_total 1`,
		`temporal_x_total_gauge 4`,
		`temporal_rename_seconds_count{meta="m",tag_9lives="n",tag_le="a",task_queue="q"} 1`,
		`temporal_custom_metric_total 7`,
	)
}

func TestTemporalHandler_Concurrent(t *testing.T) {
	t.Parallel()
	reg := metrics.New()
	h := reg.TemporalHandler()

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			tagged := h.WithTags(map[string]string{"task_queue": fmt.Sprintf("q%d", i%2)})
			for range 100 {
				tagged.Counter("temporal_request").Inc(1)
				tagged.Timer("temporal_request_latency").Record(time.Millisecond)
			}
		})
		wg.Go(func() {
			_, err := reg.Prometheus().Gather() // assert, not require: off the test goroutine
			assert.NoError(t, err)
		})
	}
	wg.Wait()

	requireLines(t, scrape(t, reg),
		`temporal_request_total{task_queue="q0"} 400`,
		`temporal_request_total{task_queue="q1"} 400`,
	)
}

func TestRiverMiddleware_RecordsOutcome(t *testing.T) {
	t.Parallel()

	jobErr := errors.New("smtp: connection refused")
	tests := []struct {
		name    string
		err     error
		outcome string
	}{
		{name: "Completed", err: nil, outcome: "completed"},
		{name: "Failed", err: jobErr, outcome: "failed"},
		{name: "Cancelled", err: river.JobCancel(jobErr), outcome: "cancelled"},
		{name: "CancelledWrapped", err: fmt.Errorf("send receipt: %w", river.JobCancel(jobErr)), outcome: "cancelled"},
		{name: "Snoozed", err: river.JobSnooze(time.Minute), outcome: "snoozed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := metrics.New()
			job := &rivertype.JobRow{ID: 1, Kind: "send_receipt"}

			err := reg.RiverMiddleware().Work(t.Context(), job, func(context.Context) error { return tt.err })
			require.Equal(t, tt.err, err)

			requireLines(t, scrape(t, reg),
				`convene_river_jobs_total{kind="send_receipt",outcome="`+tt.outcome+`"} 1`,
				`convene_river_job_duration_seconds_count{kind="send_receipt"} 1`,
			)
		})
	}
}

func TestRiverMiddleware_PanicCountsAsFailed(t *testing.T) {
	t.Parallel()
	reg := metrics.New()
	job := &rivertype.JobRow{ID: 1, Kind: "send_receipt"}

	require.PanicsWithValue(t, "boom", func() {
		_ = reg.RiverMiddleware().Work(t.Context(), job, func(context.Context) error { panic("boom") })
	})

	requireLines(t, scrape(t, reg), `convene_river_jobs_total{kind="send_receipt",outcome="failed"} 1`)
}
