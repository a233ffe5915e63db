package activities_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/engagement"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/jobs"
)

// The bundle's calendar: a New York office, Monday to Friday 09:00-17:00,
// Friday 25 December 2026 a holiday; the hire starts on Monday 21
// December.
const onbStart = "2026-12-21"

var newYork = mustZone("America/New_York")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// nyAt is a wall time in New York.
func nyAt(month time.Month, day, hour int) time.Time {
	year := 2026
	if month < time.June {
		year = 2027
	}
	return time.Date(year, month, day, hour, 0, 0, 0, newYork)
}

// onbBundle is an organization with a hire, a manager, HR, a volunteer
// buddy in the hire's office, a default template with a completion badge
// and buddy points, and the activities.
type onbBundle struct {
	d                        *db.DB
	act                      *activities.Onboarding
	org, office              uuid.UUID
	hire, manager, hr, buddy uuid.UUID
	template                 *db.OnboardingTemplate
	badge                    uuid.UUID
	setup                    activities.OnboardingSetup
	phone                    int
}

// setupOnboarding builds the bundle; withBuddy false leaves the volunteer
// out (no candidate).
func setupOnboarding(t *testing.T, withBuddy bool) *onbBundle {
	t.Helper()
	ctx := context.Background()
	d := testenv.NewDB(t)
	rc, err := river.NewClient(d.RiverDriver(), &river.Config{})
	require.NoError(t, err)
	b := &onbBundle{d: d, act: &activities.Onboarding{DB: d, Notices: &jobs.Notices{River: rc}, Recorder: engagement.Recorder{River: rc}}}
	org := &db.Organization{ID: db.NewID(), Name: "Acme", Slug: "acme-" + db.NewID().String()[24:], Status: "active", Settings: map[string]any{}}
	require.NoError(t, db.InsertOrganization(ctx, d, org))
	b.org = org.ID
	start, err := time.Parse(time.DateOnly, onbStart)
	require.NoError(t, err)
	longAgo := start.AddDate(-1, 0, 0)
	b.hire, b.manager, b.hr = b.member(t, db.RoleMember, start), b.member(t, db.RoleMember, longAgo), b.member(t, db.RoleAdmin, longAgo)

	cal := &db.HolidayCalendar{ID: db.NewID(), OrganizationID: b.org, Name: "US"}
	mustInsert(t, d, cal)
	mustInsert(t, d, &db.Holiday{ID: db.NewID(), OrganizationID: b.org, CalendarID: cal.ID, Date: time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC), Name: "Christmas"})
	office := &db.Office{ID: db.NewID(), OrganizationID: b.org, Name: "New York", TimeZone: "America/New_York",
		Workdays: []int16{1, 2, 3, 4, 5}, SendWindowStart: "09:00", SendWindowEnd: "17:00", HolidayCalendarID: &cal.ID}
	mustInsert(t, d, office)
	b.office = office.ID
	if withBuddy {
		b.buddy = b.member(t, db.RoleMember, longAgo)
		mustInsert(t, d, &db.MemberProfile{OrganizationID: b.org, UserID: b.buddy, Skills: []string{}, Interests: []string{},
			LeaderboardVisible: true, OfficeID: &b.office, BuddyAvailable: true})
	}

	badge := &db.Badge{ID: db.NewID(), OrganizationID: b.org, Name: "Onboarded", Kind: enums.BadgeManual, Rarity: "common", Criteria: db.BadgeCriteria{}}
	mustInsert(t, d, badge)
	b.badge = badge.ID
	b.template = &db.OnboardingTemplate{ID: db.NewID(), OrganizationID: b.org, Name: "Everyone", IsDefault: true, Version: 3,
		CompletionBadgeID: &badge.ID, BuddyPoints: 50}
	mustInsert(t, d, b.template)
	for i, tt := range []struct {
		key, role, milestone string
		offset               int
		required             bool
	}{
		{"paperwork", enums.OnboardingRoleHire, enums.MilestonePreboarding, -2, true},
		{"laptop", enums.OnboardingRoleManager, enums.MilestonePreboarding, -1, true},
		{"lunch", enums.OnboardingRoleBuddy, enums.MilestoneDay1, 0, true},
		{"first-pr", enums.OnboardingRoleHire, enums.MilestoneDay7, 4, true},
		{"reading", enums.OnboardingRoleHire, enums.MilestoneDay7, 4, false},
	} {
		mustInsert(t, d, &db.OnboardingTemplateTask{ID: db.NewID(), OrganizationID: b.org, TemplateID: b.template.ID, Key: tt.key,
			Title: "Do " + tt.key, AssigneeRole: tt.role, Milestone: tt.milestone, DueOffsetDays: tt.offset, Required: tt.required, Position: i})
	}
	b.setup = activities.OnboardingSetup{OnboardingID: db.NewID().String(), OrganizationID: b.org.String(), UserID: b.hire.String(),
		StartDate: onbStart, ManagerUserID: b.manager.String(), HRUserID: b.hr.String(), Role: "Engineer",
		OfficeID: b.office.String(), ActorUserID: b.hr.String()}
	return b
}

