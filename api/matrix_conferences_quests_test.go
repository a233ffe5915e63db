package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/internal/testenv"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	"github.com/convene/convene/proto/convene/conferences/v1/conferencesv1connect"
)

// QuestService's lines of both matrices. A's rows: a draft quest with a
// task, a published quest with a task and an archived quest, none joined,
// so the input matrix's requests all fail for a business reason or change
// nothing: writes to the published quest's tasks (no longer a draft),
// updates and joins of the archived quest, publishing the published one,
// Updates to runs that do not exist, and a create by a plain member.
const (
	fxQuestDraftA     = "@questDraftA"
	fxQuestTaskDraftA = "@questTaskDraftA"
	fxQuestPubA       = "@questPubA"
	fxQuestTaskPubA   = "@questTaskPubA"
	fxQuestArchivedA  = "@questArchivedA"
)

// matrixQuestSettings is a valid quest with every field set.
func matrixQuestSettings() *conferencesv1.CreateQuestRequest {
	start := time.Now().Truncate(time.Second)
	return &conferencesv1.CreateQuestRequest{OrganizationId: fxOrgA, Title: "Matrix quest", Description: "d", Category: "social",
		Featured: true, Points: 10, RequiresApproval: true, Recurrence: conferencesv1.QuestRecurrence_QUEST_RECURRENCE_DAILY,
		StartsAt: timestamppb.New(start), EndsAt: timestamppb.New(start.Add(24 * time.Hour)), MaxParticipants: proto.Int32(5),
		RetryCooldownSeconds: 60, ReviewSlaHours: 12}
}

func matrixQuestConfig() *structpb.Struct {
	s, _ := structpb.NewStruct(map[string]any{"url": "https://example.com/visit"})
	return s
}

