// Package metrics exposes Convene's Prometheus metrics: the Connect API
// (ConnectInterceptor), the Temporal SDK (TemporalHandler) and River job
// execution (RiverMiddleware), plus the Go runtime and process collectors.
//
// Everything hangs off one *prometheus.Registry created by New; nothing is
// registered with the client library's global default registry, so tests and
// several binaries in one process never share state by accident. Metric
// vectors are created once in New, which is why the constructors for the
// hooks can be called any number of times and still feed the same series.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric Convene defines itself. Temporal SDK
// metrics keep the SDK's own "temporal_" prefix instead.
const namespace = "convene"

// Registry owns the Prometheus registry of one process and the metrics
// recorded into it by the Connect, Temporal and River adapters.
type Registry struct {
	prom     *prometheus.Registry
	rpc      *rpcMetrics
	river    *riverMetrics
	temporal *temporalState
}

// New returns a Registry with the Go runtime and process collectors and
// every Convene metric registered.
func New() *Registry {
	prom := prometheus.NewRegistry()
	r := &Registry{
		prom:     prom,
		rpc:      newRPCMetrics(),
		river:    newRiverMetrics(),
		temporal: newTemporalState(),
	}
	// MustRegister only fails on a programming error here (a fresh registry
	// and fixed, distinct metric names), so a panic is the right signal.
	prom.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		r.rpc,
		r.river,
		r.temporal,
	)
	return r
}

// Handler returns the HTTP handler that serves this registry in the
// Prometheus exposition format, to be mounted at /metrics.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.prom, promhttp.HandlerOpts{})
}

// Prometheus returns the underlying registry, for registering metrics that
// belong to other packages or for gathering in tests.
func (r *Registry) Prometheus() *prometheus.Registry {
	return r.prom
}
