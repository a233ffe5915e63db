package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// CountHostDirectInvites counts the direct invites hostID sent within the
// last `within` (by the database clock, which stamps created_at), after
// taking a per-host lock for the rest of tx so concurrent invites of one
// host are counted one after the other.
func CountHostDirectInvites(ctx context.Context, tx bun.Tx, hostID uuid.UUID, within time.Duration) (int64, error) {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, "invites:"+hostID.String()); err != nil {
		return 0, fmt.Errorf("lock host invites: %w", err)
	}
	n, err := tx.NewSelect().Model((*Invite)(nil)).
		Where("host_user_id = ? AND invite_type = 'direct' AND created_at > now() - ?::interval", hostID, within.String()).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count host invites: %w", err)
	}
	return int64(n), nil
}
