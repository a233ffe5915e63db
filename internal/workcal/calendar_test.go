package workcal_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/workcal"
)

// December 2026: Monday 7, 14, 21, 28; Friday 4, 11, 18, 25 (Christmas).

// date parses "2006-01-02" or fails the test.
func date(t *testing.T, s string) workcal.Date {
	t.Helper()
	d, err := workcal.ParseDate(s)
	require.NoError(t, err)
	return d
}

// dates parses each of ss.
func dates(t *testing.T, ss ...string) []workcal.Date {
	t.Helper()
	out := make([]workcal.Date, 0, len(ss))
	for _, s := range ss {
		out = append(out, date(t, s))
	}
	return out
}

// newYork is a Monday..Friday 09:00-17:00 office with Christmas and New
// Year's Day off.
func newYork(t *testing.T) workcal.Calendar {
	t.Helper()
	return workcal.Calendar{TimeZone: "America/New_York", Holidays: dates(t, "2026-12-25", "2027-01-01")}
}

// local is wall-clock time in zone, for expectations written as an office
// would read them.
func local(t *testing.T, zone, wall string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	require.NoError(t, err)
	at, err := time.ParseInLocation("2006-01-02 15:04", wall, loc)
	require.NoError(t, err)
	return at
}

// requireInstant compares instants, whatever location they are expressed in.
func requireInstant(t *testing.T, want, got time.Time) {
	t.Helper()
	require.Truef(t, want.Equal(got), "want %s (%s UTC), got %s (%s UTC)", want, want.UTC(), got, got.UTC())
}

func TestIsBusinessDay(t *testing.T) {
	middleEast := workcal.Calendar{TimeZone: "Asia/Dubai",
		Workdays: []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday}}
	tests := []struct {
		name string
		cal  workcal.Calendar
		day  string
		want bool
	}{
		{"monday", newYork(t), "2026-12-07", true},
		{"saturday", newYork(t), "2026-12-05", false},
		{"sunday", newYork(t), "2026-12-06", false},
		{"holiday on a friday", newYork(t), "2026-12-25", false},
		{"friday after a holiday week", newYork(t), "2026-12-18", true},
		{"sunday in a sunday-thursday office", middleEast, "2026-12-06", true},
		{"friday in a sunday-thursday office", middleEast, "2026-12-04", false},
		{"zero calendar is monday-friday", workcal.Calendar{}, "2026-12-05", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.cal.IsBusinessDay(date(t, tt.day)))
		})
	}
}

func TestNextBusinessDay(t *testing.T) {
	tests := []struct{ from, want string }{
		{"2026-12-07", "2026-12-07"}, // a business day is its own next
		{"2026-12-05", "2026-12-07"}, // saturday
		{"2026-12-25", "2026-12-28"}, // holiday friday, then the weekend
		{"2026-12-31", "2026-12-31"},
		{"2027-01-01", "2027-01-04"},
	}
	cal := newYork(t)
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			assert.Equal(t, date(t, tt.want), cal.NextBusinessDay(date(t, tt.from)))
		})
	}
}

func TestAddBusinessDays(t *testing.T) {
	tests := []struct {
		name string
		from string
		n    int
		want string
	}{
		{"zero on a business day", "2026-12-07", 0, "2026-12-07"},
		{"zero on a saturday is monday", "2026-12-05", 0, "2026-12-07"},
		{"friday plus one is monday", "2026-12-04", 1, "2026-12-07"},
		{"a week", "2026-12-07", 5, "2026-12-14"},
		{"over a holiday and a weekend", "2026-12-24", 1, "2026-12-28"},
		{"counts from the next business day", "2026-12-05", 1, "2026-12-08"},
		{"across the new year", "2026-12-30", 2, "2027-01-04"},
		{"monday minus one is friday", "2026-12-07", -1, "2026-12-04"},
		{"back over a holiday", "2026-12-28", -1, "2026-12-24"},
		{"back from a saturday starts at monday", "2026-12-26", -1, "2026-12-24"},
		{"back a week", "2026-12-14", -5, "2026-12-07"},
	}
	cal := newYork(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, date(t, tt.want), cal.AddBusinessDays(date(t, tt.from), tt.n))
		})
	}
}

func TestBusinessDaysBetween(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{"same day", "2026-12-07", "2026-12-07", 0},
		{"friday to monday", "2026-12-04", "2026-12-07", 1},
		{"a week", "2026-12-07", "2026-12-14", 5},
		{"backwards is negative", "2026-12-14", "2026-12-07", -5},
		{"over a holiday", "2026-12-24", "2026-12-28", 1},
		{"a weekend alone", "2026-12-05", "2026-12-06", 0},
		{"from a saturday", "2026-12-05", "2026-12-08", 2},
	}
	cal := newYork(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, cal.BusinessDaysBetween(date(t, tt.a), date(t, tt.b)))
		})
	}
}

