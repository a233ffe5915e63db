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
	"github.com/convene/convene/internal/workcal"
)

func insertRow(t *testing.T, d *db.DB, model any) {
	t.Helper()
	_, err := d.NewInsert().Model(model).Exec(context.Background())
	require.NoError(t, err)
}

// TestTemplateForHire_RoleElseDefault: the role's live template
// (case-insensitive) wins over the default; an archived one does not
// count; no default and no role match is ErrNoOnboardingTemplate.
func TestTemplateForHire_RoleElseDefault(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, _ := ledgerMember(t, d)
	general := &db.OnboardingTemplate{ID: db.NewID(), OrganizationID: orgID, Name: "General", IsDefault: true, Version: 1}
	eng := &db.OnboardingTemplate{ID: db.NewID(), OrganizationID: orgID, Name: "Engineers", JobRole: "Engineer", Version: 2}
	old := &db.OnboardingTemplate{ID: db.NewID(), OrganizationID: orgID, Name: "Old sales", JobRole: "Sales", Version: 1, ArchivedAt: new(time.Now())}
	for _, tpl := range []*db.OnboardingTemplate{general, eng, old} {
		insertRow(t, d, tpl)
	}
	for i, key := range []string{"second", "first"} {
		insertRow(t, d, &db.OnboardingTemplateTask{ID: db.NewID(), OrganizationID: orgID, TemplateID: eng.ID, Key: key, Title: key,
			AssigneeRole: enums.OnboardingRoleHire, Milestone: enums.MilestoneDay1, Position: 1 - i})
	}

	tests := []struct {
		role string
		want uuid.UUID
	}{
		{"engineer", eng.ID},
		{" Engineer ", eng.ID},
		{"Sales", general.ID},
		{"", general.ID},
	}
	for _, tc := range tests {
		tpl, tasks, err := db.TemplateForHire(ctx, d, orgID, tc.role)
		require.NoError(t, err, tc.role)
		assert.Equal(t, tc.want, tpl.ID, "role %q", tc.role)
		if tc.want == eng.ID {
			require.Len(t, tasks, 2)
			assert.Equal(t, []string{"first", "second"}, []string{tasks[0].Key, tasks[1].Key}, "by position")
		}
	}

	_, err := d.NewUpdate().Model((*db.OnboardingTemplate)(nil)).Set("archived_at = now()").Where("id = ?", general.ID).Exec(ctx)
	require.NoError(t, err)
	_, _, err = db.TemplateForHire(ctx, d, orgID, "Sales")
	require.ErrorIs(t, err, db.ErrNoOnboardingTemplate)
}

// TestOfficeCalendar_OfficeOrOrganization: an office gives its zone,
// workdays, window and holidays; no office gives the organization's zone
// and the defaults.
func TestOfficeCalendar_OfficeOrOrganization(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	orgID, _ := ledgerMember(t, d)
	insertRow(t, d, &db.EngagementSettings{OrganizationID: orgID, TimeZone: "Europe/Berlin", MonthlyAllowance: 100, ApprovalThreshold: 50, BuddyMaxLoad: 2})
	cal := &db.HolidayCalendar{ID: db.NewID(), OrganizationID: orgID, Name: "India"}
	insertRow(t, d, cal)
	for _, day := range []time.Time{time.Date(2026, 1, 26, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 26, 0, 0, 0, 0, time.UTC)} {
		insertRow(t, d, &db.Holiday{ID: db.NewID(), OrganizationID: orgID, CalendarID: cal.ID, Date: day, Name: "Republic Day"})
	}
	office := &db.Office{ID: db.NewID(), OrganizationID: orgID, Name: "Bengaluru", TimeZone: "Asia/Kolkata",
		Workdays: []int16{1, 2, 3, 4, 5, 6}, SendWindowStart: "09:30", SendWindowEnd: "18:00", HolidayCalendarID: &cal.ID}
	insertRow(t, d, office)

	got, err := db.OfficeCalendar(ctx, d, orgID, &office.ID)
	require.NoError(t, err)
	assert.Equal(t, workcal.Calendar{TimeZone: "Asia/Kolkata",
		Workdays:    []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday},
		WindowStart: 9*time.Hour + 30*time.Minute, WindowEnd: 18 * time.Hour,
		Holidays: []workcal.Date{{Year: 2026, Month: time.January, Day: 26}, {Year: 2027, Month: time.January, Day: 26}}}, got)
	require.NoError(t, got.Validate())

	got, err = db.OfficeCalendar(ctx, d, orgID, nil)
	require.NoError(t, err)
	assert.Equal(t, workcal.Calendar{TimeZone: "Europe/Berlin"}, got)
}

