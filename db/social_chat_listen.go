package db

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// ChatListener is one dedicated connection LISTENing on ChatChannel,
// outside the shared pool: a pooled connection would be handed to other
// queries between notifications.
type ChatListener struct {
	conn *pgx.Conn
}

// ListenChat opens a new connection with the pool's settings and LISTENs
// on ChatChannel.
func (d *DB) ListenChat(ctx context.Context) (*ChatListener, error) {
	conn, err := pgx.ConnectConfig(ctx, d.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("connect the chat listener: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ChatChannel}.Sanitize()); err != nil {
		_ = conn.Close(ctx)
		return nil, fmt.Errorf("listen on %s: %w", ChatChannel, err)
	}
	return &ChatListener{conn: conn}, nil
}

// Next waits for the next notification and returns its group. A payload
// that is not a group ID (nobody sends one) is uuid.Nil.
func (l *ChatListener) Next(ctx context.Context) (uuid.UUID, error) {
	n, err := l.conn.WaitForNotification(ctx)
	if err != nil {
		return uuid.Nil, fmt.Errorf("wait for chat notifications: %w", err)
	}
	id, err := uuid.Parse(n.Payload)
	if err != nil {
		return uuid.Nil, nil
	}
	return id, nil
}

// Close closes the connection.
func (l *ChatListener) Close(ctx context.Context) error { return l.conn.Close(ctx) }
