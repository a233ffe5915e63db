package workcal

import (
	"fmt"
	"time"
)

// dateLayout is how a Date is written and parsed.
const dateLayout = "2006-01-02"

// Date is a civil date with no time of day and no zone: the day a person
// in an office calls "Monday 7 December". Business-day arithmetic happens on
// Dates so that a time zone can never move a holiday or a weekend.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("workcal: date %q: want YYYY-MM-DD: %w", s, err)
	}
	return dateOfWall(t), nil
}

// DateFromTime is the calendar date t shows in its own location. Use it for
// DATE columns, which drivers return as midnight UTC.
func DateFromTime(t time.Time) Date {
	return dateOfWall(t)
}

// String is "2006-01-02".
func (d Date) String() string {
	return d.midnight().Format(dateLayout)
}

// IsZero reports whether d is the zero Date (no date).
func (d Date) IsZero() bool {
	return d == Date{}
}

// AddDays is d moved by n calendar days (n may be negative).
func (d Date) AddDays(n int) Date {
	return dateOfWall(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool {
	return d.midnight().Before(e.midnight())
}

// After reports whether d is later than e.
func (d Date) After(e Date) bool {
	return e.Before(d)
}

// Weekday is the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return d.midnight().Weekday()
}

// MidnightUTC is d at 00:00 UTC, the form DATE columns are written in.
func (d Date) MidnightUTC() time.Time {
	return d.midnight()
}

// MarshalText writes d as "2006-01-02" so Dates read naturally in JSON
// (workflow histories, API payloads); the zero Date is "".
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	return []byte(d.String()), nil
}

// UnmarshalText reads what MarshalText writes.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	parsed, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// midnight is d at 00:00 UTC, used only to reuse time's calendar arithmetic.
func (d Date) midnight() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// dateOfWall is the date t's wall clock shows in t's own location.
func dateOfWall(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}
