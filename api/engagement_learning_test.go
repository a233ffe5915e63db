package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/internal/testenv"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// learningWorld is an organization with an owner and a member, and a
// second organization whose owner is the outsider.
type learningWorld struct {
	a                   *testenv.API
	owner, member, outB testenv.Session
	org, orgB           string
}

func setupLearning(t *testing.T) *learningWorld {
	t.Helper()
	a := setup(t)
	w := &learningWorld{a: a, owner: a.NewUser(t, newPhone()), member: a.NewUser(t, newPhone()), outB: a.NewUser(t, newPhone())}
	w.org = createOrg(t, a, w.owner, "learn-"+uuid.NewString()[:8]).GetId()
	w.orgB = createOrg(t, a, w.outB, "learn-b-"+uuid.NewString()[:8]).GetId()
	addAndAccept(t, a, w.owner, w.org, w.member, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	return w
}

// path creates a draft path of w.org worth points, with milestones.
func (w *learningWorld) path(t *testing.T, points int32, milestones ...string) *engagementv1.LearningPath {
	t.Helper()
	resp, err := w.a.Learning.CreatePath(context.Background(), testenv.As(w.owner, &engagementv1.CreatePathRequest{
		OrganizationId: w.org, Title: "Onboarding", Description: "d", PointsReward: points, MilestoneTitles: milestones}))
	require.NoError(t, err)
	return resp.Msg.GetPath()
}

// module adds a module to a draft path.
func (w *learningWorld) module(t *testing.T, req *engagementv1.UpsertModuleRequest) *engagementv1.LearningModule {
	t.Helper()
	if req.Title == "" {
		req.Title = "Module"
	}
	resp, err := w.a.Learning.UpsertModule(context.Background(), testenv.As(w.owner, req))
	require.NoError(t, err)
	return resp.Msg.GetModule()
}

// quiz adds a quiz worth points (pass at 100) at position whose answers
// are 1 then 0.
func (w *learningWorld) quiz(t *testing.T, pathID string, position, points int32) *engagementv1.LearningModule {
	t.Helper()
	m := w.module(t, &engagementv1.UpsertModuleRequest{PathId: pathID, Position: position, Title: "Quiz", Body: "Answer",
		Kind: engagementv1.LearningModuleKind_LEARNING_MODULE_KIND_QUIZ, PointsReward: points, PassingScore: 100})
	_, err := w.a.Learning.SetQuiz(context.Background(), testenv.As(w.owner, &engagementv1.SetQuizRequest{ModuleId: m.GetId(),
		Questions: []*engagementv1.LearningQuizQuestionInput{
			{Prompt: "Which is second?", Options: []string{"first", "second"}, CorrectOption: 1, Points: 1},
			{Prompt: "Which is first?", Options: []string{"first", "second", "third"}, CorrectOption: 0, Points: 1},
		}}))
	require.NoError(t, err)
	return m
}

func (w *learningWorld) lesson(t *testing.T, pathID string, position, points int32, prerequisites ...string) *engagementv1.LearningModule {
	t.Helper()
	return w.module(t, &engagementv1.UpsertModuleRequest{PathId: pathID, Position: position, Body: "Read me",
		Kind: engagementv1.LearningModuleKind_LEARNING_MODULE_KIND_LESSON, PointsReward: points, PrerequisiteIds: prerequisites})
}

// publishAndEnroll publishes the path and enrolls w.member.
func (w *learningWorld) publishAndEnroll(t *testing.T, pathID string) {
	t.Helper()
	ctx := context.Background()
	_, err := w.a.Learning.PublishPath(ctx, testenv.As(w.owner, &engagementv1.PublishPathRequest{PathId: pathID}))
	require.NoError(t, err)
	_, err = w.a.Learning.Enroll(ctx, testenv.As(w.member, &engagementv1.EnrollRequest{PathId: pathID}))
	require.NoError(t, err)
}

func (w *learningWorld) submit(answers ...int32) func(moduleID string) (*engagementv1.SubmitQuizResponse, error) {
	return func(moduleID string) (*engagementv1.SubmitQuizResponse, error) {
		resp, err := w.a.Learning.SubmitQuiz(context.Background(), testenv.As(w.member,
			&engagementv1.SubmitQuizRequest{ModuleId: moduleID, Answers: answers}))
		if err != nil {
			return nil, err
		}
		return resp.Msg, nil
	}
}

func (w *learningWorld) completeLesson(t *testing.T, moduleID string) (*engagementv1.CompleteModuleResponse, error) {
	t.Helper()
	resp, err := w.a.Learning.CompleteModule(context.Background(), testenv.As(w.member, &engagementv1.CompleteModuleRequest{ModuleId: moduleID}))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

// count runs a COUNT(*) query.
func (w *learningWorld) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, w.a.DB.NewRaw(query, args...).Scan(context.Background(), &n))
	return n
}

