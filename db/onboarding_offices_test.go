package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/internal/workcal"
)

// TestOfficeCalendar_FollowsTheStoredOffice: the calendar built from an
// office's rows has its zone, ISO workdays (7 = Sunday), send window and
// holidays; no office is the default calendar; another organization's
// office is not found.
func TestOfficeCalendar_FollowsTheStoredOffice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, _ := ledgerMember(t, d)
	otherOrg, _ := ledgerMember(t, d)
	date := func(s string) workcal.Date {
		day, err := workcal.ParseDate(s)
		require.NoError(t, err)
		return day
	}

	var office *db.Office
	require.NoError(t, d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		cal, created, err := db.EnsureHolidayCalendar(ctx, tx, orgID, "UAE")
		if err != nil {
			return err
		}
		assert.True(t, created)
		if err := db.ReplaceHolidays(ctx, tx, cal, []int{2027}, []db.Holiday{{Date: date("2027-01-26").MidnightUTC(), Name: "Holiday"}}); err != nil {
			return err
		}
		office = &db.Office{OrganizationID: orgID, Name: "Dubai", TimeZone: "Asia/Dubai", Workdays: []int16{1, 2, 3, 4, 7},
			SendWindowStart: "08:30", SendWindowEnd: "16:00", HolidayCalendarID: &cal.ID}
		return db.SaveOffice(ctx, tx, office)
	}))

	cal, err := db.OfficeCalendar(ctx, d, orgID, &office.ID)
	require.NoError(t, err)
	assert.True(t, cal.IsBusinessDay(date("2027-01-24")), "Sunday is a workday in Dubai")
	assert.False(t, cal.IsBusinessDay(date("2027-01-29")), "Friday is not")
	assert.False(t, cal.IsBusinessDay(date("2027-01-26")), "the holiday is not")
	dubai, err := time.LoadLocation("Asia/Dubai")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2027, 1, 25, 8, 30, 0, 0, dubai).UTC(), cal.WindowOpen(date("2027-01-25")).UTC())
	assert.Equal(t, time.Date(2027, 1, 25, 16, 0, 0, 0, dubai).UTC(), cal.WindowClose(date("2027-01-25")).UTC())

	none, err := db.OfficeCalendar(ctx, d, orgID, nil)
	require.NoError(t, err)
	assert.Equal(t, workcal.Calendar{}, none)

	_, err = db.OfficeCalendar(ctx, d, otherOrg, &office.ID)
	require.ErrorIs(t, err, db.ErrNotFound)
}
