package metrics

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// temporalPrefix is the prefix of every exported Temporal SDK metric. The SDK
// already names its metrics "temporal_…"; other names get it added.
const temporalPrefix = "temporal_"

// TemporalHandler returns a client.MetricsHandler that exports the Temporal
// SDK's metrics into this registry. Pass it as client.Options.MetricsHandler.
//
// Naming: the SDK name is sanitised to [a-zA-Z0-9_] and prefixed with
// "temporal_" unless it already is; counters get "_total" and timers become
// histograms in seconds with "_seconds" (temporal_request →
// temporal_request_total, temporal_request_latency →
// temporal_request_latency_seconds). Tags become labels; a tag with an empty
// value is left out, which is what Prometheus makes of an empty label anyway.
//
// Label sets: the SDK emits one metric with different tag sets (client calls
// lack the worker's task_queue and worker_type, for example), while a
// registered Prometheus vector fixes its label names. Instead of registering
// one vector per name and dropping or suffixing labels on a conflict, which
// would lose tags depending on which call came first, the handler keeps one
// vector per (name, sorted label set) and exports them all through a single
// unchecked collector. Each label set then appears as its own series of the
// same metric family, exactly as the SDK tagged it, and nothing is dropped.
//
// The one conflict left is a name claimed by two metric types (a gauge named
// "x_total" next to a counter "x"): the type that asks second gets its type
// appended ("temporal_x_total_gauge"), so a scrape never fails on a type
// mismatch.
func (r *Registry) TemporalHandler() client.MetricsHandler {
	return &temporalHandler{state: r.temporal}
}

// temporalHandler implements client.MetricsHandler. It is immutable: WithTags
// returns a new handler sharing the same state.
type temporalHandler struct {
	state *temporalState
	// tags maps sanitised label names to non-empty values.
	tags map[string]string
	// labels are the sorted keys of tags and values the matching values,
	// computed once per WithTags rather than on every metric lookup.
	labels []string
	values []string
}

// WithTags returns a handler whose tags are these merged over the current
// ones, as client.MetricsHandler requires.
func (h *temporalHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := maps.Clone(h.tags)
	if merged == nil {
		merged = make(map[string]string, len(tags))
	}
	// Sorted so that two keys sanitising to one label resolve the same way
	// every time (the later key wins).
	for _, key := range slices.Sorted(maps.Keys(tags)) {
		name, value := labelName(key), strings.ToValidUTF8(tags[key], "\uFFFD")
		if value == "" {
			delete(merged, name)
			continue
		}
		merged[name] = value
	}
	labels := slices.Sorted(maps.Keys(merged))
	values := make([]string, len(labels))
	for i, l := range labels {
		values[i] = merged[l]
	}
	return &temporalHandler{state: h.state, tags: merged, labels: labels, values: values}
}

// Counter returns the counter series for name and this handler's tags.
func (h *temporalHandler) Counter(name string) client.MetricsCounter {
	vec := h.state.counter(name, h.labels)
	return temporalCounter{vec.WithLabelValues(h.values...)}
}

// Gauge returns the gauge series for name and this handler's tags.
func (h *temporalHandler) Gauge(name string) client.MetricsGauge {
	vec := h.state.gauge(name, h.labels)
	return temporalGauge{vec.WithLabelValues(h.values...)}
}

// Timer returns the histogram series for name and this handler's tags.
func (h *temporalHandler) Timer(name string) client.MetricsTimer {
	vec := h.state.timer(name, h.labels)
	return temporalTimer{vec.WithLabelValues(h.values...)}
}

// temporalCounter adapts a Prometheus counter to client.MetricsCounter.
type temporalCounter struct{ c prometheus.Counter }

// Inc adds d. Prometheus counters panic on a decrease, so a negative d
// (which the SDK never sends) is ignored.
func (c temporalCounter) Inc(d int64) {
	if d > 0 {
		c.c.Add(float64(d))
	}
}

// temporalGauge adapts a Prometheus gauge to client.MetricsGauge.
type temporalGauge struct{ g prometheus.Gauge }

// Update sets the gauge to v.
func (g temporalGauge) Update(v float64) { g.g.Set(v) }

// temporalTimer adapts a Prometheus histogram to client.MetricsTimer.
type temporalTimer struct{ o prometheus.Observer }

// Record observes d in seconds.
func (t temporalTimer) Record(d time.Duration) { t.o.Observe(d.Seconds()) }

// temporalKind is the Prometheus type an SDK metric is exported as.
type temporalKind string

const (
	kindCounter temporalKind = "counter"
	kindGauge   temporalKind = "gauge"
	kindTimer   temporalKind = "timer"
)

// suffix is the Prometheus naming-convention suffix for the kind.
func (k temporalKind) suffix() string {
	switch k {
	case kindCounter:
		return "_total"
	case kindTimer:
		return "_seconds"
	default:
		return ""
	}
}

