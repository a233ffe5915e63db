package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/internal/testenv"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
)

// Placeholders of the activities topic: an activity of organization A and
// its scheduled occurrence.
const (
	fxActivityA      = "@activityA"
	fxActivityEventA = "@activityEventA"
)

func init() {
	matrixTopics = append(matrixTopics, matrixTopic{name: "activities", build: buildActivitiesTopic,
		tenant: []tenantCase{
			{engagementv1connect.ActivityServiceCreateActivityProcedure, hidden, newActivity(fxOrgA)},
			{engagementv1connect.ActivityServiceListActivitiesProcedure, hidden, &engagementv1.ListActivitiesRequest{OrganizationId: fxOrgA}},
			{engagementv1connect.ActivityServiceScheduleActivityEventProcedure, notFound, newActivitySchedule(fxActivityA)},
			{engagementv1connect.ActivityServiceRsvpProcedure, notFound, &engagementv1.RsvpRequest{EventId: fxActivityEventA, Going: true}},
			{engagementv1connect.ActivityServiceSubmitFeedbackProcedure, notFound, &engagementv1.SubmitFeedbackRequest{EventId: fxActivityEventA, Rating: 4, Comment: "ok"}},
			{engagementv1connect.ActivityServiceListParticipantsProcedure, notFound, &engagementv1.ListParticipantsRequest{EventId: fxActivityEventA}},
		},
		// Writes are made by callers they refuse (a member creating or
		// scheduling, the outsider answering), so no spoiled field changes
		// a row; SubmitFeedback's member never attended.
		input: []inputCase{
			{engagementv1connect.ActivityServiceCreateActivityProcedure, asMemberA, newActivity(fxOrgA)},
			{engagementv1connect.ActivityServiceListActivitiesProcedure, asMemberA, &engagementv1.ListActivitiesRequest{OrganizationId: fxOrgA, PageSize: 10}},
			{engagementv1connect.ActivityServiceScheduleActivityEventProcedure, asMemberA, newActivitySchedule(fxActivityA)},
			{engagementv1connect.ActivityServiceRsvpProcedure, asOwnerB, &engagementv1.RsvpRequest{EventId: fxActivityEventA, Going: true}},
			{engagementv1connect.ActivityServiceSubmitFeedbackProcedure, asMemberA, &engagementv1.SubmitFeedbackRequest{EventId: fxActivityEventA, Rating: 4, Comment: "ok"}},
			{engagementv1connect.ActivityServiceListParticipantsProcedure, asMemberA, &engagementv1.ListParticipantsRequest{EventId: fxActivityEventA, PageSize: 10}},
		},
	})
}

// buildActivitiesTopic creates organization A's activity and schedules a
// one-off occurrence of it (a series would have its job add events while
// the matrix compares tables).
func buildActivitiesTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	ctx := context.Background()
	created, err := f.a.Activities.CreateActivity(ctx, testenv.As(f.ownerA, newActivity(f.orgA)))
	require.NoError(t, err)
	id := created.Msg.GetActivity().GetId()
	occ, err := f.a.Activities.ScheduleActivityEvent(ctx, testenv.As(f.ownerA, newActivitySchedule(id)))
	require.NoError(t, err)
	return map[string]string{fxActivityA: id, fxActivityEventA: occ.Msg.GetOccurrence().GetEventId()}
}

func newActivity(orgID string) *engagementv1.CreateActivityRequest {
	return &engagementv1.CreateActivityRequest{OrganizationId: orgID, Name: "Yoga", Description: "stretch", Category: "wellness",
		DefaultDurationMinutes: 60, Capacity: 20}
}

// newActivitySchedule is an hour-long occurrence of activityID in two
// days.
func newActivitySchedule(activityID string) *engagementv1.ScheduleActivityEventRequest {
	start := time.Now().Add(48 * time.Hour).Truncate(time.Minute)
	return &engagementv1.ScheduleActivityEventRequest{ActivityId: activityID, StartsAt: timestamppb.New(start),
		EndsAt: timestamppb.New(start.Add(time.Hour))}
}
