package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Values of activity_participations.rsvp and .attendance.
const (
	RsvpGoing          = "going"
	RsvpNotGoing       = "not_going"
	AttendanceAttended = "attended"
	AttendanceNoShow   = "no_show"
)

// ActivityParticipation is a member's side of one activity occurrence.
type ActivityParticipation struct {
	bun.BaseModel `bun:"table:activity_participations,alias:ap"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	EventID        uuid.UUID `bun:"event_id,type:uuid,notnull"`
	UserID         uuid.UUID `bun:"user_id,type:uuid,notnull"`
	Rsvp           string    `bun:"rsvp,notnull"`
	// RequestID is the ticket order of the latest RSVP going.
	RequestID       *uuid.UUID `bun:"request_id,type:uuid"`
	Attendance      *string    `bun:"attendance"`
	CheckInTime     *time.Time `bun:"check_in_time"`
	FeedbackRating  *int16     `bun:"feedback_rating"`
	FeedbackComment string     `bun:"feedback_comment,notnull"`
	Timestamps
}

// UpsertRsvp records a member's answer: a new participation, or the
// answer (and for going, the ticket order) of the existing one.
func UpsertRsvp(ctx context.Context, idb bun.IDB, p *ActivityParticipation) error {
	if p.ID == uuid.Nil {
		p.ID = NewID()
	}
	_, err := idb.NewInsert().Model(p).
		On("CONFLICT (event_id, user_id) DO UPDATE").
		Set("rsvp = EXCLUDED.rsvp, request_id = coalesce(EXCLUDED.request_id, ap.request_id), updated_at = now()").
		Returning("*").Exec(ctx)
	if err != nil {
		return fmt.Errorf("record rsvp of %s to %s: %w", p.UserID, p.EventID, err)
	}
	return nil
}

// ParticipationOf loads a member's participation in an event.
func ParticipationOf(ctx context.Context, idb bun.IDB, eventID, userID uuid.UUID) (*ActivityParticipation, error) {
	p := new(ActivityParticipation)
	err := idb.NewSelect().Model(p).Where("ap.event_id = ? AND ap.user_id = ?", eventID, userID).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "participation of %s in %s", userID, eventID)
	}
	return p, nil
}

// MarkAttended records a check-in on the member's participation in an
// activity event; it reports false when there is none or it already has
// one. The table's trigger refuses a time outside the event's window.
func MarkAttended(ctx context.Context, idb bun.IDB, eventID, userID uuid.UUID, at time.Time) (bool, error) {
	res, err := idb.NewUpdate().Model((*ActivityParticipation)(nil)).
		Set("attendance = ?, check_in_time = ?, updated_at = now()", AttendanceAttended, at).
		Where("event_id = ? AND user_id = ? AND attendance IS DISTINCT FROM ?", eventID, userID, AttendanceAttended).
		Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("mark %s attended %s: %w", userID, eventID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SetFeedback stores the feedback of a member who attended; it reports
// false, changing nothing, for anyone else.
func SetFeedback(ctx context.Context, idb bun.IDB, eventID, userID uuid.UUID, rating int16, comment string) (bool, error) {
	res, err := idb.NewUpdate().Model((*ActivityParticipation)(nil)).
		Set("feedback_rating = ?, feedback_comment = ?, updated_at = now()", rating, comment).
		Where("event_id = ? AND user_id = ? AND attendance = ?", eventID, userID, AttendanceAttended).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("feedback of %s on %s: %w", userID, eventID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ListParticipations pages through an event's participations, oldest
// first, after the row (afterCreated, afterID) when afterID is set.
func ListParticipations(ctx context.Context, idb bun.IDB, eventID uuid.UUID, afterCreated time.Time, afterID uuid.UUID, limit int) ([]ActivityParticipation, error) {
	var out []ActivityParticipation
	q := idb.NewSelect().Model(&out).Where("ap.event_id = ?", eventID).OrderExpr("ap.created_at, ap.id").Limit(int64(limit))
	if afterID != uuid.Nil {
		q = q.Where("(ap.created_at, ap.id) > (?, ?)", afterCreated, afterID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list participations of %s: %w", eventID, err)
	}
	return out, nil
}

// MarkNoShows marks as no-shows the members going to an activity event
// that ended before now without checking in, and returns how many; a
// second run finds none.
func MarkNoShows(ctx context.Context, idb bun.IDB, now time.Time) (int, error) {
	res, err := idb.NewUpdate().Model((*ActivityParticipation)(nil)).
		Set("attendance = ?, updated_at = now()", AttendanceNoShow).
		Where("rsvp = ? AND attendance IS NULL", RsvpGoing).
		Where("event_id IN (SELECT id FROM events WHERE activity_id IS NOT NULL AND ends_at <= ? AND status <> 'cancelled')", now).
		Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("mark no-shows: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
