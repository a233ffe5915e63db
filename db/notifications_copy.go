package db

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/uptrace/bun"
)

// Copier bulk-loads rows with COPY inside the transaction InCopyTx opened
// on the same connection, so the rows commit or roll back with it.
type Copier struct {
	conn bun.Conn
}

// InCopyTx runs fn in a transaction, committing only if fn returns nil,
// like InTx; fn also gets a Copier for that transaction. COPY needs the
// pgx connection beneath database/sql, so the transaction is pinned to one
// connection.
func (d *DB) InCopyTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx, cp *Copier) error) error {
	conn, err := d.Conn(ctx)
	if err != nil {
		return fmt.Errorf("get connection: %w", err)
	}
	defer conn.Close()
	return conn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return fn(ctx, tx, &Copier{conn: conn}) })
}

// copyFrom runs COPY table (columns) FROM STDIN with rows on the
// transaction's connection and returns how many rows it loaded.
func (c *Copier) copyFrom(ctx context.Context, table string, columns []string, rows [][]any) (int64, error) {
	var n int64
	err := c.conn.Raw(func(driverConn any) error {
		sc, ok := driverConn.(interface{ Conn() *pgx.Conn })
		if !ok {
			return fmt.Errorf("COPY needs a pgx connection, got %T", driverConn)
		}
		var err error
		n, err = sc.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("copy into %s: %w", table, err)
	}
	return n, nil
}

// notificationCopyColumns are the inbox columns CopyNotifications writes;
// the others take their defaults (link ”, unread, metadata '{}', both
// timestamps the transaction's now()), as Notify leaves them.
var notificationCopyColumns = []string{"id", "recipient_user_id", "sender_user_id", "organization_id", "type",
	"title", "message", "reference_type", "reference_id"}

// CopyNotifications writes inbox rows with one COPY in cp's transaction:
// the bulk form of Notify for a fan-out page. Link and Metadata are not
// copied (a fan-out sets neither).
func CopyNotifications(ctx context.Context, cp *Copier, notes []*Notification) error {
	if len(notes) == 0 {
		return nil
	}
	rows := make([][]any, len(notes))
	for i, n := range notes {
		if n.ID == uuid.Nil {
			n.ID = NewID()
		}
		rows[i] = []any{copyUUID(&n.ID), copyUUID(&n.RecipientUserID), copyUUID(n.SenderUserID), copyUUID(n.OrganizationID),
			n.Type, n.Title, n.Message, n.ReferenceType, n.ReferenceID}
	}
	_, err := cp.copyFrom(ctx, "notifications", notificationCopyColumns, rows)
	return err
}

// copyUUID hands COPY the 16 bytes of an ID (nil: NULL). A uuid.UUID would
// go through its driver.Valuer as text and be parsed back for every row,
// which profiled at half of the page's encoding time.
func copyUUID(id *uuid.UUID) pgtype.UUID {
	if id == nil {
		return pgtype.UUID{}
	}
	return pgtype.UUID{Bytes: *id, Valid: true}
}
