package quiethours_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/quiethours"
)

// at parses an RFC 3339 instant; offsets in the tables make each instant
// unambiguous even inside a repeated DST hour.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

func TestWindow_Next(t *testing.T) {
	t.Parallel()
	night := quiethours.Window{Start: "22:00", End: "07:00", Timezone: "Europe/Berlin"}
	lunch := quiethours.Window{Start: "12:00", End: "13:30", Timezone: "Europe/Berlin"}
	nyNight := quiethours.Window{Start: "22:00", End: "07:00", Timezone: "America/New_York"}
	kolkata := quiethours.Window{Start: "22:00", End: "07:00", Timezone: "Asia/Kolkata"}
	tests := []struct {
		name string
		w    quiethours.Window
		t    string
		want string // empty: t itself
	}{
		{"same-day window, before", lunch, "2024-06-03T11:59:00+02:00", ""},
		{"same-day window, inside", lunch, "2024-06-03T12:45:00+02:00", "2024-06-03T13:30:00+02:00"},
		{"same-day window, after", lunch, "2024-06-03T14:00:00+02:00", ""},
		{"exactly at start is inside", lunch, "2024-06-03T12:00:00+02:00", "2024-06-03T13:30:00+02:00"},
		{"exactly at end is outside", lunch, "2024-06-03T13:30:00+02:00", ""},
		{"just before end is inside", lunch, "2024-06-03T13:29:59.999+02:00", "2024-06-03T13:30:00+02:00"},
		{"overnight, afternoon", night, "2024-06-03T15:00:00+02:00", ""},
		{"overnight, evening ends tomorrow", night, "2024-06-03T23:15:00+02:00", "2024-06-04T07:00:00+02:00"},
		{"overnight, at start", night, "2024-06-03T22:00:00+02:00", "2024-06-04T07:00:00+02:00"},
		{"overnight, just before start", night, "2024-06-03T21:59:59+02:00", ""},
		{"overnight, after midnight ends today", night, "2024-06-04T03:00:00+02:00", "2024-06-04T07:00:00+02:00"},
		{"overnight, at midnight", night, "2024-06-04T00:00:00+02:00", "2024-06-04T07:00:00+02:00"},
		{"overnight, at end", night, "2024-06-04T07:00:00+02:00", ""},
		{"given in UTC, judged in the user's zone", night, "2024-06-03T21:30:00Z", "2024-06-04T05:00:00Z"},
		{"month end rolls over", night, "2024-01-31T23:00:00+01:00", "2024-02-01T07:00:00+01:00"},
		{"start equals end means none", quiethours.Window{Start: "09:00", End: "09:00", Timezone: "UTC"}, "2024-06-03T09:00:00Z", ""},
		{"empty window means none", quiethours.Window{}, "2024-06-03T23:00:00Z", ""},

		// Asia/Kolkata is UTC+05:30 all year.
		{"kolkata, half-hour offset inside", kolkata, "2024-06-03T17:00:00Z", "2024-06-04T01:30:00Z"},
		{"kolkata, half-hour offset at start", kolkata, "2024-06-03T16:30:00Z", "2024-06-04T01:30:00Z"},
		{"kolkata, half-hour offset before start", kolkata, "2024-06-03T16:29:00Z", ""},
		{"kolkata, morning at end", kolkata, "2024-06-04T01:30:00Z", ""},

		// New York: clocks go 02:00 EST -> 03:00 EDT on 2024-03-10 and
		// 02:00 EDT -> 01:00 EST on 2024-11-03.
		{"spring forward night is an hour shorter", nyNight, "2024-03-10T01:00:00-05:00", "2024-03-10T07:00:00-04:00"},
		{"spring forward night from the evening", nyNight, "2024-03-09T22:00:00-05:00", "2024-03-10T07:00:00-04:00"},
		{"fall back night is an hour longer", nyNight, "2024-11-02T23:00:00-04:00", "2024-11-03T07:00:00-05:00"},
		{"end skipped by the jump ends at the jump", quiethours.Window{Start: "01:00", End: "02:30", Timezone: "America/New_York"},
			"2024-03-10T01:30:00-05:00", "2024-03-10T03:00:00-04:00"},
		{"start skipped by the jump, after it is inside", quiethours.Window{Start: "02:30", End: "04:00", Timezone: "America/New_York"},
			"2024-03-10T03:10:00-04:00", "2024-03-10T04:00:00-04:00"},
		{"start skipped by the jump, before it is outside", quiethours.Window{Start: "02:30", End: "04:00", Timezone: "America/New_York"},
			"2024-03-10T01:59:00-05:00", ""},
		{"repeated end, first pass ends at first occurrence", quiethours.Window{Start: "00:00", End: "01:30", Timezone: "America/New_York"},
			"2024-11-03T00:30:00-04:00", "2024-11-03T01:30:00-04:00"},
		{"repeated end, between occurrences is outside", quiethours.Window{Start: "00:00", End: "01:30", Timezone: "America/New_York"},
			"2024-11-03T01:45:00-04:00", ""},
		{"repeated end, second pass ends at second occurrence", quiethours.Window{Start: "00:00", End: "01:30", Timezone: "America/New_York"},
			"2024-11-03T01:10:00-05:00", "2024-11-03T01:30:00-05:00"},
		{"clocks falling back out of the window end it", quiethours.Window{Start: "01:45", End: "02:15", Timezone: "America/New_York"},
			"2024-11-03T01:50:00-04:00", "2024-11-03T01:00:00-05:00"},

		// Lord Howe Island shifts by 30 minutes: 02:00 +11 -> 01:30 +10:30.
		{"half-hour fall back, first occurrence", quiethours.Window{Start: "00:00", End: "01:30", Timezone: "Australia/Lord_Howe"},
			"2024-04-07T01:20:00+11:00", "2024-04-07T01:30:00+11:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := at(t, tc.t)
			got, err := tc.w.Next(in)
			require.NoError(t, err)
			want := in
			if tc.want != "" {
				want = at(t, tc.want)
			}
			assert.True(t, want.Equal(got), "want %s, got %s", want, got)
			assert.Equal(t, in.Location(), got.Location(), "result keeps the caller's location")
		})
	}
}