func TestDateOf(t *testing.T) {
	// 03:00 UTC on Tuesday is still Monday evening in New York and already
	// Tuesday morning in Kolkata.
	at := time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)
	assert.Equal(t, date(t, "2026-12-07"), newYork(t).DateOf(at))
	assert.Equal(t, date(t, "2026-12-08"), workcal.Calendar{TimeZone: "Asia/Kolkata"}.DateOf(at))
}

func TestWindowOpenAndClose(t *testing.T) {
	kolkata := workcal.Calendar{TimeZone: "Asia/Kolkata"}
	tests := []struct {
		name                string
		cal                 workcal.Calendar
		day                 string
		wantOpen, wantClose time.Time
	}{
		{"new york before the march change (EST)", newYork(t), "2026-03-06",
			time.Date(2026, 3, 6, 14, 0, 0, 0, time.UTC), time.Date(2026, 3, 6, 22, 0, 0, 0, time.UTC)},
		{"new york after the march change (EDT)", newYork(t), "2026-03-09",
			time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 21, 0, 0, 0, time.UTC)},
		{"new york before the november change (EDT)", newYork(t), "2026-10-30",
			time.Date(2026, 10, 30, 13, 0, 0, 0, time.UTC), time.Date(2026, 10, 30, 21, 0, 0, 0, time.UTC)},
		{"new york after the november change (EST)", newYork(t), "2026-11-02",
			time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 22, 0, 0, 0, time.UTC)},
		{"kolkata is +05:30 all year", kolkata, "2026-03-09",
			time.Date(2026, 3, 9, 3, 30, 0, 0, time.UTC), time.Date(2026, 3, 9, 11, 30, 0, 0, time.UTC)},
		{"kolkata in november", kolkata, "2026-11-02",
			time.Date(2026, 11, 2, 3, 30, 0, 0, time.UTC), time.Date(2026, 11, 2, 11, 30, 0, 0, time.UTC)},
		{"a custom window", workcal.Calendar{TimeZone: "Europe/Berlin", WindowStart: 8*time.Hour + 30*time.Minute, WindowEnd: 12 * time.Hour}, "2026-12-07",
			time.Date(2026, 12, 7, 7, 30, 0, 0, time.UTC), time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)},
		{"a window to midnight closes at the next midnight", workcal.Calendar{TimeZone: "Asia/Kolkata", WindowStart: time.Hour, WindowEnd: 24 * time.Hour}, "2026-12-07",
			time.Date(2026, 12, 6, 19, 30, 0, 0, time.UTC), time.Date(2026, 12, 7, 18, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open, closing := tt.cal.WindowOpen(date(t, tt.day)), tt.cal.WindowClose(date(t, tt.day))
			requireInstant(t, tt.wantOpen, open)
			requireInstant(t, tt.wantClose, closing)
		})
	}
}

func TestWindowOpenKeepsLocalTimeAcrossDST(t *testing.T) {
	cal := newYork(t)
	// Every business day from February to December opens at 09:00 local.
	for d := date(t, "2026-02-02"); d.Before(date(t, "2026-12-31")); d = cal.AddBusinessDays(d, 1) {
		open := cal.WindowOpen(d)
		require.Equal(t, "09:00", open.Format("15:04"), d.String())
		require.Equal(t, d, cal.DateOf(open))
	}
}

func TestWindowOpenOnATransitionHour(t *testing.T) {
	// 02:30 does not exist in New York on 8 March 2026 (02:00 EST jumps to
	// 03:00 EDT): the window opens at the jump. 01:30 happens twice on 1
	// November 2026: the window opens at the first one (EDT).
	spring := workcal.Calendar{TimeZone: "America/New_York", Workdays: []time.Weekday{time.Sunday},
		WindowStart: 2*time.Hour + 30*time.Minute, WindowEnd: 5 * time.Hour}
	requireInstant(t, time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), spring.WindowOpen(date(t, "2026-03-08")))
	fall := workcal.Calendar{TimeZone: "America/New_York", Workdays: []time.Weekday{time.Sunday},
		WindowStart: time.Hour + 30*time.Minute, WindowEnd: 5 * time.Hour}
	requireInstant(t, time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), fall.WindowOpen(date(t, "2026-11-01")))
}

