package db

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// HasOpenRequest reports whether userID already has an open request
// (pending, waitlisted, offered, awaiting payment or accepted) for the
// event: the case the event_requests_one_open_idx unique index refuses.
func HasOpenRequest(ctx context.Context, idb bun.IDB, eventID, userID uuid.UUID) (bool, error) {
	exists, err := idb.NewSelect().Model((*Request)(nil)).
		Where("event_id = ? AND requester_user_id = ? AND status IN ('pending', 'waitlisted', 'offered', 'awaiting_payment', 'accepted')", eventID, userID).
		Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("look up open request: %w", err)
	}
	return exists, nil
}
