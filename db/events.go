package db

import (
	"context"
	"fmt"
	"time"

	"github.com/convene/convene/internal/money"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Event statuses.
const (
	EventDraft     = "draft"
	EventPublished = "published"
	EventCancelled = "cancelled"
	EventCompleted = "completed"
)

// Event is something people can request to join. SeatsTaken counts held
// and confirmed seats; a CHECK keeps it within Capacity.
type Event struct {
	bun.BaseModel `bun:"table:events,alias:e"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	HostUserID     uuid.UUID  `bun:"host_user_id,type:uuid,notnull"`
	OrganizationID *uuid.UUID `bun:"organization_id,type:uuid"`
	ConferenceID   *uuid.UUID `bun:"conference_id,type:uuid"`
	Title          string     `bun:"title,notnull"`
	Slug           string     `bun:"slug,notnull"`
	Mood           string     `bun:"mood,notnull"`
	// EventType is one of enums.EventTypes ("other" unless set).
	EventType             string     `bun:"event_type,nullzero,notnull,default:'other'"`
	Description           string     `bun:"description,notnull"`
	VenueID               *uuid.UUID `bun:"venue_id,type:uuid"`
	VenueText             string     `bun:"venue_text,notnull"`
	Latitude              *float64   `bun:"latitude"`
	Longitude             *float64   `bun:"longitude"`
	StartsAt              time.Time  `bun:"starts_at,notnull"`
	EndsAt                time.Time  `bun:"ends_at,notnull"`
	Timezone              string     `bun:"timezone,notnull"`
	Capacity              int32      `bun:"capacity,notnull"`
	MaxSeatsPerRequest    int32      `bun:"max_seats_per_request,notnull"`
	AllowedGenders        string     `bun:"allowed_genders,notnull"`
	IsPaid                bool       `bun:"is_paid,notnull"`
	TicketPriceMinor      int64      `bun:"ticket_price_minor,notnull"`
	Currency              string     `bun:"currency,notnull"`
	GSTNumber             string     `bun:"gst_number,notnull"`
	GSTBps                int32      `bun:"gst_bps,notnull"`
	PlatformFeeFixedMinor int64      `bun:"platform_fee_fixed_minor,notnull"`
	PlatformFeeBps        int32      `bun:"platform_fee_bps,notnull"`
	FeeMode               string     `bun:"fee_mode,notnull"`
	RequiresApproval      bool       `bun:"requires_approval,notnull"`
	Visibility            string     `bun:"visibility,notnull"`
	Status                string     `bun:"status,notnull"`
	HoldMinutes           int32      `bun:"hold_minutes,notnull"`
	RefundCutoffHours     int32      `bun:"refund_cutoff_hours,notnull"`
	CoverImages           []string   `bun:"cover_images,type:jsonb,notnull"`
	SeatsTaken            int32      `bun:"seats_taken,notnull"`
	GoingCount            int32      `bun:"going_count,notnull"`
	RequestsCount         int32      `bun:"requests_count,notnull"`
	WaitlistCount         int32      `bun:"waitlist_count,notnull"`
	// SeatBuckets is how many event_seat_buckets rows hold the seats
	// (events_buckets.go); 1 means the event row counts them all.
	SeatBuckets int32 `bun:"seat_buckets,nullzero,notnull,default:1"`

	// DoorOpensMinutesBefore is how long before StartsAt check-in opens.
	DoorOpensMinutesBefore int32 `bun:"door_opens_minutes_before,notnull"`
	// SocialHandles and OfficialHashtags are the event's social profile,
	// read here and written only by SetEventSocialProfile
	// (content_events.go).
	SocialHandles    map[string]string `bun:"social_handles,type:jsonb,scanonly"`
	OfficialHashtags []string          `bun:"official_hashtags,array,scanonly"`
	// The activity columns (issue 11): set only on the occurrences of an
	// organization's activity (engagement_activities.go), nil otherwise.
	ActivityID         *uuid.UUID `bun:"activity_id,type:uuid"`
	SeriesID           *uuid.UUID `bun:"series_id,type:uuid"`
	FacilitatorUserID  *uuid.UUID `bun:"facilitator_user_id,type:uuid"`
	ExternalCalendarID *string    `bun:"external_calendar_id"`
	Timestamps
}

// Venue is a place events happen at.
type Venue struct {
	bun.BaseModel `bun:"table:venues,alias:v"`

	ID             uuid.UUID      `bun:"id,pk,type:uuid"`
	OrganizationID *uuid.UUID     `bun:"organization_id,type:uuid"`
	CreatedBy      *uuid.UUID     `bun:"created_by,type:uuid"`
	Name           string         `bun:"name,notnull"`
	Address        string         `bun:"address,notnull"`
	Latitude       float64        `bun:"latitude,notnull"`
	Longitude      float64        `bun:"longitude,notnull"`
	Metadata       map[string]any `bun:"metadata,type:jsonb,notnull"`
	Timestamps
}

// EventInterest links an event to an interest.
type EventInterest struct {
	bun.BaseModel `bun:"table:event_interest_map"`

	EventID    uuid.UUID `bun:"event_id,pk,type:uuid"`
	InterestID uuid.UUID `bun:"interest_id,pk,type:uuid"`
	Timestamps
}

// InsertEvent creates an event.
func InsertEvent(ctx context.Context, idb bun.IDB, e *Event) error {
	if _, err := idb.NewInsert().Model(e).Returning("*").Exec(ctx); err != nil {
		return fmt.Errorf("insert event: %w", err)
	}
	return nil
}

// EventByID loads an event.
func EventByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Event, error) {
	e := new(Event)
	if err := idb.NewSelect().Model(e).Where("e.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "event %s", id)
	}
	return e, AddSeatBucketTotals(ctx, idb, e)
}

// EventForUpdate row-locks an event. The lock is FOR NO KEY UPDATE, the
// one an UPDATE of the row takes: it excludes every other writer but not
// the KEY SHARE locks that inserting rows referencing the event takes (a
// request, a hold), so an admission holding those never deadlocks with a
// release that locks the event to offer its seats.
func EventForUpdate(ctx context.Context, tx bun.Tx, id uuid.UUID) (*Event, error) {
	e := new(Event)
	if err := tx.NewSelect().Model(e).Where("e.id = ?", id).For("NO KEY UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "event %s", id)
	}
	return e, AddSeatBucketTotals(ctx, tx, e)
}

// SetEventStatus changes an event's status.
func SetEventStatus(ctx context.Context, idb bun.IDB, id uuid.UUID, status string) error {
	_, err := idb.NewUpdate().Model((*Event)(nil)).Set("status = ?, updated_at = now()", status).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("set event status: %w", err)
	}
	return nil
}

// ReplaceEventInterests sets an event's interests.
func ReplaceEventInterests(ctx context.Context, idb bun.IDB, eventID uuid.UUID, interestIDs []uuid.UUID) error {
	if _, err := idb.NewDelete().Model((*EventInterest)(nil)).Where("event_id = ?", eventID).Exec(ctx); err != nil {
		return fmt.Errorf("clear event interests: %w", err)
	}
	if len(interestIDs) == 0 {
		return nil
	}
	rows := make([]EventInterest, 0, len(interestIDs))
	for _, id := range interestIDs {
		rows = append(rows, EventInterest{EventID: eventID, InterestID: id})
	}
	if _, err := idb.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("insert event interests: %w", err)
	}
	return nil
}

// EventInterestSlugs returns the interest slugs of each event.
func EventInterestSlugs(ctx context.Context, idb bun.IDB, eventIDs []uuid.UUID) (map[uuid.UUID][]string, error) {
	out := map[uuid.UUID][]string{}
	if len(eventIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		EventID uuid.UUID `bun:"event_id"`
		Slug    string    `bun:"slug"`
	}
	err := idb.NewSelect().TableExpr("event_interest_map AS m").ColumnExpr("m.event_id, i.slug").
		Join("JOIN event_interests AS i ON i.id = m.interest_id").Where("m.event_id IN (?)", bun.In(eventIDs)).
		OrderExpr("i.slug").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("load event interests: %w", err)
	}
	for _, r := range rows {
		out[r.EventID] = append(out[r.EventID], r.Slug)
	}
	return out, nil
}

// EventFilter narrows ListEvents. Zero fields do not filter.
type EventFilter struct {
	InterestSlugs []string
	EventTypes    []string // enums.EventTypes; any of them
	StartsAfter   time.Time
	StartsBefore  time.Time
	IsPaid        *bool
	Query         string
	Near          *GeoPoint
	RadiusKm      float64
	HostUserID    *uuid.UUID // ListMyEvents: every status and visibility
	AfterStarts   time.Time  // keyset cursor
	AfterID       uuid.UUID
	Limit         int
}

// GeoPoint is a latitude/longitude pair.
type GeoPoint struct{ Latitude, Longitude float64 }

// ListEvents lists events by start time (then id), with keyset pagination.
// Without HostUserID only published public events are listed.
func ListEvents(ctx context.Context, idb bun.IDB, f EventFilter) ([]Event, error) {
	var out []Event
	q := idb.NewSelect().Model(&out).OrderExpr("e.starts_at, e.id").Limit(int64(f.Limit))
	if f.HostUserID != nil {
		q = q.Where("e.host_user_id = ?", *f.HostUserID)
	} else {
		q = q.Where("e.status = ? AND e.visibility = 'public'", EventPublished)
	}
	if len(f.InterestSlugs) > 0 {
		q = q.Where(`EXISTS (SELECT 1 FROM event_interest_map m JOIN event_interests i ON i.id = m.interest_id
			WHERE m.event_id = e.id AND i.slug IN (?))`, bun.In(f.InterestSlugs))
	}
	if len(f.EventTypes) > 0 {
		q = q.Where("e.event_type IN (?)", bun.In(f.EventTypes))
	}
	if !f.StartsAfter.IsZero() {
		q = q.Where("e.starts_at >= ?", f.StartsAfter)
	}
	if !f.StartsBefore.IsZero() {
		q = q.Where("e.starts_at < ?", f.StartsBefore)
	}
	if f.IsPaid != nil {
		q = q.Where("e.is_paid = ?", *f.IsPaid)
	}
	if f.Query != "" {
		q = q.Where("(e.title ILIKE ? OR e.description ILIKE ?)", "%"+f.Query+"%", "%"+f.Query+"%")
	}
	if f.Near != nil {
		// Haversine distance in km; fine for listing, no PostGIS needed.
		q = q.Where(`e.latitude IS NOT NULL AND 6371 * 2 * asin(sqrt(
			power(sin(radians(e.latitude - ?) / 2), 2) +
			cos(radians(?)) * cos(radians(e.latitude)) * power(sin(radians(e.longitude - ?) / 2), 2))) <= ?`,
			f.Near.Latitude, f.Near.Latitude, f.Near.Longitude, f.RadiusKm)
	}
	if f.AfterID != uuid.Nil {
		q = q.Where("(e.starts_at, e.id) > (?, ?)", f.AfterStarts, f.AfterID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, addListSeatBucketTotals(ctx, idb, out)
}

// InsertVenue creates a venue.
func InsertVenue(ctx context.Context, idb bun.IDB, v *Venue) error {
	if _, err := idb.NewInsert().Model(v).Returning("*").Exec(ctx); err != nil {
		return fmt.Errorf("insert venue: %w", err)
	}
	return nil
}

// ListVenues lists venues by name, optionally matching query.
func ListVenues(ctx context.Context, idb bun.IDB, query string, afterName string, afterID uuid.UUID, limit int) ([]Venue, error) {
	var out []Venue
	q := idb.NewSelect().Model(&out).OrderExpr("v.name, v.id").Limit(int64(limit))
	if query != "" {
		q = q.Where("v.name ILIKE ? OR v.address ILIKE ?", "%"+query+"%", "%"+query+"%")
	}
	if afterID != uuid.Nil {
		q = q.Where("(v.name, v.id) > (?, ?)", afterName, afterID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list venues: %w", err)
	}
	return out, nil
}

// VenueByID loads a venue.
func VenueByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Venue, error) {
	v := new(Venue)
	if err := idb.NewSelect().Model(v).Where("v.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "venue %s", id)
	}
	return v, nil
}

// Pricing is the event's current price settings as money.Pricing.
func (e *Event) Pricing() money.Pricing {
	return money.Pricing{UnitPrice: e.TicketPriceMinor, Currency: e.Currency, GSTBps: e.GSTBps,
		FeeFixed: e.PlatformFeeFixedMinor, FeeBps: e.PlatformFeeBps, FeeMode: money.FeeMode(e.FeeMode)}
}
