// Package workcal is the business-day calendar of an office: which dates are
// working days (workdays minus holidays), when the daily send window opens
// and closes in the office's time zone, and the onboarding rules built on
// them (milestone dates, due times, the reminder ladder), so every layer
// computes them with one definition.
//
// It is pure: no I/O, no clock, no randomness, so workflow code can call it
// and replay gets the same answers. Dates are civil dates (Date); instants
// come out as time.Time computed on the office's wall clock, so 09:00 stays
// 09:00 local across daylight-saving changes.
package workcal

import (
	"errors"
	"fmt"
	"sync"
	"time"

	// Embed the IANA database so office zones load on hosts and images
	// without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// Default send window when a Calendar leaves both ends zero.
const (
	DefaultWindowStart = 9 * time.Hour
	DefaultWindowEnd   = 17 * time.Hour
)

// Errors Validate returns, wrapped with the offending value; callers branch
// with errors.Is and turn them into a field violation.
var (
	ErrInvalidTimeZone = errors.New("workcal: unknown time zone; use an IANA name such as Europe/Berlin")
	ErrInvalidWindow   = errors.New("workcal: send window must start before it ends, within 00:00..24:00")
	ErrInvalidWorkday  = errors.New("workcal: workdays must be distinct weekdays Sunday(0)..Saturday(6)")
)

// Calendar is one office's working calendar. The zero value is a Monday to
// Friday, 09:00-17:00 UTC calendar with no holidays.
type Calendar struct {
	// TimeZone is the office's IANA zone; "" means UTC.
	TimeZone string
	// Workdays are the days of the week people work; empty means Monday..Friday.
	Workdays []time.Weekday
	// WindowStart and WindowEnd bound the daily send window, as time since
	// local midnight; both zero means 09:00..17:00.
	WindowStart, WindowEnd time.Duration
	// Holidays are dates nobody works, whatever their weekday.
	Holidays []Date
}

// Validate reports every problem with c: a zone that does not load, a
// window that does not start before it ends, a workday that is not a
// weekday or is listed twice.
func (c Calendar) Validate() error {
	var errs []error
	if _, err := loadZone(c.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("%w: %q", ErrInvalidTimeZone, c.TimeZone))
	}
	start, end := c.window()
	if start < 0 || end > 24*time.Hour || start >= end {
		errs = append(errs, fmt.Errorf("%w: %s..%s", ErrInvalidWindow, start, end))
	}
	seen := map[time.Weekday]bool{}
	for _, w := range c.Workdays {
		if w < time.Sunday || w > time.Saturday || seen[w] {
			errs = append(errs, fmt.Errorf("%w: %d", ErrInvalidWorkday, int(w)))
		}
		seen[w] = true
	}
	return errors.Join(errs...)
}

// IsBusinessDay reports whether d is a workday and not a holiday.
func (c Calendar) IsBusinessDay(d Date) bool {
	if !c.workdays()[d.Weekday()] {
		return false
	}
	for _, h := range c.Holidays {
		if h == d {
			return false
		}
	}
	return true
}

// NextBusinessDay is d itself when it is a business day, else the first
// business day after it.
func (c Calendar) NextBusinessDay(d Date) Date {
	for !c.IsBusinessDay(d) {
		d = d.AddDays(1)
	}
	return d
}

// AddBusinessDays is the business day n business days after (n < 0: before)
// NextBusinessDay(d); n = 0 is NextBusinessDay(d) itself.
func (c Calendar) AddBusinessDays(d Date, n int) Date {
	d = c.NextBusinessDay(d)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for ; n > 0; n-- {
		d = d.AddDays(step)
		for !c.IsBusinessDay(d) {
			d = d.AddDays(step)
		}
	}
	return d
}

// BusinessDaysBetween counts the business days in (a, b]: from Friday to
// the next Monday is 1. It is negative when b is before a.
func (c Calendar) BusinessDaysBetween(a, b Date) int {
	if b.Before(a) {
		return -c.BusinessDaysBetween(b, a)
	}
	n := 0
	for d := a.AddDays(1); !d.After(b); d = d.AddDays(1) {
		if c.IsBusinessDay(d) {
			n++
		}
	}
	return n
}

// DateOf is the civil date t falls on in the office's zone.
func (c Calendar) DateOf(t time.Time) Date {
	return dateOfWall(t.In(c.location()))
}

// WindowOpen is the instant the send window opens on d, local time.
func (c Calendar) WindowOpen(d Date) time.Time {
	start, _ := c.window()
	return wallTime(d, start, c.location())
}

// WindowClose is the instant the send window closes on d, local time.
func (c Calendar) WindowClose(d Date) time.Time {
	_, end := c.window()
	return wallTime(d, end, c.location())
}

// NextSendTime is t itself when t is inside the send window of a business
// day (open inclusive, close exclusive), else the next window opening.
func (c Calendar) NextSendTime(t time.Time) time.Time {
	d := c.DateOf(t)
	if c.IsBusinessDay(d) {
		if open := c.WindowOpen(d); t.Before(open) {
			return open
		}
		if t.Before(c.WindowClose(d)) {
			return t
		}
	}
	return c.WindowOpen(c.NextBusinessDay(d.AddDays(1)))
}

// window is the send window with the zero/zero default applied.
func (c Calendar) window() (start, end time.Duration) {
	if c.WindowStart == 0 && c.WindowEnd == 0 {
		return DefaultWindowStart, DefaultWindowEnd
	}
	return c.WindowStart, c.WindowEnd
}

// workdays is the set of working weekdays. Without a single valid weekday
// it is Monday..Friday, so the day-stepping loops always end even on a
// calendar that failed Validate.
func (c Calendar) workdays() [7]bool {
	var set [7]bool
	valid := false
	for _, w := range c.Workdays {
		if w >= time.Sunday && w <= time.Saturday {
			set[w], valid = true, true
		}
	}
	if !valid {
		for w := time.Monday; w <= time.Friday; w++ {
			set[w] = true
		}
	}
	return set
}

// location is the office's zone; a zone that does not load (Validate
// refuses it) counts as UTC so the methods stay total.
func (c Calendar) location() *time.Location {
	loc, err := loadZone(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// zones memoizes loaded locations. It is the package's only shared state and
// changes no result (a *time.Location is immutable): time.LoadLocation reads
// and parses the zone file on every call, and each Calendar method needs
// its zone, workflow code included.
var zones sync.Map // string -> *time.Location

// loadZone loads an IANA zone, "" being UTC. "Local" is refused: it is the
// server's zone, never the office's.
func loadZone(name string) (*time.Location, error) {
	if name == "Local" {
		return nil, errors.New(`zone "Local" is the server's, not an office's`)
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("load zone %q: %w", name, err)
	}
	zones.Store(name, loc)
	return loc, nil
}

// WeekdaysFromISO converts ISO weekday numbers (1 = Monday .. 7 = Sunday,
// how offices store workdays) to time.Weekday.
func WeekdaysFromISO[T ~int | ~int16 | ~int32 | ~int64](days []T) ([]time.Weekday, error) {
	out := make([]time.Weekday, 0, len(days))
	for _, n := range days {
		if n < 1 || n > 7 {
			return nil, fmt.Errorf("%w: ISO weekday %d, want 1 (Monday)..7 (Sunday)", ErrInvalidWorkday, int64(n))
		}
		out = append(out, time.Weekday(n%7))
	}
	return out, nil
}

// ISOWeekday is w as an ISO weekday number, 1 = Monday .. 7 = Sunday.
func ISOWeekday(w time.Weekday) int {
	if w == time.Sunday {
		return 7
	}
	return int(w)
}
