package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
)

// TestCommitWith: the earlier writes and the last statement commit
// together when it changes a row; when it changes none, nothing of the
// transaction commits; either way the transaction ends cleanly.
func TestCommitWith(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	_, err := d.ExecContext(ctx, `CREATE TABLE commit_with_rows (id int PRIMARY KEY, note text NOT NULL)`)
	require.NoError(t, err)
	_, err = d.ExecContext(ctx, `INSERT INTO commit_with_rows VALUES (1, 'open')`)
	require.NoError(t, err)

	for _, tc := range []struct {
		name      string
		lastWhere string
		wantErr   error
		wantNotes []string
	}{
		{"the last statement changes a row", "note = 'open'", nil, []string{"closed? yes", "written first"}},
		{"the last statement changes none", "note = 'gone'", db.ErrNoRowChanged, []string{"open"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.ExecContext(ctx, `DELETE FROM commit_with_rows WHERE id > 1; UPDATE commit_with_rows SET note = 'open'`)
			require.NoError(t, err)
			var commitErr error
			err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.NewRaw(`INSERT INTO commit_with_rows VALUES (2, 'written first')`).Exec(ctx); err != nil {
					return err
				}
				// A ? inside a literal is text, not a placeholder.
				last := tx.NewRaw(`UPDATE commit_with_rows SET note = ? WHERE id = 1 AND `+tc.lastWhere, "closed? yes").String()
				commitErr = db.CommitWith(ctx, tx, "SELECT 1 FROM commit_with_rows WHERE id = 1 FOR UPDATE", last)
				return nil
			})
			require.NoError(t, err)
			assert.True(t, errors.Is(commitErr, tc.wantErr), "CommitWith: %v", commitErr)
			var notes []string
			require.NoError(t, d.NewRaw(`SELECT note FROM commit_with_rows ORDER BY note`).Scan(ctx, &notes))
			assert.Equal(t, tc.wantNotes, notes)
		})
	}
}
