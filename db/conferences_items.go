package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// Conferences themselves: their rows, lists, attendee counts and the
// events linked to them.

// ErrConferenceSlugTaken is returned when another conference has the slug
// (conferences_slug_key).
var ErrConferenceSlugTaken = errors.New("another conference has this slug")

// InsertConference writes a new conference; a slug in use is
// ErrConferenceSlugTaken.
func InsertConference(ctx context.Context, idb bun.IDB, c *Conference) error {
	if c.ID == uuid.Nil {
		c.ID = NewID()
	}
	// The public agenda's first version.
	c.AgendaVersion = 1
	_, err := idb.NewInsert().Model(c).Returning("created_at, updated_at").Exec(ctx)
	if IsUniqueViolation(err, "conferences_slug_key") {
		return fmt.Errorf("conference %q: %w", c.Slug, ErrConferenceSlugTaken)
	}
	if err != nil {
		return fmt.Errorf("insert conference %q: %w", c.Slug, err)
	}
	return nil
}

// UpdateConferenceFields stores c's editable fields (slug, name,
// description, dates, zone, venue, featured); a slug in use is
// ErrConferenceSlugTaken.
func UpdateConferenceFields(ctx context.Context, idb bun.IDB, c *Conference) error {
	_, err := idb.NewUpdate().Model(c).
		Column("slug", "name", "description", "start_date", "end_date", "timezone", "venue", "is_featured").
		Set("updated_at = now()").WherePK().Returning("updated_at").Exec(ctx)
	if IsUniqueViolation(err, "conferences_slug_key") {
		return fmt.Errorf("conference %q: %w", c.Slug, ErrConferenceSlugTaken)
	}
	if err != nil {
		return fmt.Errorf("update conference %s: %w", c.ID, err)
	}
	return nil
}

// SetConferenceStatus moves a conference to status, stamping published_at
// or cancelled_at; the caller has checked the move under LockConference.
func SetConferenceStatus(ctx context.Context, idb bun.IDB, c *Conference, status string, at time.Time) error {
	c.Status = status
	switch status {
	case enums.ConferencePublished:
		c.PublishedAt = &at
	case enums.ConferenceCancelled:
		c.CancelledAt = &at
	}
	_, err := idb.NewUpdate().Model(c).Column("status", "published_at", "cancelled_at").
		Set("updated_at = now()").WherePK().Returning("updated_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("set conference %s %s: %w", c.ID, status, err)
	}
	return nil
}

// ConferenceByID returns a conference of any organization; the caller
// checks access.
func ConferenceByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Conference, error) {
	c := new(Conference)
	if err := idb.NewSelect().Model(c).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "conference %s", id)
	}
	return c, nil
}

// ConferenceBySlug returns the conference with the slug.
func ConferenceBySlug(ctx context.Context, idb bun.IDB, slug string) (*Conference, error) {
	c := new(Conference)
	if err := idb.NewSelect().Model(c).Where("slug = ?", slug).Scan(ctx); err != nil {
		return nil, notFound(err, "conference %q", slug)
	}
	return c, nil
}

// LockConference row-locks a conference for a change of it or of its
// agenda, so status checks and agenda_version bumps are serialized.
func LockConference(ctx context.Context, tx bun.Tx, id uuid.UUID) (*Conference, error) {
	c := new(Conference)
	if err := tx.NewSelect().Model(c).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "conference %s", id)
	}
	return c, nil
}

// BumpAgendaVersion moves the conference's agenda_version (the public
// agenda's ETag) on and returns the new version.
func BumpAgendaVersion(ctx context.Context, idb bun.IDB, conferenceID uuid.UUID) (int64, error) {
	var version int64
	err := idb.NewUpdate().Model((*Conference)(nil)).
		Set("agenda_version = agenda_version + 1, updated_at = now()").
		Where("id = ?", conferenceID).Returning("agenda_version").Scan(ctx, &version)
	if err != nil {
		return 0, fmt.Errorf("bump agenda version of conference %s: %w", conferenceID, err)
	}
	return version, nil
}

// AgendaItemsOutsideDates counts the conference's scheduled items that
// would fall outside [start, end] in zone, as the
// conference_agenda_within_dates trigger reads them.
func AgendaItemsOutsideDates(ctx context.Context, idb bun.IDB, conferenceID uuid.UUID, start, end time.Time, zone string) (int, error) {
	n, err := idb.NewSelect().Model((*AgendaItem)(nil)).
		Where("conference_id = ? AND status = ?", conferenceID, enums.AgendaScheduled).
		Where("((starts_at AT TIME ZONE ?)::date < ?::date OR ((ends_at - interval '1 microsecond') AT TIME ZONE ?)::date > ?::date)",
			zone, start.Format(time.DateOnly), zone, end.Format(time.DateOnly)).
		Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count agenda items of conference %s outside its dates: %w", conferenceID, err)
	}
	return int(n), nil
}

// ConferenceFilter picks one page of an organization's conferences, by
// (start_date, id).
type ConferenceFilter struct {
	OrganizationID uuid.UUID
	// Statuses are the statuses shown; empty: any.
	Statuses []string
	// From and To bound the dates: conferences ending on or after From and
	// starting on or before To (zero: unbounded).
	From, To     time.Time
	FeaturedOnly bool
	// AfterDate and AfterID are the last row of the previous page.
	AfterDate time.Time
	AfterID   uuid.UUID
	Limit     int
}