func mustInsert(t *testing.T, d *db.DB, model any) {
	t.Helper()
	_, err := d.NewInsert().Model(model).Exec(context.Background())
	require.NoError(t, err)
}

// member adds a user to the organization, a member since joined.
func (b *onbBundle) member(t *testing.T, role string, joined time.Time) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	b.phone++
	u, _, err := db.CreateUserWithPhone(ctx, b.d, fmt.Sprintf("+1415555%04d", b.phone))
	require.NoError(t, err)
	require.NoError(t, db.InsertMember(ctx, b.d, &db.Member{ID: db.NewID(), OrganizationID: b.org, UserID: u.ID, Role: role,
		Timestamps: db.Timestamps{CreatedAt: joined, UpdatedAt: joined}}))
	return u.ID
}

func (b *onbBundle) start(t *testing.T) activities.OnboardingSnapshot {
	t.Helper()
	snap, err := b.act.SetUpOnboarding(context.Background(), b.setup)
	require.NoError(t, err)
	return snap
}

func (b *onbBundle) id() uuid.UUID { return uuid.MustParse(b.setup.OnboardingID) }

func (b *onbBundle) onboarding(t *testing.T) *db.UserOnboarding {
	t.Helper()
	o, err := db.OnboardingByID(context.Background(), b.d, b.id(), false)
	require.NoError(t, err)
	return o
}

func (b *onbBundle) task(t *testing.T, key string) *db.OnboardingTask {
	t.Helper()
	task, err := db.OnboardingTaskByKey(context.Background(), b.d, b.id(), key, false)
	require.NoError(t, err)
	return task
}

func (b *onbBundle) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, b.d.NewRaw(query, args...).Scan(context.Background(), &n))
	return n
}

// notices counts the notices whose key starts with the onboarding's
// prefix + suffix.
func (b *onbBundle) notices(t *testing.T, suffix string) int {
	t.Helper()
	return b.count(t, "SELECT count(*) FROM notification_notices WHERE dedupe_key LIKE ?", "onboarding/"+b.setup.OnboardingID+"/"+suffix+"%")
}

func (b *onbBundle) noticeTo(t *testing.T, key string) uuid.UUID {
	t.Helper()
	var to uuid.UUID
	require.NoError(t, b.d.NewRaw("SELECT user_id FROM notification_notices WHERE dedupe_key = ?",
		"onboarding/"+b.setup.OnboardingID+"/"+key).Scan(context.Background(), &to))
	return to
}

func requireWrongState(t *testing.T, err error) {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an application error, got %v", err)
	assert.Equal(t, "ConveneWrongState", appErr.Type())
	assert.True(t, appErr.NonRetryable())
}

