package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
)

// dashboardWorld is an organization with HR, a manager, hires and the
// default template their onboardings copied.
type dashboardWorld struct {
	d                  *db.DB
	org, hr, manager   uuid.UUID
	hires              []uuid.UUID
	template           uuid.UUID
	now                time.Time
	onboardingsOfHires map[uuid.UUID]uuid.UUID
}

func newDashboardWorld(t *testing.T, hires int) *dashboardWorld {
	t.Helper()
	d := testenv.NewDB(t)
	org, users := teamOrg(t, d, hires+2)
	w := &dashboardWorld{d: d, org: org, hr: users[0], manager: users[1], hires: users[2:],
		now: time.Now().Truncate(time.Second), onboardingsOfHires: map[uuid.UUID]uuid.UUID{}}
	tpl := &db.OnboardingTemplate{ID: db.NewID(), OrganizationID: org, Name: "General", IsDefault: true, Version: 1}
	_, err := d.NewInsert().Model(tpl).Exec(context.Background())
	require.NoError(t, err)
	w.template = tpl.ID
	return w
}

// onboard inserts hire's onboarding in status, with a task per due time
// (pending unless listed in done).
func (w *dashboardWorld) onboard(t *testing.T, hire uuid.UUID, status string, officeID *uuid.UUID, dues []time.Time, done ...int) *db.UserOnboarding {
	t.Helper()
	ctx := context.Background()
	uo := &db.UserOnboarding{ID: db.NewID(), OrganizationID: w.org, UserID: hire, TemplateID: w.template, TemplateVersion: 1,
		ManagerUserID: w.manager, HRUserID: w.hr, OfficeID: officeID, StartDate: w.now.AddDate(0, 0, -20), Status: status,
		Milestone: enums.MilestoneDay14}
	switch status {
	case enums.OnboardingPaused:
		uo.PausedAt = &w.now
	case enums.OnboardingCompleted:
		uo.CompletedAt = &w.now
	case enums.OnboardingCancelled:
		uo.CancelledAt = &w.now
	}
	_, err := w.d.NewInsert().Model(uo).Exec(ctx)
	require.NoError(t, err)
	for i, due := range dues {
		task := &db.OnboardingTask{ID: db.NewID(), OrganizationID: w.org, OnboardingID: uo.ID, Key: "task-" + string(rune('a'+i)),
			Title: "Task", AssigneeRole: enums.OnboardingRoleHire, AssigneeUserID: &hire, Milestone: enums.MilestoneDay7,
			DueAt: due, Required: true, Status: enums.TaskPending, Position: i}
		for _, j := range done {
			if j == i {
				task.Status, task.CompletedBy, task.CompletedAt = enums.TaskDone, &hire, &w.now
			}
		}
		_, err := w.d.NewInsert().Model(task).Exec(ctx)
		require.NoError(t, err)
	}
	w.onboardingsOfHires[hire] = uo.ID
	return uo
}

// page lists the dashboard one row per page, following the tokens' keys.
func (w *dashboardWorld) page(t *testing.T, f db.OnboardingFilter) []db.OnboardingDashboardRow {
	t.Helper()
	var all []db.OnboardingDashboardRow
	afterKey, afterID := time.Time{}, uuid.Nil
	for range 10 {
		rows, err := db.OnboardingDashboard(context.Background(), w.d, f, w.now, afterKey, afterID, 1)
		require.NoError(t, err)
		if len(rows) == 0 {
			return all
		}
		all = append(all, rows...)
		afterKey, afterID = rows[0].SortKey, rows[0].ID
	}
	t.Fatal("the dashboard never ended")
	return nil
}

func usersOf(rows []db.OnboardingDashboardRow) []uuid.UUID {
	var out []uuid.UUID
	for _, r := range rows {
		out = append(out, r.UserID)
	}
	return out
}

