package workcal_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/convene/convene/internal/workcal"
)

func TestMilestoneDate(t *testing.T) {
	withHolidayOnDay7 := newYork(t)
	withHolidayOnDay7.Holidays = append(withHolidayOnDay7.Holidays, date(t, "2026-12-14"))
	tests := []struct {
		name   string
		cal    workcal.Calendar
		start  string
		day    int
		paused int
		want   string
	}{
		{"day 1 is the start date", newYork(t), "2026-12-07", 1, 0, "2026-12-07"},
		{"day 1 of a saturday start is monday", newYork(t), "2026-12-05", 1, 0, "2026-12-07"},
		{"day 7 on a sunday moves to monday", newYork(t), "2026-12-07", 7, 0, "2026-12-14"},
		{"day 7 on a holiday moves to the next business day", withHolidayOnDay7, "2026-12-07", 7, 0, "2026-12-15"},
		{"day 7 of a saturday start", newYork(t), "2026-12-05", 7, 0, "2026-12-11"},
		{"day 14", newYork(t), "2026-12-07", 14, 0, "2026-12-21"},
		{"day 30", newYork(t), "2026-12-07", 30, 0, "2027-01-05"},
		{"day 14 after a 5-day pause skips christmas", newYork(t), "2026-12-07", 14, 5, "2026-12-29"},
		{"day 30 after a 5-day pause", newYork(t), "2026-12-07", 30, 5, "2027-01-12"},
		{"day 0 counts as day 1", newYork(t), "2026-12-05", 0, 0, "2026-12-07"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, date(t, tt.want), tt.cal.MilestoneDate(date(t, tt.start), tt.day, tt.paused))
		})
	}
}

func TestMilestoneAtIsTheWindowOpening(t *testing.T) {
	kolkata := workcal.Calendar{TimeZone: "Asia/Kolkata"}
	requireInstant(t, local(t, "Asia/Kolkata", "2026-12-14 09:00"), kolkata.MilestoneAt(date(t, "2026-12-07"), 7, 0))
	requireInstant(t, local(t, "America/New_York", "2026-12-29 09:00"), newYork(t).MilestoneAt(date(t, "2026-12-07"), 14, 5))
}

func TestDueAt(t *testing.T) {
	const ny = "America/New_York"
	tests := []struct {
		name           string
		start          string
		offset, paused int
		want           time.Time
	}{
		{"day 1", "2026-12-07", 0, 0, local(t, ny, "2026-12-07 17:00")},
		{"two business days in", "2026-12-07", 2, 0, local(t, ny, "2026-12-09 17:00")},
		{"preboarding, before day 1", "2026-12-07", -3, 0, local(t, ny, "2026-12-02 17:00")},
		{"saturday start counts from monday", "2026-12-05", 0, 0, local(t, ny, "2026-12-07 17:00")},
		{"paused days add business days", "2026-12-07", 5, 5, local(t, ny, "2026-12-21 17:00")},
		{"over christmas", "2026-12-21", 4, 0, local(t, ny, "2026-12-28 17:00")},
	}
	cal := newYork(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireInstant(t, tt.want, cal.DueAt(date(t, tt.start), tt.offset, tt.paused))
		})
	}
}

func TestReminderAt(t *testing.T) {
	const ny = "America/New_York"
	tests := []struct {
		name  string
		due   time.Time
		level int
		want  time.Time
	}{
		{"level 1: the next business day", local(t, ny, "2026-12-09 17:00"), 1, local(t, ny, "2026-12-10 09:00")},
		{"level 2: two business days later", local(t, ny, "2026-12-09 17:00"), 2, local(t, ny, "2026-12-14 09:00")},
		{"level 3: two more", local(t, ny, "2026-12-09 17:00"), 3, local(t, ny, "2026-12-16 09:00")},
		{"level 1 before christmas", local(t, ny, "2026-12-23 17:00"), 1, local(t, ny, "2026-12-24 09:00")},
		{"level 2 skips christmas and the weekend", local(t, ny, "2026-12-23 17:00"), 2, local(t, ny, "2026-12-29 09:00")},
		{"level 3 skips christmas and the weekend", local(t, ny, "2026-12-23 17:00"), 3, local(t, ny, "2026-12-31 09:00")},
		{"the due date is the office's date", time.Date(2026, 12, 10, 4, 30, 0, 0, time.UTC), 1, local(t, ny, "2026-12-10 09:00")},
		{"no level 0", local(t, ny, "2026-12-09 17:00"), 0, time.Time{}},
		{"no level 4", local(t, ny, "2026-12-09 17:00"), 4, time.Time{}},
	}
	cal := newYork(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireInstant(t, tt.want, cal.ReminderAt(tt.due, tt.level))
		})
	}
}

func TestReminderAtInKolkata(t *testing.T) {
	kolkata := workcal.Calendar{TimeZone: "Asia/Kolkata"}
	due := kolkata.DueAt(date(t, "2026-12-07"), 2, 0)
	requireInstant(t, local(t, "Asia/Kolkata", "2026-12-09 17:00"), due)
	requireInstant(t, local(t, "Asia/Kolkata", "2026-12-10 09:00"), kolkata.ReminderAt(due, 1))
}

func TestBusinessDaysBehind(t *testing.T) {
	const ny = "America/New_York"
	cal := newYork(t)
	due := local(t, ny, "2026-12-09 17:00")
	assert.Equal(t, 0, cal.BusinessDaysBehind(due, local(t, ny, "2026-12-09 20:00")))
	assert.Equal(t, 3, cal.BusinessDaysBehind(due, local(t, ny, "2026-12-14 10:00")))
	assert.Equal(t, 2, cal.BusinessDaysBehind(due, local(t, ny, "2026-12-13 10:00")), "a sunday adds nothing")
}
