package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// liveRequestStatuses are the ticket orders that make their buyer "going":
// every request that holds, waits for or has a seat.
var liveRequestStatuses = []string{enums.RequestPending, enums.RequestWaitlisted, enums.RequestOffered,
	enums.RequestAwaitingPayment, enums.RequestAccepted}

// RsvpOf is the user's RSVP to the event: enums.RsvpGoing while a live
// ticket order exists (the only "going"), else the stored interested or
// not_going, else "".
func RsvpOf(ctx context.Context, idb bun.IDB, eventID, userID uuid.UUID) (string, error) {
	going, err := idb.NewSelect().Model((*Request)(nil)).
		Where("event_id = ? AND requester_user_id = ? AND status IN (?)", eventID, userID, bun.In(liveRequestStatuses)).
		Exists(ctx)
	if err != nil {
		return "", fmt.Errorf("read the ticket orders of %s for event %s: %w", userID, eventID, err)
	}
	if going {
		return enums.RsvpGoing, nil
	}
	var status string
	err = idb.NewSelect().Model((*EventRsvp)(nil)).Column("status").
		Where("event_id = ? AND user_id = ?", eventID, userID).Scan(ctx, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the RSVP of %s for event %s: %w", userID, eventID, err)
	}
	return status, nil
}