// TestOnboardingDashboard_MostBehindFirst: the onboarding whose oldest
// overdue task is oldest comes first; a paused onboarding and one whose
// old task is done are not behind; keyset pages walk the same order.
func TestOnboardingDashboard_MostBehindFirst(t *testing.T) {
	t.Parallel()
	w := newDashboardWorld(t, 4)
	day := 24 * time.Hour
	slightly, most, paused, onTime := w.hires[0], w.hires[1], w.hires[2], w.hires[3]
	w.onboard(t, slightly, enums.OnboardingBehind, nil, []time.Time{w.now.Add(-3 * day), w.now.Add(-2 * day), w.now.Add(day)})
	w.onboard(t, most, enums.OnboardingBehind, nil, []time.Time{w.now.Add(-10 * day)})
	w.onboard(t, paused, enums.OnboardingPaused, nil, []time.Time{w.now.Add(-20 * day)})
	w.onboard(t, onTime, enums.OnboardingActive, nil, []time.Time{w.now.Add(-30 * day), w.now.Add(day)}, 0)

	all := w.page(t, db.OnboardingFilter{OrganizationID: w.org})
	require.Len(t, all, 4)
	assert.Equal(t, []uuid.UUID{most, slightly}, usersOf(all[:2]))
	assert.ElementsMatch(t, []uuid.UUID{paused, onTime}, usersOf(all[2:]))
	assert.Equal(t, 1, all[0].OverdueTasks)
	assert.Equal(t, 2, all[1].OverdueTasks)
	assert.WithinDuration(t, w.now.Add(-3*day), *all[1].OldestOverdueDue, time.Second)
	for _, r := range all[2:] {
		assert.Zero(t, r.OverdueTasks, "user %s", r.UserID)
		assert.Nil(t, r.OldestOverdueDue)
	}

	behind := w.page(t, db.OnboardingFilter{OrganizationID: w.org, BehindOnly: true})
	assert.Equal(t, []uuid.UUID{most, slightly}, usersOf(behind))
	pausedOnly := w.page(t, db.OnboardingFilter{OrganizationID: w.org, Status: enums.OnboardingPaused})
	assert.Equal(t, []uuid.UUID{paused}, usersOf(pausedOnly))
	other := uuid.New()
	assert.Empty(t, w.page(t, db.OnboardingFilter{OrganizationID: w.org, ManagerUserID: &other}))
	assert.Len(t, w.page(t, db.OnboardingFilter{OrganizationID: w.org, ManagerUserID: &w.manager}), 4)
	assert.Empty(t, w.page(t, db.OnboardingFilter{OrganizationID: uuid.New()}), "another organization sees none of them")
}

// TestOnboardingDashboard_LastCheckInAndOffice: a row shows the latest
// check-in; the office filter keeps its hires.
func TestOnboardingDashboard_LastCheckInAndOffice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newDashboardWorld(t, 2)
	hcal := &db.HolidayCalendar{ID: db.NewID(), OrganizationID: w.org, Name: "US"}
	_, err := w.d.NewInsert().Model(hcal).Exec(ctx)
	require.NoError(t, err)
	_, err = w.d.NewInsert().Model(&db.Holiday{ID: db.NewID(), OrganizationID: w.org, CalendarID: hcal.ID,
		Date: time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC), Name: "Christmas"}).Exec(ctx)
	require.NoError(t, err)
	office := &db.Office{ID: db.NewID(), OrganizationID: w.org, Name: "New York", TimeZone: "America/New_York",
		Workdays: []int16{1, 2, 3, 4, 6}, SendWindowStart: "08:30:00", SendWindowEnd: "16:00:00", HolidayCalendarID: &hcal.ID}
	_, err = w.d.NewInsert().Model(office).Exec(ctx)
	require.NoError(t, err)

	inOffice := w.onboard(t, w.hires[0], enums.OnboardingActive, &office.ID, nil)
	w.onboard(t, w.hires[1], enums.OnboardingActive, nil, nil)
	for _, c := range []db.OnboardingCheckIn{{Day: 7, Rating: 3}, {Day: 30, Rating: 5}} {
		c.ID, c.OrganizationID, c.OnboardingID, c.ManagerUserID = db.NewID(), w.org, inOffice.ID, w.manager
		_, err := w.d.NewInsert().Model(&c).Exec(ctx)
		require.NoError(t, err)
	}

	rows := w.page(t, db.OnboardingFilter{OrganizationID: w.org, OfficeID: &office.ID})
	require.Len(t, rows, 1)
	assert.Equal(t, w.hires[0], rows[0].UserID)
	require.NotNil(t, rows[0].LastCheckInDay)
	assert.Equal(t, 30, *rows[0].LastCheckInDay)
	assert.Equal(t, 5, *rows[0].LastCheckInRating)

}