func init() {
	q := matrixQuestSettings()
	update := &conferencesv1.UpdateQuestRequest{QuestId: fxQuestArchivedA, Title: q.Title, Description: q.Description, Category: q.Category,
		Featured: q.Featured, Points: q.Points, RequiresApproval: q.RequiresApproval, Recurrence: q.Recurrence, StartsAt: q.StartsAt,
		EndsAt: q.EndsAt, MaxParticipants: q.MaxParticipants, RetryCooldownSeconds: q.RetryCooldownSeconds, ReviewSlaHours: q.ReviewSlaHours}
	foreignUpdate := proto.Clone(update).(*conferencesv1.UpdateQuestRequest)
	foreignUpdate.QuestId = fxQuestDraftA
	code := &conferencesv1.SubmitTaskRequest_Code{Code: "BOOTH-7"}
	matrixTopics = append(matrixTopics, matrixTopic{
		name:  "conferences quests",
		build: buildQuestsTopic,
		tenant: []tenantCase{
			{conferencesv1connect.QuestServiceCreateQuestProcedure, hidden, matrixQuestSettings()},
			{conferencesv1connect.QuestServiceUpdateQuestProcedure, hidden, foreignUpdate},
			{conferencesv1connect.QuestServicePublishQuestProcedure, hidden, &conferencesv1.PublishQuestRequest{QuestId: fxQuestDraftA}},
			{conferencesv1connect.QuestServiceArchiveQuestProcedure, hidden, &conferencesv1.ArchiveQuestRequest{QuestId: fxQuestPubA}},
			{conferencesv1connect.QuestServiceAddTaskProcedure, hidden, &conferencesv1.AddTaskRequest{QuestId: fxQuestDraftA,
				Kind: conferencesv1.QuestTaskKind_QUEST_TASK_KIND_URL_VISIT, Title: "Foreign", Config: matrixQuestConfig()}},
			{conferencesv1connect.QuestServiceUpdateTaskProcedure, hidden, &conferencesv1.UpdateTaskRequest{TaskId: fxQuestTaskDraftA,
				Title: "Foreign", Config: matrixQuestConfig()}},
			{conferencesv1connect.QuestServiceRemoveTaskProcedure, hidden, &conferencesv1.RemoveTaskRequest{TaskId: fxQuestTaskDraftA}},
			{conferencesv1connect.QuestServiceListQuestsProcedure, hidden, &conferencesv1.ListQuestsRequest{OrganizationId: fxOrgA}},
			{conferencesv1connect.QuestServiceGetQuestProcedure, hidden, &conferencesv1.GetQuestRequest{QuestId: fxQuestPubA}},
			{conferencesv1connect.QuestServiceJoinQuestProcedure, hidden, &conferencesv1.JoinQuestRequest{QuestId: fxQuestPubA}},
			{conferencesv1connect.QuestServiceDecideRegistrationProcedure, hidden, &conferencesv1.DecideRegistrationRequest{QuestId: fxQuestPubA,
				UserId: fxMemberA, Approve: true}},
			{conferencesv1connect.QuestServiceSubmitTaskProcedure, hidden, &conferencesv1.SubmitTaskRequest{QuestId: fxQuestPubA,
				TaskId: fxQuestTaskPubA, Answer: code}},
			{conferencesv1connect.QuestServiceListReviewQueueProcedure, hidden, &conferencesv1.ListReviewQueueRequest{OrganizationId: fxOrgA}},
			{conferencesv1connect.QuestServiceReviewTaskProcedure, hidden, &conferencesv1.ReviewTaskRequest{QuestId: fxQuestPubA,
				UserId: fxMemberA, TaskId: fxQuestTaskPubA, Approve: true}},
			{conferencesv1connect.QuestServiceGetMyProgressProcedure, hidden, &conferencesv1.GetMyProgressRequest{QuestId: fxQuestPubA}},
			{conferencesv1connect.QuestServiceGetLeaderboardProcedure, hidden, &conferencesv1.GetLeaderboardRequest{
				Scope: &conferencesv1.GetLeaderboardRequest_QuestId{QuestId: fxQuestPubA}}},
		},
		input: []inputCase{
			{conferencesv1connect.QuestServiceCreateQuestProcedure, asMemberA, func() *conferencesv1.CreateQuestRequest {
				r := matrixQuestSettings()
				r.ConferenceId = proto.String(fxOrgA)
				return r
			}()},
			{conferencesv1connect.QuestServiceUpdateQuestProcedure, asOwnerA, update},
			{conferencesv1connect.QuestServicePublishQuestProcedure, asOwnerA, &conferencesv1.PublishQuestRequest{QuestId: fxQuestPubA}},
			{conferencesv1connect.QuestServiceArchiveQuestProcedure, asOwnerA, &conferencesv1.ArchiveQuestRequest{QuestId: fxQuestArchivedA}},
			{conferencesv1connect.QuestServiceAddTaskProcedure, asOwnerA, &conferencesv1.AddTaskRequest{QuestId: fxQuestPubA,
				Kind: conferencesv1.QuestTaskKind_QUEST_TASK_KIND_SECRET_CODE, Title: "Code", Description: "d", Required: true, Code: "BOOTH-8"}},
			{conferencesv1connect.QuestServiceUpdateTaskProcedure, asOwnerA, &conferencesv1.UpdateTaskRequest{TaskId: fxQuestTaskPubA,
				Title: "Code", Description: "d", Required: true, Code: "BOOTH-9", Position: proto.Int32(0)}},
			{conferencesv1connect.QuestServiceRemoveTaskProcedure, asOwnerA, &conferencesv1.RemoveTaskRequest{TaskId: fxQuestTaskPubA}},
			{conferencesv1connect.QuestServiceListQuestsProcedure, asOwnerA, &conferencesv1.ListQuestsRequest{OrganizationId: fxOrgA,
				Featured: proto.Bool(true), Category: "social", ConferenceId: proto.String(fxOrgA), PageSize: 10}},
			{conferencesv1connect.QuestServiceGetQuestProcedure, asMemberA, &conferencesv1.GetQuestRequest{QuestId: fxQuestPubA}},
			{conferencesv1connect.QuestServiceJoinQuestProcedure, asMemberA, &conferencesv1.JoinQuestRequest{QuestId: fxQuestArchivedA}},
			{conferencesv1connect.QuestServiceDecideRegistrationProcedure, asOwnerA, &conferencesv1.DecideRegistrationRequest{QuestId: fxQuestPubA,
				UserId: fxMemberA, Approve: true, Comment: "ok"}},
			{conferencesv1connect.QuestServiceSubmitTaskProcedure, asMemberA, &conferencesv1.SubmitTaskRequest{QuestId: fxQuestPubA,
				TaskId: fxQuestTaskPubA, Answer: code}},
			{conferencesv1connect.QuestServiceListReviewQueueProcedure, asOwnerA, &conferencesv1.ListReviewQueueRequest{OrganizationId: fxOrgA,
				QuestId: proto.String(fxQuestPubA), OverdueOnly: true, PageSize: 10}},
			{conferencesv1connect.QuestServiceReviewTaskProcedure, asOwnerA, &conferencesv1.ReviewTaskRequest{QuestId: fxQuestPubA,
				UserId: fxMemberA, TaskId: fxQuestTaskPubA, Approve: true, Comment: "ok"}},
			{conferencesv1connect.QuestServiceGetMyProgressProcedure, asMemberA, &conferencesv1.GetMyProgressRequest{QuestId: fxQuestPubA}},
			{conferencesv1connect.QuestServiceGetLeaderboardProcedure, asMemberA, &conferencesv1.GetLeaderboardRequest{
				Scope: &conferencesv1.GetLeaderboardRequest_QuestId{QuestId: fxQuestPubA}, Window: conferencesv1.QuestLeaderboardWindow_QUEST_LEADERBOARD_WINDOW_MONTH,
				Limit: 5}},
		},
	})
}