// TestSetUpOnboarding_TasksOnTheOfficeCalendar: dues close the New York
// send window on business days counted from day 1, skipping Christmas;
// the check-ins fall 2 business days after days 7 and 30; the volunteer
// in the hire's office is the scored buddy and holds the buddy task.
func TestSetUpOnboarding_TasksOnTheOfficeCalendar(t *testing.T) {
	t.Parallel()
	b := setupOnboarding(t, true)
	snap := b.start(t)

	assert.Equal(t, b.template.ID.String(), snap.TemplateID)
	assert.Equal(t, 3, snap.TemplateVersion)
	require.NotNil(t, snap.Buddy)
	assert.Equal(t, b.buddy.String(), snap.Buddy.UserID)
	assert.Equal(t, enums.BuddySourceAuto, snap.Buddy.Source)
	assert.Positive(t, snap.Buddy.Score)
	assert.Contains(t, snap.Buddy.Reasons, "same office")
	assert.Equal(t, "America/New_York", snap.Calendar.TimeZone)

	want := map[string]struct {
		due      time.Time
		assignee uuid.UUID
		role     string
	}{
		"paperwork":     {nyAt(time.December, 17, 17), b.hire, enums.OnboardingRoleHire}, // 2 business days before Mon 21
		"laptop":        {nyAt(time.December, 18, 17), b.manager, enums.OnboardingRoleManager},
		"lunch":         {nyAt(time.December, 21, 17), b.buddy, enums.OnboardingRoleBuddy}, // day 1
		"first-pr":      {nyAt(time.December, 28, 17), b.hire, enums.OnboardingRoleHire},   // 4 business days, Christmas skipped
		"reading":       {nyAt(time.December, 28, 17), b.hire, enums.OnboardingRoleHire},
		"checkin-day7":  {nyAt(time.December, 30, 17), b.manager, enums.OnboardingRoleManager}, // day 7 = Sun 27 → Mon 28, +2
		"checkin-day30": {nyAt(time.January, 21, 17), b.manager, enums.OnboardingRoleManager},  // day 30 = Tue 19 Jan, +2
	}
	require.Len(t, snap.Tasks, len(want))
	for _, task := range snap.Tasks {
		w, ok := want[task.Key]
		require.True(t, ok, "unexpected task %s", task.Key)
		assert.True(t, w.due.Equal(task.DueAt), "%s due %s, want %s", task.Key, task.DueAt.In(newYork), w.due)
		assert.Equal(t, w.assignee.String(), task.AssigneeUserID, task.Key)
		assert.Equal(t, w.role, task.AssigneeRole, task.Key)
		assert.Equal(t, enums.TaskPending, task.Status, task.Key)
	}
	checkIn := b.task(t, enums.TaskKeyCheckInDay7)
	assert.Equal(t, enums.MilestoneDay7, checkIn.Milestone)
	assert.True(t, checkIn.Required)

	o := b.onboarding(t)
	assert.Equal(t, enums.OnboardingPreboarding, o.Status)
	require.NotNil(t, o.BuddyUserID)
	assert.Equal(t, b.buddy, *o.BuddyUserID)
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM audit_logs WHERE object_id = ? AND action = 'onboarding.start'", b.setup.OnboardingID))
	for role, to := range map[string]uuid.UUID{"hire": b.hire, "manager": b.manager, "buddy": b.buddy, "hr": b.hr} {
		assert.Equal(t, to, b.noticeTo(t, "welcome/"+role), role)
	}
}

// TestSetUpOnboarding_RetryWritesNothing: a retried setup returns the
// first attempt's snapshot and changes no row.
func TestSetUpOnboarding_RetryWritesNothing(t *testing.T) {
	t.Parallel()
	b := setupOnboarding(t, true)
	first := b.start(t)
	before := testenv.Snapshot(t, b.d)
	again := b.start(t)
	testenv.RequireUnchanged(t, before, testenv.Snapshot(t, b.d), "a retried setup writes nothing")
	assert.Equal(t, first, again)
}