// TestOnboardingOfUser_OpenBeforeClosed: the open onboarding is the one
// shown, else the latest closed one; a person never onboarded has none.
func TestOnboardingOfUser_OpenBeforeClosed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newDashboardWorld(t, 2)
	hire := w.hires[0]
	_, err := db.OnboardingOfUser(ctx, w.d, hire)
	require.ErrorIs(t, err, db.ErrNotFound)

	first := w.onboard(t, hire, enums.OnboardingCancelled, nil, nil)
	second := w.onboard(t, hire, enums.OnboardingCompleted, nil, nil)
	got, err := db.OnboardingOfUser(ctx, w.d, hire)
	require.NoError(t, err)
	assert.Equal(t, second.ID, got.ID, "the latest closed one")

	open := w.onboard(t, hire, enums.OnboardingActive, nil, []time.Time{w.now})
	_, err = w.d.NewUpdate().Model((*db.UserOnboarding)(nil)).Set("created_at = ?", w.now.Add(-time.Hour)).
		Where("id = ?", open.ID).Exec(ctx)
	require.NoError(t, err)
	got, err = db.OnboardingOfUser(ctx, w.d, hire)
	require.NoError(t, err)
	assert.Equal(t, open.ID, got.ID, "the open one, though created before %s", first.ID)

	detail, err := db.OnboardingDetailOf(ctx, w.d, got)
	require.NoError(t, err)
	assert.Len(t, detail.Tasks, 1)
	assert.Nil(t, detail.Buddy)
}

// TestOnboardingTasksAssignedTo_OpenOnboardingsOnly: a person's list has
// their pending tasks of open onboardings, earliest due first; the done
// ones join on request.
func TestOnboardingTasksAssignedTo_OpenOnboardingsOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newDashboardWorld(t, 2)
	day := 24 * time.Hour
	open := w.onboard(t, w.hires[0], enums.OnboardingActive, nil, []time.Time{w.now.Add(2 * day), w.now.Add(day), w.now}, 2)
	w.onboard(t, w.hires[1], enums.OnboardingCancelled, nil, nil)
	// A cancelled onboarding's leftover pending task is not listed.
	_, err := w.d.NewInsert().Model(&db.OnboardingTask{ID: db.NewID(), OrganizationID: w.org, OnboardingID: w.onboardingsOfHires[w.hires[1]],
		Key: "left-over", Title: "Task", AssigneeRole: enums.OnboardingRoleHire, AssigneeUserID: &w.hires[0],
		Milestone: enums.MilestoneDay1, DueAt: w.now, Required: true, Status: enums.TaskPending}).Exec(ctx)
	require.NoError(t, err)

	rows, err := db.OnboardingTasksAssignedTo(ctx, w.d, w.hires[0], nil, false, time.Time{}, uuid.Nil, 10)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, []string{"task-b", "task-a"}, []string{rows[0].Key, rows[1].Key})
	assert.Equal(t, w.hires[0], rows[0].HireUserID)
	assert.Equal(t, open.ID, rows[0].OnboardingID)

	next, err := db.OnboardingTasksAssignedTo(ctx, w.d, w.hires[0], &w.org, false, rows[0].DueAt, rows[0].ID, 10)
	require.NoError(t, err)
	require.Len(t, next, 1)
	assert.Equal(t, "task-a", next[0].Key)

	all, err := db.OnboardingTasksAssignedTo(ctx, w.d, w.hires[0], nil, true, time.Time{}, uuid.Nil, 10)
	require.NoError(t, err)
	assert.Len(t, all, 3, "the done task too")
}
