package onboardingv1_test

import (
	"strings"
	"testing"

	"buf.build/go/protovalidate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	onboardingv1 "github.com/convene/convene/proto/convene/onboarding/v1"
)

// TestRules checks the contract's message-level (CEL) rule and the
// patterns a client is most likely to hit, since the API's validation
// interceptor turns each violation into InvalidArgument naming the field.
func TestRules(t *testing.T) {
	const id = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	office := func(start, end string) *onboardingv1.UpsertOfficeRequest {
		return &onboardingv1.UpsertOfficeRequest{OrganizationId: id, Name: "Pune", TimeZone: "Asia/Kolkata",
			SendWindowStart: start, SendWindowEnd: end}
	}
	task := func(key string) *onboardingv1.TemplateTask {
		return &onboardingv1.TemplateTask{Key: key, Title: "Laptop", AssigneeRole: onboardingv1.AssigneeRole_ASSIGNEE_ROLE_HIRE,
			Milestone: onboardingv1.Milestone_MILESTONE_DAY1}
	}
	template := func(tasks ...*onboardingv1.TemplateTask) *onboardingv1.CreateOnboardingTemplateRequest {
		return &onboardingv1.CreateOnboardingTemplateRequest{OrganizationId: id, Name: "Engineers", Tasks: tasks}
	}

	tests := []struct {
		name    string
		msg     proto.Message
		wantErr string // rule id or field path in the violation; empty: valid
	}{
		{"office with the default window", office("", ""), ""},
		{"office window 08:30-12:00", office("08:30", "12:00"), ""},
		{"office window ending before it starts", office("18:00", "10:00"), "send_window_order"},
		{"office window starting after the default end", office("18:00", ""), "send_window_order"},
		{"office window of no length", office("10:00", "10:00"), "send_window_order"},
		{"office window not HH:MM", office("9:00", ""), "send_window_start"},
		{"office workday 8", &onboardingv1.UpsertOfficeRequest{OrganizationId: id, Name: "Pune", TimeZone: "Asia/Kolkata",
			Workdays: []int32{1, 8}}, "workdays"},
		{"office workday twice", &onboardingv1.UpsertOfficeRequest{OrganizationId: id, Name: "Pune", TimeZone: "Asia/Kolkata",
			Workdays: []int32{1, 1}}, "workdays"},
		{"start date", &onboardingv1.StartOnboardingRequest{OrganizationId: id, UserId: id, ManagerUserId: id,
			StartDate: "2027-01-04"}, ""},
		{"start date not YYYY-MM-DD", &onboardingv1.StartOnboardingRequest{OrganizationId: id, UserId: id, ManagerUserId: id,
			StartDate: "4.1.2027"}, "start_date"},
		{"template", template(task("laptop-setup")), ""},
		{"template without tasks", template(), "tasks"},
		{"template task key with a space", template(task("laptop setup")), "tasks"},
		{"template task key uppercase", template(task("Laptop")), "tasks"},
		{"holidays of a named calendar", &onboardingv1.SetHolidaysRequest{OrganizationId: id,
			Calendar: &onboardingv1.SetHolidaysRequest_CalendarName{CalendarName: "India"}, Years: []int32{2027},
			Holidays: []*onboardingv1.Holiday{{Date: "2027-01-26", Name: "Republic Day"}}}, ""},
		{"holidays of no calendar", &onboardingv1.SetHolidaysRequest{OrganizationId: id, Years: []int32{2027}}, "calendar"},
		{"holidays of no year", &onboardingv1.SetHolidaysRequest{OrganizationId: id,
			Calendar: &onboardingv1.SetHolidaysRequest_CalendarId{CalendarId: id}}, "years"},
		{"check-in on day 14", &onboardingv1.SubmitCheckInRequest{UserId: id, Day: 14, Rating: 3}, "day"},
		{"check-in rated 6", &onboardingv1.SubmitCheckInRequest{UserId: id, Day: 30, Rating: 6}, "rating"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := protovalidate.Validate(tt.msg)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			var verr *protovalidate.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.True(t, mentions(verr, tt.wantErr), "violations %v do not mention %q", verr, tt.wantErr)
		})
	}
}

// mentions reports whether a violation has the rule id want or is about
// the field want (or one of its items).
func mentions(verr *protovalidate.ValidationError, want string) bool {
	for _, v := range verr.Violations {
		path := protovalidate.FieldPathString(v.Proto.GetField())
		if v.Proto.GetRuleId() == want || path == want || strings.HasPrefix(path, want+"[") || strings.HasPrefix(path, want+".") {
			return true
		}
	}
	return false
}