// TestSetUpOnboarding_NoCandidateGivesHRTheChoice: with no volunteer the
// buddy task waits unassigned and HR gets choose-buddy, due at the close
// of day 1; picking a buddy then moves the task and closes HR's.
func TestSetUpOnboarding_NoCandidateGivesHRTheChoice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOnboarding(t, false)
	snap := b.start(t)
	assert.Nil(t, snap.Buddy)
	choose := b.task(t, enums.TaskKeyChooseBuddy)
	assert.Equal(t, enums.OnboardingRoleHR, choose.AssigneeRole)
	assert.Equal(t, &b.hr, choose.AssigneeUserID)
	assert.Equal(t, enums.MilestonePreboarding, choose.Milestone)
	assert.True(t, nyAt(time.December, 21, 17).Equal(choose.DueAt), "due %s", choose.DueAt.In(newYork))
	assert.Nil(t, b.task(t, "lunch").AssigneeUserID, "the buddy task waits for a buddy")
	assert.Equal(t, "Choose a buddy for your new hire", b.noticeTitle(t, "welcome/hr"))

	buddy := b.member(t, db.RoleMember, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	mustInsert(t, b.d, &db.MemberProfile{OrganizationID: b.org, UserID: buddy, Skills: []string{}, Interests: []string{},
		LeaderboardVisible: true, BuddyAvailable: true})
	change := activities.BuddyChange{OnboardingID: b.setup.OnboardingID, ActorUserID: b.hr.String(), BuddyUserID: buddy.String(), Reason: "knows the codebase"}
	pick, err := b.act.ReassignBuddy(ctx, change)
	require.NoError(t, err)
	assert.Equal(t, buddy.String(), pick.UserID)
	assert.Equal(t, enums.BuddySourceManual, pick.Source)
	assert.Equal(t, &buddy, b.task(t, "lunch").AssigneeUserID)
	done := b.task(t, enums.TaskKeyChooseBuddy)
	assert.Equal(t, enums.TaskDone, done.Status)
	assert.Equal(t, &b.hr, done.CompletedBy)
	assert.Equal(t, buddy, b.noticeTo(t, "buddy/"+buddy.String()+"/new"))

	again, err := b.act.ReassignBuddy(ctx, change)
	require.NoError(t, err, "a retry finds the buddy in place")
	assert.Equal(t, pick, again)
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM buddy_matches WHERE onboarding_id = ?", b.id()))

	_, err = b.act.ReassignBuddy(ctx, activities.BuddyChange{OnboardingID: b.setup.OnboardingID, ActorUserID: b.hr.String(), BuddyUserID: b.manager.String()})
	requireWrongState(t, err)
}

func (b *onbBundle) noticeTitle(t *testing.T, key string) string {
	t.Helper()
	var title string
	require.NoError(t, b.d.NewRaw("SELECT title FROM notification_notices WHERE dedupe_key = ?",
		"onboarding/"+b.setup.OnboardingID+"/"+key).Scan(context.Background(), &title))
	return title
}

// TestSetUpOnboarding_Refusals: no template, or another open onboarding
// of the same person, refuse the setup for good and leave nothing.
func TestSetUpOnboarding_Refusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOnboarding(t, true)
	b.start(t)

	second := b.setup
	second.OnboardingID = db.NewID().String()
	_, err := b.act.SetUpOnboarding(ctx, second)
	requireWrongState(t, err)

	_, err = b.d.NewUpdate().Model((*db.OnboardingTemplate)(nil)).Set("archived_at = now()").Where("id = ?", b.template.ID).Exec(ctx)
	require.NoError(t, err)
	third := b.setup
	third.OnboardingID, third.UserID = db.NewID().String(), b.member(t, db.RoleMember, time.Now()).String()
	_, err = b.act.SetUpOnboarding(ctx, third)
	requireWrongState(t, err)
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM user_onboardings WHERE organization_id = ?", b.org))
}

// TestCompleteOnboarding_RetryAwardsOnce: completion run twice gives one
// badge, one ledger row for the buddy, one onboarding.completed and ends
// the match.
func TestCompleteOnboarding_RetryAwardsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOnboarding(t, true)
	b.start(t)
	require.NoError(t, b.act.CompleteOnboarding(ctx, b.setup.OnboardingID))
	require.NoError(t, b.act.CompleteOnboarding(ctx, b.setup.OnboardingID))

	o := b.onboarding(t)
	assert.Equal(t, enums.OnboardingCompleted, o.Status)
	assert.NotNil(t, o.CompletedAt)
	assert.Equal(t, 100, o.Progress)
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM badge_awards WHERE badge_id = ? AND user_id = ?", b.badge, b.hire))
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM points_ledger WHERE user_id = ? AND type = 'onboarding' AND amount = 50 AND idempotency_key = ?",
		b.buddy, "onboarding:"+b.hire.String()+":"+b.buddy.String()))
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM domain_events WHERE type = ? AND subject_user_id = ?", enums.EventOnboardingCompleted, b.hire))
	assert.Equal(t, 0, b.count(t, "SELECT count(*) FROM buddy_matches WHERE onboarding_id = ? AND status = 'active'", b.id()))
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM audit_logs WHERE object_id = ? AND action = 'onboarding.complete'", b.setup.OnboardingID))

	requireWrongState(t, b.act.CancelOnboarding(ctx, activities.CancelRecord{OnboardingID: b.setup.OnboardingID, ActorUserID: b.hr.String()}))
}

