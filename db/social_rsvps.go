package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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

// LiveRequestOf is the user's live ticket order for the event (the one
// that makes them going), ErrNotFound if none. Admission allows one open
// request per buyer and event.
func LiveRequestOf(ctx context.Context, idb bun.IDB, eventID, userID uuid.UUID) (*Request, error) {
	r := new(Request)
	err := idb.NewSelect().Model(r).
		Where("r.event_id = ? AND r.requester_user_id = ? AND r.status IN (?)", eventID, userID, bun.In(liveRequestStatuses)).
		OrderExpr("r.created_at DESC").Limit(1).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "live request of %s for event %s", userID, eventID)
	}
	return r, nil
}

// StoreRsvp stores an RSVP that takes no seat (interested or not_going),
// replacing the user's previous one.
func StoreRsvp(ctx context.Context, idb bun.IDB, eventID, userID uuid.UUID, status string) error {
	_, err := idb.NewInsert().Model(&EventRsvp{EventID: eventID, UserID: userID, Status: status}).
		On("CONFLICT (event_id, user_id) DO UPDATE").Set("status = EXCLUDED.status, updated_at = now()").Exec(ctx)
	if err != nil {
		return fmt.Errorf("store the RSVP %s of %s for event %s: %w", status, userID, eventID, err)
	}
	return nil
}

// RsvpEntry is one person's RSVP as ListRsvps shows it: going from their
// live ticket order, else their stored row.
type RsvpEntry struct {
	UserID    uuid.UUID `bun:"user_id,type:uuid"`
	Status    string    `bun:"status"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// RsvpCounts counts an event's RSVPs by status.
type RsvpCounts struct {
	Going, Interested, NotGoing int32
}

// rsvpEntries is the query of every RSVP to an event: the live ticket
// orders, then the stored rows of the people without one.
const rsvpEntries = `
	SELECT requester_user_id AS user_id, 'going' AS status, max(updated_at) AS updated_at
	FROM event_requests WHERE event_id = ?0 AND status IN (?1) GROUP BY requester_user_id
	UNION ALL
	SELECT user_id, status, updated_at FROM event_rsvps s WHERE s.event_id = ?0 AND NOT EXISTS (
		SELECT 1 FROM event_requests q WHERE q.event_id = s.event_id AND q.requester_user_id = s.user_id AND q.status IN (?1))`

// ListRsvps pages through an event's RSVPs ("" status for all) by the time
// they last changed, then user, after the keyset cursor.
func ListRsvps(ctx context.Context, idb bun.IDB, eventID uuid.UUID, status string, afterUpdated time.Time, afterUser uuid.UUID, limit int) ([]RsvpEntry, error) {
	var out []RsvpEntry
	q := idb.NewSelect().TableExpr("("+rsvpEntries+") AS x", eventID, bun.In(liveRequestStatuses)).
		ColumnExpr("x.user_id, x.status, x.updated_at").OrderExpr("x.updated_at, x.user_id").Limit(int64(limit))
	if status != "" {
		q = q.Where("x.status = ?", status)
	}
	if afterUser != uuid.Nil {
		q = q.Where("(x.updated_at, x.user_id) > (?, ?)", afterUpdated, afterUser)
	}
	if err := q.Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("list the RSVPs of event %s: %w", eventID, err)
	}
	return out, nil
}

// CountRsvps counts an event's RSVPs by status.
func CountRsvps(ctx context.Context, idb bun.IDB, eventID uuid.UUID) (RsvpCounts, error) {
	var c RsvpCounts
	err := idb.NewSelect().TableExpr("("+rsvpEntries+") AS x", eventID, bun.In(liveRequestStatuses)).
		ColumnExpr("count(*) FILTER (WHERE x.status = ?)", enums.RsvpGoing).
		ColumnExpr("count(*) FILTER (WHERE x.status = ?)", enums.RsvpInterested).
		ColumnExpr("count(*) FILTER (WHERE x.status = ?)", enums.RsvpNotGoing).
		Scan(ctx, &c.Going, &c.Interested, &c.NotGoing)
	if err != nil {
		return c, fmt.Errorf("count the RSVPs of event %s: %w", eventID, err)
	}
	return c, nil
}
