package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/internal/workcal"
	onboardingv1 "github.com/convene/convene/proto/convene/onboarding/v1"
	"github.com/convene/convene/proto/convene/onboarding/v1/onboardingv1connect"
)

// OnboardingService's onboarding RPCs in both matrices (the setup RPCs are
// in matrix_onboarding_setup_test.go). A's rows: a template for the role
// fxOnbRunRole and a hire's open onboarding on it, with a manager of its
// own and no buddy candidate (so HR has the choose-buddy task). The input
// matrix's requests all fail for a business reason or change nothing: a
// second start of that hire, a task completion, a pause, a check-in and a
// cancel by callers who take no part (A's invited member, B's owner), a
// resume of an onboarding that is not paused, the manager as buddy.
const (
	fxOnbHireA = "@onbHireA"
	// fxOrgOwnerA is A's owner's user ID, the onboarding's HR contact.
	fxOrgOwnerA = "@onbOwnerA"
	// fxOnbManagerA is the hire's manager, a member of A.
	fxOnbManagerA = "@onbManagerA"
	// fxOnbRunRole is the job role of A's onboarding's template.
	fxOnbRunRole = "matrix-runner"
	// fxNoOffice is an office ID no organization has: A's owner setting a
	// profile with it is NotFound and changes nothing.
	fxNoOffice = "0190c0de-0000-7000-8000-00000000000f"
)

func init() {
	weekAhead := workcal.DateFromTime(time.Now().UTC()).AddDays(7).String()
	matrixTopics = append(matrixTopics, matrixTopic{
		name:  "onboarding runs",
		build: buildOnboardingRunsTopic,
		tenant: []tenantCase{
			{onboardingv1connect.OnboardingServiceStartOnboardingProcedure, hidden, &onboardingv1.StartOnboardingRequest{OrganizationId: fxOrgA,
				UserId: fxUserB, StartDate: weekAhead, ManagerUserId: fxMemberA}},
			{onboardingv1connect.OnboardingServiceGetOnboardingProcedure, hidden, &onboardingv1.GetOnboardingRequest{UserId: fxOnbHireA}},
			{onboardingv1connect.OnboardingServiceListOnboardingsProcedure, hidden, &onboardingv1.ListOnboardingsRequest{OrganizationId: fxOrgA}},
			{onboardingv1connect.OnboardingServiceListMyOnboardingTasksProcedure, scoped, &onboardingv1.ListMyOnboardingTasksRequest{
				OrganizationId: proto.String(fxOrgA)}},
			{onboardingv1connect.OnboardingServiceCompleteTaskProcedure, hidden, &onboardingv1.CompleteTaskRequest{UserId: fxOnbHireA, TaskKey: "laptop"}},
			{onboardingv1connect.OnboardingServicePauseOnboardingProcedure, hidden, &onboardingv1.PauseOnboardingRequest{UserId: fxOnbHireA}},
			{onboardingv1connect.OnboardingServiceResumeOnboardingProcedure, hidden, &onboardingv1.ResumeOnboardingRequest{UserId: fxOnbHireA}},
			{onboardingv1connect.OnboardingServiceSetBuddyProcedure, hidden, &onboardingv1.SetBuddyRequest{UserId: fxOnbHireA, BuddyUserId: fxUserB}},
			{onboardingv1connect.OnboardingServiceSuggestBuddiesProcedure, hidden, &onboardingv1.SuggestBuddiesRequest{UserId: fxOnbHireA}},
			{onboardingv1connect.OnboardingServiceSubmitCheckInProcedure, hidden, &onboardingv1.SubmitCheckInRequest{UserId: fxOnbHireA, Day: 7, Rating: 5}},
			{onboardingv1connect.OnboardingServiceCancelOnboardingProcedure, hidden, &onboardingv1.CancelOnboardingRequest{UserId: fxOnbHireA}},
			{onboardingv1connect.OnboardingServiceSetBuddyProfileProcedure, hidden, &onboardingv1.SetBuddyProfileRequest{OrganizationId: fxOrgA,
				UserId: fxOnbManagerA, BuddyAvailable: true}},
		},
		input: []inputCase{
			{onboardingv1connect.OnboardingServiceStartOnboardingProcedure, asOwnerA, &onboardingv1.StartOnboardingRequest{OrganizationId: fxOrgA,
				UserId: fxOnbHireA, StartDate: weekAhead, ManagerUserId: fxOnbManagerA, Role: fxOnbRunRole, HrUserId: proto.String(fxOrgOwnerA)}},
			{onboardingv1connect.OnboardingServiceGetOnboardingProcedure, asOwnerA, &onboardingv1.GetOnboardingRequest{UserId: fxOnbHireA}},
			{onboardingv1connect.OnboardingServiceListOnboardingsProcedure, asOwnerA, &onboardingv1.ListOnboardingsRequest{OrganizationId: fxOrgA,
				Status: onboardingv1.OnboardingStatus_ONBOARDING_STATUS_PREBOARDING, BehindOnly: true, ManagerUserId: proto.String(fxOnbManagerA), PageSize: 10}},
			{onboardingv1connect.OnboardingServiceListMyOnboardingTasksProcedure, asMemberA, &onboardingv1.ListMyOnboardingTasksRequest{
				OrganizationId: proto.String(fxOrgA), IncludeClosed: true, PageSize: 10}},
			{onboardingv1connect.OnboardingServiceCompleteTaskProcedure, asMemberA, &onboardingv1.CompleteTaskRequest{UserId: fxOnbHireA,
				TaskKey: "laptop", Note: "n"}},
			{onboardingv1connect.OnboardingServicePauseOnboardingProcedure, asOwnerB, &onboardingv1.PauseOnboardingRequest{UserId: fxOnbHireA,
				Reason: "r", Until: proto.String(weekAhead)}},
			{onboardingv1connect.OnboardingServiceResumeOnboardingProcedure, asOwnerA, &onboardingv1.ResumeOnboardingRequest{UserId: fxOnbHireA, Reason: "r"}},
			{onboardingv1connect.OnboardingServiceSetBuddyProcedure, asOwnerA, &onboardingv1.SetBuddyRequest{UserId: fxOnbHireA,
				BuddyUserId: fxOnbManagerA, Reason: "r"}},
			{onboardingv1connect.OnboardingServiceSuggestBuddiesProcedure, asOwnerA, &onboardingv1.SuggestBuddiesRequest{UserId: fxOnbHireA, Limit: 5}},
			{onboardingv1connect.OnboardingServiceSubmitCheckInProcedure, asMemberA, &onboardingv1.SubmitCheckInRequest{UserId: fxOnbHireA,
				Day: 7, Rating: 4, Comment: "c"}},
			{onboardingv1connect.OnboardingServiceCancelOnboardingProcedure, asMemberA, &onboardingv1.CancelOnboardingRequest{UserId: fxOnbHireA, Reason: "r"}},
			{onboardingv1connect.OnboardingServiceSetBuddyProfileProcedure, asOwnerA, &onboardingv1.SetBuddyProfileRequest{OrganizationId: fxOrgA,
				UserId: fxOnbManagerA, BuddyAvailable: true, OfficeId: proto.String(fxNoOffice), Skills: []string{"go"}}},
		},
	})
}

