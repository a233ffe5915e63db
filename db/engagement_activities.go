package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Activity is a template of an organization's recurring activity; its
// occurrences are events (ActivityOccurrenceEvent).
type Activity struct {
	bun.BaseModel `bun:"table:activities,alias:act"`

	ID                     uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID         uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	Name                   string     `bun:"name,notnull"`
	Description            string     `bun:"description,notnull"`
	Category               string     `bun:"category,notnull"`
	DefaultDurationMinutes int32      `bun:"default_duration_minutes,notnull"`
	Capacity               int32      `bun:"capacity,notnull"`
	FacilitatorUserID      *uuid.UUID `bun:"facilitator_user_id,type:uuid"`
	IsActive               bool       `bun:"is_active,notnull"`
	CreatedBy              *uuid.UUID `bun:"created_by,type:uuid"`
	Timestamps
}

// ActivitySeries is the recurrence of an activity; the materialize_series
// job creates its occurrences up to a horizon.
type ActivitySeries struct {
	bun.BaseModel `bun:"table:activity_series,alias:ser"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	ActivityID     uuid.UUID `bun:"activity_id,type:uuid,notnull"`
	// Freq is "daily" or "weekly"; Interval counts days or weeks.
	Freq     string `bun:"freq,notnull"`
	Interval int32  `bun:"interval_count,notnull"`
	// ByWeekday are the weekdays (0 = Sunday) of a weekly series; empty:
	// the first start's.
	ByWeekday []int16 `bun:"by_weekday,array,notnull"`
	// Count (occurrences in all) and Until end the series; nil: no limit.
	Count             *int32     `bun:"occurrence_count"`
	Until             *time.Time `bun:"until"`
	StartsAt          time.Time  `bun:"starts_at,notnull"`
	DurationMinutes   int32      `bun:"duration_minutes,notnull"`
	Timezone          string     `bun:"timezone,notnull"`
	HostUserID        uuid.UUID  `bun:"host_user_id,type:uuid,notnull"`
	MaterializedUntil time.Time  `bun:"materialized_until,notnull"`
	Timestamps
}

// InsertActivity creates an activity.
func InsertActivity(ctx context.Context, idb bun.IDB, a *Activity) error {
	if _, err := idb.NewInsert().Model(a).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert activity: %w", err)
	}
	return nil
}

// ActivityByID loads an activity.
func ActivityByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Activity, error) {
	a := new(Activity)
	if err := idb.NewSelect().Model(a).Where("act.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "activity %s", id)
	}
	return a, nil
}

// ListActivities pages through an organization's activities, newest
// first, after the row (beforeCreated, beforeID) when beforeID is set.
func ListActivities(ctx context.Context, idb bun.IDB, orgID uuid.UUID, beforeCreated time.Time, beforeID uuid.UUID, limit int) ([]Activity, error) {
	var out []Activity
	q := idb.NewSelect().Model(&out).Where("act.organization_id = ?", orgID).
		OrderExpr("act.created_at DESC, act.id DESC").Limit(int64(limit))
	if beforeID != uuid.Nil {
		q = q.Where("(act.created_at, act.id) < (?, ?)", beforeCreated, beforeID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list activities of %s: %w", orgID, err)
	}
	return out, nil
}

// InsertActivitySeries creates a series.
func InsertActivitySeries(ctx context.Context, idb bun.IDB, s *ActivitySeries) error {
	if _, err := idb.NewInsert().Model(s).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert activity series: %w", err)
	}
	return nil
}

// ActivitySeriesByID loads a series.
func ActivitySeriesByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*ActivitySeries, error) {
	s := new(ActivitySeries)
	if err := idb.NewSelect().Model(s).Where("ser.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "activity series %s", id)
	}
	return s, nil
}

// SeriesDueBefore lists the series materialized less far than horizon,
// at most limit, the least advanced first.
func SeriesDueBefore(ctx context.Context, idb bun.IDB, horizon time.Time, limit int) ([]ActivitySeries, error) {
	var out []ActivitySeries
	err := idb.NewSelect().Model(&out).Where("ser.materialized_until < ?", horizon).
		OrderExpr("ser.materialized_until, ser.id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list series due before %s: %w", horizon, err)
	}
	return out, nil
}

// SetSeriesMaterialized records that s has its occurrences up to until;
// it never moves the mark back.
func SetSeriesMaterialized(ctx context.Context, idb bun.IDB, seriesID uuid.UUID, until time.Time) error {
	_, err := idb.NewUpdate().Model((*ActivitySeries)(nil)).
		Set("materialized_until = greatest(materialized_until, ?), updated_at = now()", until).
		Where("id = ?", seriesID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark series %s materialized: %w", seriesID, err)
	}
	return nil
}

// ActivityEventRef is what ties an event to an activity.
type ActivityEventRef struct {
	bun.BaseModel `bun:"table:events,alias:e"`

	ID                uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID    *uuid.UUID `bun:"organization_id,type:uuid"`
	ActivityID        *uuid.UUID `bun:"activity_id,type:uuid"`
	SeriesID          *uuid.UUID `bun:"series_id,type:uuid"`
	FacilitatorUserID *uuid.UUID `bun:"facilitator_user_id,type:uuid"`
}

// ActivityEventRefByID loads the activity columns of an event.
func ActivityEventRefByID(ctx context.Context, idb bun.IDB, eventID uuid.UUID) (*ActivityEventRef, error) {
	r := new(ActivityEventRef)
	if err := idb.NewSelect().Model(r).Where("e.id = ?", eventID).Scan(ctx); err != nil {
		return nil, notFound(err, "event %s", eventID)
	}
	return r, nil
}

// ActivityOccurrenceEvent is the event of an occurrence of a starting at
// start, lasting minutes, hosted by host: published, free, visible to
// the organization's members only, one seat per request.
func ActivityOccurrenceEvent(a *Activity, host uuid.UUID, start time.Time, minutes int32, timezone string) *Event {
	id := NewID()
	org := a.OrganizationID
	return &Event{ID: id, HostUserID: host, OrganizationID: &org, Title: a.Name, Slug: "activity-" + id.String(),
		Description: a.Description, StartsAt: start, EndsAt: start.Add(time.Duration(minutes) * time.Minute),
		Timezone: timezone, Capacity: a.Capacity, MaxSeatsPerRequest: 1, AllowedGenders: "all", Currency: "INR",
		FeeMode: "absorbed", Visibility: EventVisibilityOrganization, Status: EventPublished, HoldMinutes: 15,
		RefundCutoffHours: 0, CoverImages: []string{}, DoorOpensMinutesBefore: 30}
}

// EventVisibilityOrganization is the visibility of events only the
// members of their organization see (activity occurrences).
const EventVisibilityOrganization = "organization"

// InsertOccurrence creates the event of an occurrence of activity a
// (series s, nil for a one-off) and reports false, creating nothing, when
// the series already has an occurrence at that start.
func InsertOccurrence(ctx context.Context, idb bun.IDB, e *Event, a *Activity, seriesID *uuid.UUID) (bool, error) {
	e.ActivityID, e.SeriesID, e.FacilitatorUserID = &a.ID, seriesID, a.FacilitatorUserID
	res, err := idb.NewInsert().Model(e).
		On("CONFLICT (series_id, starts_at) WHERE series_id IS NOT NULL DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("insert occurrence of activity %s at %s: %w", a.ID, e.StartsAt, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// CountSeriesOccurrences counts the events of a series.
func CountSeriesOccurrences(ctx context.Context, idb bun.IDB, seriesID uuid.UUID) (int, error) {
	n, err := idb.NewSelect().Model((*Event)(nil)).Where("series_id = ?", seriesID).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count occurrences of series %s: %w", seriesID, err)
	}
	return int(n), nil
}