// TestCancelOnboarding_CancelsOpenTasksAndEndsTheMatch: done tasks stay
// done, the rest are cancelled, the match ends, all four are told; a
// retry changes nothing.
func TestCancelOnboarding_CancelsOpenTasksAndEndsTheMatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOnboarding(t, true)
	b.start(t)
	require.NoError(t, b.act.CompleteOnboardingTask(ctx, activities.TaskDone{OnboardingID: b.setup.OnboardingID, TaskKey: "paperwork",
		ActorUserID: b.hire.String(), Progress: 16}))
	cancel := activities.CancelRecord{OnboardingID: b.setup.OnboardingID, ActorUserID: b.hr.String(), Reason: "offer withdrawn"}
	require.NoError(t, b.act.CancelOnboarding(ctx, cancel))
	before := testenv.Snapshot(t, b.d)
	require.NoError(t, b.act.CancelOnboarding(ctx, cancel))
	testenv.RequireUnchanged(t, before, testenv.Snapshot(t, b.d), "a retried cancel writes nothing")

	o := b.onboarding(t)
	assert.Equal(t, enums.OnboardingCancelled, o.Status)
	assert.NotNil(t, o.CancelledAt)
	assert.Equal(t, enums.TaskDone, b.task(t, "paperwork").Status)
	assert.Equal(t, 6, b.count(t, "SELECT count(*) FROM onboarding_tasks WHERE onboarding_id = ? AND status = 'cancelled'", b.id()))
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM buddy_matches WHERE onboarding_id = ? AND status = 'ended' AND ended_reason = 'onboarding cancelled'", b.id()))
	assert.Equal(t, 4, b.notices(t, "cancelled/"))
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM audit_logs WHERE object_id = ? AND action = 'onboarding.cancel'", b.setup.OnboardingID))
}

// TestRemindTask_EachRungOnce: a rung sent twice is one notice; rung 2 of
// the hire's task copies the buddy, rung 3 goes to HR; the onboarding is
// behind; nothing is sent while paused or once the task is done.
func TestRemindTask_EachRungOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOnboarding(t, true)
	b.start(t)
	remind := func(key string, level int) {
		t.Helper()
		require.NoError(t, b.act.RemindTask(ctx, activities.TaskReminder{OnboardingID: b.setup.OnboardingID, TaskKey: key, Level: level}))
	}
	remind("first-pr", 1)
	remind("first-pr", 1)
	assert.Equal(t, 1, b.notices(t, "task/first-pr/level/1"))
	assert.Equal(t, b.hire, b.noticeTo(t, "task/first-pr/level/1"))
	assert.Equal(t, 1, b.task(t, "first-pr").ReminderLevel)
	assert.Equal(t, enums.OnboardingBehind, b.onboarding(t).Status)

	remind("first-pr", 2)
	assert.Equal(t, b.hire, b.noticeTo(t, "task/first-pr/level/2"))
	assert.Equal(t, b.buddy, b.noticeTo(t, "task/first-pr/level/2/copy"))
	remind("laptop", 2)
	assert.Equal(t, b.manager, b.noticeTo(t, "task/laptop/level/2"))
	assert.Equal(t, 0, b.notices(t, "task/laptop/level/2/copy"), "the manager's own task copies nobody else")
	remind("first-pr", 3)
	assert.Equal(t, b.hr, b.noticeTo(t, "task/first-pr/level/3"))
	remind("first-pr", 2)
	assert.Equal(t, 3, b.task(t, "first-pr").ReminderLevel, "a late lower rung changes nothing")

	require.NoError(t, b.act.PauseOnboarding(ctx, activities.PauseRecord{OnboardingID: b.setup.OnboardingID, ActorUserID: b.manager.String()}))
	remind("reading", 1)
	assert.Equal(t, 0, b.notices(t, "task/reading/"), "nothing is sent while paused")
	assert.Equal(t, 4, b.count(t, "SELECT count(*) FROM audit_logs WHERE object_id = ? AND action = 'onboarding.remind'", b.setup.OnboardingID),
		"one audit row per rung sent")
}

