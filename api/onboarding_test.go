package api_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/internal/workcal"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	onboardingv1 "github.com/convene/convene/proto/convene/onboarding/v1"
)

// onbWorld is an organization whose owner is HR, with a manager, a default
// template (a hire task, a buddy task, a manager task), and a second
// organization whose owner plays the outsider.
type onbWorld struct {
	a                *testenv.API
	hr, manager      testenv.Session
	org              string
	template         *onboardingv1.OnboardingTemplate
	outsider         testenv.Session
	outsiderOrg      string
	startDate        string
	tenureBackInTime time.Time
}

// onbTasks are the default template's tasks.
func onbTasks() []*onboardingv1.TemplateTask {
	return []*onboardingv1.TemplateTask{
		{Key: "laptop", Title: "Set up your laptop", AssigneeRole: onboardingv1.AssigneeRole_ASSIGNEE_ROLE_HIRE,
			Milestone: onboardingv1.Milestone_MILESTONE_DAY1, DueOffsetDays: 0, Required: true},
		{Key: "coffee", Title: "Take the hire for coffee", AssigneeRole: onboardingv1.AssigneeRole_ASSIGNEE_ROLE_BUDDY,
			Milestone: onboardingv1.Milestone_MILESTONE_DAY1, DueOffsetDays: 1, Required: true},
		{Key: "goals", Title: "Agree on 30-day goals", AssigneeRole: onboardingv1.AssigneeRole_ASSIGNEE_ROLE_MANAGER,
			Milestone: onboardingv1.Milestone_MILESTONE_DAY7, DueOffsetDays: 4, Required: true},
	}
}

func newOnbWorld(t *testing.T) *onbWorld {
	t.Helper()
	a := setup(t)
	ctx := context.Background()
	w := &onbWorld{a: a, hr: a.NewUser(t, newPhone()), outsider: a.NewUser(t, newPhone()),
		tenureBackInTime: time.Now().AddDate(0, 0, -200)}
	w.org = createOrg(t, a, w.hr, "onb-run-"+uuid.NewString()[:8]).GetId()
	w.outsiderOrg = createOrg(t, a, w.outsider, "onb-out-"+uuid.NewString()[:8]).GetId()
	w.manager = w.member(t)
	resp, err := a.Onboarding.CreateOnboardingTemplate(ctx, testenv.As(w.hr, &onboardingv1.CreateOnboardingTemplateRequest{
		OrganizationId: w.org, Name: "General", IsDefault: true, BuddyPoints: 50, Tasks: onbTasks()}))
	require.NoError(t, err)
	w.template = resp.Msg.GetTemplate()
	// A week from today (UTC: no office) is preboarding and never past.
	w.startDate = workcal.DateFromTime(time.Now().UTC()).AddDays(7).String()
	return w
}

// member adds a new user to the organization as a plain member.
func (w *onbWorld) member(t *testing.T) testenv.Session {
	t.Helper()
	s := w.a.NewUser(t, newPhone())
	require.NoError(t, db.InsertMember(context.Background(), w.a.DB, &db.Member{ID: db.NewID(), OrganizationID: mustUUID(w.org),
		UserID: mustUUID(s.UserID), Role: db.RoleMember}))
	return s
}

// buddy adds a member who volunteers as a buddy and joined 200 days ago
// (past the 90 days of tenure a buddy needs), with interests.
func (w *onbWorld) buddy(t *testing.T, interests ...string) testenv.Session {
	t.Helper()
	ctx := context.Background()
	s := w.a.NewUser(t, newPhone())
	org, user := mustUUID(w.org), mustUUID(s.UserID)
	if interests == nil {
		interests = []string{}
	}
	require.NoError(t, db.InsertMember(ctx, w.a.DB, &db.Member{ID: db.NewID(), OrganizationID: org, UserID: user, Role: db.RoleMember,
		Timestamps: db.Timestamps{CreatedAt: w.tenureBackInTime, UpdatedAt: w.tenureBackInTime}}))
	_, err := w.a.DB.NewInsert().Model(&db.MemberProfile{OrganizationID: org, UserID: user, Skills: []string{}, Interests: interests,
		LeaderboardVisible: true, BuddyAvailable: true, Timestamps: db.Timestamps{CreatedAt: w.tenureBackInTime, UpdatedAt: w.tenureBackInTime}}).
		On("CONFLICT (organization_id, user_id) DO UPDATE").Set("buddy_available = true, interests = EXCLUDED.interests").Exec(ctx)
	require.NoError(t, err)
	return s
}

