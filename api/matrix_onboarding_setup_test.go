package api_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/internal/testenv"
	onboardingv1 "github.com/convene/convene/proto/convene/onboarding/v1"
	"github.com/convene/convene/proto/convene/onboarding/v1/onboardingv1connect"
)

// OnboardingService's setup RPCs (templates, offices, holidays) in both
// matrices; the onboarding RPCs join from matrix_onboarding_runs_test.go.
// A's rows: a default template, an office and a holiday calendar, so the
// input matrix's writes all fail for a business reason: a template and
// an office name in use, a stale template version, archiving the default,
// a holiday outside the years replaced.
const (
	fxOnbTemplateA = "@onbTemplateA"
	fxOnbOfficeA   = "@onbOfficeA"
	fxOnbCalendarA = "@onbCalendarA"
	// fxOnbTemplateName and fxOnbOfficeName are A's template and office
	// names.
	fxOnbTemplateName = "Matrix plan"
	fxOnbOfficeName   = "Matrix office"
)

// matrixTemplateTasks is a template task list with every field set.
func matrixTemplateTasks() []*onboardingv1.TemplateTask {
	return []*onboardingv1.TemplateTask{{Key: "laptop", Title: "Get a laptop", Description: "d",
		AssigneeRole: onboardingv1.AssigneeRole_ASSIGNEE_ROLE_HIRE, Milestone: onboardingv1.Milestone_MILESTONE_DAY1, DueOffsetDays: 1, Required: true}}
}

func init() {
	matrixTopics = append(matrixTopics, matrixTopic{
		name:  "onboarding setup",
		build: buildOnboardingSetupTopic,
		tenant: []tenantCase{
			{onboardingv1connect.OnboardingServiceCreateOnboardingTemplateProcedure, hidden, &onboardingv1.CreateOnboardingTemplateRequest{
				OrganizationId: fxOrgA, Name: "Foreign", Tasks: matrixTemplateTasks()}},
			{onboardingv1connect.OnboardingServiceUpdateOnboardingTemplateProcedure, hidden, &onboardingv1.UpdateOnboardingTemplateRequest{
				TemplateId: fxOnbTemplateA, Name: "Foreign", Tasks: matrixTemplateTasks()}},
			{onboardingv1connect.OnboardingServiceGetOnboardingTemplateProcedure, hidden, &onboardingv1.GetOnboardingTemplateRequest{TemplateId: fxOnbTemplateA}},
			{onboardingv1connect.OnboardingServiceListOnboardingTemplatesProcedure, hidden, &onboardingv1.ListOnboardingTemplatesRequest{OrganizationId: fxOrgA}},
			{onboardingv1connect.OnboardingServiceArchiveOnboardingTemplateProcedure, hidden, &onboardingv1.ArchiveOnboardingTemplateRequest{TemplateId: fxOnbTemplateA}},
			{onboardingv1connect.OnboardingServiceUpsertOfficeProcedure, hidden, &onboardingv1.UpsertOfficeRequest{OrganizationId: fxOrgA,
				OfficeId: proto.String(fxOnbOfficeA), Name: "Foreign", TimeZone: "UTC"}},
			{onboardingv1connect.OnboardingServiceListOfficesProcedure, hidden, &onboardingv1.ListOfficesRequest{OrganizationId: fxOrgA}},
			{onboardingv1connect.OnboardingServiceSetHolidaysProcedure, hidden, &onboardingv1.SetHolidaysRequest{OrganizationId: fxOrgA,
				Calendar: &onboardingv1.SetHolidaysRequest_CalendarId{CalendarId: fxOnbCalendarA}, Years: []int32{2027}}},
			{onboardingv1connect.OnboardingServiceListHolidaysProcedure, hidden, &onboardingv1.ListHolidaysRequest{OrganizationId: fxOrgA,
				CalendarId: fxOnbCalendarA, Year: 2027}},
		},
		input: []inputCase{
			{onboardingv1connect.OnboardingServiceCreateOnboardingTemplateProcedure, asOwnerA, &onboardingv1.CreateOnboardingTemplateRequest{
				OrganizationId: fxOrgA, Name: fxOnbTemplateName, Description: "d", JobRole: "engineer", BuddyPoints: 10, Tasks: matrixTemplateTasks()}},
			{onboardingv1connect.OnboardingServiceUpdateOnboardingTemplateProcedure, asOwnerA, &onboardingv1.UpdateOnboardingTemplateRequest{
				TemplateId: fxOnbTemplateA, Name: "Renamed", Description: "d", JobRole: "engineer", IsDefault: true, BuddyPoints: 10,
				Tasks: matrixTemplateTasks(), ExpectedVersion: proto.Int32(99)}},
			{onboardingv1connect.OnboardingServiceGetOnboardingTemplateProcedure, asOwnerA, &onboardingv1.GetOnboardingTemplateRequest{TemplateId: fxOnbTemplateA}},
			{onboardingv1connect.OnboardingServiceListOnboardingTemplatesProcedure, asOwnerA, &onboardingv1.ListOnboardingTemplatesRequest{
				OrganizationId: fxOrgA, IncludeArchived: true, PageSize: 10}},
			{onboardingv1connect.OnboardingServiceArchiveOnboardingTemplateProcedure, asOwnerA, &onboardingv1.ArchiveOnboardingTemplateRequest{TemplateId: fxOnbTemplateA}},
			{onboardingv1connect.OnboardingServiceUpsertOfficeProcedure, asOwnerA, &onboardingv1.UpsertOfficeRequest{OrganizationId: fxOrgA,
				Name: fxOnbOfficeName, TimeZone: "Asia/Kolkata", Workdays: []int32{1, 2, 3, 4, 5}, SendWindowStart: "09:00", SendWindowEnd: "17:00",
				HolidayCalendarId: proto.String(fxOnbCalendarA)}},
			{onboardingv1connect.OnboardingServiceListOfficesProcedure, asOwnerA, &onboardingv1.ListOfficesRequest{OrganizationId: fxOrgA}},
			{onboardingv1connect.OnboardingServiceSetHolidaysProcedure, asOwnerA, &onboardingv1.SetHolidaysRequest{OrganizationId: fxOrgA,
				Calendar: &onboardingv1.SetHolidaysRequest_CalendarId{CalendarId: fxOnbCalendarA}, Years: []int32{2027},
				Holidays: []*onboardingv1.Holiday{{Date: "2026-12-25", Name: "Christmas"}}}},
			{onboardingv1connect.OnboardingServiceListHolidaysProcedure, asOwnerA, &onboardingv1.ListHolidaysRequest{OrganizationId: fxOrgA,
				CalendarId: fxOnbCalendarA, Year: 2027}},
		},
	})
}

