// Package quiethours decides when a user may be notified. A Window is a
// daily period in the user's own time zone ("22:00" to "07:00" in
// "Europe/Berlin") during which delivery waits; Next says until when.
//
// All arithmetic happens on the wall clock of the user's location, so a
// window keeps its local meaning on days when daylight saving time starts or
// ends: a night that is an hour shorter still ends at 07:00 local time.
package quiethours

import (
	"errors"
	"fmt"
	"time"

	// Embed the IANA database so user time zones resolve even on hosts or
	// container images without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// Window is a daily quiet period. Start is inclusive and End exclusive; if
// End is before Start the window spans midnight. Start == End (including
// both empty) means the user has no quiet hours.
type Window struct {
	// Start is when the quiet period begins, "HH:MM" on a 24-hour clock.
	Start string
	// End is when the quiet period ends, "HH:MM" on a 24-hour clock.
	End string
	// Timezone is the IANA zone Start and End are in, e.g. "Asia/Kolkata".
	Timezone string
}

// FieldError reports which field of a Window is invalid and why, so an API
// handler can turn it into a field violation.
type FieldError struct {
	// Field is "start", "end" or "timezone".
	Field string
	// Value is the rejected value.
	Value string
	// Reason says what a valid value looks like.
	Reason string
}

// Error implements error.
func (e *FieldError) Error() string {
	return fmt.Sprintf("quiet hours %s %q: %s", e.Field, e.Value, e.Reason)
}

// schedule is a validated Window: times of day since local midnight.
type schedule struct {
	start, end time.Duration
	loc        *time.Location
	none       bool
}

// Validate checks Start and End are "HH:MM" and Timezone is a known IANA
// zone. A Window with empty Start and End is valid (no quiet hours). Every
// problem is reported, each as a *FieldError.
func (w Window) Validate() error {
	_, err := w.parse()
	return err
}

// Next returns t itself if t is outside the window in the user's time zone,
// otherwise the first instant after t at which the user's wall clock reads a
// time outside the window, returned in t's location. Usually that is End;
// on daylight-saving days it can be a clock change: if clocks jump forward
// past End the window ends at the jump, if they fall back out of the window
// it ends there, and if End occurs twice it ends at the first one after t.
func (w Window) Next(t time.Time) (time.Time, error) {
	s, err := w.parse()
	if err != nil {
		return time.Time{}, err
	}
	if s.none {
		return t, nil
	}
	if next := s.firstOutside(t); !next.Equal(t) {
		return next.In(t.Location()), nil
	}
	return t, nil
}

// parse validates w and converts it to a schedule.
func (w Window) parse() (schedule, error) {
	if w.Start == "" && w.End == "" {
		if w.Timezone != "" {
			if _, err := loadZone(w.Timezone); err != nil {
				return schedule{}, err
			}
		}
		return schedule{none: true}, nil
	}
	var errs []error
	start, err := parseClock("start", w.Start)
	errs = append(errs, err)
	end, err := parseClock("end", w.End)
	errs = append(errs, err)
	loc, err := loadZone(w.Timezone)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return schedule{}, err
	}
	return schedule{start: start, end: end, loc: loc, none: start == end}, nil
}

// parseClock parses a strict "HH:MM" (00:00–23:59) into time since midnight.
func parseClock(field, v string) (time.Duration, error) {
	bad := &FieldError{Field: field, Value: v, Reason: "want HH:MM on a 24-hour clock, e.g. 22:00"}
	if len(v) != 5 || v[2] != ':' {
		return 0, bad
	}
	h, okH := twoDigits(v[0:2])
	m, okM := twoDigits(v[3:5])
	if !okH || !okM || h > 23 || m > 59 {
		return 0, bad
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// twoDigits parses exactly two ASCII digits.
func twoDigits(s string) (int, bool) {
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

// loadZone resolves an IANA zone name. "Local" is refused: it means the
// server's zone, never the user's.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, &FieldError{Field: "timezone", Value: name, Reason: "want an IANA time zone such as Europe/Berlin"}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, &FieldError{Field: "timezone", Value: name, Reason: "unknown IANA time zone; use a name such as Europe/Berlin"}
	}
	return loc, nil
}

// sinceMidnight is the wall-clock time of day of t in its own location.
func sinceMidnight(t time.Time) time.Duration {
	h, m, s := t.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(s)*time.Second + time.Duration(t.Nanosecond())
}