// TestPauseResume_MovesOpenDues: the pause is written and told once; the
// resume clears it, records the paused business days and moves only the
// pending tasks' dues.
func TestPauseResume_MovesOpenDues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOnboarding(t, true)
	b.start(t)
	require.NoError(t, b.act.CompleteOnboardingTask(ctx, activities.TaskDone{OnboardingID: b.setup.OnboardingID, TaskKey: "paperwork",
		ActorUserID: b.hire.String(), Progress: 16}))
	until := nyAt(time.January, 4, 9)
	pause := activities.PauseRecord{OnboardingID: b.setup.OnboardingID, ActorUserID: b.manager.String(), Reason: "sick leave", Until: &until}
	require.NoError(t, b.act.PauseOnboarding(ctx, pause))
	require.NoError(t, b.act.PauseOnboarding(ctx, pause))
	o := b.onboarding(t)
	assert.Equal(t, enums.OnboardingPaused, o.Status)
	assert.Equal(t, "sick leave", o.PauseReason)
	require.NotNil(t, o.PauseUntil)
	assert.True(t, until.Equal(*o.PauseUntil))
	assert.Equal(t, 2, b.notices(t, "pause/"), "the hire and the buddy, once")

	paperworkDue := b.task(t, "paperwork").DueAt
	moved := map[string]time.Time{"paperwork": nyAt(time.December, 31, 17), "first-pr": nyAt(time.January, 5, 17)}
	resume := activities.ResumeRecord{OnboardingID: b.setup.OnboardingID, ActorUserID: b.hr.String(), PausedBusinessDays: 5,
		Status: enums.OnboardingActive, Dues: moved}
	require.NoError(t, b.act.ResumeOnboarding(ctx, resume))
	before := testenv.Snapshot(t, b.d)
	require.NoError(t, b.act.ResumeOnboarding(ctx, resume))
	testenv.RequireUnchanged(t, before, testenv.Snapshot(t, b.d), "a retried resume writes nothing")

	o = b.onboarding(t)
	assert.Equal(t, enums.OnboardingActive, o.Status)
	assert.Equal(t, 5, o.PausedBusinessDays)
	assert.Nil(t, o.PausedAt)
	assert.Nil(t, o.PauseUntil)
	assert.True(t, b.task(t, "first-pr").DueAt.Equal(moved["first-pr"]))
	assert.True(t, b.task(t, "paperwork").DueAt.Equal(paperworkDue), "a done task keeps its due")
	assert.Equal(t, 2, b.notices(t, "resume/"))
}

// TestCompleteOnboardingTask_OnceByItsActor: the task is done with the
// actor, note and progress; a retry is fine; a second actor or a
// check-in task is refused.
func TestCompleteOnboardingTask_OnceByItsActor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOnboarding(t, true)
	b.start(t)
	done := activities.TaskDone{OnboardingID: b.setup.OnboardingID, TaskKey: "first-pr", ActorUserID: b.hire.String(), Note: "merged", Progress: 33}
	require.NoError(t, b.act.CompleteOnboardingTask(ctx, done))
	require.NoError(t, b.act.CompleteOnboardingTask(ctx, done))
	task := b.task(t, "first-pr")
	assert.Equal(t, enums.TaskDone, task.Status)
	assert.Equal(t, &b.hire, task.CompletedBy)
	assert.Equal(t, "merged", task.Note)
	assert.Equal(t, 33, b.onboarding(t).Progress)
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM audit_logs WHERE object_id = ? AND action = 'onboarding.complete_task'", b.setup.OnboardingID))

	other := done
	other.ActorUserID = b.hr.String()
	requireWrongState(t, b.act.CompleteOnboardingTask(ctx, other))
	checkIn := done
	checkIn.TaskKey = enums.TaskKeyCheckInDay7
	requireWrongState(t, b.act.CompleteOnboardingTask(ctx, checkIn))
}

