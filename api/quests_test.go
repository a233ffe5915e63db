package api_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/questcheck"
	"github.com/convene/convene/internal/testenv"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
)

// questWorld is an organization whose owner writes quests, and a second
// organization whose owner plays the outsider.
type questWorld struct {
	a        *testenv.API
	owner    testenv.Session
	org      string
	outsider testenv.Session
}

func newQuestWorld(t *testing.T, opts ...testenv.APIOption) *questWorld {
	t.Helper()
	a := setup(t, opts...)
	w := &questWorld{a: a, owner: a.NewUser(t, newPhone()), outsider: a.NewUser(t, newPhone())}
	w.org = createOrg(t, a, w.owner, "quests-"+uuid.NewString()[:8]).GetId()
	createOrg(t, a, w.outsider, "quests-out-"+uuid.NewString()[:8])
	return w
}

// member adds a member with role to the organization.
func (w *questWorld) member(t *testing.T, role string) testenv.Session {
	t.Helper()
	s := w.a.NewUser(t, newPhone())
	require.NoError(t, db.InsertMember(context.Background(), w.a.DB, &db.Member{ID: db.NewID(), OrganizationID: mustUUID(w.org),
		UserID: mustUUID(s.UserID), Role: role}))
	return s
}

// quest creates a draft open from an hour ago for a week, adjusted by
// edit.
func (w *questWorld) quest(t *testing.T, edit func(*conferencesv1.CreateQuestRequest)) *conferencesv1.Quest {
	t.Helper()
	now := time.Now()
	req := &conferencesv1.CreateQuestRequest{OrganizationId: w.org, Title: "Booth crawl", Points: 50,
		StartsAt: timestamppb.New(now.Add(-time.Hour)), EndsAt: timestamppb.New(now.Add(7 * 24 * time.Hour))}
	if edit != nil {
		edit(req)
	}
	resp, err := w.a.Quests.CreateQuest(context.Background(), testenv.As(w.owner, req))
	require.NoError(t, err)
	return resp.Msg.GetQuest()
}

// task adds a task of kind with config (and code) to a draft.
func (w *questWorld) task(t *testing.T, questID string, kind conferencesv1.QuestTaskKind, config map[string]any, code string) *conferencesv1.AddTaskResponse {
	t.Helper()
	cfg, err := structpb.NewStruct(config)
	require.NoError(t, err)
	resp, err := w.a.Quests.AddTask(context.Background(), testenv.As(w.owner, &conferencesv1.AddTaskRequest{QuestId: questID,
		Kind: kind, Title: kind.String(), Required: true, Config: cfg, Code: code}))
	require.NoError(t, err)
	return resp.Msg
}

func (w *questWorld) publish(t *testing.T, questID string) {
	t.Helper()
	_, err := w.a.Quests.PublishQuest(context.Background(), testenv.As(w.owner, &conferencesv1.PublishQuestRequest{QuestId: questID}))
	require.NoError(t, err)
}

// codeQuest is a published quest of one secret_code task ("BOOTH-7").
func (w *questWorld) codeQuest(t *testing.T, edit func(*conferencesv1.CreateQuestRequest)) (quest, task string) {
	t.Helper()
	q := w.quest(t, edit)
	tk := w.task(t, q.GetId(), conferencesv1.QuestTaskKind_QUEST_TASK_KIND_SECRET_CODE, map[string]any{}, "BOOTH-7")
	w.publish(t, q.GetId())
	return q.GetId(), tk.GetTask().GetId()
}

func (w *questWorld) join(t *testing.T, s testenv.Session, questID string) *conferencesv1.QuestRun {
	t.Helper()
	resp, err := w.a.Quests.JoinQuest(context.Background(), testenv.As(s, &conferencesv1.JoinQuestRequest{QuestId: questID}))
	require.NoError(t, err)
	return resp.Msg.GetRun()
}

func (w *questWorld) submitCode(s testenv.Session, questID, taskID, code string) (*connect.Response[conferencesv1.SubmitTaskResponse], error) {
	return w.a.Quests.SubmitTask(context.Background(), testenv.As(s, &conferencesv1.SubmitTaskRequest{QuestId: questID, TaskId: taskID,
		Answer: &conferencesv1.SubmitTaskRequest_Code{Code: code}}))
}