// buildOnboardingSetupTopic gives A a default template, a holiday
// calendar with one holiday and an office on it, through the API.
func buildOnboardingSetupTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	ctx := context.Background()
	tpl, err := f.a.Onboarding.CreateOnboardingTemplate(ctx, testenv.As(f.ownerA, &onboardingv1.CreateOnboardingTemplateRequest{
		OrganizationId: f.orgA, Name: fxOnbTemplateName, IsDefault: true, Tasks: matrixTemplateTasks()}))
	require.NoError(t, err)
	cal, err := f.a.Onboarding.SetHolidays(ctx, testenv.As(f.ownerA, &onboardingv1.SetHolidaysRequest{OrganizationId: f.orgA,
		Calendar: &onboardingv1.SetHolidaysRequest_CalendarName{CalendarName: "Matrix holidays"}, Years: []int32{2027},
		Holidays: []*onboardingv1.Holiday{{Date: "2027-01-26", Name: "Republic Day"}}}))
	require.NoError(t, err)
	calID := cal.Msg.GetCalendar().GetId()
	office, err := f.a.Onboarding.UpsertOffice(ctx, testenv.As(f.ownerA, &onboardingv1.UpsertOfficeRequest{OrganizationId: f.orgA,
		Name: fxOnbOfficeName, TimeZone: "Asia/Kolkata", HolidayCalendarId: &calID}))
	require.NoError(t, err)
	return map[string]string{fxOnbTemplateA: tpl.Msg.GetTemplate().GetId(), fxOnbOfficeA: office.Msg.GetOffice().GetId(), fxOnbCalendarA: calID}
}
