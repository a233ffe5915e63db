package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/internal/workcal"
)

// Offices and holiday calendars (migration 20261205000100_onboarding):
// the working calendar an onboarding's milestones, dues and reminders
// follow. OfficeCalendar turns them into the workcal.Calendar every layer
// computes with.

// ErrOfficeNameTaken is returned by SaveOffice for a name another office of
// the organization has, case-insensitively.
var ErrOfficeNameTaken = errors.New("another office of the organization has this name")

// DefaultWorkdays are an office's workdays when none are given: ISO
// Monday to Friday, as the column's default.
var DefaultWorkdays = []int16{1, 2, 3, 4, 5}

// SaveOffice inserts o (ID unset) or replaces the settings of the
// organization's office o.ID (ErrNotFound when it has none of that ID).
func SaveOffice(ctx context.Context, idb bun.IDB, o *Office) error {
	if o.ID == uuid.Nil {
		o.ID = NewID()
		_, err := idb.NewInsert().Model(o).Returning("created_at, updated_at").Exec(ctx)
		return officeWriteError(err, o)
	}
	res, err := idb.NewUpdate().Model(o).
		Column("name", "time_zone", "workdays", "send_window_start", "send_window_end", "holiday_calendar_id").
		Set("updated_at = now()").Where("id = ? AND organization_id = ?", o.ID, o.OrganizationID).
		Returning("created_at, updated_at").Exec(ctx)
	if err != nil {
		return officeWriteError(err, o)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update office %s: %w", o.ID, err)
	} else if n == 0 {
		return fmt.Errorf("office %s: %w", o.ID, ErrNotFound)
	}
	return nil
}

// officeWriteError names the collision of an office write, if any.
func officeWriteError(err error, o *Office) error {
	switch {
	case err == nil:
		return nil
	case IsUniqueViolation(err, "offices_name_key"):
		return fmt.Errorf("office %q: %w", o.Name, ErrOfficeNameTaken)
	}
	return fmt.Errorf("save office %q: %w", o.Name, err)
}

// OfficeInOrg returns an office of the organization.
func OfficeInOrg(ctx context.Context, idb bun.IDB, orgID, id uuid.UUID) (*Office, error) {
	var o Office
	if err := idb.NewSelect().Model(&o).Where("organization_id = ? AND id = ?", orgID, id).Scan(ctx); err != nil {
		return nil, notFound(err, "office %s", id)
	}
	return &o, nil
}

// OfficesOf lists an organization's offices by name.
func OfficesOf(ctx context.Context, idb bun.IDB, orgID uuid.UUID) ([]Office, error) {
	var os []Office
	if err := idb.NewSelect().Model(&os).Where("organization_id = ?", orgID).OrderExpr("lower(name), id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list offices of %s: %w", orgID, err)
	}
	return os, nil
}

// HolidayCalendarsOf lists an organization's holiday calendars by name.
func HolidayCalendarsOf(ctx context.Context, idb bun.IDB, orgID uuid.UUID) ([]HolidayCalendar, error) {
	var cs []HolidayCalendar
	if err := idb.NewSelect().Model(&cs).Where("organization_id = ?", orgID).OrderExpr("lower(name), id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list holiday calendars of %s: %w", orgID, err)
	}
	return cs, nil
}

// HolidayCalendarInOrg returns a holiday calendar of the organization.
func HolidayCalendarInOrg(ctx context.Context, idb bun.IDB, orgID, id uuid.UUID) (*HolidayCalendar, error) {
	var c HolidayCalendar
	if err := idb.NewSelect().Model(&c).Where("organization_id = ? AND id = ?", orgID, id).Scan(ctx); err != nil {
		return nil, notFound(err, "holiday calendar %s", id)
	}
	return &c, nil
}

// LockHolidayCalendar returns the organization's calendar id locked until
// the transaction ends, so two replacements of its holidays run one after
// the other.
func LockHolidayCalendar(ctx context.Context, tx bun.Tx, orgID, id uuid.UUID) (*HolidayCalendar, error) {
	var c HolidayCalendar
	if err := tx.NewSelect().Model(&c).Where("organization_id = ? AND id = ?", orgID, id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "holiday calendar %s", id)
	}
	return &c, nil
}

