package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/metrics"
)

// ReconcileArgs is the nightly check that every member's points
// aggregates (user_points) still equal the sums of their ledger.
type ReconcileArgs struct{}

// Kind names the job in River.
func (ReconcileArgs) Kind() string { return "engagement.reconcile" }

// reconcileHour is when (UTC) the nightly reconcile runs: after the
// evening's events, before the day's.
const reconcileHour = 3

// nightly is a River schedule: every day at reconcileHour UTC.
type nightly struct{}

// Next implements river.PeriodicSchedule.
func (nightly) Next(t time.Time) time.Time {
	next := time.Date(t.Year(), t.Month(), t.Day(), reconcileHour, 0, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// PeriodicReconcile schedules ReconcileArgs nightly.
func PeriodicReconcile() *river.PeriodicJob {
	return river.NewPeriodicJob(nightly{}, func() (river.JobArgs, *river.InsertOpts) { return ReconcileArgs{}, nil }, nil)
}

// DriftMetrics export what the last reconcile found, so an alert can
// fire on any drift.
type DriftMetrics struct {
	members prometheus.Gauge
	points  prometheus.Gauge
	scores  prometheus.Gauge
}

// NewDriftMetrics registers the drift gauges in reg; with a nil reg the
// gauges are kept but not exported. Registering twice in one registry
// reuses the first gauges.
func NewDriftMetrics(reg *metrics.Registry) *DriftMetrics {
	m := &DriftMetrics{
		members: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "convene", Name: "engagement_points_drift_members",
			Help: "Members whose user_points differ from their points ledger, at the last reconcile."}),
		points: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "convene", Name: "engagement_points_drift_points",
			Help: "Sum of |user_points.total_points - ledger sum| over all members, at the last reconcile."}),
		scores: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "convene", Name: "engagement_leaderboard_drift_scores",
			Help: "Leaderboard scores whose kept member count (for ranks) differs from user_points, at the last reconcile."}),
	}
	if reg == nil {
		return m
	}
	m.members = registerGauge(reg.Prometheus(), m.members)
	m.points = registerGauge(reg.Prometheus(), m.points)
	m.scores = registerGauge(reg.Prometheus(), m.scores)
	return m
}

func registerGauge(reg prometheus.Registerer, g prometheus.Gauge) prometheus.Gauge {
	if err := reg.Register(g); err != nil {
		var already prometheus.AlreadyRegisteredError
		if errors.As(err, &already) {
			if existing, ok := already.ExistingCollector.(prometheus.Gauge); ok {
				return existing
			}
		}
		// Fixed names in our own registry: anything else is a programming error.
		panic(err)
	}
	return g
}

// ReconcileWorker compares each member's user_points with their ledger,
// logs each drift and exports the counts. It only reads: a drift is for
// a person to investigate, not for the job to paper over.
type ReconcileWorker struct {
	river.WorkerDefaults[ReconcileArgs]
	DB      *db.DB
	Metrics *DriftMetrics
	Log     *slog.Logger
}

// Work runs one reconcile.
func (w *ReconcileWorker) Work(ctx context.Context, _ *river.Job[ReconcileArgs]) error {
	drift, err := db.FindPointsDrift(ctx, w.DB)
	if err != nil {
		return err
	}
	var points int64
	for _, d := range drift {
		points += abs(d.TotalPoints - d.LedgerTotal)
		w.Log.WarnContext(ctx, "points drift", "organization_id", d.OrganizationID, "user_id", d.UserID,
			"total_points", d.TotalPoints, "ledger_total", d.LedgerTotal,
			"lifetime_points", d.LifetimePoints, "ledger_lifetime", d.LedgerLifetime)
	}
	w.Metrics.members.Set(float64(len(drift)))
	w.Metrics.points.Set(float64(points))

	boards, err := db.FindBoardDrift(ctx, w.DB)
	if err != nil {
		return err
	}
	for _, d := range boards {
		w.Log.WarnContext(ctx, "leaderboard count drift", "organization_id", d.OrganizationID, "board", d.Board,
			"points", d.Points, "counted", d.Counted, "members", d.Members)
	}
	w.Metrics.scores.Set(float64(len(boards)))
	return nil
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