// buildOnboardingRunsTopic gives A a template for fxOnbRunRole and starts
// a new user's onboarding on it through the API, a new member managing.
func buildOnboardingRunsTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	ctx := context.Background()
	_, err := f.a.Onboarding.CreateOnboardingTemplate(ctx, testenv.As(f.ownerA, &onboardingv1.CreateOnboardingTemplateRequest{
		OrganizationId: f.orgA, Name: "Matrix runs", JobRole: fxOnbRunRole, Tasks: matrixTemplateTasks()}))
	require.NoError(t, err)
	hire, manager := f.a.NewUser(t, newPhone()), f.a.NewUser(t, newPhone())
	require.NoError(t, db.InsertMember(ctx, f.a.DB, &db.Member{ID: db.NewID(), OrganizationID: mustUUID(f.orgA),
		UserID: mustUUID(manager.UserID), Role: db.RoleMember}))
	_, err = f.a.Onboarding.StartOnboarding(ctx, testenv.As(f.ownerA, &onboardingv1.StartOnboardingRequest{OrganizationId: f.orgA,
		UserId: hire.UserID, StartDate: workcal.DateFromTime(time.Now().UTC()).AddDays(7).String(), ManagerUserId: manager.UserID,
		Role: fxOnbRunRole}))
	require.NoError(t, err)
	return map[string]string{fxOnbHireA: hire.UserID, fxOrgOwnerA: f.ownerA.UserID, fxOnbManagerA: manager.UserID}
}
