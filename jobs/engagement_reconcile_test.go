package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/metrics"
	"github.com/convene/convene/jobs"
)

// driftGauge reads a drift gauge from the registry.
func driftGauge(t *testing.T, reg *metrics.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Prometheus().Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s not exported", name)
	return 0
}

// TestReconcile_FindsNoDriftAfterConcurrentAwardsAndFindsABrokenRow: 60
// concurrent awards and spends leave user_points equal to the ledger; a
// row changed behind the guard trigger's back is found and exported.
func TestReconcile_FindsNoDriftAfterConcurrentAwardsAndFindsABrokenRow(t *testing.T) {
	t.Parallel()
	b := setupRules(t)
	ctx := context.Background()
	reg := metrics.New()
	w := &jobs.ReconcileWorker{DB: b.d, Metrics: jobs.NewDriftMetrics(reg), Log: slog.New(slog.DiscardHandler)}

	// A starting balance, so a spend that wins the race against every
	// award still has points to take.
	require.NoError(t, b.d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := db.PointsLedger{}.Award(ctx, tx, db.LedgerEntry{OrganizationID: b.orgID, UserID: b.userID,
			Amount: 100, Type: enums.LedgerManual, IdempotencyKey: "reconcile-start"})
		return err
	}))
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for i := range 60 {
		wg.Go(func() {
			amount := int64(10)
			if i%3 == 2 {
				amount = -3
			}
			errs <- b.d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, err := db.PointsLedger{}.Award(ctx, tx, db.LedgerEntry{OrganizationID: b.orgID, UserID: b.userID,
					Amount: amount, Type: enums.LedgerManual, IdempotencyKey: fmt.Sprintf("reconcile-%d", i)})
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, w.Work(ctx, nil))
	assert.Zero(t, driftGauge(t, reg, "convene_engagement_points_drift_members"), "concurrent awards keep the sums")

	// As the superuser the tests connect as: bypass the guard and break the row.
	_, err := b.d.ExecContext(ctx, `ALTER TABLE user_points DISABLE TRIGGER user_points_guard`)
	require.NoError(t, err)
	_, err = b.d.ExecContext(ctx, `UPDATE user_points SET total_points = total_points + 7 WHERE user_id = ?`, b.userID)
	require.NoError(t, err)
	_, err = b.d.ExecContext(ctx, `ALTER TABLE user_points ENABLE TRIGGER user_points_guard`)
	require.NoError(t, err)

	require.NoError(t, w.Work(ctx, nil))
	assert.EqualValues(t, 1, driftGauge(t, reg, "convene_engagement_points_drift_members"))
	assert.EqualValues(t, 7, driftGauge(t, reg, "convene_engagement_points_drift_points"))
	drift, err := db.FindPointsDrift(ctx, b.d)
	require.NoError(t, err)
	require.Len(t, drift, 1)
	assert.Equal(t, b.userID, drift[0].UserID)
	assert.Equal(t, drift[0].LedgerTotal+7, drift[0].TotalPoints)
	assert.Zero(t, driftGauge(t, reg, "convene_engagement_leaderboard_drift_scores"),
		"the rank counts follow user_points, even a row changed behind the ledger's back")

	_, err = b.d.ExecContext(ctx, `UPDATE leaderboard_score_counts SET members = members + 1 WHERE board = 'all' AND members > 0`)
	require.NoError(t, err)
	require.NoError(t, w.Work(ctx, nil))
	assert.EqualValues(t, 1, driftGauge(t, reg, "convene_engagement_leaderboard_drift_scores"))
}
