package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
)

// ledgerMember makes an organization with one member and returns both ids.
func ledgerMember(t *testing.T, d *db.DB) (orgID, userID uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	user, _, err := db.CreateUserWithPhone(ctx, d, fmt.Sprintf("+1415%07d", time.Now().UnixNano()%10_000_000))
	require.NoError(t, err)
	org := &db.Organization{ID: db.NewID(), Name: "Acme", Slug: "acme-" + db.NewID().String()[24:], Status: "active", Settings: map[string]any{}}
	require.NoError(t, db.InsertOrganization(ctx, d, org))
	return org.ID, user.ID
}

func award(ctx context.Context, d *db.DB, orgID, userID uuid.UUID, amount int64, key string, at time.Time) (int64, error) {
	var balance int64
	err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		balance, err = db.PointsLedger{}.Award(ctx, tx, db.LedgerEntry{OrganizationID: orgID, UserID: userID,
			Amount: amount, Type: enums.LedgerManual, IdempotencyKey: key, CreatedAt: at})
		return err
	})
	return balance, err
}

// TestPointsLedger_ConcurrentAwardsApplyOneAtATime sends 100 awards to one
// member at once: every balance_after is a distinct running total and the
// total is the sum.
func TestPointsLedger_ConcurrentAwardsApplyOneAtATime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, userID := ledgerMember(t, d)

	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Go(func() {
			_, err := award(ctx, d, orgID, userID, int64(i%7+1), fmt.Sprintf("concurrent-%d", i), time.Time{})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	want := int64(0)
	for i := range 100 {
		want += int64(i%7 + 1)
	}
	for err := range errs {
		require.NoError(t, err)
	}

	var entries []db.LedgerEntry
	require.NoError(t, d.NewSelect().Model(&entries).Where("user_id = ?", userID).Order("balance_after").Scan(ctx))
	require.Len(t, entries, 100)
	running := int64(0)
	for _, e := range entries {
		running += e.Amount
		assert.Equal(t, running, e.BalanceAfter, "balance_after is the running sum in apply order")
	}
	points, err := db.UserPointsOf(ctx, d, orgID, userID)
	require.NoError(t, err)
	assert.Equal(t, want, points.TotalPoints)
	assert.Equal(t, want, points.LifetimePoints)
}

// TestPointsLedger_RefusesWhatWouldBreakTheSums covers repeats, negative
// totals and writes that bypass the ledger.
func TestPointsLedger_RefusesWhatWouldBreakTheSums(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, userID := ledgerMember(t, d)

	balance, err := award(ctx, d, orgID, userID, 40, "first", time.Time{})
	require.NoError(t, err)
	require.EqualValues(t, 40, balance)

	balance, err = award(ctx, d, orgID, userID, 40, "first", time.Time{})
	require.ErrorIs(t, err, db.ErrAlreadyRecorded)
	assert.EqualValues(t, 40, balance, "a repeat answers the first entry's balance")

	_, err = award(ctx, d, orgID, userID, -41, "overspend", time.Time{})
	require.ErrorIs(t, err, db.ErrNegativeBalance)

	_, err = d.NewRaw("UPDATE points_ledger SET amount = 1000 WHERE user_id = ?", userID).Exec(ctx)
	require.ErrorContains(t, err, "append-only")
	_, err = d.NewRaw("DELETE FROM points_ledger WHERE user_id = ?", userID).Exec(ctx)
	require.ErrorContains(t, err, "append-only")
	_, err = d.NewRaw("UPDATE user_points SET total_points = 1000 WHERE user_id = ?", userID).Exec(ctx)
	require.ErrorContains(t, err, "only through points_ledger")
	_, err = d.NewRaw("DELETE FROM user_points WHERE user_id = ?", userID).Exec(ctx)
	require.Error(t, err)

	points, err := db.UserPointsOf(ctx, d, orgID, userID)
	require.NoError(t, err)
	assert.EqualValues(t, 40, points.TotalPoints, "nothing refused changed the total")
}

// TestPointsLedger_TiersMonthsAndStreaks walks one member through tier
// boundaries (up and down), a month rollover and a streak gap.
func TestPointsLedger_TiersMonthsAndStreaks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, userID := ledgerMember(t, d)
	day := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v.Add(12 * time.Hour) }

	steps := []struct {
		amount       int64
		at           string
		tier         string
		month        int64
		streak, best int
	}{
		{499, "2026-10-30", "bronze", 499, 1, 1},
		{1, "2026-10-31", "silver", 500, 2, 2},
		{1000, "2026-11-01", "gold", 1000, 3, 3},     // new month, streak goes on
		{-1, "2026-11-01", "silver", 999, 3, 3},      // a loss keeps the streak
		{1502, "2026-11-03", "platinum", 2501, 1, 3}, // a gap restarts it
		{-3000, "2026-11-03", "bronze", -499, 1, 3},
	}
	for i, s := range steps {
		_, err := award(ctx, d, orgID, userID, s.amount, fmt.Sprintf("step-%d", i), day(s.at))
		require.NoError(t, err, "step %d", i)
		p, err := db.UserPointsOf(ctx, d, orgID, userID)
		require.NoError(t, err)
		assert.Equal(t, s.tier, p.Tier, "step %d tier", i)
		assert.Equal(t, s.month, p.PointsThisMonth, "step %d month", i)
		assert.Equal(t, s.streak, p.CurrentStreak, "step %d streak", i)
		assert.Equal(t, s.best, p.LongestStreak, "step %d longest", i)
	}
}
