package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Why InsertRating wrote nothing.
var (
	// ErrNotCoAttendees: the rater or the rated user holds no live
	// attendee row (going or checked in) for the event.
	ErrNotCoAttendees = errors.New("you can rate only people who attended with you")
	// ErrEventNotEnded: the event has not ended yet.
	ErrEventNotEnded = errors.New("the event has not ended yet")
	// ErrAlreadyRated: the rater rated this user for this event already.
	ErrAlreadyRated = errors.New("you rated this person for this event already")
)

// insertRatingSQL writes the rating only when both users hold a live
// attendee row and the event has ended, in one statement: no check can go
// stale between a read and the write. A second rating does nothing.
const insertRatingSQL = `
INSERT INTO ratings (id, rated_user_id, rater_user_id, event_id, rating, comment)
SELECT ?0, ?1, ?2, ?3, ?4, ?5
WHERE EXISTS (SELECT 1 FROM event_attendees WHERE event_id = ?3 AND user_id = ?2 AND status <> 'cancelled')
  AND EXISTS (SELECT 1 FROM event_attendees WHERE event_id = ?3 AND user_id = ?1 AND status <> 'cancelled')
  AND EXISTS (SELECT 1 FROM events WHERE id = ?3 AND ends_at <= ?6)
ON CONFLICT (rater_user_id, rated_user_id, event_id) DO NOTHING
RETURNING created_at`

// addToReputationSQL adds one rating to the rated user's kept reputation.
// The right-hand sides read the row before the update, and the row lock
// serializes concurrent ratings of the same user.
const addToReputationSQL = `
UPDATE users SET rating_sum = rating_sum + ?0, rating_count = rating_count + 1,
    reputation = round((rating_sum + ?0)::numeric / (rating_count + 1), 2), updated_at = now()
WHERE id = ?1
RETURNING id, rating_sum, rating_count, reputation`

// InsertRating records r (its ID is set here) at now and adds it to the
// rated user's reputation, in tx, and returns the new reputation. When
// nothing is written it says why: ErrAlreadyRated, ErrNotCoAttendees or
// ErrEventNotEnded.
func InsertRating(ctx context.Context, tx bun.Tx, r *Rating, now time.Time) (*Reputation, error) {
	r.ID = NewID()
	err := tx.QueryRowContext(ctx, insertRatingSQL, r.ID, r.RatedUserID, r.RaterUserID, r.EventID, r.Rating, r.Comment, now).
		Scan(&r.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, whyNotRated(ctx, tx, r, now)
	}
	if err != nil {
		return nil, fmt.Errorf("rate %s at event %s: %w", r.RatedUserID, r.EventID, err)
	}
	rep := new(Reputation)
	err = tx.QueryRowContext(ctx, addToReputationSQL, r.Rating, r.RatedUserID).
		Scan(&rep.UserID, &rep.RatingSum, &rep.RatingCount, &rep.Reputation)
	if err != nil {
		return nil, fmt.Errorf("add a rating to the reputation of %s: %w", r.RatedUserID, err)
	}
	return rep, nil
}

// whyNotRated tells which condition of insertRatingSQL failed.
func whyNotRated(ctx context.Context, tx bun.Tx, r *Rating, now time.Time) error {
	rated, err := tx.NewSelect().Model((*Rating)(nil)).
		Where("rater_user_id = ? AND rated_user_id = ? AND event_id = ?", r.RaterUserID, r.RatedUserID, r.EventID).Exists(ctx)
	if err != nil {
		return fmt.Errorf("read the ratings of %s: %w", r.RaterUserID, err)
	}
	if rated {
		return ErrAlreadyRated
	}
	var n int
	err = tx.NewSelect().Model((*Attendee)(nil)).ColumnExpr("count(DISTINCT user_id)").
		Where("event_id = ? AND user_id IN (?, ?) AND status <> 'cancelled'", r.EventID, r.RaterUserID, r.RatedUserID).
		Scan(ctx, &n)
	if err != nil {
		return fmt.Errorf("read the attendees of event %s: %w", r.EventID, err)
	}
	if n < 2 {
		return ErrNotCoAttendees
	}
	ended, err := tx.NewSelect().Model((*Event)(nil)).Where("id = ? AND ends_at <= ?", r.EventID, now).Exists(ctx)
	if err != nil {
		return fmt.Errorf("read event %s: %w", r.EventID, err)
	}
	if !ended {
		return ErrEventNotEnded
	}
	// A concurrent cancellation between the insert and these reads.
	return ErrNotCoAttendees
}

