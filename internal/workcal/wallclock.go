package workcal

import "time"

// wallTime is the instant the wall clock in loc reads since-midnight on d.
// When the reading happens twice (clocks fall back) it is the first; when
// it never happens (clocks jump forward over it) it is the jump itself, the
// first instant the clock reads later than it.
//
// time.Date is deliberately not used: on transition days it does not
// guarantee which offset it picks.
func wallTime(d Date, since time.Duration, loc *time.Location) time.Time {
	wall := d.midnight().Add(since) // the wall reading, as a naive UTC time
	// The offsets in force within a day either side of the reading cover
	// every offset the reading could be in (zones move by at most a day's
	// worth of hours, and rarely more than once in two days).
	var first time.Time
	for _, probe := range []time.Time{wall.Add(-24 * time.Hour), wall, wall.Add(24 * time.Hour)} {
		t := wall.Add(-offsetAt(probe, loc))
		if naiveWall(t.In(loc)).Equal(wall) && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	if !first.IsZero() {
		return first.In(loc)
	}
	// Skipped: read with the offset before the jump, the reading lands
	// after the jump; the jump is the start of that instant's zone period.
	t := wall.Add(-offsetAt(wall.Add(-24*time.Hour), loc))
	start, _ := t.In(loc).ZoneBounds()
	return start.In(loc)
}

// offsetAt is loc's offset from UTC at instant t.
func offsetAt(t time.Time, loc *time.Location) time.Duration {
	_, seconds := t.In(loc).Zone()
	return time.Duration(seconds) * time.Second
}

// naiveWall is t's wall-clock reading as a UTC time, so readings compare
// without offsets getting in the way.
func naiveWall(t time.Time) time.Time {
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, m, d, h, mi, s, t.Nanosecond(), time.UTC)
}
