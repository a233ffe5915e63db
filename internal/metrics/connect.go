package metrics

import (
	"context"
	"time"

	"connectrpc.com/connect"
	"github.com/prometheus/client_golang/prometheus"
)

// codeOK is the code label of an RPC that returned no error. Connect has no
// "ok" code of its own (connect.Code's zero value is not a valid code).
const codeOK = "ok"

// rpcMetrics holds the handler-side Connect RPC metrics. The procedure label
// is bounded: Connect only runs interceptors for registered procedures.
type rpcMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newRPCMetrics() *rpcMetrics {
	return &rpcMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "rpc_requests_total",
			Help:      "Connect RPCs handled, by procedure and Connect code (\"ok\" on success).",
		}, []string{"procedure", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace,
			Name:      "rpc_duration_seconds",
			Help:      "Time spent handling Connect RPCs, by procedure; streams until the handler returns.",
			Buckets:   prometheus.DefBuckets,
		}, []string{"procedure"}),
	}
}

// Describe implements prometheus.Collector.
func (m *rpcMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.requests.Describe(ch)
	m.duration.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *rpcMetrics) Collect(ch chan<- prometheus.Metric) {
	m.requests.Collect(ch)
	m.duration.Collect(ch)
}

// observe records one finished RPC.
func (m *rpcMetrics) observe(procedure string, start time.Time, err error) {
	m.requests.WithLabelValues(procedure, rpcCode(err)).Inc()
	m.duration.WithLabelValues(procedure).Observe(time.Since(start).Seconds())
}

// rpcCode is the code label for err: "ok" for nil, otherwise the Connect
// code name (errors that are not *connect.Error count as "unknown").
func rpcCode(err error) string {
	if err == nil {
		return codeOK
	}
	return connect.CodeOf(err).String()
}

// ConnectInterceptor returns a Connect interceptor that records
// convene_rpc_requests_total{procedure,code} and
// convene_rpc_duration_seconds{procedure} for every unary and streaming RPC a
// handler serves. Client-side calls pass through untouched. Install it on each
// handler with connect.WithInterceptors; all interceptors returned by one
// Registry share the same series.
func (r *Registry) ConnectInterceptor() connect.Interceptor {
	return &rpcInterceptor{metrics: r.rpc}
}

// rpcInterceptor implements connect.Interceptor for ConnectInterceptor.
type rpcInterceptor struct {
	metrics *rpcMetrics
}

// WrapUnary records unary handler calls; client calls pass through.
func (i *rpcInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		start := time.Now()
		res, err := next(ctx, req)
		i.metrics.observe(req.Spec().Procedure, start, err)
		return res, err
	}
}

// WrapStreamingClient passes client streams through unchanged.
func (i *rpcInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler records a streaming RPC once, when its handler
// returns, so the duration covers the whole stream.
func (i *rpcInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		start := time.Now()
		err := next(ctx, conn)
		i.metrics.observe(conn.Spec().Procedure, start, err)
		return err
	}
}