// TestSubmitOnboardingCheckIn_OncePerDay: the check-in row and its task,
// done by the manager; a second submission changes nothing.
func TestSubmitOnboardingCheckIn_OncePerDay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOnboarding(t, true)
	b.start(t)
	c := activities.CheckInRecord{OnboardingID: b.setup.OnboardingID, ManagerUserID: b.manager.String(), Day: 7, Rating: 4, Comment: "settling in", Progress: 20}
	require.NoError(t, b.act.SubmitOnboardingCheckIn(ctx, c))
	c.Rating = 1
	require.NoError(t, b.act.SubmitOnboardingCheckIn(ctx, c))
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM onboarding_checkins WHERE onboarding_id = ? AND day = 7 AND rating = 4", b.id()))
	task := b.task(t, enums.TaskKeyCheckInDay7)
	assert.Equal(t, enums.TaskDone, task.Status)
	assert.Equal(t, &b.manager, task.CompletedBy)
	assert.Equal(t, 20, b.onboarding(t).Progress)
	requireWrongState(t, b.act.SubmitOnboardingCheckIn(ctx, activities.CheckInRecord{OnboardingID: b.setup.OnboardingID,
		ManagerUserID: b.manager.String(), Day: 14, Rating: 3}))
}

// TestReachMilestone_AnnouncesOnce: day 7 tells each assignee of its
// pending tasks once and opens the manager's check-in; a retry or an
// earlier milestone changes nothing.
func TestReachMilestone_AnnouncesOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOnboarding(t, true)
	b.start(t)
	reach := activities.MilestoneReached{OnboardingID: b.setup.OnboardingID, Milestone: enums.MilestoneDay7, Status: enums.OnboardingActive, Progress: 40}
	require.NoError(t, b.act.ReachMilestone(ctx, reach))
	before := testenv.Snapshot(t, b.d)
	require.NoError(t, b.act.ReachMilestone(ctx, reach))
	require.NoError(t, b.act.ReachMilestone(ctx, activities.MilestoneReached{OnboardingID: b.setup.OnboardingID,
		Milestone: enums.MilestoneDay1, Status: enums.OnboardingActive, Progress: 10}))
	testenv.RequireUnchanged(t, before, testenv.Snapshot(t, b.d), "a retried or stale milestone writes nothing")

	o := b.onboarding(t)
	assert.Equal(t, enums.MilestoneDay7, o.Milestone)
	assert.Equal(t, enums.OnboardingActive, o.Status)
	assert.Equal(t, 40, o.Progress)
	assert.Equal(t, 1, b.notices(t, "milestone/day7/"), "the hire's two day-7 tasks in one notice")
	assert.Equal(t, b.hire, b.noticeTo(t, "milestone/day7/"+b.hire.String()))
	assert.Equal(t, b.manager, b.noticeTo(t, "checkin/7/open"))

	requireWrongState(t, b.act.ReachMilestone(ctx, activities.MilestoneReached{OnboardingID: b.setup.OnboardingID,
		Milestone: enums.MilestoneDay14, Status: enums.OnboardingPaused}))
}

// TestReassignBuddy_MovesTasksAndTellsBoth: HR's pick replaces the
// automatic buddy: the old match ends with HR's reason, the open buddy
// task moves, the row names the new buddy, and the hire, the new and the
// former buddy are told.
func TestReassignBuddy_MovesTasksAndTellsBoth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOnboarding(t, true)
	b.start(t)
	next := b.member(t, db.RoleMember, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	mustInsert(t, b.d, &db.MemberProfile{OrganizationID: b.org, UserID: next, Skills: []string{}, Interests: []string{},
		LeaderboardVisible: true, BuddyAvailable: true})

	pick, err := b.act.ReassignBuddy(ctx, activities.BuddyChange{OnboardingID: b.setup.OnboardingID, ActorUserID: b.hr.String(),
		BuddyUserID: next.String(), Reason: "same project"})
	require.NoError(t, err)
	assert.Equal(t, next.String(), pick.UserID)
	assert.Equal(t, enums.BuddySourceManual, pick.Source)
	assert.Equal(t, &next, b.onboarding(t).BuddyUserID)
	assert.Equal(t, &next, b.task(t, "lunch").AssigneeUserID)
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM buddy_matches WHERE onboarding_id = ? AND buddy_user_id = ? AND status = 'ended' AND ended_reason = 'same project'",
		b.id(), b.buddy))
	key := "buddy/" + next.String()
	assert.Equal(t, b.hire, b.noticeTo(t, key+"/hire"))
	assert.Equal(t, next, b.noticeTo(t, key+"/new"))
	assert.Equal(t, b.buddy, b.noticeTo(t, key+"/former"))
	assert.Equal(t, 1, b.count(t, "SELECT count(*) FROM audit_logs WHERE object_id = ? AND action = 'onboarding.reassign_buddy'", b.setup.OnboardingID))
}