// buildQuestsTopic gives A a draft quest with a url_visit task, a
// published quest with a secret_code task and an archived quest, through
// the API.
func buildQuestsTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	ctx := context.Background()
	create := func() string {
		resp, err := f.a.Quests.CreateQuest(ctx, testenv.As(f.ownerA, func() *conferencesv1.CreateQuestRequest {
			r := matrixQuestSettings()
			r.OrganizationId = f.orgA
			return r
		}()))
		require.NoError(t, err)
		return resp.Msg.GetQuest().GetId()
	}
	addTask := func(questID string, req *conferencesv1.AddTaskRequest) string {
		req.QuestId = questID
		resp, err := f.a.Quests.AddTask(ctx, testenv.As(f.ownerA, req))
		require.NoError(t, err)
		return resp.Msg.GetTask().GetId()
	}
	draft, published, archived := create(), create(), create()
	draftTask := addTask(draft, &conferencesv1.AddTaskRequest{Kind: conferencesv1.QuestTaskKind_QUEST_TASK_KIND_URL_VISIT, Title: "Visit",
		Config: matrixQuestConfig()})
	pubTask := addTask(published, &conferencesv1.AddTaskRequest{Kind: conferencesv1.QuestTaskKind_QUEST_TASK_KIND_SECRET_CODE, Title: "Code",
		Code: "BOOTH-7"})
	addTask(archived, &conferencesv1.AddTaskRequest{Kind: conferencesv1.QuestTaskKind_QUEST_TASK_KIND_SECRET_CODE, Title: "Code", Code: "X"})
	for _, id := range []string{published, archived} {
		_, err := f.a.Quests.PublishQuest(ctx, testenv.As(f.ownerA, &conferencesv1.PublishQuestRequest{QuestId: id}))
		require.NoError(t, err)
	}
	_, err := f.a.Quests.ArchiveQuest(ctx, testenv.As(f.ownerA, &conferencesv1.ArchiveQuestRequest{QuestId: archived}))
	require.NoError(t, err)
	return map[string]string{fxQuestDraftA: draft, fxQuestTaskDraftA: draftTask, fxQuestPubA: published, fxQuestTaskPubA: pubTask,
		fxQuestArchivedA: archived}
}
