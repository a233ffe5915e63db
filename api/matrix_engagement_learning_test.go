package api_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/internal/testenv"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
)

// Placeholders of the learning topic: a draft path of A with a milestone,
// a lesson and a quiz without questions; a published path of A with a
// milestone holding a lesson, and a quiz with its questions.
const (
	fxLearnDraft          = "@learnDraft"
	fxLearnDraftMilestone = "@learnDraftMilestone"
	fxLearnDraftQuiz      = "@learnDraftQuiz"
	fxLearnPath           = "@learnPath"
	fxLearnMilestone      = "@learnMilestone"
	fxLearnLesson         = "@learnLesson"
	fxLearnQuiz           = "@learnQuiz"
)

var (
	lessonKind = engagementv1.LearningModuleKind_LEARNING_MODULE_KIND_LESSON
	quizKind   = engagementv1.LearningModuleKind_LEARNING_MODULE_KIND_QUIZ
)

// learnQuestions is a valid quiz.
func learnQuestions() []*engagementv1.LearningQuizQuestionInput {
	return []*engagementv1.LearningQuizQuestionInput{{Prompt: "Which?", Options: []string{"a", "b"}, CorrectOption: 1, Points: 1}}
}

func init() {
	matrixTopics = append(matrixTopics, matrixTopic{name: "learning", build: buildLearningTopic,
		tenant: []tenantCase{
			{engagementv1connect.LearningServiceCreatePathProcedure, hidden, &engagementv1.CreatePathRequest{OrganizationId: fxOrgA, Title: "Hijack"}},
			{engagementv1connect.LearningServicePublishPathProcedure, notFound, &engagementv1.PublishPathRequest{PathId: fxLearnDraft}},
			{engagementv1connect.LearningServiceArchivePathProcedure, notFound, &engagementv1.ArchivePathRequest{PathId: fxLearnPath}},
			{engagementv1connect.LearningServiceUpsertModuleProcedure, notFound, &engagementv1.UpsertModuleRequest{PathId: fxLearnDraft, Position: 9, Title: "x", Kind: lessonKind}},
			{engagementv1connect.LearningServiceSetQuizProcedure, notFound, &engagementv1.SetQuizRequest{ModuleId: fxLearnDraftQuiz, Questions: learnQuestions()}},
			{engagementv1connect.LearningServiceListPathsProcedure, hidden, &engagementv1.ListPathsRequest{OrganizationId: fxOrgA}},
			{engagementv1connect.LearningServiceEnrollProcedure, notFound, &engagementv1.EnrollRequest{PathId: fxLearnPath}},
			{engagementv1connect.LearningServiceGetModuleProcedure, notFound, &engagementv1.GetModuleRequest{ModuleId: fxLearnQuiz}},
			{engagementv1connect.LearningServiceSubmitQuizProcedure, notFound, &engagementv1.SubmitQuizRequest{ModuleId: fxLearnQuiz, Answers: []int32{1}}},
			{engagementv1connect.LearningServiceCompleteModuleProcedure, notFound, &engagementv1.CompleteModuleRequest{ModuleId: fxLearnLesson}},
			{engagementv1connect.LearningServiceCompleteMilestoneProcedure, notFound, &engagementv1.CompleteMilestoneRequest{MilestoneId: fxLearnMilestone}},
			{engagementv1connect.LearningServiceListMyProgressProcedure, hidden, &engagementv1.ListMyProgressRequest{OrganizationId: fxOrgA}},
		},
		input: []inputCase{
			{engagementv1connect.LearningServiceCreatePathProcedure, asOwnerA, &engagementv1.CreatePathRequest{OrganizationId: fxOrgA, Title: "T", Description: "d", PointsReward: 5, MilestoneTitles: []string{"m"}}},
			{engagementv1connect.LearningServicePublishPathProcedure, asOwnerA, &engagementv1.PublishPathRequest{PathId: fxLearnDraft}},
			{engagementv1connect.LearningServiceArchivePathProcedure, asOwnerA, &engagementv1.ArchivePathRequest{PathId: fxLearnPath}},
			{engagementv1connect.LearningServiceUpsertModuleProcedure, asOwnerA, &engagementv1.UpsertModuleRequest{PathId: fxLearnDraft, ModuleId: proto.String(fxLearnDraftQuiz), MilestoneId: proto.String(fxLearnDraftMilestone), Position: 1, Title: "Q", Body: "b", Kind: quizKind, PointsReward: 5, PassingScore: 50}},
			{engagementv1connect.LearningServiceSetQuizProcedure, asOwnerA, &engagementv1.SetQuizRequest{ModuleId: fxLearnDraftQuiz, Questions: learnQuestions()}},
			{engagementv1connect.LearningServiceListPathsProcedure, asMemberA, &engagementv1.ListPathsRequest{OrganizationId: fxOrgA, PageSize: 10}},
			{engagementv1connect.LearningServiceEnrollProcedure, asMemberA, &engagementv1.EnrollRequest{PathId: fxLearnPath}},
			{engagementv1connect.LearningServiceGetModuleProcedure, asMemberA, &engagementv1.GetModuleRequest{ModuleId: fxLearnQuiz}},
			{engagementv1connect.LearningServiceSubmitQuizProcedure, asMemberA, &engagementv1.SubmitQuizRequest{ModuleId: fxLearnQuiz, Answers: []int32{1}}},
			{engagementv1connect.LearningServiceCompleteModuleProcedure, asMemberA, &engagementv1.CompleteModuleRequest{ModuleId: fxLearnLesson}},
			{engagementv1connect.LearningServiceCompleteMilestoneProcedure, asMemberA, &engagementv1.CompleteMilestoneRequest{MilestoneId: fxLearnMilestone}},
			{engagementv1connect.LearningServiceListMyProgressProcedure, asMemberA, &engagementv1.ListMyProgressRequest{OrganizationId: fxOrgA, PageSize: 10}},
		},
	})
}