// EnsureHolidayCalendar returns the organization's calendar of that name
// (case-insensitively), creating it when absent, locked like
// LockHolidayCalendar. The second bool reports whether it was created.
func EnsureHolidayCalendar(ctx context.Context, tx bun.Tx, orgID uuid.UUID, name string) (*HolidayCalendar, bool, error) {
	c := &HolidayCalendar{ID: NewID(), OrganizationID: orgID, Name: name}
	res, err := tx.NewInsert().Model(c).On("CONFLICT (organization_id, lower(name)) DO NOTHING").Exec(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("create holiday calendar %q: %w", name, err)
	}
	created, err := res.RowsAffected()
	if err != nil {
		return nil, false, fmt.Errorf("create holiday calendar %q: %w", name, err)
	}
	err = tx.NewSelect().Model(c).Where("organization_id = ? AND lower(name) = lower(?)", orgID, name).For("UPDATE").Scan(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("holiday calendar %q: %w", name, err)
	}
	return c, created == 1, nil
}

// ReplaceHolidays makes holidays the locked calendar's holidays of the
// given years, leaving its other years alone. The holidays must fall in
// those years and on distinct dates (the caller checks).
func ReplaceHolidays(ctx context.Context, tx bun.Tx, c *HolidayCalendar, years []int, holidays []Holiday) error {
	_, err := tx.NewDelete().Model((*Holiday)(nil)).
		Where("calendar_id = ? AND extract(year FROM date)::int IN (?)", c.ID, bun.In(years)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("drop holidays %v of calendar %s: %w", years, c.ID, err)
	}
	if len(holidays) == 0 {
		return nil
	}
	for i := range holidays {
		holidays[i].ID, holidays[i].OrganizationID, holidays[i].CalendarID = NewID(), c.OrganizationID, c.ID
	}
	if _, err := tx.NewInsert().Model(&holidays).Exec(ctx); err != nil {
		return fmt.Errorf("insert holidays of calendar %s: %w", c.ID, err)
	}
	return nil
}

// HolidaysOfYears lists a calendar's holidays in the given years by date.
func HolidaysOfYears(ctx context.Context, idb bun.IDB, calendarID uuid.UUID, years ...int) ([]Holiday, error) {
	var hs []Holiday
	err := idb.NewSelect().Model(&hs).Where("calendar_id = ? AND extract(year FROM date)::int IN (?)", calendarID, bun.In(years)).
		OrderExpr("date").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list holidays %v of calendar %s: %w", years, calendarID, err)
	}
	return hs, nil
}

// OfficeCalendar is the working calendar of the organization's office
// (zone, workdays, send window and every holiday of its calendar); a nil
// office is the zero Calendar: UTC, Monday to Friday, 09:00-17:00, no
// holidays.
func OfficeCalendar(ctx context.Context, idb bun.IDB, orgID uuid.UUID, officeID *uuid.UUID) (workcal.Calendar, error) {
	if officeID == nil {
		return workcal.Calendar{}, nil
	}
	o, err := OfficeInOrg(ctx, idb, orgID, *officeID)
	if err != nil {
		return workcal.Calendar{}, err
	}
	var holidays []Holiday
	if o.HolidayCalendarID != nil {
		err := idb.NewSelect().Model(&holidays).Where("calendar_id = ?", *o.HolidayCalendarID).OrderExpr("date").Scan(ctx)
		if err != nil {
			return workcal.Calendar{}, fmt.Errorf("holidays of office %s: %w", o.ID, err)
		}
	}
	return o.Calendar(holidays)
}

// Calendar is o's working calendar with the given holidays.
func (o *Office) Calendar(holidays []Holiday) (workcal.Calendar, error) {
	start, err := sinceMidnight(o.SendWindowStart)
	if err != nil {
		return workcal.Calendar{}, fmt.Errorf("office %s send window start: %w", o.ID, err)
	}
	end, err := sinceMidnight(o.SendWindowEnd)
	if err != nil {
		return workcal.Calendar{}, fmt.Errorf("office %s send window end: %w", o.ID, err)
	}
	workdays, err := workcal.WeekdaysFromISO(o.Workdays)
	if err != nil {
		return workcal.Calendar{}, fmt.Errorf("office %s workdays: %w", o.ID, err)
	}
	c := workcal.Calendar{TimeZone: o.TimeZone, Workdays: workdays, WindowStart: start, WindowEnd: end}
	for _, h := range holidays {
		c.Holidays = append(c.Holidays, workcal.DateFromTime(h.Date))
	}
	return c, nil
}

// sinceMidnight parses a time column ("15:04:05", or "15:04" as written) as
// the time since midnight.
func sinceMidnight(s string) (time.Duration, error) {
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second, nil
		}
	}
	return 0, fmt.Errorf("%q is not a time of day", s)
}
