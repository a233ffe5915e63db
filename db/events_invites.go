package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Invite lets a person skip host approval: direct (to one user) or a share
// link (to anyone holding the token, up to MaxUses).
type Invite struct {
	bun.BaseModel `bun:"table:event_invites,alias:inv"`

	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	EventID       uuid.UUID  `bun:"event_id,type:uuid,notnull"`
	HostUserID    uuid.UUID  `bun:"host_user_id,type:uuid,notnull"`
	InvitedUserID *uuid.UUID `bun:"invited_user_id,type:uuid"`
	InviteType    string     `bun:"invite_type,notnull"`
	Token         string     `bun:"token,notnull"`
	Message       string     `bun:"message,notnull"`
	Status        string     `bun:"status,notnull"`
	MaxUses       int32      `bun:"max_uses,notnull"`
	Uses          int32      `bun:"uses,notnull"`
	ExpiresAt     *time.Time `bun:"expires_at"`
	Timestamps
}

// InsertInvite stores an invite.
func InsertInvite(ctx context.Context, idb bun.IDB, inv *Invite) error {
	if _, err := idb.NewInsert().Model(inv).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert invite: %w", err)
	}
	return nil
}

// InviteByTokenForUpdate row-locks an invite by its token.
func InviteByTokenForUpdate(ctx context.Context, tx bun.Tx, token string) (*Invite, error) {
	inv := new(Invite)
	if err := tx.NewSelect().Model(inv).Where("inv.token = ?", token).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "invite")
	}
	return inv, nil
}

// InviteByToken loads an invite by its token.
func InviteByToken(ctx context.Context, idb bun.IDB, token string) (*Invite, error) {
	inv := new(Invite)
	if err := idb.NewSelect().Model(inv).Where("inv.token = ?", token).Scan(ctx); err != nil {
		return nil, notFound(err, "invite")
	}
	return inv, nil
}

// UseInvite records an acceptance (status, and one more use of a link).
func UseInvite(ctx context.Context, idb bun.IDB, inv *Invite, status string) error {
	q := idb.NewUpdate().Model(inv).Set("status = ?, updated_at = now()", status).WherePK()
	if status == "accepted" {
		q = q.Set("uses = uses + 1")
	}
	if _, err := q.Returning("status, uses").Exec(ctx); err != nil {
		return fmt.Errorf("use invite: %w", err)
	}
	return nil
}