// ConferencesPage lists the conferences f picks.
func ConferencesPage(ctx context.Context, idb bun.IDB, f ConferenceFilter) ([]Conference, error) {
	var out []Conference
	q := idb.NewSelect().Model(&out).Where("organization_id = ?", f.OrganizationID)
	if len(f.Statuses) > 0 {
		q = q.Where("status IN (?)", bun.In(f.Statuses))
	}
	if !f.From.IsZero() {
		q = q.Where("end_date >= ?::date", f.From.Format(time.DateOnly))
	}
	if !f.To.IsZero() {
		q = q.Where("start_date <= ?::date", f.To.Format(time.DateOnly))
	}
	if f.FeaturedOnly {
		q = q.Where("is_featured")
	}
	if f.AfterID != uuid.Nil {
		q = q.Where("(start_date, id) > (?::date, ?)", f.AfterDate.Format(time.DateOnly), f.AfterID)
	}
	if err := q.OrderExpr("start_date, id").Limit(int64(f.Limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list conferences of %s: %w", f.OrganizationID, err)
	}
	return out, nil
}

// ConferenceAttendance is what a conference's answer shows of its
// attendees: how many are registered, and the caller's registration.
type ConferenceAttendance struct {
	Registered int
	// Mine is the caller's enums.Attendance* status, "" if they never
	// registered.
	Mine string
}

// AttendanceOf counts the registered attendees of each conference and
// finds userID's registration.
func AttendanceOf(ctx context.Context, idb bun.IDB, conferenceIDs []uuid.UUID, userID uuid.UUID) (map[uuid.UUID]ConferenceAttendance, error) {
	out := make(map[uuid.UUID]ConferenceAttendance, len(conferenceIDs))
	if len(conferenceIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ConferenceID uuid.UUID `bun:"conference_id"`
		Registered   int       `bun:"registered"`
		Mine         string    `bun:"mine"`
	}
	err := idb.NewSelect().Model((*ConferenceAttendee)(nil)).
		Column("conference_id").
		ColumnExpr("count(*) FILTER (WHERE status = ?) AS registered", enums.AttendanceRegistered).
		ColumnExpr("coalesce(max(status) FILTER (WHERE user_id = ?), '') AS mine", userID).
		Where("conference_id IN (?)", bun.In(conferenceIDs)).
		Group("conference_id").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("count attendees of %d conferences: %w", len(conferenceIDs), err)
	}
	for _, r := range rows {
		out[r.ConferenceID] = ConferenceAttendance{Registered: r.Registered, Mine: r.Mine}
	}
	return out, nil
}

// AttendeeRow is a registration with the member's display name.
type AttendeeRow struct {
	ConferenceAttendee `bun:",extend"`
	DisplayName        string `bun:"display_name"`
}

// AttendeesPage lists a conference's registrations by (registered_at,
// id) after the given key, at most limit rows.
func AttendeesPage(ctx context.Context, idb bun.IDB, conferenceID uuid.UUID, after time.Time, afterID uuid.UUID, limit int) ([]AttendeeRow, error) {
	var out []AttendeeRow
	q := idb.NewSelect().Model(&out).
		ColumnExpr("catt.*").
		ColumnExpr("coalesce(p.name, '') AS display_name").
		Join("LEFT JOIN user_profiles AS p ON p.user_id = catt.user_id").
		Where("catt.conference_id = ?", conferenceID)
	if afterID != uuid.Nil {
		q = q.Where("(catt.registered_at, catt.id) > (?, ?)", after, afterID)
	}
	if err := q.OrderExpr("catt.registered_at, catt.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list attendees of conference %s: %w", conferenceID, err)
	}
	return out, nil
}

// RegisteredAttendeeIDs lists the users registered for a conference, the
// audience of its cancellation notice.
func RegisteredAttendeeIDs(ctx context.Context, idb bun.IDB, conferenceID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := idb.NewSelect().Model((*ConferenceAttendee)(nil)).Column("user_id").
		Where("conference_id = ? AND status = ?", conferenceID, enums.AttendanceRegistered).
		OrderExpr("registered_at, id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("list attendees of conference %s: %w", conferenceID, err)
	}
	return ids, nil
}

// AttendeeOf returns userID's registration for the conference, or
// ErrNotFound.
func AttendeeOf(ctx context.Context, idb bun.IDB, conferenceID, userID uuid.UUID) (*ConferenceAttendee, error) {
	a := new(ConferenceAttendee)
	err := idb.NewSelect().Model(a).Where("conference_id = ? AND user_id = ?", conferenceID, userID).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "registration of %s for conference %s", userID, conferenceID)
	}
	return a, nil
}

// LinkEventToConference makes the event part of the conference; it
// reports whether the link is new.
func LinkEventToConference(ctx context.Context, idb bun.IDB, eventID, conferenceID uuid.UUID) (bool, error) {
	res, err := idb.NewUpdate().Table("events").Set("conference_id = ?, updated_at = now()", conferenceID).
		Where("id = ? AND conference_id IS DISTINCT FROM ?", eventID, conferenceID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("link event %s to conference %s: %w", eventID, conferenceID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("link event %s to conference %s: %w", eventID, conferenceID, err)
	}
	return n > 0, nil
}

// UnlinkEventFromConference takes the event out of the conference;
// ErrNotFound when it is not linked to it.
func UnlinkEventFromConference(ctx context.Context, idb bun.IDB, eventID, conferenceID uuid.UUID) error {
	res, err := idb.NewUpdate().Table("events").Set("conference_id = NULL, updated_at = now()").
		Where("id = ? AND conference_id = ?", eventID, conferenceID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("unlink event %s from conference %s: %w", eventID, conferenceID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("unlink event %s from conference %s: %w", eventID, conferenceID, err)
	} else if n == 0 {
		return fmt.Errorf("event %s in conference %s: %w", eventID, conferenceID, ErrNotFound)
	}
	return nil
}
