// Package db owns Convene's storage: the connection (one pgx pool shared by
// Bun and River), the embedded SQL migrations, the Bun models and the queries
// used by both the API and the activities.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// ErrNotFound is returned by single-row lookups that match nothing.
var ErrNotFound = errors.New("not found")

// notFound turns sql.ErrNoRows into ErrNotFound with context.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrNotFound)
	}
	return fmt.Errorf("load %s: %w", fmt.Sprintf(format, args...), err)
}

// defaultMaxConns bounds the shared pool unless the URL sets pool_max_conns.
const defaultMaxConns = 40

// DB is the shared database handle. Bun and River use the same *sql.DB so a
// Bun transaction can enqueue River jobs atomically with the rows that need them.
type DB struct {
	*bun.DB
	pool *pgxpool.Pool
}

// Open connects to Postgres at url and checks the connection.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	// pgx defaults to max(4, cores) connections, which starves the API,
	// River's workers and the activities sharing this pool; a URL's own
	// pool_max_conns still wins.
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	sqldb := openSQL(pool)
	bdb := bun.NewDB(sqldb, pgdialect.New())
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := bdb.PingContext(pingCtx); err != nil {
		_ = bdb.Close()
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return &DB{DB: bdb, pool: pool}, nil
}

// Close closes Bun's handle and the pool beneath it.
func (d *DB) Close() {
	_ = d.DB.Close()
	d.pool.Close()
}

// SQL is the *sql.DB shared by Bun and River.
func (d *DB) SQL() *sql.DB { return d.DB.DB }

// RiverDriver is River's driver on the shared *sql.DB.
func (d *DB) RiverDriver() *riverdatabasesql.Driver { return riverdatabasesql.New(d.SQL()) }

// Ping checks that the database answers; /readyz uses it.
func (d *DB) Ping(ctx context.Context) error { return d.PingContext(ctx) }

// NewID returns a UUIDv7: time-ordered keys keep B-tree inserts local.
func NewID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// OptionalID is the value of a nullable uuid column given as a string: nil
// for "", the parsed ID otherwise. Like uuid.MustParse it panics on a
// malformed ID: callers pass IDs validated at the API edge or made by
// Convene.
func OptionalID(s string) *uuid.UUID {
	if s == "" {
		return nil
	}
	id := uuid.MustParse(s)
	return &id
}

// Timestamps are embedded in every model; the database fills both on insert
// and Touch bumps updated_at on update.
type Timestamps struct {
	CreatedAt time.Time `bun:"created_at,nullzero,notnull,default:now()"`
	UpdatedAt time.Time `bun:"updated_at,nullzero,notnull,default:now()"`
}

// InTx runs fn in a transaction, committing only if fn returns nil.
func (d *DB) InTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return d.RunInTx(ctx, nil, fn)
}