// ReputationOf is the user's kept reputation; ErrNotFound without the user.
func ReputationOf(ctx context.Context, idb bun.IDB, userID uuid.UUID) (*Reputation, error) {
	rep := new(Reputation)
	err := idb.NewSelect().Table("users").Column("id", "rating_sum", "rating_count", "reputation").
		Where("id = ?", userID).Scan(ctx, rep)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read the reputation of %s: %w", userID, err)
	}
	return rep, nil
}

// PersonToRate is a co-attendee not rated yet.
type PersonToRate struct {
	UserID      uuid.UUID `bun:"user_id,type:uuid"`
	DisplayName string    `bun:"display_name"`
}

// PeopleToRate lists the other live attendees of the event whom raterID
// has not rated, by display name (at most limit). It does not check that
// raterID attended or that the event ended.
func PeopleToRate(ctx context.Context, idb bun.IDB, eventID, raterID uuid.UUID, limit int) ([]PersonToRate, error) {
	var out []PersonToRate
	err := idb.NewSelect().TableExpr("event_attendees AS a").
		ColumnExpr("DISTINCT a.user_id, coalesce(p.name, '') AS display_name").
		Join("LEFT JOIN user_profiles AS p ON p.user_id = a.user_id").
		Where("a.event_id = ? AND a.status <> 'cancelled' AND a.user_id <> ?", eventID, raterID).
		Where("NOT EXISTS (SELECT 1 FROM ratings AS r WHERE r.event_id = a.event_id AND r.rater_user_id = ? AND r.rated_user_id = a.user_id)", raterID).
		OrderExpr("display_name, a.user_id").Limit(int64(limit)).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("list the people %s may rate at event %s: %w", raterID, eventID, err)
	}
	return out, nil
}

// IsLiveAttendee reports whether the user holds a going or checked-in
// attendee row for the event.
func IsLiveAttendee(ctx context.Context, idb bun.IDB, eventID, userID uuid.UUID) (bool, error) {
	ok, err := idb.NewSelect().Model((*Attendee)(nil)).
		Where("event_id = ? AND user_id = ? AND status <> 'cancelled'", eventID, userID).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("read the attendance of %s at event %s: %w", userID, eventID, err)
	}
	return ok, nil
}

// unpromptedAttendee selects the live attendees a of an event (alias a)
// who have not had their rating prompt (its notice key), at events with
// two live attendees at least: alone, there is no one to rate.
const unpromptedAttendee = `a.status <> 'cancelled'
AND NOT EXISTS (SELECT 1 FROM notification_notices AS n
    WHERE n.dedupe_key = 'rating-prompt/' || a.event_id::text || '/' || a.user_id::text)
AND (SELECT count(DISTINCT b.user_id) FROM event_attendees AS b WHERE b.event_id = a.event_id AND b.status <> 'cancelled') >= 2`

// EventsToPrompt lists the events (not cancelled) that ended in [from,
// to) with attendees not prompted to rate yet, earliest end first, at
// most limit.
func EventsToPrompt(ctx context.Context, idb bun.IDB, from, to time.Time, limit int) ([]Event, error) {
	var out []Event
	err := idb.NewSelect().Model(&out).
		Where("e.ends_at >= ? AND e.ends_at < ? AND e.status <> ?", from, to, EventCancelled).
		Where("EXISTS (SELECT 1 FROM event_attendees AS a WHERE a.event_id = e.id AND " + unpromptedAttendee + ")").
		OrderExpr("e.ends_at, e.id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the events that ended before %s: %w", to, err)
	}
	return out, nil
}

// AttendeesToPrompt lists the live attendees of the event not prompted
// to rate yet.
func AttendeesToPrompt(ctx context.Context, idb bun.IDB, eventID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := idb.NewSelect().TableExpr("event_attendees AS a").ColumnExpr("DISTINCT a.user_id").
		Where("a.event_id = ? AND "+unpromptedAttendee, eventID).OrderExpr("a.user_id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("list the attendees of event %s to prompt: %w", eventID, err)
	}
	return ids, nil
}
