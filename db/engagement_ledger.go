package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
)

// ErrAlreadyRecorded is returned by PointsLedger.Award when an entry with
// the same idempotency key exists: the award was made before (a retried
// job or request), and nothing changed this time.
var ErrAlreadyRecorded = errors.New("points already recorded for this key")

// ErrNegativeBalance is returned by PointsLedger.Award when the entry
// would take the member's total below zero.
var ErrNegativeBalance = errors.New("points total would go below zero")

// PointsLedger is the only writer of points: every gain or loss is one
// appended ledger entry, and the database's trigger keeps user_points in
// step with it (see migration 20261204000100_engagement_core).
type PointsLedger struct{}

// Award appends e in tx and returns the member's total after it. A repeat
// of e.IdempotencyKey changes nothing and returns the first entry's
// balance with ErrAlreadyRecorded; a total below zero returns
// ErrNegativeBalance. Entries for one member apply one at a time: the
// trigger locks the member's user_points row until tx ends.
func (PointsLedger) Award(ctx context.Context, tx bun.Tx, e LedgerEntry) (int64, error) {
	if prior, err := ledgerEntryByKey(ctx, tx, e.IdempotencyKey); err == nil {
		return prior.BalanceAfter, ErrAlreadyRecorded
	} else if !errors.Is(err, ErrNotFound) {
		return 0, err
	}
	if e.ID == uuid.Nil {
		e.ID = NewID()
	}
	// A concurrent insert of the same key fails its statement; the
	// savepoint keeps tx usable so the caller sees ErrAlreadyRecorded.
	if _, err := tx.ExecContext(ctx, "SAVEPOINT points_award"); err != nil {
		return 0, fmt.Errorf("award %s: savepoint: %w", e.IdempotencyKey, err)
	}
	err := tx.NewInsert().Model(&e).Returning("balance_after, created_at").Scan(ctx, &e.BalanceAfter, &e.CreatedAt)
	if err == nil {
		if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT points_award"); err != nil {
			return 0, fmt.Errorf("award %s: release savepoint: %w", e.IdempotencyKey, err)
		}
		return e.BalanceAfter, nil
	}
	if _, rbErr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT points_award"); rbErr != nil {
		return 0, fmt.Errorf("award %s: %w (rollback to savepoint: %v)", e.IdempotencyKey, err, rbErr)
	}
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.ConstraintName == "user_points_total_nonnegative":
		return 0, fmt.Errorf("award %d to %s: %w", e.Amount, e.UserID, ErrNegativeBalance)
	case errors.As(err, &pgErr) && pgErr.ConstraintName == "points_ledger_idempotency_key_key":
		prior, lookupErr := ledgerEntryByKey(ctx, tx, e.IdempotencyKey)
		if lookupErr != nil {
			return 0, lookupErr
		}
		return prior.BalanceAfter, ErrAlreadyRecorded
	}
	return 0, fmt.Errorf("award %d to %s (%s): %w", e.Amount, e.UserID, e.IdempotencyKey, err)
}

func ledgerEntryByKey(ctx context.Context, idb bun.IDB, key string) (*LedgerEntry, error) {
	var e LedgerEntry
	err := idb.NewSelect().Model(&e).Where("idempotency_key = ?", key).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ledger entry %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger entry %q: %w", key, err)
	}
	return &e, nil
}

// UserPointsOf returns a member's aggregates; a member with no entries
// yet has a zero row (not stored).
func UserPointsOf(ctx context.Context, idb bun.IDB, orgID, userID uuid.UUID) (*UserPoints, error) {
	up := UserPoints{OrganizationID: orgID, UserID: userID, Tier: "bronze"}
	err := idb.NewSelect().Model(&up).ColumnExpr("up.*").Where("organization_id = ? AND user_id = ?", orgID, userID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return &up, nil
	}
	if err != nil {
		return nil, fmt.Errorf("points of %s: %w", userID, err)
	}
	return &up, nil
}
