package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// DoorOpensAt is when check-in opens; it closes at EndsAt.
func (e *Event) DoorOpensAt() time.Time {
	return e.StartsAt.Add(-time.Duration(e.DoorOpensMinutesBefore) * time.Minute)
}

// Redemption is one scan that redeems a ticket at the door.
type Redemption struct {
	TicketID, EventID uuid.UUID
	// By is the staff member scanning; DeviceID the scanner; Nonce the
	// scan's own value, which a retry of the same scan repeats.
	By              uuid.UUID
	DeviceID, Nonce string
	// At is when the scan happened.
	At time.Time
}

// RedeemTicket redeems a valid, unredeemed ticket of r.EventID in one
// statement, so of many concurrent scans exactly one succeeds.
func RedeemTicket(ctx context.Context, idb bun.IDB, r Redemption) (bool, error) {
	res, err := idb.NewUpdate().Model((*Ticket)(nil)).
		Set("redeemed_at = ?, redeemed_by = ?, redeem_nonce = ?, redeem_device_id = ?, updated_at = now()", r.At, r.By, r.Nonce, r.DeviceID).
		Where("id = ? AND event_id = ? AND redeemed_at IS NULL AND revoked_at IS NULL", r.TicketID, r.EventID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("redeem ticket: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
