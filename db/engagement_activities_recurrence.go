package db

import (
	"fmt"
	"slices"
	"time"
)

// maxOccurrencesPerRun bounds how many starts Occurrences returns, so a
// daily series far behind its horizon cannot make one run unbounded.
const maxOccurrencesPerRun = 400

// Occurrences returns the starts of the series' occurrences before
// horizon, the first (StartsAt) included, in order, ending at Count
// occurrences or at Until. Occurrences keep the first start's wall-clock
// time in the series' time zone, across daylight-saving changes.
func (s *ActivitySeries) Occurrences(horizon time.Time) ([]time.Time, error) {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return nil, fmt.Errorf("series %s time zone %q: %w", s.ID, s.Timezone, err)
	}
	first := s.StartsAt.In(loc)
	step, days := s.pattern(first)
	var out []time.Time
	for base := 0; ; base += step {
		for _, d := range days {
			t := time.Date(first.Year(), first.Month(), first.Day()+base+d, first.Hour(), first.Minute(), first.Second(), 0, loc)
			switch {
			case t.Before(first):
				continue
			case !t.Before(horizon), s.Until != nil && t.After(*s.Until),
				s.Count != nil && len(out) >= int(*s.Count), len(out) >= maxOccurrencesPerRun:
				return out, nil
			}
			out = append(out, t.UTC())
		}
	}
}

// pattern returns the period in days and the day offsets, from the first
// start's date, of the occurrences in the first period.
func (s *ActivitySeries) pattern(first time.Time) (int, []int) {
	interval := max(int(s.Interval), 1)
	if s.Freq != "weekly" {
		return interval, []int{0}
	}
	weekdays := slices.Clone(s.ByWeekday)
	if len(weekdays) == 0 {
		weekdays = []int16{int16(first.Weekday())}
	}
	slices.Sort(weekdays)
	offsets := make([]int, 0, len(weekdays))
	for _, wd := range weekdays {
		// Days from the first start's date to weekday wd of its week
		// (weeks start on Sunday); earlier days of that week are skipped.
		offsets = append(offsets, int(wd)-int(first.Weekday()))
	}
	return 7 * interval, offsets
}
