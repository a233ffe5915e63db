package testenv

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
)

// TableState is what a snapshot records of one table.
type TableState struct {
	// Rows is the exact count(*).
	Rows int64
	// Digest is an md5 over every row's text, empty where the table's
	// content is not compared (see Snapshot).
	Digest string
}

// Snapshot records every table in the public schema: its exact row count
// and, except for River's own tables, a digest of its content, so a test
// can show a request changed nothing at all (no row added or removed, none
// updated). River's tables are counted only: River updates its leader
// lease, queue heartbeats and job attempts on its own while it runs; and
// river_job's count leaves out periodic jobs, which River's scheduler
// enqueues whatever the API does.
func Snapshot(t testing.TB, d *db.DB) map[string]TableState {
	t.Helper()
	ctx := context.Background()
	var tables []string
	err := d.NewRaw(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`).Scan(ctx, &tables)
	require.NoError(t, err, "list tables")
	require.NotEmpty(t, tables, "the public schema has tables")
	snap := make(map[string]TableState, len(tables))
	for _, table := range tables {
		snap[table] = tableState(t, d, table)
	}
	return snap
}

func tableState(t testing.TB, d *db.DB, table string) TableState {
	t.Helper()
	digest := bun.Safe(`''`)
	if !strings.HasPrefix(table, "river_") {
		digest = bun.Safe(`coalesce(md5(string_agg(r::text, E'\n' ORDER BY r::text)), '')`)
	}
	where := bun.Safe("TRUE")
	if table == "river_job" {
		where = bun.Safe(`NOT coalesce((r.metadata->>'periodic')::boolean, false)`)
	}
	var s TableState
	err := d.QueryRowContext(context.Background(), `SELECT count(*), ? FROM ? AS r WHERE ?`, digest, bun.Ident("public."+table), where).
		Scan(&s.Rows, &s.Digest)
	require.NoError(t, err, "snapshot %s", table)
	return s
}

// RequireUnchanged asserts after equals before table by table, naming each
// table that differs; msgAndArgs add to the failure message.
func RequireUnchanged(t testing.TB, before, after map[string]TableState, msgAndArgs ...any) {
	t.Helper()
	var changed []string
	for table, was := range before {
		if now, ok := after[table]; !ok || now != was {
			changed = append(changed, fmt.Sprintf("%s: %d rows (digest %q) → %d rows (digest %q)", table, was.Rows, was.Digest, now.Rows, now.Digest))
		}
	}
	for table := range after {
		if _, ok := before[table]; !ok {
			changed = append(changed, table+": new table")
		}
	}
	if len(msgAndArgs) == 0 {
		msgAndArgs = []any{"tables changed"}
	}
	require.Empty(t, changed, msgAndArgs...)
}
