package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Outcomes of one River job attempt, as seen by worker middleware.
const (
	outcomeCompleted = "completed"
	outcomeFailed    = "failed"
	outcomeCancelled = "cancelled"
	outcomeSnoozed   = "snoozed"
)

// riverMetrics holds the River job metrics. The kind label is bounded: River
// only runs worker middleware for kinds registered on the client's Workers.
type riverMetrics struct {
	jobs     *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newRiverMetrics() *riverMetrics {
	return &riverMetrics{
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "river_jobs_total",
			Help:      "River job attempts worked, by kind and outcome (completed, failed, cancelled, snoozed).",
		}, []string{"kind", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace,
			Name:      "river_job_duration_seconds",
			Help:      "Time spent working one River job attempt, by kind.",
			Buckets:   []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"kind"}),
	}
}

// Describe implements prometheus.Collector.
func (m *riverMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.jobs.Describe(ch)
	m.duration.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *riverMetrics) Collect(ch chan<- prometheus.Metric) {
	m.jobs.Collect(ch)
	m.duration.Collect(ch)
}

// observe records one finished job attempt.
func (m *riverMetrics) observe(kind, outcome string, elapsed time.Duration) {
	m.jobs.WithLabelValues(kind, outcome).Inc()
	m.duration.WithLabelValues(kind).Observe(elapsed.Seconds())
}

// riverOutcome classifies the error a job attempt returned the way River's
// executor does: JobCancel and JobSnooze errors are found with errors.As, any
// other error is a failed attempt (River decides later whether to retry or
// discard it, which middleware cannot see).
func riverOutcome(err error) string {
	if err == nil {
		return outcomeCompleted
	}
	if _, ok := errors.AsType[*rivertype.JobCancelError](err); ok {
		return outcomeCancelled
	}
	if _, ok := errors.AsType[*rivertype.JobSnoozeError](err); ok {
		return outcomeSnoozed
	}
	return outcomeFailed
}

// RiverMiddleware returns River worker middleware that records
// convene_river_jobs_total{kind,outcome} and
// convene_river_job_duration_seconds{kind} for every job attempt.
//
// Install it globally through river.Config.Middleware (River v0.41 rejects a
// config that sets both Middleware and the deprecated WorkerMiddleware):
//
//	river.NewClient(driver, &river.Config{
//		Middleware: []rivertype.Middleware{reg.RiverMiddleware()},
//		...
//	})
//
// Put it first in the list so the duration includes the other middleware.
// It sees the error after River's WorkEnd hooks have run. A worker panic is
// recorded as failed and re-raised untouched for River to recover. Jobs of an
// unregistered kind never reach middleware and are not counted.
func (r *Registry) RiverMiddleware() rivertype.WorkerMiddleware {
	return &riverMiddleware{metrics: r.river}
}

// riverMiddleware implements rivertype.WorkerMiddleware for RiverMiddleware.
// Embedding river.MiddlewareDefaults provides IsMiddleware and IsPlugin and
// keeps it compiling if River adds methods to the interface.
type riverMiddleware struct {
	river.MiddlewareDefaults

	metrics *riverMetrics
}

// Work runs the job through doInner and records its outcome and duration.
func (m *riverMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	start := time.Now()
	// Stays "failed" if doInner panics: the deferred record still runs while
	// the panic unwinds to River's recover in the job executor.
	outcome := outcomeFailed
	defer func() { m.metrics.observe(job.Kind, outcome, time.Since(start)) }()

	err := doInner(ctx)
	outcome = riverOutcome(err)
	return err
}