// vecKey identifies one vector: exported name plus comma-joined sorted label
// names (label names cannot contain a comma, so the join is unambiguous).
type vecKey struct {
	name   string
	labels string
}

// temporalState is shared by every handler derived from one Registry: the
// lazily created vectors and which type owns each exported name. It is a
// prometheus.Collector that describes nothing, which makes the registry
// treat it as unchecked and lets one name carry several label sets.
type temporalState struct {
	mu       sync.Mutex
	owners   map[string]temporalKind
	counters map[vecKey]*prometheus.CounterVec
	gauges   map[vecKey]*prometheus.GaugeVec
	timers   map[vecKey]*prometheus.HistogramVec
}

func newTemporalState() *temporalState {
	return &temporalState{
		owners:   make(map[string]temporalKind),
		counters: make(map[vecKey]*prometheus.CounterVec),
		gauges:   make(map[vecKey]*prometheus.GaugeVec),
		timers:   make(map[vecKey]*prometheus.HistogramVec),
	}
}

// Describe implements prometheus.Collector by describing nothing, on
// purpose: see TemporalHandler.
func (s *temporalState) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector. The vectors are copied out under
// the lock so that collecting never blocks the SDK for long.
func (s *temporalState) Collect(ch chan<- prometheus.Metric) {
	for _, c := range s.collectors() {
		c.Collect(ch)
	}
}

func (s *temporalState) collectors() []prometheus.Collector {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]prometheus.Collector, 0, len(s.counters)+len(s.gauges)+len(s.timers))
	for _, v := range s.counters {
		out = append(out, v)
	}
	for _, v := range s.gauges {
		out = append(out, v)
	}
	for _, v := range s.timers {
		out = append(out, v)
	}
	return out
}

// counter returns the counter vector for the SDK name and label names.
func (s *temporalState) counter(name string, labels []string) *prometheus.CounterVec {
	return lookupVec(s, s.counters, name, kindCounter, labels, func(opts prometheus.Opts) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts(opts), labels)
	})
}

// gauge returns the gauge vector for the SDK name and label names.
func (s *temporalState) gauge(name string, labels []string) *prometheus.GaugeVec {
	return lookupVec(s, s.gauges, name, kindGauge, labels, func(opts prometheus.Opts) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts(opts), labels)
	})
}

// timer returns the histogram vector for the SDK name and label names.
func (s *temporalState) timer(name string, labels []string) *prometheus.HistogramVec {
	return lookupVec(s, s.timers, name, kindTimer, labels, func(opts prometheus.Opts) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    opts.Name,
			Help:    opts.Help,
			Buckets: timerBuckets(),
		}, labels)
	})
}

// lookupVec returns the vector in vecs for (name, labels), building it on
// first use.
func lookupVec[V any](s *temporalState, vecs map[vecKey]V, name string, kind temporalKind, labels []string, build func(prometheus.Opts) V) V {
	s.mu.Lock()
	defer s.mu.Unlock()
	exported := s.exportedName(name, kind)
	key := vecKey{name: exported, labels: strings.Join(labels, ",")}
	if v, ok := vecs[key]; ok {
		return v
	}
	// The help text depends only on the exported name, as the registry
	// requires of all series in one family.
	v := build(prometheus.Opts{Name: exported, Help: "Temporal SDK " + string(kind) + " " + exported + "."})
	vecs[key] = v
	return v
}

// exportedName maps an SDK metric name to its Prometheus name and claims it
// for kind; a name another kind owns gets "_<kind>" appended until free.
// Callers hold s.mu.
func (s *temporalState) exportedName(name string, kind temporalKind) string {
	exported := sanitizeName(name)
	if !strings.HasPrefix(exported, temporalPrefix) {
		exported = temporalPrefix + exported
	}
	if suffix := kind.suffix(); !strings.HasSuffix(exported, suffix) {
		exported += suffix
	}
	for {
		owner, ok := s.owners[exported]
		if !ok {
			s.owners[exported] = kind
			return exported
		}
		if owner == kind {
			return exported
		}
		exported += "_" + string(kind)
	}
}

// timerBuckets spans a millisecond RPC to an hour-long workflow.
func timerBuckets() []float64 {
	return []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}
}

// sanitizeName replaces every byte outside [a-zA-Z0-9_] with '_', which
// keeps names valid under Prometheus's legacy (pre-UTF-8) rules too.
func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

// labelName turns a tag key into a valid, unreserved label name: sanitised,
// without the leading underscores Prometheus reserves, and prefixed with
// "tag_" if it would otherwise be empty, start with a digit or be a label the
// client library reserves for histograms and summaries.
func labelName(key string) string {
	name := strings.TrimLeft(sanitizeName(key), "_")
	if name == "" || name[0] >= '0' && name[0] <= '9' || name == "le" || name == "quantile" {
		return "tag_" + name
	}
	return name
}
