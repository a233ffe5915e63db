package workcal

import "time"

// ReminderLevels is the number of rungs on the reminder ladder of an
// overdue task: 1 the assignee, 2 the assignee with a copy to the buddy or
// manager, 3 HR.
const ReminderLevels = 3

// reminderOffsets are the business days after the due date each ladder
// rung waits: +1, then two more, then two more.
var reminderOffsets = [ReminderLevels + 1]int{1: 1, 2: 3, 3: 5}

// MilestoneDate is the date onboarding day `day` falls on for a hire who
// starts on start, after the schedule moved by pausedBusinessDays of leave.
// Day 1 is the first business day on or after start; day N is the first
// business day on or after start + (N-1) calendar days, so "day 7" means a
// week in even when that lands on a weekend or holiday. Days below 1 count
// as day 1 (preboarding ends there).
func (c Calendar) MilestoneDate(start Date, day int, pausedBusinessDays int) Date {
	if day < 1 {
		day = 1
	}
	d := c.NextBusinessDay(start.AddDays(day - 1))
	return c.AddBusinessDays(d, pausedBusinessDays)
}

// MilestoneAt is the instant milestone day `day` is reached: the send
// window's opening on its MilestoneDate.
func (c Calendar) MilestoneAt(start Date, day int, pausedBusinessDays int) time.Time {
	return c.WindowOpen(c.MilestoneDate(start, day, pausedBusinessDays))
}

// DueAt is when a task due offsetBusinessDays business days from day 1
// (negative: before day 1, i.e. preboarding) is due: the close of the send
// window that day, after moving by pausedBusinessDays of leave.
func (c Calendar) DueAt(start Date, offsetBusinessDays, pausedBusinessDays int) time.Time {
	day1 := c.NextBusinessDay(start)
	return c.WindowClose(c.AddBusinessDays(day1, offsetBusinessDays+pausedBusinessDays))
}

// ReminderAt is when rung `level` (1..ReminderLevels) of the reminder
// ladder fires for a pending task due at due: the window opening 1, 3 and 5
// business days after the due date. Any other level has no time: the zero
// time.Time.
func (c Calendar) ReminderAt(due time.Time, level int) time.Time {
	if level < 1 || level > ReminderLevels {
		return time.Time{}
	}
	return c.WindowOpen(c.AddBusinessDays(c.DateOf(due), reminderOffsets[level]))
}

// BusinessDaysBehind is how far behind an onboarding is whose oldest
// overdue task was due at oldestDue: the business days from that due date
// to now's date (0 on the due date itself).
func (c Calendar) BusinessDaysBehind(oldestDue, now time.Time) int {
	return c.BusinessDaysBetween(c.DateOf(oldestDue), c.DateOf(now))
}