// start starts hire's onboarding as HR with the world's manager and date;
// edit adjusts the request.
func (w *onbWorld) start(hire testenv.Session, edit ...func(*onboardingv1.StartOnboardingRequest)) (*onboardingv1.Onboarding, error) {
	req := &onboardingv1.StartOnboardingRequest{OrganizationId: w.org, UserId: hire.UserID, StartDate: w.startDate,
		ManagerUserId: w.manager.UserID, Role: "engineer"}
	for _, fn := range edit {
		fn(req)
	}
	resp, err := w.a.Onboarding.StartOnboarding(context.Background(), testenv.As(w.hr, req))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetOnboarding(), nil
}

func (w *onbWorld) mustStart(t *testing.T, hire testenv.Session, edit ...func(*onboardingv1.StartOnboardingRequest)) *onboardingv1.Onboarding {
	t.Helper()
	o, err := w.start(hire, edit...)
	require.NoError(t, err)
	return o
}

func (w *onbWorld) get(as testenv.Session, hire testenv.Session) (*onboardingv1.Onboarding, error) {
	resp, err := w.a.Onboarding.GetOnboarding(context.Background(), testenv.As(as, &onboardingv1.GetOnboardingRequest{UserId: hire.UserID}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetOnboarding(), nil
}

func (w *onbWorld) complete(as testenv.Session, hire testenv.Session, key string) (*onboardingv1.Onboarding, error) {
	resp, err := w.a.Onboarding.CompleteTask(context.Background(), testenv.As(as, &onboardingv1.CompleteTaskRequest{UserId: hire.UserID,
		TaskKey: key, Note: "done"}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetOnboarding(), nil
}

// taskOf is the task with key.
func taskOf(t *testing.T, o *onboardingv1.Onboarding, key string) *onboardingv1.OnboardingTask {
	t.Helper()
	for _, task := range o.GetTasks() {
		if task.GetKey() == key {
			return task
		}
	}
	t.Fatalf("onboarding has no task %q", key)
	return nil
}

func onboardingTaskKeys(o *onboardingv1.Onboarding) []string {
	var keys []string
	for _, task := range o.GetTasks() {
		keys = append(keys, task.GetKey())
	}
	return keys
}

// activeBuddyLoads counts each buddy's active matches in the organization.
func (w *onbWorld) activeBuddyLoads(t *testing.T) map[string]int {
	t.Helper()
	var rows []struct {
		BuddyUserID uuid.UUID `bun:"buddy_user_id"`
		N           int       `bun:"n"`
	}
	require.NoError(t, w.a.DB.NewSelect().TableExpr("buddy_matches").ColumnExpr("buddy_user_id, count(*) AS n").
		Where("organization_id = ? AND status = ?", mustUUID(w.org), enums.BuddyMatchActive).GroupExpr("buddy_user_id").
		Scan(context.Background(), &rows))
	out := map[string]int{}
	for _, r := range rows {
		out[r.BuddyUserID.String()] = r.N
	}
	return out
}

// TestOnboarding_StartGivesTasksAndAScoredBuddy: a start answers with the
// template's tasks and the check-ins, and the candidate on the hire's team
// as buddy with the score's reasons; the buddy's task is theirs. A second
// start is AlreadyExists; the hire became a member.
func TestOnboarding_StartGivesTasksAndAScoredBuddy(t *testing.T) {
	w := newOnbWorld(t)
	ctx := context.Background()
	teamResp, err := w.a.Teams.CreateTeam(ctx, testenv.As(w.hr, &engagementv1.CreateTeamRequest{OrganizationId: w.org, Name: "Platform"}))
	require.NoError(t, err)
	team := teamResp.Msg.GetTeam().GetId()
	teammate, other := w.buddy(t), w.buddy(t)
	_, err = w.a.Teams.AddTeamMember(ctx, testenv.As(w.hr, &engagementv1.AddTeamMemberRequest{TeamId: team, UserId: teammate.UserID}))
	require.NoError(t, err)
	hire := w.a.NewUser(t, newPhone())

	o := w.mustStart(t, hire, func(r *onboardingv1.StartOnboardingRequest) { r.TeamId = &team })
	assert.Equal(t, onboardingv1.OnboardingStatus_ONBOARDING_STATUS_PREBOARDING, o.GetStatus())
	assert.Equal(t, w.template.GetId(), o.GetTemplateId())
	assert.EqualValues(t, 1, o.GetTemplateVersion())
	assert.Equal(t, w.startDate, o.GetStartDate())
	assert.Equal(t, w.hr.UserID, o.GetHrUserId(), "the caller is the HR contact by default")
	assert.ElementsMatch(t, []string{"laptop", "coffee", "goals", enums.TaskKeyCheckInDay7, enums.TaskKeyCheckInDay30}, onboardingTaskKeys(o))
	require.NotNil(t, o.GetBuddy())
	assert.Equal(t, teammate.UserID, o.GetBuddy().GetBuddyUserId(), "same team (+40) beats %s", other.UserID)
	assert.Equal(t, teammate.UserID, o.GetBuddyUserId())
	assert.GreaterOrEqual(t, o.GetBuddy().GetScore(), int32(40))
	assert.NotEmpty(t, o.GetBuddy().GetReasons())
	assert.Equal(t, onboardingv1.BuddySource_BUDDY_SOURCE_AUTO, o.GetBuddy().GetSource())
	assert.Equal(t, teammate.UserID, taskOf(t, o, "coffee").GetAssigneeUserId())
	assert.Equal(t, hire.UserID, taskOf(t, o, "laptop").GetAssigneeUserId())
	assert.Equal(t, w.manager.UserID, taskOf(t, o, enums.TaskKeyCheckInDay7).GetAssigneeUserId())

	role, err := db.MemberRole(ctx, w.a.DB, mustUUID(w.org), mustUUID(hire.UserID))
	require.NoError(t, err)
	assert.Equal(t, db.RoleMember, role, "the hire joined the organization")

	_, err = w.start(hire)
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)
	for _, as := range []testenv.Session{hire, teammate, w.manager, w.hr} {
		got, err := w.get(as, hire)
		require.NoError(t, err, "read by %s", as.UserID)
		assert.Equal(t, o.GetId(), got.GetId())
	}
	_, err = w.get(other, hire)
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.get(w.outsider, hire)
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
}

// TestOnboarding_StartRefusesBadRequests: each refusal names its field or
// says why, and starts nothing.
func TestOnboarding_StartRefusesBadRequests(t *testing.T) {
	w := newOnbWorld(t)
	ctx := context.Background()
	hire := w.a.NewUser(t, newPhone())
	yesterday := workcal.DateFromTime(time.Now().UTC()).AddDays(-2).String()
	officeResp, err := w.a.Onboarding.UpsertOffice(ctx, testenv.As(w.outsider, &onboardingv1.UpsertOfficeRequest{OrganizationId: w.outsiderOrg,
		Name: "Elsewhere", TimeZone: "Europe/Berlin"}))
	require.NoError(t, err)
	foreignOffice := officeResp.Msg.GetOffice().GetId()
	emptyOrg := createOrg(t, w.a, w.hr, "onb-empty-"+uuid.NewString()[:8]).GetId()
	_, err = w.a.DB.NewInsert().Model(&db.Member{ID: db.NewID(), OrganizationID: mustUUID(emptyOrg), UserID: mustUUID(w.manager.UserID),
		Role: db.RoleMember}).Exec(ctx)
	require.NoError(t, err)

	for _, tc := range []struct {
		name  string
		as    testenv.Session
		edit  func(*onboardingv1.StartOnboardingRequest)
		code  connect.Code
		field string
	}{
		{"the manager is the hire", w.hr, func(r *onboardingv1.StartOnboardingRequest) { r.ManagerUserId = hire.UserID },
			connect.CodeInvalidArgument, "manager_user_id"},
		{"a start date in the past", w.hr, func(r *onboardingv1.StartOnboardingRequest) { r.StartDate = yesterday },
			connect.CodeInvalidArgument, "start_date"},
		{"a date that is none", w.hr, func(r *onboardingv1.StartOnboardingRequest) { r.StartDate = "2031-02-30" },
			connect.CodeInvalidArgument, "start_date"},
		{"a manager outside the organization", w.hr, func(r *onboardingv1.StartOnboardingRequest) { r.ManagerUserId = w.outsider.UserID },
			connect.CodeInvalidArgument, "manager_user_id"},
		{"an HR contact who is not an admin", w.hr, func(r *onboardingv1.StartOnboardingRequest) { r.HrUserId = proto.String(w.manager.UserID) },
			connect.CodeInvalidArgument, "hr_user_id"},
		{"another organization's office", w.hr, func(r *onboardingv1.StartOnboardingRequest) { r.OfficeId = &foreignOffice },
			connect.CodeInvalidArgument, "office_id"},
		{"no such user", w.hr, func(r *onboardingv1.StartOnboardingRequest) { r.UserId = uuid.NewString() },
			connect.CodeInvalidArgument, "user_id"},
		{"a plain member", w.manager, nil, connect.CodePermissionDenied, ""},
		{"another organization's HR", w.outsider, nil, connect.CodePermissionDenied, ""},
		{"no template", w.hr, func(r *onboardingv1.StartOnboardingRequest) { r.OrganizationId = emptyOrg },
			connect.CodeFailedPrecondition, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &onboardingv1.StartOnboardingRequest{OrganizationId: w.org, UserId: hire.UserID, StartDate: w.startDate,
				ManagerUserId: w.manager.UserID}
			if tc.edit != nil {
				tc.edit(req)
			}
			_, err := w.a.Onboarding.StartOnboarding(ctx, testenv.As(tc.as, req))
			testenv.RequireCode(t, err, tc.code)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
	_, err = w.get(w.hr, hire)
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = db.MemberRole(ctx, w.a.DB, mustUUID(w.org), mustUUID(hire.UserID))
	require.ErrorIs(t, err, db.ErrNotFound, "no refused start made the hire a member")
}

// TestOnboarding_OnlyTheAssigneeCompletesATask: the buddy cannot tick off
// the hire's task; the hire can, once; a check-in task is the manager's
// SubmitCheckIn's, and day 7 is not reached yet.
func TestOnboarding_OnlyTheAssigneeCompletesATask(t *testing.T) {
	w := newOnbWorld(t)
	ctx := context.Background()
	buddy := w.buddy(t)
	hire := w.a.NewUser(t, newPhone())
	o := w.mustStart(t, hire)
	require.Equal(t, buddy.UserID, o.GetBuddyUserId())

	_, err := w.complete(buddy, hire, "laptop")
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.complete(w.outsider, hire, "laptop")
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	o, err = w.complete(hire, hire, "laptop")
	require.NoError(t, err)
	laptop := taskOf(t, o, "laptop")
	assert.Equal(t, onboardingv1.TaskStatus_TASK_STATUS_DONE, laptop.GetStatus())
	assert.Equal(t, hire.UserID, laptop.GetCompletedBy())
	assert.Equal(t, "done", laptop.GetNote())
	assert.NotNil(t, laptop.GetCompletedAt())
	assert.Equal(t, onboardingv1.TaskStatus_TASK_STATUS_PENDING, taskOf(t, o, "coffee").GetStatus())

	_, err = w.complete(hire, hire, "laptop")
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	_, err = w.complete(w.manager, hire, enums.TaskKeyCheckInDay7)
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	_, err = w.a.Onboarding.SubmitCheckIn(ctx, testenv.As(w.manager, &onboardingv1.SubmitCheckInRequest{UserId: hire.UserID, Day: 7, Rating: 4}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	o, err = w.complete(w.hr, hire, "coffee")
	require.NoError(t, err, "HR completes anyone's task")
	assert.Equal(t, w.hr.UserID, taskOf(t, o, "coffee").GetCompletedBy())

	done, err := w.a.DB.NewSelect().Model((*db.OnboardingTask)(nil)).Where("onboarding_id = ? AND status = ?", mustUUID(o.GetId()), enums.TaskDone).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 2, done)

	mine, err := w.a.Onboarding.ListMyOnboardingTasks(ctx, testenv.As(w.manager, &onboardingv1.ListMyOnboardingTasksRequest{}))
	require.NoError(t, err)
	var keys []string
	for _, task := range mine.Msg.GetTasks() {
		keys = append(keys, task.GetTask().GetKey())
		assert.Equal(t, hire.UserID, task.GetHireUserId())
	}
	assert.Equal(t, []string{"goals", enums.TaskKeyCheckInDay7, enums.TaskKeyCheckInDay30}, keys, "the manager's tasks, earliest due first")
}

// TestOnboarding_DashboardShowsWhoIsBehind: a hire with a task overdue (its
// due time moved into the past) comes first with the overdue count and the
// business days behind; behind_only keeps them alone; members may not look.
func TestOnboarding_DashboardShowsWhoIsBehind(t *testing.T) {
	w := newOnbWorld(t)
	ctx := context.Background()
	onTime, late := w.a.NewUser(t, newPhone()), w.a.NewUser(t, newPhone())
	w.mustStart(t, onTime)
	lateOnboarding := w.mustStart(t, late)
	due := time.Now().AddDate(0, 0, -5)
	_, err := w.a.DB.NewUpdate().Model((*db.OnboardingTask)(nil)).Set("due_at = ?", due).
		Where("onboarding_id = ? AND key = ?", mustUUID(lateOnboarding.GetId()), "laptop").Exec(ctx)
	require.NoError(t, err)

	list := func(as testenv.Session, req *onboardingv1.ListOnboardingsRequest) ([]*onboardingv1.Onboarding, error) {
		req.OrganizationId = w.org
		resp, err := w.a.Onboarding.ListOnboardings(ctx, testenv.As(as, req))
		if err != nil {
			return nil, err
		}
		return resp.Msg.GetOnboardings(), nil
	}
	all, err := list(w.hr, &onboardingv1.ListOnboardingsRequest{})
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, late.UserID, all[0].GetUserId(), "the one behind first")
	assert.EqualValues(t, 1, all[0].GetOverdueTasks())
	wantDays := workcal.Calendar{}.BusinessDaysBehind(due, time.Now())
	assert.EqualValues(t, wantDays, all[0].GetBusinessDaysBehind())
	assert.Positive(t, all[0].GetBusinessDaysBehind())
	assert.Empty(t, all[0].GetTasks(), "the dashboard leaves the tasks out")
	assert.Equal(t, onTime.UserID, all[1].GetUserId())
	assert.Zero(t, all[1].GetOverdueTasks())

	behind, err := list(w.hr, &onboardingv1.ListOnboardingsRequest{BehindOnly: true})
	require.NoError(t, err)
	require.Len(t, behind, 1)
	assert.Equal(t, late.UserID, behind[0].GetUserId())

	first, err := w.a.Onboarding.ListOnboardings(ctx, testenv.As(w.hr, &onboardingv1.ListOnboardingsRequest{OrganizationId: w.org, PageSize: 1}))
	require.NoError(t, err)
	require.NotEmpty(t, first.Msg.GetNextPageToken())
	second, err := list(w.hr, &onboardingv1.ListOnboardingsRequest{PageSize: 1, PageToken: first.Msg.GetNextPageToken()})
	require.NoError(t, err)
	require.Len(t, second, 1)
	assert.Equal(t, onTime.UserID, second[0].GetUserId(), "the second page goes on where the first stopped")

	got, err := w.get(late, late)
	require.NoError(t, err)
	assert.EqualValues(t, 1, got.GetOverdueTasks(), "the hire's own view counts it too")

	_, err = list(w.manager, &onboardingv1.ListOnboardingsRequest{})
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
}

// TestOnboarding_TemplateEditLeavesRunningOnboardingsAlone: an onboarding
// keeps the version and tasks it copied; the next hire gets the new ones.
func TestOnboarding_TemplateEditLeavesRunningOnboardingsAlone(t *testing.T) {
	w := newOnbWorld(t)
	ctx := context.Background()
	first, second := w.a.NewUser(t, newPhone()), w.a.NewUser(t, newPhone())
	before := w.mustStart(t, first)

	_, err := w.a.Onboarding.UpdateOnboardingTemplate(ctx, testenv.As(w.hr, &onboardingv1.UpdateOnboardingTemplateRequest{
		TemplateId: w.template.GetId(), Name: "General", IsDefault: true, Tasks: []*onboardingv1.TemplateTask{
			{Key: "badge-photo", Title: "Send a badge photo", AssigneeRole: onboardingv1.AssigneeRole_ASSIGNEE_ROLE_HIRE,
				Milestone: onboardingv1.Milestone_MILESTONE_PREBOARDING, DueOffsetDays: -1, Required: true}}}))
	require.NoError(t, err)

	after, err := w.get(w.hr, first)
	require.NoError(t, err)
	assert.EqualValues(t, 1, after.GetTemplateVersion())
	assert.ElementsMatch(t, onboardingTaskKeys(before), onboardingTaskKeys(after))
	for i, task := range before.GetTasks() {
		assert.Equal(t, task.GetDueAt().AsTime(), after.GetTasks()[i].GetDueAt().AsTime(), "task %s", task.GetKey())
	}

	next := w.mustStart(t, second)
	assert.EqualValues(t, 2, next.GetTemplateVersion())
	assert.Contains(t, onboardingTaskKeys(next), "badge-photo")
	assert.NotContains(t, onboardingTaskKeys(next), "laptop")
}

// TestOnboarding_ConcurrentStartsNeverOverloadABuddy: 20 hires started at
// once over 3 candidates with the default load of 2: every start succeeds,
// 6 get a buddy, nobody buddies more than 2, the others get HR's
// choose-buddy task.
func TestOnboarding_ConcurrentStartsNeverOverloadABuddy(t *testing.T) {
	w := newOnbWorld(t)
	for range 3 {
		w.buddy(t)
	}
	hires := make([]testenv.Session, 20)
	for i := range hires {
		hires[i] = w.a.NewUser(t, newPhone())
	}
	results := make([]*onboardingv1.Onboarding, len(hires))
	errs := make([]error, len(hires))
	var wg sync.WaitGroup
	for i, hire := range hires {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = w.start(hire)
		}()
	}
	wg.Wait()

	matched, chooseBuddy := 0, 0
	for i, o := range results {
		require.NoError(t, errs[i], "start %d", i)
		if o.GetBuddy() != nil {
			matched++
			continue
		}
		assert.Equal(t, w.hr.UserID, taskOf(t, o, enums.TaskKeyChooseBuddy).GetAssigneeUserId())
		chooseBuddy++
	}
	assert.Equal(t, 6, matched)
	assert.Equal(t, 14, chooseBuddy)
	loads := w.activeBuddyLoads(t)
	assert.Len(t, loads, 3)
	for buddy, n := range loads {
		assert.Equal(t, 2, n, "buddy %s", buddy)
	}
}

// TestOnboarding_HiresSpreadOverEqualCandidates: 10 hires started one by
// one over 5 equal candidates: each buddies one before anyone buddies two,
// and all end with two.
func TestOnboarding_HiresSpreadOverEqualCandidates(t *testing.T) {
	w := newOnbWorld(t)
	for range 5 {
		w.buddy(t)
	}
	for i := range 10 {
		o := w.mustStart(t, w.a.NewUser(t, newPhone()))
		require.NotNil(t, o.GetBuddy(), "hire %d", i)
		if i == 4 {
			loads := w.activeBuddyLoads(t)
			require.Len(t, loads, 5, "five hires, five different buddies")
			for buddy, n := range loads {
				assert.Equal(t, 1, n, "buddy %s", buddy)
			}
		}
	}
	for buddy, n := range w.activeBuddyLoads(t) {
		assert.Equal(t, 2, n, "buddy %s", buddy)
	}
}

// TestOnboarding_PauseResumeRoundTrip: the manager pauses, a second pause
// is refused, the buddy may not resume, HR resumes; a pause until a past
// day is refused.
func TestOnboarding_PauseResumeRoundTrip(t *testing.T) {
	w := newOnbWorld(t)
	ctx := context.Background()
	buddy := w.buddy(t)
	hire := w.a.NewUser(t, newPhone())
	w.mustStart(t, hire)
	pause := func(as testenv.Session, until *string) (*onboardingv1.Onboarding, error) {
		resp, err := w.a.Onboarding.PauseOnboarding(ctx, testenv.As(as, &onboardingv1.PauseOnboardingRequest{UserId: hire.UserID,
			Reason: "leave", Until: until}))
		if err != nil {
			return nil, err
		}
		return resp.Msg.GetOnboarding(), nil
	}
	resume := func(as testenv.Session) (*onboardingv1.Onboarding, error) {
		resp, err := w.a.Onboarding.ResumeOnboarding(ctx, testenv.As(as, &onboardingv1.ResumeOnboardingRequest{UserId: hire.UserID}))
		if err != nil {
			return nil, err
		}
		return resp.Msg.GetOnboarding(), nil
	}

	_, err := pause(w.manager, proto.String(workcal.DateFromTime(time.Now().UTC()).String()))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	_, err = pause(buddy, nil)
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	paused, err := pause(w.manager, nil)
	require.NoError(t, err)
	assert.Equal(t, onboardingv1.OnboardingStatus_ONBOARDING_STATUS_PAUSED, paused.GetStatus())
	assert.NotNil(t, paused.GetPausedAt())
	_, err = pause(w.hr, nil)
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)

	_, err = resume(buddy)
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	resumed, err := resume(w.hr)
	require.NoError(t, err)
	assert.Equal(t, onboardingv1.OnboardingStatus_ONBOARDING_STATUS_PREBOARDING, resumed.GetStatus())
	assert.Nil(t, resumed.GetPausedAt())
	_, err = resume(w.hr)
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)

	until := workcal.DateFromTime(time.Now().UTC()).AddDays(3)
	paused, err = pause(w.hr, proto.String(until.String()))
	require.NoError(t, err)
	assert.Equal(t, workcal.Calendar{}.NextBusinessDay(until).String(), paused.GetPauseUntil(),
		"it resumes by itself on that day, or the next business day")
}

// TestOnboarding_SetBuddy: HR replaces the buddy; the hire, the manager,
// the buddy already had or an outsider is refused naming buddy_user_id, a
// colleague who did not volunteer as FailedPrecondition, a member may not
// set one; the buddy's open task moves to the new buddy.
func TestOnboarding_SetBuddy(t *testing.T) {
	w := newOnbWorld(t)
	ctx := context.Background()
	first := w.buddy(t)
	hire := w.a.NewUser(t, newPhone())
	w.mustStart(t, hire)
	second, volunteerless := w.buddy(t), w.member(t)
	set := func(as testenv.Session, buddy string) (*onboardingv1.Onboarding, error) {
		resp, err := w.a.Onboarding.SetBuddy(ctx, testenv.As(as, &onboardingv1.SetBuddyRequest{UserId: hire.UserID, BuddyUserId: buddy,
			Reason: "closer desk"}))
		if err != nil {
			return nil, err
		}
		return resp.Msg.GetOnboarding(), nil
	}
	for _, bad := range []string{hire.UserID, w.manager.UserID, first.UserID, w.outsider.UserID} {
		_, err := set(w.hr, bad)
		testenv.RequireCode(t, err, connect.CodeInvalidArgument)
		assert.Contains(t, err.Error(), "buddy_user_id")
	}
	_, err := set(w.manager, second.UserID)
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = set(w.hr, volunteerless.UserID)
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Contains(t, err.Error(), "opted in", "a buddy must have volunteered")

	o, err := set(w.hr, second.UserID)
	require.NoError(t, err)
	assert.Equal(t, second.UserID, o.GetBuddyUserId())
	require.NotNil(t, o.GetBuddy())
	assert.Equal(t, onboardingv1.BuddySource_BUDDY_SOURCE_MANUAL, o.GetBuddy().GetSource())
	assert.Equal(t, second.UserID, taskOf(t, o, "coffee").GetAssigneeUserId())
	assert.Empty(t, w.activeBuddyLoads(t)[first.UserID], "the first buddy's match ended")
}

// TestOnboarding_SuggestBuddies: HR sees the candidates best first with
// their reasons; a member may not.
func TestOnboarding_SuggestBuddies(t *testing.T) {
	w := newOnbWorld(t)
	ctx := context.Background()
	hire := w.a.NewUser(t, newPhone())
	w.mustStart(t, hire)
	chess, plain := w.buddy(t, "chess", "go"), w.buddy(t)
	_, err := w.a.DB.NewInsert().Model(&db.MemberProfile{OrganizationID: mustUUID(w.org), UserID: mustUUID(hire.UserID),
		Skills: []string{}, Interests: []string{"chess", "go"}, LeaderboardVisible: true}).
		On("CONFLICT (organization_id, user_id) DO UPDATE").Set("interests = EXCLUDED.interests").Exec(ctx)
	require.NoError(t, err)

	resp, err := w.a.Onboarding.SuggestBuddies(ctx, testenv.As(w.hr, &onboardingv1.SuggestBuddiesRequest{UserId: hire.UserID}))
	require.NoError(t, err)
	got := resp.Msg.GetSuggestions()
	require.Len(t, got, 2)
	assert.Equal(t, chess.UserID, got[0].GetUserId(), "two shared interests (+20) first")
	assert.Greater(t, got[0].GetScore(), got[1].GetScore())
	assert.NotEmpty(t, got[0].GetReasons())
	assert.Equal(t, plain.UserID, got[1].GetUserId())

	_, err = w.a.Onboarding.SuggestBuddies(ctx, testenv.As(w.manager, &onboardingv1.SuggestBuddiesRequest{UserId: hire.UserID}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
}

// TestOnboarding_CancelThenStartAgain: only HR cancels; the cancelled
// onboarding stays readable with its open tasks cancelled and its steps
// refused; the hire can then start again.
func TestOnboarding_CancelThenStartAgain(t *testing.T) {
	w := newOnbWorld(t)
	ctx := context.Background()
	buddy := w.buddy(t)
	hire := w.a.NewUser(t, newPhone())
	first := w.mustStart(t, hire)
	cancel := func(as testenv.Session) (*onboardingv1.Onboarding, error) {
		resp, err := w.a.Onboarding.CancelOnboarding(ctx, testenv.As(as, &onboardingv1.CancelOnboardingRequest{UserId: hire.UserID, Reason: "offer withdrawn"}))
		if err != nil {
			return nil, err
		}
		return resp.Msg.GetOnboarding(), nil
	}
	_, err := cancel(w.manager)
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = cancel(w.outsider)
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	o, err := cancel(w.hr)
	require.NoError(t, err)
	assert.Equal(t, onboardingv1.OnboardingStatus_ONBOARDING_STATUS_CANCELLED, o.GetStatus())
	assert.NotNil(t, o.GetCancelledAt())
	for _, task := range o.GetTasks() {
		assert.Equal(t, onboardingv1.TaskStatus_TASK_STATUS_CANCELLED, task.GetStatus(), "task %s", task.GetKey())
	}
	assert.Empty(t, w.activeBuddyLoads(t)[buddy.UserID], "the match ended")

	read, err := w.get(hire, hire)
	require.NoError(t, err)
	assert.Equal(t, first.GetId(), read.GetId(), "a closed onboarding stays readable")
	_, err = w.complete(hire, hire, "laptop")
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	_, err = cancel(w.hr)
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)

	again, err := w.start(hire)
	require.NoError(t, err, "a cancelled onboarding does not block the next")
	assert.NotEqual(t, first.GetId(), again.GetId())
	assert.Nil(t, again.GetBuddy(), "the same buddy is never matched twice to a hire")
	assert.Equal(t, onboardingv1.OnboardingStatus_ONBOARDING_STATUS_PREBOARDING, again.GetStatus())
}

// TestOnboarding_ConcurrentStartsOfOneHire: five starts of the same new
// hire at once: one onboarding, the others AlreadyExists, never an
// internal error (the hire is made a member once).
func TestOnboarding_ConcurrentStartsOfOneHire(t *testing.T) {
	w := newOnbWorld(t)
	hire := w.a.NewUser(t, newPhone())
	codes := make([]connect.Code, 5)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := w.start(hire); err != nil {
				codes[i] = connect.CodeOf(err)
			}
		}()
	}
	wg.Wait()
	started, refused := 0, 0
	for _, c := range codes {
		switch c {
		case codeOK:
			started++
		case connect.CodeAlreadyExists:
			refused++
		default:
			t.Errorf("a start answered %s", codeName(c))
		}
	}
	assert.Equal(t, 1, started)
	assert.Equal(t, 4, refused)
	n, err := w.a.DB.NewSelect().Model((*db.UserOnboarding)(nil)).Where("user_id = ?", mustUUID(hire.UserID)).Count(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
}

// TestOnboarding_SetBuddyProfile: a member volunteers with their own
// interests and is then suggested with the shared ones as the reason; a
// member cannot change someone else's profile, HR can; a non-member and
// another organization's office are NotFound and change nothing.
func TestOnboarding_SetBuddyProfile(t *testing.T) {
	w := newOnbWorld(t)
	ctx := context.Background()
	hire := w.a.NewUser(t, newPhone())
	w.mustStart(t, hire)
	volunteer := w.member(t)
	_, err := w.a.DB.NewUpdate().Model((*db.Member)(nil)).Set("created_at = ?", w.tenureBackInTime).
		Where("organization_id = ? AND user_id = ?", mustUUID(w.org), mustUUID(volunteer.UserID)).Exec(ctx)
	require.NoError(t, err)
	set := func(as testenv.Session, req *onboardingv1.SetBuddyProfileRequest) (*onboardingv1.BuddyProfile, error) {
		resp, err := w.a.Onboarding.SetBuddyProfile(ctx, testenv.As(as, req))
		if err != nil {
			return nil, err
		}
		return resp.Msg.GetProfile(), nil
	}

	got, err := set(volunteer, &onboardingv1.SetBuddyProfileRequest{OrganizationId: w.org, UserId: volunteer.UserID,
		BuddyAvailable: true, Interests: []string{"Chess", " chess", "Go"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"chess", "go"}, got.GetInterests(), "lower-cased, each once")
	_, err = set(hire, &onboardingv1.SetBuddyProfileRequest{OrganizationId: w.org, UserId: hire.UserID, Interests: []string{"chess", "go"}})
	require.NoError(t, err)

	resp, err := w.a.Onboarding.SuggestBuddies(ctx, testenv.As(w.hr, &onboardingv1.SuggestBuddiesRequest{UserId: hire.UserID}))
	require.NoError(t, err)
	require.Len(t, resp.Msg.GetSuggestions(), 1)
	assert.Equal(t, volunteer.UserID, resp.Msg.GetSuggestions()[0].GetUserId())
	assert.Contains(t, resp.Msg.GetSuggestions()[0].GetReasons(), "shared: chess, go")

	cases := []struct {
		name string
		as   testenv.Session
		req  *onboardingv1.SetBuddyProfileRequest
		code connect.Code
	}{
		{"a member on someone else", w.manager, &onboardingv1.SetBuddyProfileRequest{OrganizationId: w.org, UserId: volunteer.UserID}, connect.CodePermissionDenied},
		{"HR on a non-member", w.hr, &onboardingv1.SetBuddyProfileRequest{OrganizationId: w.org, UserId: w.outsider.UserID, BuddyAvailable: true}, connect.CodeNotFound},
		{"an office that is not the organization's", volunteer, &onboardingv1.SetBuddyProfileRequest{OrganizationId: w.org,
			UserId: volunteer.UserID, OfficeId: proto.String(uuid.NewString())}, connect.CodeNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := set(tc.as, tc.req)
			testenv.RequireCode(t, err, tc.code)
		})
	}
	var available bool
	require.NoError(t, w.a.DB.NewSelect().Model((*db.MemberProfile)(nil)).Column("buddy_available").
		Where("organization_id = ? AND user_id = ?", mustUUID(w.org), mustUUID(volunteer.UserID)).Scan(ctx, &available))
	assert.True(t, available, "the refused calls changed nothing")

	_, err = set(w.hr, &onboardingv1.SetBuddyProfileRequest{OrganizationId: w.org, UserId: volunteer.UserID, BuddyAvailable: false})
	require.NoError(t, err, "HR may change anyone's")
	resp, err = w.a.Onboarding.SuggestBuddies(ctx, testenv.As(w.hr, &onboardingv1.SuggestBuddiesRequest{UserId: hire.UserID}))
	require.NoError(t, err)
	assert.Empty(t, resp.Msg.GetSuggestions(), "opted out")
}