func (w *learningWorld) totalPoints(t *testing.T) int {
	t.Helper()
	var n int
	err := w.a.DB.NewRaw("SELECT coalesce(sum(total_points), 0) FROM user_points WHERE organization_id = ? AND user_id = ?",
		w.org, w.member.UserID).Scan(context.Background(), &n)
	require.NoError(t, err)
	return n
}

func TestLearning_GetModuleJSONHasNoAnswers(t *testing.T) {
	w := setupLearning(t)
	p := w.path(t, 0)
	q := w.quiz(t, p.GetId(), 0, 10)
	w.publishAndEnroll(t, p.GetId())

	body, err := json.Marshal(map[string]string{"moduleId": q.GetId()})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, w.a.URL+engagementv1connect.LearningServiceGetModuleProcedure, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.member.AccessToken)
	resp, err := w.a.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var got struct {
		Module    map[string]any   `json:"module"`
		Questions []map[string]any `json:"questions"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	require.Len(t, got.Questions, 2)
	assert.Equal(t, "Which is second?", got.Questions[0]["prompt"])
	for _, question := range got.Questions {
		for key := range question {
			assert.Contains(t, []string{"id", "position", "prompt", "options", "points"}, key, "a question carries %q", key)
		}
	}
}

func TestLearning_TwoConcurrentPassesCompleteOnce(t *testing.T) {
	w := setupLearning(t)
	p := w.path(t, 100)
	q := w.quiz(t, p.GetId(), 0, 30)
	w.publishAndEnroll(t, p.GetId())

	var wg sync.WaitGroup
	results := make([]*engagementv1.SubmitQuizResponse, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { results[i], errs[i] = w.submit(1, 0)(q.GetId()) })
	}
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	assert.True(t, results[0].GetPassed() && results[1].GetPassed())
	assert.NotEqual(t, results[0].GetCompleted(), results[1].GetCompleted(), "exactly one submission completes the module")

	assert.Equal(t, 1, w.count(t, "SELECT count(*) FROM module_completions WHERE module_id = ?", q.GetId()))
	assert.Equal(t, 2, w.count(t, "SELECT count(*) FROM quiz_attempts WHERE module_id = ?", q.GetId()))
	assert.Equal(t, 1, w.count(t, "SELECT count(*) FROM points_ledger WHERE idempotency_key = ?", "module:"+q.GetId()+":"+w.member.UserID))
	assert.Equal(t, 1, w.count(t, "SELECT count(*) FROM points_ledger WHERE idempotency_key = ?", "path:"+p.GetId()+":"+w.member.UserID))
	assert.Equal(t, 130, w.totalPoints(t))
	for _, ev := range []string{"module.completed", "quiz.passed", "path.completed"} {
		assert.Equal(t, 1, w.count(t, "SELECT count(*) FROM domain_events WHERE type = ? AND subject_user_id = ?", ev, w.member.UserID), ev)
	}
}

func TestLearning_FailedQuizGivesNothing(t *testing.T) {
	w := setupLearning(t)
	p := w.path(t, 100)
	q := w.quiz(t, p.GetId(), 0, 30)
	w.publishAndEnroll(t, p.GetId())

	got, err := w.submit(1, 1)(q.GetId())
	require.NoError(t, err)
	assert.Equal(t, int32(50), got.GetScore())
	assert.False(t, got.GetPassed())
	assert.False(t, got.GetCompleted())
	assert.Equal(t, int32(0), got.GetProgress().GetProgress())
	assert.Equal(t, engagementv1.LearningProgressStatus_LEARNING_PROGRESS_STATUS_ENROLLED, got.GetProgress().GetStatus())
	assert.Equal(t, 0, w.count(t, "SELECT count(*) FROM module_completions WHERE module_id = ?", q.GetId()))
	assert.Equal(t, 0, w.count(t, "SELECT count(*) FROM points_ledger WHERE user_id = ?", w.member.UserID))
	assert.Equal(t, 0, w.count(t, "SELECT count(*) FROM domain_events WHERE subject_user_id = ?", w.member.UserID))
	assert.Equal(t, 1, w.count(t, "SELECT count(*) FROM quiz_attempts WHERE module_id = ? AND NOT passed", q.GetId()))

	_, err = w.submit(1)(q.GetId())
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	assert.Equal(t, 1, w.count(t, "SELECT count(*) FROM quiz_attempts WHERE module_id = ?", q.GetId()), "a refused submission is not recorded")
}

func TestLearning_PrerequisitesAndEnrollmentEnforced(t *testing.T) {
	w := setupLearning(t)
	ctx := context.Background()
	p := w.path(t, 0)
	first := w.lesson(t, p.GetId(), 0, 5)
	second := w.lesson(t, p.GetId(), 1, 5, first.GetId())

	_, err := w.a.Learning.UpsertModule(ctx, testenv.As(w.owner, &engagementv1.UpsertModuleRequest{PathId: p.GetId(),
		ModuleId: proto.String(first.GetId()), Position: 0, Title: "First",
		Kind: engagementv1.LearningModuleKind_LEARNING_MODULE_KIND_LESSON, PrerequisiteIds: []string{second.GetId()}}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	assert.Contains(t, err.Error(), "prerequisite_ids")
	_, err = w.a.Learning.UpsertModule(ctx, testenv.As(w.owner, &engagementv1.UpsertModuleRequest{PathId: p.GetId(),
		ModuleId: proto.String(first.GetId()), Position: 5, Title: "First",
		Kind: engagementv1.LearningModuleKind_LEARNING_MODULE_KIND_LESSON}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	_, err = w.a.Learning.PublishPath(ctx, testenv.As(w.owner, &engagementv1.PublishPathRequest{PathId: p.GetId()}))
	require.NoError(t, err)

	_, err = w.completeLesson(t, first.GetId())
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	_, err = w.a.Learning.Enroll(ctx, testenv.As(w.member, &engagementv1.EnrollRequest{PathId: p.GetId()}))
	require.NoError(t, err)
	_, err = w.completeLesson(t, second.GetId())
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Equal(t, 0, w.count(t, "SELECT count(*) FROM module_completions WHERE user_id = ?", w.member.UserID))

	got, err := w.completeLesson(t, first.GetId())
	require.NoError(t, err)
	assert.True(t, got.GetCompleted())
	got, err = w.completeLesson(t, second.GetId())
	require.NoError(t, err)
	assert.True(t, got.GetCompleted())
	assert.Equal(t, int32(100), got.GetProgress().GetProgress())
}

func TestLearning_ProgressWithoutMilestones(t *testing.T) {
	w := setupLearning(t)
	p := w.path(t, 50)
	var lessons []string
	for i := range 4 {
		lessons = append(lessons, w.lesson(t, p.GetId(), int32(i), 10).GetId())
	}
	w.publishAndEnroll(t, p.GetId())
	for i, want := range []int32{25, 50, 75, 100} {
		got, err := w.completeLesson(t, lessons[i])
		require.NoError(t, err)
		assert.Equal(t, want, got.GetProgress().GetProgress())
	}
	again, err := w.completeLesson(t, lessons[3])
	require.NoError(t, err)
	assert.False(t, again.GetCompleted())
	assert.Equal(t, engagementv1.LearningProgressStatus_LEARNING_PROGRESS_STATUS_COMPLETED, again.GetProgress().GetStatus())
	assert.NotNil(t, again.GetProgress().GetCompletedAt())
	assert.Equal(t, 90, w.totalPoints(t), "40 for the lessons and 50 for the path, once")
	assert.Equal(t, 1, w.count(t, "SELECT count(*) FROM domain_events WHERE type = 'path.completed' AND subject_user_id = ?", w.member.UserID))
}

func TestLearning_ProgressWithMilestones(t *testing.T) {
	w := setupLearning(t)
	ctx := context.Background()
	p := w.path(t, 20, "Basics", "Advanced")
	basics, advanced := p.GetMilestones()[0].GetId(), p.GetMilestones()[1].GetId()
	m1 := w.module(t, &engagementv1.UpsertModuleRequest{PathId: p.GetId(), MilestoneId: proto.String(basics), Position: 0,
		Kind: engagementv1.LearningModuleKind_LEARNING_MODULE_KIND_LESSON})
	m2 := w.module(t, &engagementv1.UpsertModuleRequest{PathId: p.GetId(), MilestoneId: proto.String(advanced), Position: 1,
		Kind: engagementv1.LearningModuleKind_LEARNING_MODULE_KIND_LESSON})
	w.publishAndEnroll(t, p.GetId())
	milestone := func(id string) (*engagementv1.CompleteMilestoneResponse, error) {
		resp, err := w.a.Learning.CompleteMilestone(ctx, testenv.As(w.member, &engagementv1.CompleteMilestoneRequest{MilestoneId: id}))
		if err != nil {
			return nil, err
		}
		return resp.Msg, nil
	}

	_, err := milestone(basics)
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	got, err := w.completeLesson(t, m1.GetId())
	require.NoError(t, err)
	assert.Equal(t, int32(25), got.GetProgress().GetProgress())
	ms, err := milestone(basics)
	require.NoError(t, err)
	assert.Equal(t, int32(50), ms.GetProgress().GetProgress())
	got, err = w.completeLesson(t, m2.GetId())
	require.NoError(t, err)
	assert.Equal(t, int32(75), got.GetProgress().GetProgress())
	assert.Equal(t, engagementv1.LearningProgressStatus_LEARNING_PROGRESS_STATUS_IN_PROGRESS, got.GetProgress().GetStatus())
	assert.Equal(t, 0, w.totalPoints(t), "the path pays on completion")
	ms, err = milestone(advanced)
	require.NoError(t, err)
	assert.Equal(t, int32(100), ms.GetProgress().GetProgress())
	assert.Equal(t, engagementv1.LearningProgressStatus_LEARNING_PROGRESS_STATUS_COMPLETED, ms.GetProgress().GetStatus())
	assert.Equal(t, 20, w.totalPoints(t))

	list, err := w.a.Learning.ListMyProgress(ctx, testenv.As(w.member, &engagementv1.ListMyProgressRequest{OrganizationId: w.org}))
	require.NoError(t, err)
	require.Len(t, list.Msg.GetProgress(), 1)
	assert.ElementsMatch(t, []string{basics, advanced}, list.Msg.GetProgress()[0].GetCompletedMilestoneIds())
	assert.ElementsMatch(t, []string{m1.GetId(), m2.GetId()}, list.Msg.GetProgress()[0].GetCompletedModuleIds())
}

func TestLearning_CrossOrganizationAndRoles(t *testing.T) {
	w := setupLearning(t)
	ctx := context.Background()
	draft := w.path(t, 0)
	draftLesson := w.lesson(t, draft.GetId(), 0, 0)
	p := w.path(t, 0)
	lesson := w.lesson(t, p.GetId(), 0, 0)
	w.publishAndEnroll(t, p.GetId())

	_, err := w.a.Learning.GetModule(ctx, testenv.As(w.outB, &engagementv1.GetModuleRequest{ModuleId: lesson.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = w.a.Learning.Enroll(ctx, testenv.As(w.outB, &engagementv1.EnrollRequest{PathId: p.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = w.a.Learning.ArchivePath(ctx, testenv.As(w.outB, &engagementv1.ArchivePathRequest{PathId: p.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = w.a.Learning.ListPaths(ctx, testenv.As(w.outB, &engagementv1.ListPathsRequest{OrganizationId: w.org}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Learning.CreatePath(ctx, testenv.As(w.outB, &engagementv1.CreatePathRequest{OrganizationId: w.org, Title: "x"}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	_, err = w.a.Learning.CreatePath(ctx, testenv.As(w.member, &engagementv1.CreatePathRequest{OrganizationId: w.org, Title: "x"}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Learning.ArchivePath(ctx, testenv.As(w.member, &engagementv1.ArchivePathRequest{PathId: p.GetId()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Learning.GetModule(ctx, testenv.As(w.member, &engagementv1.GetModuleRequest{ModuleId: draftLesson.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	list, err := w.a.Learning.ListPaths(ctx, testenv.As(w.member, &engagementv1.ListPathsRequest{OrganizationId: w.org}))
	require.NoError(t, err)
	require.Len(t, list.Msg.GetPaths(), 1, "members see published paths only")
	assert.Equal(t, p.GetId(), list.Msg.GetPaths()[0].GetId())
	all, err := w.a.Learning.ListPaths(ctx, testenv.As(w.owner, &engagementv1.ListPathsRequest{OrganizationId: w.org, PageSize: 1}))
	require.NoError(t, err)
	require.Len(t, all.Msg.GetPaths(), 1)
	next, err := w.a.Learning.ListPaths(ctx, testenv.As(w.owner, &engagementv1.ListPathsRequest{OrganizationId: w.org,
		PageSize: 1, PageToken: all.Msg.GetNextPageToken()}))
	require.NoError(t, err)
	require.Len(t, next.Msg.GetPaths(), 1)
	assert.ElementsMatch(t, []string{draft.GetId(), p.GetId()}, []string{all.Msg.GetPaths()[0].GetId(), next.Msg.GetPaths()[0].GetId()})

	otherLesson := w.lesson(t, draft.GetId(), 1, 0)
	_, err = w.a.Learning.UpsertModule(ctx, testenv.As(w.owner, &engagementv1.UpsertModuleRequest{PathId: p.GetId(),
		ModuleId: proto.String(otherLesson.GetId()), Title: "moved", Position: 3,
		Kind: engagementv1.LearningModuleKind_LEARNING_MODULE_KIND_LESSON}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
}
