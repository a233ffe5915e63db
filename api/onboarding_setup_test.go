package api_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	onboardingv1 "github.com/convene/convene/proto/convene/onboarding/v1"
)

// setupWorld is an organization with its owner (HR) and a plain member,
// and a second organization with its own owner, for the onboarding setup
// RPCs (templates, offices, holidays).
type setupWorld struct {
	a                   *testenv.API
	hr, member, otherHR testenv.Session
	org, otherOrg       string
}

func newSetupWorld(t *testing.T) *setupWorld {
	t.Helper()
	a := setup(t)
	w := &setupWorld{a: a, hr: a.NewUser(t, newPhone()), member: a.NewUser(t, newPhone()), otherHR: a.NewUser(t, newPhone())}
	w.org = createOrg(t, a, w.hr, "onb-"+uuid.NewString()[:8]).GetId()
	w.otherOrg = createOrg(t, a, w.otherHR, "onb-"+uuid.NewString()[:8]).GetId()
	addAndAccept(t, a, w.hr, w.org, w.member, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	return w
}

// templateTask is a required task of the hire on day 1.
func templateTask(key string) *onboardingv1.TemplateTask {
	return &onboardingv1.TemplateTask{Key: key, Title: "Do " + key, AssigneeRole: onboardingv1.AssigneeRole_ASSIGNEE_ROLE_HIRE,
		Milestone: onboardingv1.Milestone_MILESTONE_DAY1, DueOffsetDays: 1, Required: true}
}

func (w *setupWorld) createTemplate(by testenv.Session, req *onboardingv1.CreateOnboardingTemplateRequest) (*onboardingv1.OnboardingTemplate, error) {
	if req.OrganizationId == "" {
		req.OrganizationId = w.org
	}
	if len(req.Tasks) == 0 {
		req.Tasks = []*onboardingv1.TemplateTask{templateTask("laptop")}
	}
	resp, err := w.a.Onboarding.CreateOnboardingTemplate(context.Background(), testenv.As(by, req))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetTemplate(), nil
}

func (w *setupWorld) mustTemplate(t *testing.T, req *onboardingv1.CreateOnboardingTemplateRequest) *onboardingv1.OnboardingTemplate {
	t.Helper()
	tpl, err := w.createTemplate(w.hr, req)
	require.NoError(t, err)
	return tpl
}

func (w *setupWorld) getTemplate(t *testing.T, id string) *onboardingv1.OnboardingTemplate {
	t.Helper()
	resp, err := w.a.Onboarding.GetOnboardingTemplate(context.Background(), testenv.As(w.hr, &onboardingv1.GetOnboardingTemplateRequest{TemplateId: id}))
	require.NoError(t, err)
	return resp.Msg.GetTemplate()
}

// defaults lists the names of the organization's default templates.
func (w *setupWorld) defaults(t *testing.T) []string {
	t.Helper()
	resp, err := w.a.Onboarding.ListOnboardingTemplates(context.Background(), testenv.As(w.hr,
		&onboardingv1.ListOnboardingTemplatesRequest{OrganizationId: w.org, PageSize: 200}))
	require.NoError(t, err)
	var names []string
	for _, tpl := range resp.Msg.GetTemplates() {
		if tpl.GetIsDefault() {
			names = append(names, tpl.GetName())
		}
	}
	return names
}

// requireField asserts err is code and names field first, as
// rpc.InvalidField and the handlers' field-prefixed errors do.
func requireField(t *testing.T, err error, code connect.Code, field string) {
	t.Helper()
	testenv.RequireCode(t, err, code)
	var cerr *connect.Error
	require.True(t, errors.As(err, &cerr))
	assert.True(t, strings.HasPrefix(cerr.Message(), field+":"), "%q does not name %s", cerr.Message(), field)
}

func setupAuditCount(t *testing.T, a *testenv.API, objectType, objectID, action string) int {
	t.Helper()
	n, err := a.DB.NewSelect().Model((*db.AuditLog)(nil)).
		Where("object_type = ? AND object_id = ? AND action = ?", objectType, objectID, action).Count(context.Background())
	require.NoError(t, err)
	return int(n)
}

func templateKeys(tpl *onboardingv1.OnboardingTemplate) []string {
	var keys []string
	for _, task := range tpl.GetTasks() {
		keys = append(keys, task.GetKey())
	}
	return keys
}

func TestOnboardingTemplates_UpdateReplacesTasksAndBumpsVersion(t *testing.T) {
	w := newSetupWorld(t)
	ctx := context.Background()
	tpl := w.mustTemplate(t, &onboardingv1.CreateOnboardingTemplateRequest{Name: "Engineers", JobRole: "Engineer", BuddyPoints: 50,
		Tasks: []*onboardingv1.TemplateTask{templateTask("laptop"), templateTask("repo-access")}})
	assert.Equal(t, int32(1), tpl.GetVersion())
	assert.Equal(t, []string{"laptop", "repo-access"}, templateKeys(tpl))

	update := &onboardingv1.UpdateOnboardingTemplateRequest{TemplateId: tpl.GetId(), Name: "Engineers", JobRole: "Engineer", BuddyPoints: 80,
		Tasks: []*onboardingv1.TemplateTask{templateTask("repo-access"), templateTask("first-pr")}, ExpectedVersion: proto.Int32(1)}
	resp, err := w.a.Onboarding.UpdateOnboardingTemplate(ctx, testenv.As(w.hr, update))
	require.NoError(t, err)
	assert.Equal(t, int32(2), resp.Msg.GetTemplate().GetVersion())

	got := w.getTemplate(t, tpl.GetId())
	assert.Equal(t, int32(2), got.GetVersion())
	assert.Equal(t, int32(80), got.GetBuddyPoints())
	assert.Equal(t, []string{"repo-access", "first-pr"}, templateKeys(got), "the task list is replaced, in the new order")

	_, err = w.a.Onboarding.UpdateOnboardingTemplate(ctx, testenv.As(w.hr, update))
	testenv.RequireCode(t, err, connect.CodeAborted)
	assert.Equal(t, int32(2), w.getTemplate(t, tpl.GetId()).GetVersion(), "a stale edit changes nothing")

	assert.Equal(t, 1, setupAuditCount(t, w.a, "onboarding_template", tpl.GetId(), "create"))
	assert.Equal(t, 1, setupAuditCount(t, w.a, "onboarding_template", tpl.GetId(), "update"))
}

func TestOnboardingTemplates_OneDefaultPerOrganization(t *testing.T) {
	w := newSetupWorld(t)
	ctx := context.Background()
	general := w.mustTemplate(t, &onboardingv1.CreateOnboardingTemplateRequest{Name: "General", IsDefault: true})
	w.mustTemplate(t, &onboardingv1.CreateOnboardingTemplateRequest{Name: "Everyone", IsDefault: true})
	assert.Equal(t, []string{"Everyone"}, w.defaults(t), "a new default unsets the old")

	_, err := w.a.Onboarding.UpdateOnboardingTemplate(ctx, testenv.As(w.hr, &onboardingv1.UpdateOnboardingTemplateRequest{
		TemplateId: general.GetId(), Name: "General", IsDefault: true, Tasks: general.GetTasks()}))
	require.NoError(t, err)
	assert.Equal(t, []string{"General"}, w.defaults(t))

	// Concurrent new defaults and edits making the old one the default
	// serialize: exactly one default remains.
	var wg sync.WaitGroup
	errs := make([]error, 12)
	for i := range errs {
		wg.Go(func() {
			if i%2 == 0 {
				_, errs[i] = w.createTemplate(w.hr, &onboardingv1.CreateOnboardingTemplateRequest{Name: "Default " + uuid.NewString()[:8], IsDefault: true})
				return
			}
			_, errs[i] = w.a.Onboarding.UpdateOnboardingTemplate(ctx, testenv.As(w.hr, &onboardingv1.UpdateOnboardingTemplateRequest{
				TemplateId: general.GetId(), Name: "General", IsDefault: true, Tasks: general.GetTasks()}))
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Len(t, w.defaults(t), 1)
}

func TestOnboardingTemplates_RefuseBadInput(t *testing.T) {
	w := newSetupWorld(t)
	ctx := context.Background()
	w.mustTemplate(t, &onboardingv1.CreateOnboardingTemplateRequest{Name: "Sales", JobRole: "Sales"})
	otherBadge, err := w.a.Badges.CreateBadge(ctx, testenv.As(w.otherHR, &engagementv1.CreateBadgeRequest{OrganizationId: w.otherOrg,
		Name: "Onboarded", Kind: engagementv1.BadgeKind_BADGE_KIND_MANUAL, Rarity: engagementv1.BadgeRarity_BADGE_RARITY_RARE}))
	require.NoError(t, err)
	archived, err := w.a.Badges.CreateBadge(ctx, testenv.As(w.hr, &engagementv1.CreateBadgeRequest{OrganizationId: w.org,
		Name: "Old", Kind: engagementv1.BadgeKind_BADGE_KIND_MANUAL, Rarity: engagementv1.BadgeRarity_BADGE_RARITY_RARE}))
	require.NoError(t, err)
	_, err = w.a.Badges.ArchiveBadge(ctx, testenv.As(w.hr, &engagementv1.ArchiveBadgeRequest{BadgeId: archived.Msg.GetBadge().GetId()}))
	require.NoError(t, err)

	tests := []struct {
		name  string
		req   *onboardingv1.CreateOnboardingTemplateRequest
		code  connect.Code
		field string
	}{
		{"a key used twice", &onboardingv1.CreateOnboardingTemplateRequest{Name: "Twice",
			Tasks: []*onboardingv1.TemplateTask{templateTask("laptop"), templateTask("laptop")}}, connect.CodeInvalidArgument, "tasks[1].key"},
		{"the check-in's key", &onboardingv1.CreateOnboardingTemplateRequest{Name: "Reserved",
			Tasks: []*onboardingv1.TemplateTask{templateTask("checkin-day7")}}, connect.CodeInvalidArgument, "tasks[0].key"},
		{"another organization's badge", &onboardingv1.CreateOnboardingTemplateRequest{Name: "Foreign badge",
			CompletionBadgeId: proto.String(otherBadge.Msg.GetBadge().GetId())}, connect.CodeInvalidArgument, "completion_badge_id"},
		{"an archived badge", &onboardingv1.CreateOnboardingTemplateRequest{Name: "Archived badge",
			CompletionBadgeId: proto.String(archived.Msg.GetBadge().GetId())}, connect.CodeInvalidArgument, "completion_badge_id"},
		{"a name in use", &onboardingv1.CreateOnboardingTemplateRequest{Name: "SALES"}, connect.CodeAlreadyExists, "name"},
		{"a role with a template", &onboardingv1.CreateOnboardingTemplateRequest{Name: "Sales 2", JobRole: "sales"}, connect.CodeAlreadyExists, "job_role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.createTemplate(w.hr, tt.req)
			requireField(t, err, tt.code, tt.field)
		})
	}
	n, err := w.a.DB.NewSelect().Model((*db.OnboardingTemplate)(nil)).Where("organization_id = ?", w.org).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "no refused template was written")
}

func TestOnboardingTemplates_HROnlyAndArchive(t *testing.T) {
	w := newSetupWorld(t)
	ctx := context.Background()
	def := w.mustTemplate(t, &onboardingv1.CreateOnboardingTemplateRequest{Name: "General", IsDefault: true})
	old := w.mustTemplate(t, &onboardingv1.CreateOnboardingTemplateRequest{Name: "Old plan"})

	_, err := w.createTemplate(w.member, &onboardingv1.CreateOnboardingTemplateRequest{Name: "Mine"})
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Onboarding.GetOnboardingTemplate(ctx, testenv.As(w.member, &onboardingv1.GetOnboardingTemplateRequest{TemplateId: def.GetId()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Onboarding.ListOnboardingTemplates(ctx, testenv.As(w.member, &onboardingv1.ListOnboardingTemplatesRequest{OrganizationId: w.org}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Onboarding.UpdateOnboardingTemplate(ctx, testenv.As(w.otherHR, &onboardingv1.UpdateOnboardingTemplateRequest{
		TemplateId: def.GetId(), Name: "Taken over", Tasks: def.GetTasks()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Onboarding.ArchiveOnboardingTemplate(ctx, testenv.As(w.otherHR, &onboardingv1.ArchiveOnboardingTemplateRequest{TemplateId: old.GetId()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Onboarding.GetOnboardingTemplate(ctx, testenv.As(w.hr, &onboardingv1.GetOnboardingTemplateRequest{TemplateId: uuid.NewString()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	_, err = w.a.Onboarding.ArchiveOnboardingTemplate(ctx, testenv.As(w.hr, &onboardingv1.ArchiveOnboardingTemplateRequest{TemplateId: def.GetId()}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	for range 2 {
		resp, err := w.a.Onboarding.ArchiveOnboardingTemplate(ctx, testenv.As(w.hr, &onboardingv1.ArchiveOnboardingTemplateRequest{TemplateId: old.GetId()}))
		require.NoError(t, err, "archiving twice changes nothing")
		assert.NotNil(t, resp.Msg.GetTemplate().GetArchivedAt())
	}
	assert.Equal(t, 1, setupAuditCount(t, w.a, "onboarding_template", old.GetId(), "archive"))
	_, err = w.a.Onboarding.UpdateOnboardingTemplate(ctx, testenv.As(w.hr, &onboardingv1.UpdateOnboardingTemplateRequest{
		TemplateId: old.GetId(), Name: "Old plan", Tasks: old.GetTasks()}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)

	list := func(archived bool) []string {
		resp, err := w.a.Onboarding.ListOnboardingTemplates(ctx, testenv.As(w.hr, &onboardingv1.ListOnboardingTemplatesRequest{
			OrganizationId: w.org, IncludeArchived: archived}))
		require.NoError(t, err)
		var names []string
		for _, tpl := range resp.Msg.GetTemplates() {
			names = append(names, tpl.GetName())
		}
		return names
	}
	assert.Equal(t, []string{"General"}, list(false))
	assert.Equal(t, []string{"General", "Old plan"}, list(true))
	// The archived template's name is free again.
	w.mustTemplate(t, &onboardingv1.CreateOnboardingTemplateRequest{Name: "Old plan"})
}

func (w *setupWorld) upsertOffice(by testenv.Session, req *onboardingv1.UpsertOfficeRequest) (*onboardingv1.Office, error) {
	if req.OrganizationId == "" {
		req.OrganizationId = w.org
	}
	resp, err := w.a.Onboarding.UpsertOffice(context.Background(), testenv.As(by, req))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetOffice(), nil
}

func TestOnboardingOffices_UpsertListAndRefusals(t *testing.T) {
	w := newSetupWorld(t)
	ctx := context.Background()
	pune, err := w.upsertOffice(w.hr, &onboardingv1.UpsertOfficeRequest{Name: "Pune", TimeZone: "Asia/Kolkata"})
	require.NoError(t, err)
	assert.Equal(t, []int32{1, 2, 3, 4, 5}, pune.GetWorkdays(), "Monday to Friday by default")
	assert.Equal(t, "09:00", pune.GetSendWindowStart())
	assert.Equal(t, "17:00", pune.GetSendWindowEnd())

	cal, err := w.a.Onboarding.SetHolidays(ctx, testenv.As(w.hr, &onboardingv1.SetHolidaysRequest{OrganizationId: w.org,
		Calendar: &onboardingv1.SetHolidaysRequest_CalendarName{CalendarName: "India"}, Years: []int32{2027}}))
	require.NoError(t, err)
	calID := cal.Msg.GetCalendar().GetId()
	dubai, err := w.upsertOffice(w.hr, &onboardingv1.UpsertOfficeRequest{OfficeId: proto.String(pune.GetId()), Name: "Dubai",
		TimeZone: "Asia/Dubai", Workdays: []int32{7, 1, 2, 3, 4}, SendWindowStart: "08:30", SendWindowEnd: "16:00", HolidayCalendarId: &calID})
	require.NoError(t, err)
	assert.Equal(t, pune.GetId(), dubai.GetId(), "the office is replaced, not added")
	assert.Equal(t, []int32{1, 2, 3, 4, 7}, dubai.GetWorkdays())

	ny, err := w.upsertOffice(w.hr, &onboardingv1.UpsertOfficeRequest{Name: "New York", TimeZone: "America/New_York"})
	require.NoError(t, err)
	resp, err := w.a.Onboarding.ListOffices(ctx, testenv.As(w.hr, &onboardingv1.ListOfficesRequest{OrganizationId: w.org}))
	require.NoError(t, err)
	require.Len(t, resp.Msg.GetOffices(), 2)
	assert.Equal(t, []string{"Dubai", "New York"}, []string{resp.Msg.GetOffices()[0].GetName(), resp.Msg.GetOffices()[1].GetName()})
	assert.Equal(t, "08:30", resp.Msg.GetOffices()[0].GetSendWindowStart())
	assert.Equal(t, calID, resp.Msg.GetOffices()[0].GetHolidayCalendarId())
	require.Len(t, resp.Msg.GetHolidayCalendars(), 1)
	assert.Equal(t, "India", resp.Msg.GetHolidayCalendars()[0].GetName())
	assert.Equal(t, 1, setupAuditCount(t, w.a, "office", pune.GetId(), "update"))

	otherCal, err := w.a.Onboarding.SetHolidays(ctx, testenv.As(w.otherHR, &onboardingv1.SetHolidaysRequest{OrganizationId: w.otherOrg,
		Calendar: &onboardingv1.SetHolidaysRequest_CalendarName{CalendarName: "Theirs"}, Years: []int32{2027}}))
	require.NoError(t, err)
	otherCalID := otherCal.Msg.GetCalendar().GetId()
	tests := []struct {
		name  string
		by    testenv.Session
		req   *onboardingv1.UpsertOfficeRequest
		code  connect.Code
		field string
	}{
		{"an unknown zone", w.hr, &onboardingv1.UpsertOfficeRequest{Name: "Mars", TimeZone: "Mars/Olympus"}, connect.CodeInvalidArgument, "time_zone"},
		{"the server's zone", w.hr, &onboardingv1.UpsertOfficeRequest{Name: "Here", TimeZone: "Local"}, connect.CodeInvalidArgument, "time_zone"},
		{"a name in use", w.hr, &onboardingv1.UpsertOfficeRequest{Name: "new york", TimeZone: "UTC"}, connect.CodeAlreadyExists, "name"},
		{"another organization's calendar", w.hr, &onboardingv1.UpsertOfficeRequest{Name: "Lyon", TimeZone: "Europe/Paris",
			HolidayCalendarId: &otherCalID}, connect.CodeNotFound, "holiday_calendar_id"},
		{"a member", w.member, &onboardingv1.UpsertOfficeRequest{Name: "Lyon", TimeZone: "Europe/Paris"}, connect.CodePermissionDenied, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.upsertOffice(tt.by, tt.req)
			if tt.field == "" {
				testenv.RequireCode(t, err, tt.code)
				return
			}
			requireField(t, err, tt.code, tt.field)
		})
	}
	// Another organization's owner cannot reach A's office, even by its ID
	// in their own organization.
	_, err = w.upsertOffice(w.otherHR, &onboardingv1.UpsertOfficeRequest{OrganizationId: w.otherOrg, OfficeId: proto.String(ny.GetId()),
		Name: "Hijacked", TimeZone: "UTC"})
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = w.upsertOffice(w.otherHR, &onboardingv1.UpsertOfficeRequest{OrganizationId: w.org, OfficeId: proto.String(ny.GetId()),
		Name: "Hijacked", TimeZone: "UTC"})
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	n, err := w.a.DB.NewSelect().Model((*db.Office)(nil)).Where("name = 'Hijacked' OR lower(name) IN ('mars', 'here', 'lyon')").Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func (w *setupWorld) holidays(t *testing.T, calID string, year int32) []string {
	t.Helper()
	resp, err := w.a.Onboarding.ListHolidays(context.Background(), testenv.As(w.hr, &onboardingv1.ListHolidaysRequest{
		OrganizationId: w.org, CalendarId: calID, Year: year}))
	require.NoError(t, err)
	var out []string
	for _, h := range resp.Msg.GetHolidays() {
		out = append(out, h.GetDate()+" "+h.GetName())
	}
	return out
}

func TestOnboardingHolidays_ReplacedPerYear(t *testing.T) {
	w := newSetupWorld(t)
	ctx := context.Background()
	set := func(cal *onboardingv1.SetHolidaysRequest, years []int32, holidays ...*onboardingv1.Holiday) (*onboardingv1.SetHolidaysResponse, error) {
		cal.OrganizationId, cal.Years, cal.Holidays = w.org, years, holidays
		resp, err := w.a.Onboarding.SetHolidays(ctx, testenv.As(w.hr, cal))
		if err != nil {
			return nil, err
		}
		return resp.Msg, nil
	}
	byName := func(name string) *onboardingv1.SetHolidaysRequest {
		return &onboardingv1.SetHolidaysRequest{Calendar: &onboardingv1.SetHolidaysRequest_CalendarName{CalendarName: name}}
	}
	byID := func(id string) *onboardingv1.SetHolidaysRequest {
		return &onboardingv1.SetHolidaysRequest{Calendar: &onboardingv1.SetHolidaysRequest_CalendarId{CalendarId: id}}
	}

	first, err := set(byName("India"), []int32{2027, 2028},
		&onboardingv1.Holiday{Date: "2027-11-08", Name: "Diwali"}, &onboardingv1.Holiday{Date: "2027-01-26", Name: "Republic Day"},
		&onboardingv1.Holiday{Date: "2028-01-26", Name: "Republic Day"})
	require.NoError(t, err)
	calID := first.GetCalendar().GetId()
	assert.Len(t, first.GetHolidays(), 3)
	assert.Equal(t, []string{"2027-01-26 Republic Day", "2027-11-08 Diwali"}, w.holidays(t, calID, 2027))

	again, err := set(byName("india"), []int32{2027}, &onboardingv1.Holiday{Date: "2027-10-29", Name: "Diwali"})
	require.NoError(t, err)
	assert.Equal(t, calID, again.GetCalendar().GetId(), "the name finds the calendar, case-insensitively")
	assert.Equal(t, []string{"2027-10-29 Diwali"}, w.holidays(t, calID, 2027), "2027 is replaced")
	assert.Equal(t, []string{"2028-01-26 Republic Day"}, w.holidays(t, calID, 2028), "2028 is left alone")

	_, err = set(byID(calID), []int32{2028})
	require.NoError(t, err)
	assert.Empty(t, w.holidays(t, calID, 2028), "an empty list clears the year")
	assert.Equal(t, 3, setupAuditCount(t, w.a, "holiday_calendar", calID, "set_holidays"))

	tests := []struct {
		name     string
		holidays []*onboardingv1.Holiday
		field    string
	}{
		{"a day that does not exist", []*onboardingv1.Holiday{{Date: "2027-02-30", Name: "Nope"}}, "holidays[0].date"},
		{"a day of another year", []*onboardingv1.Holiday{{Date: "2027-12-25", Name: "Xmas"}, {Date: "2028-01-01", Name: "New Year"}}, "holidays[1].date"},
		{"a day twice", []*onboardingv1.Holiday{{Date: "2027-12-25", Name: "Xmas"}, {Date: "2027-12-25", Name: "Xmas"}}, "holidays[1].date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := set(byID(calID), []int32{2027}, tt.holidays...)
			requireField(t, err, connect.CodeInvalidArgument, tt.field)
		})
	}
	assert.Equal(t, []string{"2027-10-29 Diwali"}, w.holidays(t, calID, 2027), "refused input changes nothing")

	_, err = w.a.Onboarding.SetHolidays(ctx, testenv.As(w.member, &onboardingv1.SetHolidaysRequest{OrganizationId: w.org,
		Calendar: &onboardingv1.SetHolidaysRequest_CalendarId{CalendarId: calID}, Years: []int32{2027}}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Onboarding.SetHolidays(ctx, testenv.As(w.otherHR, &onboardingv1.SetHolidaysRequest{OrganizationId: w.otherOrg,
		Calendar: &onboardingv1.SetHolidaysRequest_CalendarId{CalendarId: calID}, Years: []int32{2027}}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = w.a.Onboarding.ListHolidays(ctx, testenv.As(w.otherHR, &onboardingv1.ListHolidaysRequest{OrganizationId: w.otherOrg,
		CalendarId: calID, Year: 2027}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	assert.Equal(t, []string{"2027-10-29 Diwali"}, w.holidays(t, calID, 2027))
}