// questLedgerRows counts the quest's ledger entries of userID.
func questLedgerRows(t *testing.T, a *testenv.API, questID, userID string) int {
	t.Helper()
	n, err := a.DB.NewSelect().Model((*db.LedgerEntry)(nil)).
		Where("user_id = ? AND type = ? AND reference_type = 'quest' AND reference_id = ?", mustUUID(userID), enums.LedgerQuest, questID).
		Count(context.Background())
	require.NoError(t, err)
	return int(n)
}

func TestQuestAuthoring_TasksChangeOnlyInDraftAndAnswersNeverLeave(t *testing.T) {
	w := newQuestWorld(t)
	ctx := context.Background()
	member := w.member(t, db.RoleMember)
	q := w.quest(t, nil)
	quiz := w.task(t, q.GetId(), conferencesv1.QuestTaskKind_QUEST_TASK_KIND_QUIZ, map[string]any{"questions": []any{
		map[string]any{"prompt": "Which hall?", "options": []any{"A", "B"}, "answer": 1}}}, "")
	w.task(t, q.GetId(), conferencesv1.QuestTaskKind_QUEST_TASK_KIND_SECRET_CODE, map[string]any{}, "booth-7")
	check := w.task(t, q.GetId(), conferencesv1.QuestTaskKind_QUEST_TASK_KIND_API_CHECK, map[string]any{"url": "https://checks.example.com/q"}, "")
	secret, err := hex.DecodeString(check.GetSecret())
	require.NoError(t, err)
	assert.Len(t, secret, 32, "the api_check secret is shown once, as 32 bytes of hex")
	assert.Empty(t, quiz.GetSecret())

	_, err = w.a.Quests.GetQuest(ctx, testenv.As(member, &conferencesv1.GetQuestRequest{QuestId: q.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	w.publish(t, q.GetId())
	cfg, _ := structpb.NewStruct(map[string]any{})
	_, err = w.a.Quests.AddTask(ctx, testenv.As(w.owner, &conferencesv1.AddTaskRequest{QuestId: q.GetId(),
		Kind: conferencesv1.QuestTaskKind_QUEST_TASK_KIND_MANUAL_PROOF, Title: "Photo", Config: cfg}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	_, err = w.a.Quests.RemoveTask(ctx, testenv.As(w.owner, &conferencesv1.RemoveTaskRequest{TaskId: quiz.GetTask().GetId()}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)

	got, err := w.a.Quests.GetQuest(ctx, testenv.As(member, &conferencesv1.GetQuestRequest{QuestId: q.GetId()}))
	require.NoError(t, err)
	tasks := got.Msg.GetQuest().GetTasks()
	require.Len(t, tasks, 3)
	shown, err := json.Marshal(got.Msg.GetQuest())
	require.NoError(t, err)
	assert.NotContains(t, string(shown), "answer")
	assert.NotContains(t, string(shown), "BOOTH-7")
	assert.NotContains(t, string(shown), check.GetSecret())
	question := tasks[0].GetConfig().GetFields()["questions"].GetListValue().GetValues()[0].GetStructValue()
	assert.Equal(t, "Which hall?", question.GetFields()["prompt"].GetStringValue())

	var stored db.QuestTask
	require.NoError(t, w.a.DB.NewSelect().Model(&stored).Where("id = ?", mustUUID(tasks[1].GetId())).Scan(ctx))
	assert.Equal(t, questcheck.HashCode("BOOTH-7"), *stored.CodeHash, "the code is kept as the hash of its normalized form")

	_, err = w.a.Quests.GetQuest(ctx, testenv.As(w.outsider, &conferencesv1.GetQuestRequest{QuestId: q.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
}

func TestQuestAuthoring_RefusesBadSettingsNamingTheField(t *testing.T) {
	w := newQuestWorld(t)
	ctx := context.Background()
	now := time.Now()
	_, err := w.a.Quests.CreateQuest(ctx, testenv.As(w.owner, &conferencesv1.CreateQuestRequest{OrganizationId: w.org, Title: "Backwards",
		StartsAt: timestamppb.New(now), EndsAt: timestamppb.New(now.Add(-time.Hour))}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	assert.Contains(t, err.Error(), "ends_at")
	_, err = w.a.Quests.CreateQuest(ctx, testenv.As(w.owner, &conferencesv1.CreateQuestRequest{OrganizationId: w.org, Title: "Elsewhere",
		ConferenceId: proto.String(uuid.NewString()), StartsAt: timestamppb.New(now), EndsAt: timestamppb.New(now.Add(time.Hour))}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	q := w.quest(t, nil)
	cfg, _ := structpb.NewStruct(map[string]any{"url": "http://plain.example.com"})
	_, err = w.a.Quests.AddTask(ctx, testenv.As(w.owner, &conferencesv1.AddTaskRequest{QuestId: q.GetId(),
		Kind: conferencesv1.QuestTaskKind_QUEST_TASK_KIND_URL_VISIT, Title: "Visit", Config: cfg}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	assert.Contains(t, err.Error(), "config.url")
	_, err = w.a.Quests.AddTask(ctx, testenv.As(w.owner, &conferencesv1.AddTaskRequest{QuestId: q.GetId(),
		Kind: conferencesv1.QuestTaskKind_QUEST_TASK_KIND_SECRET_CODE, Title: "Code"}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	assert.Contains(t, err.Error(), "code")
	_, err = w.a.Quests.PublishQuest(ctx, testenv.As(w.owner, &conferencesv1.PublishQuestRequest{QuestId: q.GetId()}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)

	_, err = w.a.Quests.CreateQuest(ctx, testenv.As(w.outsider, &conferencesv1.CreateQuestRequest{OrganizationId: w.org, Title: "Foreign",
		StartsAt: timestamppb.New(now), EndsAt: timestamppb.New(now.Add(time.Hour))}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
}

func TestQuestJoin_HundredMembersForTwentyPlaces(t *testing.T) {
	w := newQuestWorld(t)
	// Under the race detector (-short) the embedded Temporal answers 100
	// simultaneous Update-with-Starts with Unavailable; the same race at a
	// fifth of the size still proves the count.
	n, places := 100, 20
	if testing.Short() {
		n, places = 20, 4
	}
	questID, _ := w.codeQuest(t, func(r *conferencesv1.CreateQuestRequest) { r.MaxParticipants = proto.Int32(int32(places)) })
	members := make([]testenv.Session, n)
	for i := range members {
		members[i] = w.member(t, db.RoleMember)
	}
	codes := make([]connect.Code, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		wg.Go(func() {
			_, err := w.a.Quests.JoinQuest(context.Background(), testenv.As(m, &conferencesv1.JoinQuestRequest{QuestId: questID}))
			codes[i] = connect.CodeOf(err)
			if err == nil {
				codes[i] = codeOK
			}
		})
	}
	wg.Wait()
	counts := map[connect.Code]int{}
	for _, c := range codes {
		counts[c]++
	}
	assert.Equal(t, map[connect.Code]int{codeOK: places, connect.CodeResourceExhausted: n - places}, counts)
	got, err := w.a.Quests.GetQuest(context.Background(), testenv.As(w.owner, &conferencesv1.GetQuestRequest{QuestId: questID}))
	require.NoError(t, err)
	assert.EqualValues(t, places, got.Msg.GetQuest().GetParticipantsCount())
}

func TestQuestJoin_ConferenceQuestNeedsAttendance(t *testing.T) {
	w := newQuestWorld(t)
	ctx := context.Background()
	conf := &db.Conference{ID: db.NewID(), OrganizationID: mustUUID(w.org), Slug: "quest-conf-" + uuid.NewString()[:8], Name: "DevConf",
		Status: enums.ConferencePublished, StartDate: time.Now(), EndDate: time.Now().AddDate(0, 0, 2), Timezone: "UTC", AgendaVersion: 1}
	_, err := w.a.DB.NewInsert().Model(conf).Exec(ctx)
	require.NoError(t, err)
	confID := conf.ID.String()
	questID, _ := w.codeQuest(t, func(r *conferencesv1.CreateQuestRequest) { r.ConferenceId = &confID })
	member := w.member(t, db.RoleMember)

	_, err = w.a.Quests.JoinQuest(ctx, testenv.As(member, &conferencesv1.JoinQuestRequest{QuestId: questID}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Contains(t, err.Error(), "register for DevConf first")

	_, err = db.RegisterAttendee(ctx, w.a.DB, conf.OrganizationID, conf.ID, mustUUID(member.UserID))
	require.NoError(t, err)
	run := w.join(t, member, questID)
	assert.Equal(t, conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_ACTIVE, run.GetStatus())
}

func TestQuestSubmit_SecretCodeSentTenTimesPaysOnce(t *testing.T) {
	w := newQuestWorld(t)
	questID, taskID := w.codeQuest(t, nil)
	member := w.member(t, db.RoleMember)
	w.join(t, member, questID)

	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() { _, errs[i] = w.submitCode(member, questID, taskID, " booth-7 ") })
	}
	wg.Wait()
	completed := 0
	for _, err := range errs {
		if err == nil {
			completed++
		} else {
			testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
		}
	}
	assert.GreaterOrEqual(t, completed, 1, "at least the first submission completes")
	assert.Equal(t, 1, questLedgerRows(t, w.a, questID, member.UserID), "one ledger row for the completion")
	rows, err := w.a.DB.NewSelect().Model((*db.UserQuestTask)(nil)).Where("quest_task_id = ? AND user_id = ?",
		mustUUID(taskID), mustUUID(member.UserID)).Count(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, rows, "one user_quest_tasks row")

	progress, err := w.a.Quests.GetMyProgress(context.Background(), testenv.As(member, &conferencesv1.GetMyProgressRequest{QuestId: questID}))
	require.NoError(t, err)
	assert.Equal(t, conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_COMPLETED, progress.Msg.GetRun().GetStatus())
	assert.EqualValues(t, 50, progress.Msg.GetRun().GetPointsAwarded())
}

func TestQuestSubmit_SignedAPICheckCompletes(t *testing.T) {
	var secret []byte
	var signed sync.Mutex
	checked := 0
	// A TLS test server on loopback: the test configuration allows private
	// addresses for quest checks, and the worker's api_check client trusts
	// this server's certificate.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		signed.Lock()
		defer signed.Unlock()
		if questcheck.VerifySignature(r.Header.Get("Convene-Signature"), secret, body, time.Now(), time.Minute) != nil {
			rw.WriteHeader(http.StatusUnauthorized)
			return
		}
		checked++
		_, _ = rw.Write([]byte(`{"valid":true}`))
	}))
	t.Cleanup(srv.Close)
	w := newQuestWorld(t, testenv.WithQuestCheckTLS(srv.Client().Transport.(*http.Transport).TLSClientConfig))
	q := w.quest(t, nil)
	added := w.task(t, q.GetId(), conferencesv1.QuestTaskKind_QUEST_TASK_KIND_API_CHECK, map[string]any{"url": srv.URL + "/check"}, "")
	signed.Lock()
	var err error
	secret, err = hex.DecodeString(added.GetSecret())
	signed.Unlock()
	require.NoError(t, err)
	w.publish(t, q.GetId())
	member := w.member(t, db.RoleMember)
	w.join(t, member, q.GetId())

	resp, err := w.a.Quests.SubmitTask(context.Background(), testenv.As(member, &conferencesv1.SubmitTaskRequest{QuestId: q.GetId(),
		TaskId: added.GetTask().GetId()}))
	require.NoError(t, err)
	assert.Equal(t, conferencesv1.QuestTaskStatus_QUEST_TASK_STATUS_COMPLETED, resp.Msg.GetTask().GetStatus())
	assert.Equal(t, conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_COMPLETED, resp.Msg.GetRun().GetStatus())
	signed.Lock()
	defer signed.Unlock()
	assert.Equal(t, 1, checked, "the receiver saw one signed request")
	assert.Equal(t, 1, questLedgerRows(t, w.a, q.GetId(), member.UserID))
}

func TestQuestReview_ManualProofThroughTheQueue(t *testing.T) {
	w := newQuestWorld(t)
	ctx := context.Background()
	q := w.quest(t, nil)
	proof := w.task(t, q.GetId(), conferencesv1.QuestTaskKind_QUEST_TASK_KIND_MANUAL_PROOF, map[string]any{}, "")
	w.publish(t, q.GetId())
	approver := w.member(t, db.RoleApprover)
	member := w.member(t, db.RoleMember)
	w.join(t, approver, q.GetId())
	w.join(t, member, q.GetId())

	submit := func(s testenv.Session) {
		resp, err := w.a.Quests.SubmitTask(ctx, testenv.As(s, &conferencesv1.SubmitTaskRequest{QuestId: q.GetId(), TaskId: proof.GetTask().GetId(),
			Answer: &conferencesv1.SubmitTaskRequest_Proof{Proof: "https://photos.example.com/booth.jpg"}}))
		require.NoError(t, err)
		assert.Equal(t, conferencesv1.QuestTaskStatus_QUEST_TASK_STATUS_IN_REVIEW, resp.Msg.GetTask().GetStatus())
	}
	submit(member)
	submit(approver)
	queue, err := w.a.Quests.ListReviewQueue(ctx, testenv.As(approver, &conferencesv1.ListReviewQueueRequest{OrganizationId: w.org}))
	require.NoError(t, err)
	require.Len(t, queue.Msg.GetItems(), 2)
	assert.Equal(t, "https://photos.example.com/booth.jpg", queue.Msg.GetItems()[0].GetSubmission().GetFields()["proof"].GetStringValue())
	_, err = w.a.Quests.ListReviewQueue(ctx, testenv.As(member, &conferencesv1.ListReviewQueueRequest{OrganizationId: w.org}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	_, err = w.a.Quests.ReviewTask(ctx, testenv.As(approver, &conferencesv1.ReviewTaskRequest{QuestId: q.GetId(), UserId: approver.UserID,
		TaskId: proof.GetTask().GetId(), Approve: true}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	reviewed, err := w.a.Quests.ReviewTask(ctx, testenv.As(approver, &conferencesv1.ReviewTaskRequest{QuestId: q.GetId(), UserId: member.UserID,
		TaskId: proof.GetTask().GetId(), Approve: true, Comment: "nice"}))
	require.NoError(t, err)
	assert.Equal(t, conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_COMPLETED, reviewed.Msg.GetRun().GetStatus())
	assert.Equal(t, 1, questLedgerRows(t, w.a, q.GetId(), member.UserID))
}

func TestQuestLeaderboard_RanksFromTheLedgerWithOwnPlace(t *testing.T) {
	w := newQuestWorld(t)
	ctx := context.Background()
	rich, _ := w.codeQuest(t, func(r *conferencesv1.CreateQuestRequest) { r.Points = 80 })
	first, second, idle := w.member(t, db.RoleMember), w.member(t, db.RoleMember), w.member(t, db.RoleMember)
	for _, m := range []testenv.Session{first, second} {
		w.join(t, m, rich)
	}
	got, err := w.a.Quests.GetQuest(ctx, testenv.As(w.owner, &conferencesv1.GetQuestRequest{QuestId: rich}))
	require.NoError(t, err)
	taskID := got.Msg.GetQuest().GetTasks()[0].GetId()
	for _, m := range []testenv.Session{first, second} {
		_, err := w.submitCode(m, rich, taskID, "BOOTH-7")
		require.NoError(t, err)
	}

	board, err := w.a.Quests.GetLeaderboard(ctx, testenv.As(second, &conferencesv1.GetLeaderboardRequest{
		Scope: &conferencesv1.GetLeaderboardRequest_QuestId{QuestId: rich}, Limit: 1}))
	require.NoError(t, err)
	require.Len(t, board.Msg.GetEntries(), 1)
	assert.EqualValues(t, 1, board.Msg.GetEntries()[0].GetRank())
	assert.EqualValues(t, 1, board.Msg.GetMyRank(), "equal points share the first place, even outside the limit")
	assert.EqualValues(t, 80, board.Msg.GetMyPoints())

	mine, err := w.a.Quests.GetLeaderboard(ctx, testenv.As(idle, &conferencesv1.GetLeaderboardRequest{
		Scope: &conferencesv1.GetLeaderboardRequest_QuestId{QuestId: rich}, Window: conferencesv1.QuestLeaderboardWindow_QUEST_LEADERBOARD_WINDOW_MONTH}))
	require.NoError(t, err)
	assert.Len(t, mine.Msg.GetEntries(), 2)
	assert.Zero(t, mine.Msg.GetMyRank(), "no points, no place")
}
