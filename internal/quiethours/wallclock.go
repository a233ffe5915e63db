package quiethours

import "time"

// firstOutside returns the first instant at or after t whose wall clock in
// s.loc is outside the window.
//
// Between two zone transitions the offset is constant, so the wall clock
// runs in step with real time and the window ends when it reads s.end. A
// transition can end the window earlier or later than that: clocks jumping
// forward can skip s.end (the window then ends at the jump), clocks falling
// back can repeat it or leave the window altogether. So the search walks
// segment by segment; each step moves to a later transition, and the wall
// clock reaches s.end within a day, so it stops after a step or two.
// time.Date is deliberately not used: on transition days it "does not
// guarantee which" offset it picks (Go picks differently per zone).
func (s schedule) firstOutside(t time.Time) time.Time {
	x := t.In(s.loc)
	for {
		end, inside := s.endAfter(naive(x))
		if !inside {
			return x
		}
		_, offset := x.Zone()
		at := end.Add(-time.Duration(offset) * time.Second) // wall = real + offset
		_, transition := x.ZoneBounds()
		if transition.IsZero() || at.Before(transition) {
			return at.In(s.loc)
		}
		x = transition
	}
}

// endAfter reports whether the wall-clock reading wall is inside the window
// and, if so, the wall-clock reading at which the window ends (both as
// naive UTC times, see naive).
func (s schedule) endAfter(wall time.Time) (end time.Time, inside bool) {
	tod := sinceMidnight(wall)
	endDay := 0 // the window ends today (0) or tomorrow (1), local calendar
	switch {
	case s.start < s.end: // e.g. 13:00–15:00
		if tod < s.start || tod >= s.end {
			return time.Time{}, false
		}
	case tod >= s.start: // e.g. 22:00–07:00, evening part
		endDay = 1
	case tod >= s.end: // between the morning end and the evening start
		return time.Time{}, false
	}
	y, m, d := wall.Date()
	return time.Date(y, m, d+endDay, 0, 0, 0, 0, time.UTC).Add(s.end), true
}

// naive is t's wall-clock reading as if it were UTC, so wall clocks can be
// compared and added to without offsets getting in the way.
func naive(t time.Time) time.Time {
	y, m, d := t.Date()
	h, mi, sec := t.Clock()
	return time.Date(y, m, d, h, mi, sec, t.Nanosecond(), time.UTC)
}
