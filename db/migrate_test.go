package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
)

func TestMigrations_UpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := db.Open(ctx, testenv.EmptyDatabaseURL(t))
	require.NoError(t, err)
	defer d.Close()

	applied, err := d.MigrateUp(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, applied)
	requireTable(t, d, "users", true)

	again, err := d.MigrateUp(ctx)
	require.NoError(t, err)
	require.Empty(t, again, "a second up applies nothing")

	for {
		_, err := d.MigrateDown(ctx)
		if errors.Is(err, db.ErrNothingToRollBack) {
			break
		}
		require.NoError(t, err)
	}
	requireTable(t, d, "users", false)
	statuses, err := d.MigrationStatuses(ctx)
	require.NoError(t, err)
	for _, s := range statuses {
		require.False(t, s.Applied, s.Name)
	}

	reapplied, err := d.MigrateUp(ctx)
	require.NoError(t, err)
	require.Equal(t, applied, reapplied)
	requireTable(t, d, "audit_logs", true)
}

func requireTable(t *testing.T, d *db.DB, name string, want bool) {
	t.Helper()
	var exists bool
	require.NoError(t, d.NewRaw(`SELECT to_regclass(?) IS NOT NULL`, "public."+name).Scan(context.Background(), &exists))
	require.Equal(t, want, exists, "table %s exists", name)
}