// buildLearningTopic creates A's learning paths through the API, as A's
// owner.
func buildLearningTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	ctx, l := context.Background(), f.a.Learning
	newPath := func(title string) *engagementv1.LearningPath {
		resp, err := l.CreatePath(ctx, testenv.As(f.ownerA, &engagementv1.CreatePathRequest{OrganizationId: f.orgA,
			Title: title, PointsReward: 10, MilestoneTitles: []string{"Basics"}}))
		require.NoError(t, err)
		return resp.Msg.GetPath()
	}
	module := func(req *engagementv1.UpsertModuleRequest) string {
		resp, err := l.UpsertModule(ctx, testenv.As(f.ownerA, req))
		require.NoError(t, err)
		return resp.Msg.GetModule().GetId()
	}
	draft, path := newPath("Draft path"), newPath("Published path")
	module(&engagementv1.UpsertModuleRequest{PathId: draft.GetId(), Position: 0, Title: "Lesson", Kind: lessonKind})
	draftQuiz := module(&engagementv1.UpsertModuleRequest{PathId: draft.GetId(), Position: 1, Title: "Quiz", Kind: quizKind})
	lesson := module(&engagementv1.UpsertModuleRequest{PathId: path.GetId(), MilestoneId: proto.String(path.GetMilestones()[0].GetId()),
		Position: 0, Title: "Lesson", Kind: lessonKind, PointsReward: 5})
	quiz := module(&engagementv1.UpsertModuleRequest{PathId: path.GetId(), Position: 1, Title: "Quiz", Kind: quizKind,
		PointsReward: 5, PassingScore: 100, PrerequisiteIds: []string{lesson}})
	_, err := l.SetQuiz(ctx, testenv.As(f.ownerA, &engagementv1.SetQuizRequest{ModuleId: quiz, Questions: learnQuestions()}))
	require.NoError(t, err)
	_, err = l.PublishPath(ctx, testenv.As(f.ownerA, &engagementv1.PublishPathRequest{PathId: path.GetId()}))
	require.NoError(t, err)
	return map[string]string{fxLearnDraft: draft.GetId(), fxLearnDraftMilestone: draft.GetMilestones()[0].GetId(),
		fxLearnDraftQuiz: draftQuiz, fxLearnPath: path.GetId(), fxLearnMilestone: path.GetMilestones()[0].GetId(),
		fxLearnLesson: lesson, fxLearnQuiz: quiz}
}