// runFixture is an organization with a hire, a manager and a default
// template, ready for onboardings.
type runFixture struct {
	d              *db.DB
	org, hire, mgr uuid.UUID
	template       uuid.UUID
}

func newRunFixture(t *testing.T) runFixture {
	t.Helper()
	d := testenv.NewDB(t)
	orgID, users := teamOrg(t, d, 2)
	tpl := &db.OnboardingTemplate{ID: db.NewID(), OrganizationID: orgID, Name: "General", IsDefault: true, Version: 1}
	insertRow(t, d, tpl)
	return runFixture{d: d, org: orgID, hire: users[0], mgr: users[1], template: tpl.ID}
}

func (f runFixture) onboarding() *db.UserOnboarding {
	return &db.UserOnboarding{OrganizationID: f.org, UserID: f.hire, TemplateID: f.template, TemplateVersion: 1,
		ManagerUserID: f.mgr, HRUserID: f.mgr, StartDate: time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC),
		Status: enums.OnboardingPreboarding, Milestone: enums.MilestonePreboarding}
}

// TestInsertOnboarding_OneOpenPerPerson: a second open onboarding is
// ErrAlreadyOnboarding, one after the first closed is fine, and the
// manager as the hire is ErrOnboardingRefused.
func TestInsertOnboarding_OneOpenPerPerson(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newRunFixture(t)
	first := f.onboarding()
	require.NoError(t, db.InsertOnboarding(ctx, f.d, first))
	require.ErrorIs(t, db.InsertOnboarding(ctx, f.d, f.onboarding()), db.ErrAlreadyOnboarding)

	first.Status, first.CancelledAt = enums.OnboardingCancelled, new(time.Now())
	require.NoError(t, db.UpdateOnboarding(ctx, f.d, first, "status", "cancelled_at"))
	require.NoError(t, db.InsertOnboarding(ctx, f.d, f.onboarding()), "the first one is closed")

	self := f.onboarding()
	self.UserID = f.mgr
	require.ErrorIs(t, db.InsertOnboarding(ctx, f.d, self), db.ErrOnboardingRefused)
}

// TestOnboardingTasks_MoveAndCancelOnlyPending: moving dues and
// cancelling leave done tasks alone; buddy tasks follow the buddy.
func TestOnboardingTasks_MoveAndCancelOnlyPending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newRunFixture(t)
	o := f.onboarding()
	require.NoError(t, db.InsertOnboarding(ctx, f.d, o))
	due := time.Date(2026, 12, 21, 22, 0, 0, 0, time.UTC)
	done := time.Date(2026, 12, 20, 15, 0, 0, 0, time.UTC)
	tasks := []db.OnboardingTask{
		{Key: "done", AssigneeRole: enums.OnboardingRoleHire, AssigneeUserID: &f.hire, Status: enums.TaskDone, CompletedBy: &f.hire, CompletedAt: &done},
		{Key: "open", AssigneeRole: enums.OnboardingRoleHire, AssigneeUserID: &f.hire, Status: enums.TaskPending},
		{Key: "buddy", AssigneeRole: enums.OnboardingRoleBuddy, Status: enums.TaskPending},
	}
	for i := range tasks {
		tasks[i].OrganizationID, tasks[i].OnboardingID, tasks[i].Title = f.org, o.ID, tasks[i].Key
		tasks[i].Milestone, tasks[i].DueAt, tasks[i].Required = enums.MilestoneDay1, due, true
	}
	require.NoError(t, db.InsertOnboardingTasks(ctx, f.d, tasks))

	later := due.AddDate(0, 0, 7)
	moved, err := db.MoveTaskDues(ctx, f.d, o.ID, map[string]time.Time{"done": later, "open": later, "missing": later})
	require.NoError(t, err)
	assert.Equal(t, 1, moved)
	n, err := db.AssignBuddyTasks(ctx, f.d, o.ID, f.mgr)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = db.CancelOpenTasks(ctx, f.d, o.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	got, err := db.OnboardingTasksOf(ctx, f.d, o.ID)
	require.NoError(t, err)
	byKey := map[string]db.OnboardingTask{}
	for _, task := range got {
		byKey[task.Key] = task
	}
	assert.True(t, byKey["done"].DueAt.Equal(due))
	assert.Equal(t, enums.TaskDone, byKey["done"].Status)
	assert.True(t, byKey["open"].DueAt.Equal(later))
	assert.Equal(t, enums.TaskCancelled, byKey["open"].Status)
	assert.Equal(t, &f.mgr, byKey["buddy"].AssigneeUserID)
}