func TestNextSendTime(t *testing.T) {
	const ny = "America/New_York"
	tests := []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"before the window", local(t, ny, "2026-12-07 08:00"), local(t, ny, "2026-12-07 09:00")},
		{"at the opening", local(t, ny, "2026-12-07 09:00"), local(t, ny, "2026-12-07 09:00")},
		{"inside", local(t, ny, "2026-12-07 10:30"), local(t, ny, "2026-12-07 10:30")},
		{"at the close", local(t, ny, "2026-12-07 17:00"), local(t, ny, "2026-12-08 09:00")},
		{"after the window", local(t, ny, "2026-12-07 18:00"), local(t, ny, "2026-12-08 09:00")},
		{"friday evening", local(t, ny, "2026-12-04 17:30"), local(t, ny, "2026-12-07 09:00")},
		{"saturday", local(t, ny, "2026-12-05 10:00"), local(t, ny, "2026-12-07 09:00")},
		{"holiday", local(t, ny, "2026-12-25 10:00"), local(t, ny, "2026-12-28 09:00")},
		{"the evening before a holiday", local(t, ny, "2026-12-24 20:00"), local(t, ny, "2026-12-28 09:00")},
		{"given in UTC", time.Date(2026, 12, 7, 13, 59, 0, 0, time.UTC), local(t, ny, "2026-12-07 09:00")},
		{"a weekend with the march change opens monday 09:00 EDT", local(t, ny, "2026-03-06 18:00"), time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC)},
		{"a weekend with the november change opens monday 09:00 EST", local(t, ny, "2026-10-30 18:00"), time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)},
	}
	cal := newYork(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireInstant(t, tt.want, cal.NextSendTime(tt.at))
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cal  workcal.Calendar
		want error
	}{
		{"zero calendar", workcal.Calendar{}, nil},
		{"new york", workcal.Calendar{TimeZone: "America/New_York", WindowStart: 8 * time.Hour, WindowEnd: 18 * time.Hour}, nil},
		{"window to midnight", workcal.Calendar{TimeZone: "Asia/Kolkata", WindowEnd: 24 * time.Hour}, nil},
		{"unknown zone", workcal.Calendar{TimeZone: "Mars/Olympus_Mons"}, workcal.ErrInvalidTimeZone},
		{"server zone", workcal.Calendar{TimeZone: "Local"}, workcal.ErrInvalidTimeZone},
		{"window ends before it starts", workcal.Calendar{WindowStart: 17 * time.Hour, WindowEnd: 9 * time.Hour}, workcal.ErrInvalidWindow},
		{"empty window", workcal.Calendar{WindowStart: 9 * time.Hour, WindowEnd: 9 * time.Hour}, workcal.ErrInvalidWindow},
		{"window past midnight", workcal.Calendar{WindowStart: 9 * time.Hour, WindowEnd: 25 * time.Hour}, workcal.ErrInvalidWindow},
		{"negative start", workcal.Calendar{WindowStart: -time.Hour, WindowEnd: 9 * time.Hour}, workcal.ErrInvalidWindow},
		{"weekday out of range", workcal.Calendar{Workdays: []time.Weekday{time.Monday, 7}}, workcal.ErrInvalidWorkday},
		{"weekday twice", workcal.Calendar{Workdays: []time.Weekday{time.Monday, time.Monday}}, workcal.ErrInvalidWorkday},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cal.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := workcal.Calendar{TimeZone: "Nowhere", WindowStart: 10 * time.Hour, WindowEnd: time.Hour, Workdays: []time.Weekday{9}}.Validate()
	require.ErrorIs(t, err, workcal.ErrInvalidTimeZone)
	require.ErrorIs(t, err, workcal.ErrInvalidWindow)
	require.ErrorIs(t, err, workcal.ErrInvalidWorkday)
}

func TestDate(t *testing.T) {
	d := date(t, "2026-12-07")
	assert.Equal(t, workcal.Date{Year: 2026, Month: time.December, Day: 7}, d)
	assert.Equal(t, "2026-12-07", d.String())
	assert.Equal(t, date(t, "2027-01-05"), d.AddDays(29))
	assert.Equal(t, date(t, "2026-11-30"), d.AddDays(-7))
	assert.True(t, d.Before(d.AddDays(1)))
	assert.True(t, d.After(d.AddDays(-1)))
	assert.Equal(t, d, workcal.DateFromTime(d.MidnightUTC()))

	_, err := workcal.ParseDate("2026-13-01")
	require.Error(t, err)

	type row struct {
		Start workcal.Date
		None  workcal.Date
	}
	raw, err := json.Marshal(row{Start: d})
	require.NoError(t, err)
	assert.JSONEq(t, `{"Start":"2026-12-07","None":""}`, string(raw))
	var back row
	require.NoError(t, json.Unmarshal(raw, &back))
	assert.Equal(t, row{Start: d}, back)
}

func TestWeekdaysFromISO(t *testing.T) {
	days, err := workcal.WeekdaysFromISO([]int16{1, 2, 3, 4, 5, 6, 7})
	require.NoError(t, err)
	assert.Equal(t, []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}, days)
	_, err = workcal.WeekdaysFromISO([]int{0})
	require.ErrorIs(t, err, workcal.ErrInvalidWorkday)
	_, err = workcal.WeekdaysFromISO([]int{8})
	require.ErrorIs(t, err, workcal.ErrInvalidWorkday)
	assert.Equal(t, 7, workcal.ISOWeekday(time.Sunday))
	assert.Equal(t, 1, workcal.ISOWeekday(time.Monday))
}