// TestWindow_NextIsFirstInstantOutside sweeps over DST transitions and checks
// Next against its definition: outside instants map to themselves, inside
// ones to the first later instant that is outside. Every window edge and
// transition here is on a 5-minute boundary, so a 5-minute step is exact.
func TestWindow_NextIsFirstInstantOutside(t *testing.T) {
	t.Parallel()
	sweeps := []struct {
		zone, from string
	}{
		{"America/New_York", "2024-03-09T12:00:00Z"},
		{"America/New_York", "2024-11-02T12:00:00Z"},
		{"Europe/London", "2024-03-30T12:00:00Z"},
		{"Australia/Lord_Howe", "2024-04-06T00:00:00Z"}, // 30-minute DST shift
		{"Asia/Kolkata", "2024-06-01T00:00:00Z"},
	}
	windows := [][2]string{{"22:00", "07:00"}, {"01:00", "02:30"}, {"02:30", "04:00"}, {"00:00", "01:30"}, {"01:30", "01:45"}, {"01:45", "02:15"}}
	for _, sw := range sweeps {
		for _, win := range windows {
			w := quiethours.Window{Start: win[0], End: win[1], Timezone: sw.zone}
			t.Run(sw.zone+" "+win[0]+"-"+win[1], func(t *testing.T) {
				t.Parallel()
				from := at(t, sw.from)
				const step, steps = 5 * time.Minute, 48 * 12
				next := make([]time.Time, steps)
				for i := range next {
					x := from.Add(time.Duration(i) * step)
					n, err := w.Next(x)
					require.NoError(t, err)
					next[i] = n
				}
				firstOutside := time.Time{}
				for i := steps - 1; i >= 0; i-- {
					x := from.Add(time.Duration(i) * step)
					if next[i].Equal(x) {
						firstOutside = x
						continue
					}
					require.True(t, next[i].After(x), "Next(%s) = %s is not later", x, next[i])
					if !firstOutside.IsZero() {
						require.True(t, next[i].Equal(firstOutside), "Next(%s) = %s, want %s", x, next[i], firstOutside)
					}
				}
			})
		}
	}
}

func TestWindow_Validate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		w      quiethours.Window
		fields []string // fields named in the error; none: valid
	}{
		{"valid", quiethours.Window{Start: "22:00", End: "07:00", Timezone: "Asia/Kolkata"}, nil},
		{"midnight and last minute", quiethours.Window{Start: "00:00", End: "23:59", Timezone: "UTC"}, nil},
		{"no quiet hours", quiethours.Window{}, nil},
		{"no quiet hours, zone kept", quiethours.Window{Timezone: "America/New_York"}, nil},
		{"no quiet hours, bad zone", quiethours.Window{Timezone: "Mars/Olympus"}, []string{"timezone"}},
		{"hour 24", quiethours.Window{Start: "24:00", End: "07:00", Timezone: "UTC"}, []string{"start"}},
		{"minute 60", quiethours.Window{Start: "22:00", End: "07:60", Timezone: "UTC"}, []string{"end"}},
		{"single-digit hour", quiethours.Window{Start: "7:00", End: "08:00", Timezone: "UTC"}, []string{"start"}},
		{"seconds", quiethours.Window{Start: "22:00:00", End: "07:00", Timezone: "UTC"}, []string{"start"}},
		{"not digits", quiethours.Window{Start: "ab:cd", End: "07:00", Timezone: "UTC"}, []string{"start"}},
		{"start without end", quiethours.Window{Start: "22:00", Timezone: "UTC"}, []string{"end"}},
		{"unknown zone", quiethours.Window{Start: "22:00", End: "07:00", Timezone: "Mars/Olympus"}, []string{"timezone"}},
		{"missing zone", quiethours.Window{Start: "22:00", End: "07:00"}, []string{"timezone"}},
		{"server-local zone", quiethours.Window{Start: "22:00", End: "07:00", Timezone: "Local"}, []string{"timezone"}},
		{"everything wrong", quiethours.Window{Start: "25:00", End: "x", Timezone: "Nowhere"}, []string{"start", "end", "timezone"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.w.Validate()
			if tc.fields == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			var fe *quiethours.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.fields[0], fe.Field)
			for _, f := range tc.fields {
				assert.Contains(t, err.Error(), "quiet hours "+f)
			}
			_, nextErr := tc.w.Next(time.Now())
			assert.True(t, errors.As(nextErr, &fe), "Next reports the same problem")
		})
	}
}
