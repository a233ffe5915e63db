package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
)

// openSQL returns the *sql.DB over pool that Bun and River share.
//
// Bun writes a query's arguments into its SQL text, so nearly every query
// Convene sends is a text Postgres has never seen. pgx's default mode
// prepares each new text before running it and caches it: for Bun that is
// a round trip and a server-side statement per query, evicted from the
// cache and deallocated (another round trip) soon after. Queries without
// arguments therefore go over the simple protocol, in one round trip, as
// pgx already does for Exec; River's queries carry arguments and keep
// their cached statements.
func openSQL(pool *pgxpool.Pool) *sql.DB {
	sqldb := sql.OpenDB(inlinedArgsConnector{stdlib.GetPoolConnector(pool)})
	// As stdlib.OpenDBFromPool: the pool, not database/sql, keeps idle connections.
	sqldb.SetMaxIdleConns(0)
	return sqldb
}

type inlinedArgsConnector struct{ driver.Connector }

func (c inlinedArgsConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(*stdlib.Conn)
	if !ok {
		_ = conn.Close()
		return nil, fmt.Errorf("expected a pgx connection, got %T", conn)
	}
	return inlinedArgsConn{sc}, nil
}

// stdlibConn names the embedded connection apart from its Conn method,
// which COPY uses to reach pgx.
type stdlibConn = stdlib.Conn

// inlinedArgsConn is a pgx connection that runs argument-less queries
// over the simple protocol.
type inlinedArgsConn struct{ *stdlibConn }

func (c inlinedArgsConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) == 0 {
		args = []driver.NamedValue{{Ordinal: 1, Value: pgx.QueryExecModeSimpleProtocol}}
	}
	return c.stdlibConn.QueryContext(ctx, query, args)
}

// ErrNoRowChanged reports that CommitWith's statement changed no row, so
// its transaction was rolled back.
var ErrNoRowChanged = errors.New("the statement changed no row; nothing committed")

// CommitWith runs stmts in order, each a statement of its own (the last
// an UPDATE, INSERT or DELETE without RETURNING), and commits tx in the
// same round trip when the last changed a row. When it changed none, tx
// is rolled back whole and ErrNoRowChanged returned. Either way tx is left
// open and empty for its RunInTx to end, and must run nothing else.
//
// Why: rows locked by these statements stay locked until the commit. Sent
// apart, the COMMIT waits for the client to read each answer and send the
// next, which in an API process busy with a rush is most of the time the
// rows are locked; a hot row (an event's seat counts) admits one
// transaction per lock time.
func CommitWith(ctx context.Context, tx bun.Tx, stmts ...string) error {
	last := len(stmts) - 1
	q := strings.Join(stmts[:last], "; ")
	if q != "" {
		q += "; "
	}
	q += "WITH changed AS (" + stmts[last] + " RETURNING 1) SELECT require_row((SELECT count(*) FROM changed)); COMMIT; BEGIN"
	// Straight to database/sql: the statements are formatted already, and
	// Bun would read any ? in their literals as a placeholder.
	_, err := tx.Tx.ExecContext(ctx, q)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != noDataFound {
		return err
	}
	if _, err := tx.Tx.ExecContext(ctx, "ROLLBACK; BEGIN"); err != nil {
		return fmt.Errorf("roll back after a statement that changed no row: %w", err)
	}
	return ErrNoRowChanged
}

// noDataFound is the SQLSTATE require_row raises.
const noDataFound = "P0002"
