package workcal_test

import (
	"fmt"

	"github.com/convene/convene/internal/workcal"
)

func ExampleCalendar_MilestoneDate() {
	newYork := workcal.Calendar{TimeZone: "America/New_York"}
	start, _ := workcal.ParseDate("2026-12-07") // a Monday

	// Day 7 falls on a Sunday: the milestone moves to Monday. Five business
	// days of leave move it a week further.
	fmt.Println(newYork.MilestoneDate(start, 7, 0))
	fmt.Println(newYork.MilestoneDate(start, 7, 5))
	fmt.Println(newYork.MilestoneAt(start, 7, 0))
	// Output:
	// 2026-12-14
	// 2026-12-21
	// 2026-12-14 09:00:00 -0500 EST
}

func ExampleCalendar_ReminderAt() {
	kolkata := workcal.Calendar{TimeZone: "Asia/Kolkata"}
	start, _ := workcal.ParseDate("2026-12-09") // a Wednesday
	due := kolkata.DueAt(start, 0, 0)
	fmt.Println("due", due)
	for level := 1; level <= workcal.ReminderLevels; level++ {
		fmt.Println("level", level, kolkata.ReminderAt(due, level))
	}
	// Output:
	// due 2026-12-09 17:00:00 +0530 IST
	// level 1 2026-12-10 09:00:00 +0530 IST
	// level 2 2026-12-14 09:00:00 +0530 IST
	// level 3 2026-12-16 09:00:00 +0530 IST
}
