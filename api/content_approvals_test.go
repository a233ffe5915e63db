package api_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/client"
	tworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	"github.com/convene/convene/proto/convene/content/v1/contentv1connect"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	"github.com/convene/convene/workflows"
)

// approvalWorld is one organization with an owner, a content author and
// approvers, and the approval and content clients.
type approvalWorld struct {
	a         *testenv.API
	approvals contentv1connect.ApprovalServiceClient
	content   contentv1connect.ContentServiceClient
	owner     testenv.Session
	author    testenv.Session
	people    []testenv.Session
	orgID     string
}

func setupApprovals(t *testing.T, approvers int) *approvalWorld {
	t.Helper()
	a := setup(t)
	w := &approvalWorld{a: a, approvals: contentv1connect.NewApprovalServiceClient(a.HTTP, a.URL),
		content: contentv1connect.NewContentServiceClient(a.HTTP, a.URL), owner: a.NewUser(t, newPhone()), author: a.NewUser(t, newPhone())}
	w.orgID = createOrg(t, a, w.owner, "approvals-"+uuid.NewString()[:8]).GetId()
	addAndAccept(t, a, w.owner, w.orgID, w.author, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	for range approvers {
		p := a.NewUser(t, newPhone())
		addAndAccept(t, a, w.owner, w.orgID, p, identityv1.OrganizationRole_ORGANIZATION_ROLE_APPROVER)
		w.people = append(w.people, p)
	}
	return w
}

// ids are the user IDs of people.
func ids(people ...testenv.Session) []string {
	out := make([]string, 0, len(people))
	for _, p := range people {
		out = append(out, p.UserID)
	}
	return out
}

// define creates an approval workflow with the given steps.
func (w *approvalWorld) define(t *testing.T, steps ...*contentv1.ApprovalStep) {
	t.Helper()
	_, err := w.approvals.CreateApprovalWorkflow(context.Background(), testenv.As(w.owner, &contentv1.CreateApprovalWorkflowRequest{
		OrganizationId: w.orgID, Workflow: &contentv1.ApprovalWorkflowInput{Name: "Review", Steps: steps}}))
	require.NoError(t, err)
}

func listed(quorum contentv1.Quorum, people ...testenv.Session) *contentv1.ApprovalStep {
	return &contentv1.ApprovalStep{Name: "step", ApproverUserIds: ids(people...), Quorum: quorum, SlaHours: 24}
}

// draft writes a draft (version 1, scheduled in a month) by the author.
// It does not ask for approval itself: a matching definition applies
// whatever the content's own approval_required says (w.submit expects
// IN_REVIEW).
func (w *approvalWorld) draft(t *testing.T, title string) string {
	t.Helper()
	ctx := context.Background()
	at := time.Now().Add(30 * 24 * time.Hour)
	c := &db.Content{ID: db.NewID(), OrganizationID: mustUUID(w.orgID), AuthorUserID: mustUUID(w.author.UserID), ContentType: "post",
		CurrentVersion: 1, WorkflowStatus: enums.ContentDraft, ScheduledFor: &at}
	_, err := w.a.DB.NewInsert().Model(c).Exec(ctx)
	require.NoError(t, err)
	author := c.AuthorUserID
	v := &db.ContentVersion{ID: db.NewID(), ContentID: c.ID, OrganizationID: c.OrganizationID, Version: 1, Title: title,
		Caption: "caption", Hashtags: []string{}, CreatedBy: &author}
	_, err = w.a.DB.NewInsert().Model(v).Exec(ctx)
	require.NoError(t, err)
	return c.ID.String()
}

func (w *approvalWorld) submit(t *testing.T, contentID string) {
	t.Helper()
	resp, err := w.content.SubmitContent(context.Background(), testenv.As(w.author, &contentv1.SubmitContentRequest{ContentId: contentID, ExpectedVersion: 1}))
	require.NoError(t, err)
	require.Equal(t, contentv1.ContentStatus_CONTENT_STATUS_IN_REVIEW, resp.Msg.GetContent().GetStatus())
}

// inbox is s's pending approvals as "version/step" strings.
func (w *approvalWorld) inbox(t *testing.T, s testenv.Session) []*contentv1.PendingApproval {
	t.Helper()
	resp, err := w.approvals.ListMyPendingApprovals(context.Background(), testenv.As(s, &contentv1.ListMyPendingApprovalsRequest{}))
	require.NoError(t, err)
	return resp.Msg.GetItems()
}

// awaitInbox waits until s has n pending approvals and returns them.
func (w *approvalWorld) awaitInbox(t *testing.T, s testenv.Session, n int) []*contentv1.PendingApproval {
	t.Helper()
	var items []*contentv1.PendingApproval
	testenv.Eventually(t, 20*time.Second, func() bool { items = w.inbox(t, s); return len(items) == n },
		"%s's inbox never had %d items", s.UserID, n)
	return items
}

func (w *approvalWorld) approve(s testenv.Session, contentID string, version, step int32) error {
	_, err := w.approvals.Approve(context.Background(), testenv.As(s, &contentv1.ApproveRequest{ContentId: contentID, Version: version, Step: step}))
	return err
}

// revise sends an edit to the version's run, as UpdateContent does.
func (w *approvalWorld) revise(t *testing.T, contentID string, version int) error {
	t.Helper()
	ctx := context.Background()
	h, err := w.a.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflows.ContentApprovalWorkflowID(contentID, version),
		UpdateName: workflows.UpdateRevise, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.ContentEdit{EditorUserID: w.author.UserID, ExpectedVersion: version, Title: "edited"}}})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

func (w *approvalWorld) votes(t *testing.T, contentID string) int {
	t.Helper()
	n, err := w.a.DB.NewSelect().Model((*db.ApprovalAction)(nil)).
		Where("approval_request_id IN (SELECT id FROM approval_requests WHERE content_id = ?) AND action = ?", contentID, enums.ActionApprove).Count(context.Background())
	require.NoError(t, err)
	return int(n)
}

func TestContentApprovals_InboxFollowsStepsAndRevision(t *testing.T) {
	w := setupApprovals(t, 3)
	a1, a2, b1 := w.people[0], w.people[1], w.people[2]
	w.define(t, listed(contentv1.Quorum_QUORUM_ANY, a1, a2), listed(contentv1.Quorum_QUORUM_ALL, b1))
	id := w.draft(t, "Launch")
	w.submit(t, id)

	items := w.awaitInbox(t, a1, 1)
	assert.Equal(t, int32(1), items[0].GetStep())
	assert.Equal(t, "Launch", items[0].GetTitle())
	w.awaitInbox(t, a2, 1)
	assert.Empty(t, w.inbox(t, b1), "step 2 is not open yet")
	testenv.RequireCode(t, w.approve(w.author, id, 1, 1), connect.CodePermissionDenied)
	testenv.RequireCode(t, w.approve(b1, id, 1, 1), connect.CodePermissionDenied)
	testenv.RequireCode(t, w.approve(a1, id, 1, 2), connect.CodeFailedPrecondition)

	require.NoError(t, w.approve(a1, id, 1, 1))
	w.awaitInbox(t, b1, 1)
	w.awaitInbox(t, a1, 0)
	w.awaitInbox(t, a2, 0)

	_, err := w.approvals.RequestChanges(context.Background(), testenv.As(b1, &contentv1.RequestChangesRequest{ContentId: id, Version: 1, Step: 2, Comment: "shorter"}))
	require.NoError(t, err)
	w.awaitInbox(t, b1, 0)
	require.NoError(t, w.revise(t, id, 1))
	items = w.awaitInbox(t, a1, 1)
	assert.Equal(t, int32(2), items[0].GetVersion(), "the inbox moved to version 2")
	assert.Equal(t, "edited", items[0].GetTitle())

	hist, err := w.approvals.GetApprovalHistory(context.Background(), testenv.As(w.author, &contentv1.GetApprovalHistoryRequest{ContentId: id}))
	require.NoError(t, err)
	require.Len(t, hist.Msg.GetRequests(), 2)
	assert.Equal(t, contentv1.ApprovalStatus_APPROVAL_STATUS_SUPERSEDED, hist.Msg.GetRequests()[0].GetStatus())
	assert.Len(t, hist.Msg.GetRequests()[0].GetActions(), 2, "one approval, one request for changes")
	assert.Equal(t, contentv1.ApprovalStatus_APPROVAL_STATUS_PENDING, hist.Msg.GetRequests()[1].GetStatus())
}

func TestContentApprovals_DelegateVotesForAbsentApprover(t *testing.T) {
	w := setupApprovals(t, 2)
	away, deputy := w.people[0], w.people[1]
	w.define(t, listed(contentv1.Quorum_QUORUM_ANY, away))
	now := time.Now()
	_, err := w.approvals.SetOutOfOffice(context.Background(), testenv.As(away, &contentv1.SetOutOfOfficeRequest{OrganizationId: w.orgID,
		DelegateUserId: deputy.UserID, StartsAt: timestamppb.New(now.Add(-time.Hour)), EndsAt: timestamppb.New(now.Add(48 * time.Hour))}))
	require.NoError(t, err)
	_, err = w.approvals.SetOutOfOffice(context.Background(), testenv.As(away, &contentv1.SetOutOfOfficeRequest{OrganizationId: w.orgID,
		DelegateUserId: away.UserID, StartsAt: timestamppb.New(now), EndsAt: timestamppb.New(now.Add(time.Hour))}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	id := w.draft(t, "Keynote")
	w.submit(t, id)

	items := w.awaitInbox(t, deputy, 1)
	assert.Equal(t, away.UserID, items[0].GetOnBehalfOfUserId())
	assert.Empty(t, w.inbox(t, away))
	require.NoError(t, w.approve(deputy, id, 1, 1))
	testenv.Eventually(t, 20*time.Second, func() bool {
		hist, err := w.approvals.GetApprovalHistory(context.Background(), testenv.As(w.author, &contentv1.GetApprovalHistoryRequest{ContentId: id}))
		require.NoError(t, err)
		r := hist.Msg.GetRequests()[0]
		return r.GetStatus() == contentv1.ApprovalStatus_APPROVAL_STATUS_APPROVED && len(r.GetActions()) == 1 &&
			r.GetActions()[0].GetOnBehalfOfUserId() == away.UserID
	}, "the delegate's approval was not recorded on behalf of the absent approver")
}

func TestContentApprovals_ConcurrentApprovalsOnAnyStepCountOnce(t *testing.T) {
	w := setupApprovals(t, 10)
	w.define(t, listed(contentv1.Quorum_QUORUM_ANY, w.people...))
	id := w.draft(t, "Rush")
	w.submit(t, id)
	for _, p := range w.people {
		w.awaitInbox(t, p, 1)
	}

	var wg sync.WaitGroup
	errs := make([]error, len(w.people))
	for i, p := range w.people {
		wg.Go(func() { errs[i] = w.approve(p, id, 1, 1) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			assert.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err), err.Error())
		}
	}
	assert.Equal(t, 1, ok, "exactly one approval counts")
	assert.Equal(t, 1, w.votes(t, id), "exactly one approval is recorded")
}

func TestContentApprovals_ApproveRacingEditLandsBeforeOrIsRefused(t *testing.T) {
	w := setupApprovals(t, 1)
	a1 := w.people[0]
	w.define(t, listed(contentv1.Quorum_QUORUM_ANY, a1))
	id := w.draft(t, "Race")
	w.submit(t, id)
	w.awaitInbox(t, a1, 1)

	var approveErr, reviseErr error
	var wg sync.WaitGroup
	wg.Go(func() { approveErr = w.approve(a1, id, 1, 1) })
	wg.Go(func() { reviseErr = w.revise(t, id, 1) })
	wg.Wait()
	require.NoError(t, reviseErr, "the edit always lands: after an approval, the approved version is edited")
	if approveErr != nil {
		assert.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(approveErr), approveErr.Error())
		assert.Zero(t, w.votes(t, id))
	} else {
		assert.Equal(t, 1, w.votes(t, id), "the approval is recorded on version 1, before version 2")
	}
	items := w.awaitInbox(t, a1, 1)
	assert.Equal(t, int32(2), items[0].GetVersion(), "version 2 is in review either way")
	testenv.RequireCode(t, w.approve(a1, id, 1, 1), connect.CodeFailedPrecondition)
}

func TestContentApprovals_ExternalReviewLink(t *testing.T) {
	w := setupApprovals(t, 1)
	w.define(t, listed(contentv1.Quorum_QUORUM_ANY, w.people[0]))
	id := w.draft(t, "Press release")
	w.submit(t, id)
	w.awaitInbox(t, w.people[0], 1)
	ctx := context.Background()
	link := func(hours int32) string {
		resp, err := w.approvals.CreateExternalReviewLink(ctx, testenv.As(w.owner, &contentv1.CreateExternalReviewLinkRequest{ContentId: id,
			Version: 1, Step: 1, ReviewerName: "Agency", ReviewerEmail: "agency@example.com", ExpiresInHours: hours}))
		require.NoError(t, err)
		return resp.Msg.GetToken()
	}
	expired, token := link(1), link(24)
	_, err := w.approvals.CreateExternalReviewLink(ctx, testenv.As(w.author, &contentv1.CreateExternalReviewLinkRequest{ContentId: id,
		Version: 1, Step: 1, ReviewerName: "Me", ReviewerEmail: "me@example.com", ExpiresInHours: 1}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	review, err := w.approvals.GetExternalReview(ctx, connect.NewRequest(&contentv1.GetExternalReviewRequest{Token: token}))
	require.NoError(t, err)
	assert.Equal(t, "Press release", review.Msg.GetVersion().GetTitle())
	_, err = w.approvals.GetExternalReview(ctx, connect.NewRequest(&contentv1.GetExternalReviewRequest{Token: "no-such-token-at-all"}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	w.a.Clock.Advance(2 * time.Hour)
	_, err = w.approvals.ActAsExternalReviewer(ctx, connect.NewRequest(&contentv1.ActAsExternalReviewerRequest{Token: expired,
		Action: contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_APPROVE}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Zero(t, w.votes(t, id), "the expired link changed nothing")

	voted, err := w.approvals.ActAsExternalReviewer(ctx, connect.NewRequest(&contentv1.ActAsExternalReviewerRequest{Token: token,
		Action: contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_APPROVE}))
	require.NoError(t, err)
	assert.Equal(t, int32(1), voted.Msg.GetState().GetStepVotes().GetApprovals())
	testenv.Eventually(t, 20*time.Second, func() bool { return w.votes(t, id) == 1 }, "the link's vote was never recorded")
	_, err = w.approvals.ActAsExternalReviewer(ctx, connect.NewRequest(&contentv1.ActAsExternalReviewerRequest{Token: token,
		Action: contentv1.ApprovalActionType_APPROVAL_ACTION_TYPE_APPROVE}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
}

func TestContentApprovals_DefinitionsAreChecked(t *testing.T) {
	w := setupApprovals(t, 2)
	ctx := context.Background()
	stranger := w.a.NewUser(t, newPhone())
	for _, tc := range []struct {
		name  string
		step  *contentv1.ApprovalStep
		field string
	}{
		{"quorum above approvers", &contentv1.ApprovalStep{Name: "s", ApproverUserIds: ids(w.people...), Quorum: contentv1.Quorum_QUORUM_N, QuorumN: 3, SlaHours: 1}, "workflow.steps[0].quorum_n"},
		{"non-member approver", listed(contentv1.Quorum_QUORUM_ANY, stranger), "workflow.steps[0].approver_user_ids"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.approvals.CreateApprovalWorkflow(ctx, testenv.As(w.owner, &contentv1.CreateApprovalWorkflowRequest{
				OrganizationId: w.orgID, Workflow: &contentv1.ApprovalWorkflowInput{Name: "bad", Steps: []*contentv1.ApprovalStep{tc.step}}}))
			testenv.RequireCode(t, err, connect.CodeInvalidArgument)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
	_, err := w.approvals.CreateApprovalWorkflow(ctx, testenv.As(w.author, &contentv1.CreateApprovalWorkflowRequest{
		OrganizationId: w.orgID, Workflow: &contentv1.ApprovalWorkflowInput{Name: "mine", Steps: []*contentv1.ApprovalStep{listed(contentv1.Quorum_QUORUM_ANY, w.people[0])}}}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	list, err := w.approvals.ListApprovalWorkflows(ctx, testenv.As(w.owner, &contentv1.ListApprovalWorkflowsRequest{OrganizationId: w.orgID}))
	require.NoError(t, err)
	assert.Empty(t, list.Msg.GetApprovalWorkflows(), "nothing was created")
	_, err = w.approvals.ListApprovalWorkflows(ctx, testenv.As(stranger, &contentv1.ListApprovalWorkflowsRequest{OrganizationId: w.orgID}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
}

// fakePublish stands in for the publishing helper's ContentPublish
// workflow: every target published.
func fakePublish(_ workflow.Context, _ workflows.ContentPublishInput) (workflows.ContentPublishResult, error) {
	return workflows.ContentPublishResult{Status: enums.ContentPublished}, nil
}

// startPublishWorker adds a worker on the test's queue that also runs a
// fake ContentPublish; the API's own worker refuses those tasks, which
// Temporal then hands to this one.
func startPublishWorker(t *testing.T, a *testenv.API) {
	t.Helper()
	wk := tworker.New(a.Temporal, a.TaskQueue, tworker.Options{})
	wk.RegisterWorkflowWithOptions(workflows.ContentApproval, workflow.RegisterOptions{Name: workflows.ContentApprovalWorkflowName})
	wk.RegisterWorkflowWithOptions(fakePublish, workflow.RegisterOptions{Name: workflows.ContentPublishWorkflowName})
	wk.RegisterActivity(&activities.ContentApprovals{DB: a.DB, Now: a.Clock.Now})
	require.NoError(t, wk.Start())
	t.Cleanup(wk.Stop)
}

// TestContentApprovals_RequestChangesThenNextVersionPublishes records the
// histories workflows/replay_test.go replays. It runs only when recording:
// until the publishing helper's ContentPublish is registered by the API's
// worker, a fake on a second worker takes the publish child, and the tasks
// the API's worker refuses come back to it after Temporal's retry backoff,
// which makes the run slow.
func TestContentApprovals_RequestChangesThenNextVersionPublishes(t *testing.T) {
	if os.Getenv(recordHistoryEnv) == "" {
		t.Skip("records histories; set " + recordHistoryEnv + "=1")
	}
	w := setupApprovals(t, 1)
	startPublishWorker(t, w.a)
	a1 := w.people[0]
	w.define(t, listed(contentv1.Quorum_QUORUM_ANY, a1))
	id := w.draft(t, "Recap")
	require.NoError(t, db.SetContentScheduledFor(context.Background(), w.a.DB, mustUUID(id), time.Now().Add(5*time.Second)))
	w.submit(t, id)
	w.awaitInbox(t, a1, 1)

	_, err := w.approvals.RequestChanges(context.Background(), testenv.As(a1, &contentv1.RequestChangesRequest{ContentId: id, Version: 1, Step: 1, Comment: "add the date"}))
	require.NoError(t, err)
	require.NoError(t, w.revise(t, id, 1))
	w.awaitInbox(t, a1, 1)
	require.NoError(t, w.approve(a1, id, 2, 1))

	ctx := context.Background()
	var final workflows.ContentApprovalState
	require.NoError(t, w.a.Temporal.GetWorkflow(ctx, workflows.ContentApprovalWorkflowID(id, 2), "").Get(ctx, &final))
	assert.Equal(t, enums.ContentPublished, final.Status, "version 2 published at its time")
	var first workflows.ContentApprovalState
	require.NoError(t, w.a.Temporal.GetWorkflow(ctx, workflows.ContentApprovalWorkflowID(id, 1), "").Get(ctx, &first))
	assert.Equal(t, workflows.ContentSuperseded, first.Status)
	assert.Equal(t, 2, first.SupersededBy)
	recordHistory(t, w.a, workflows.ContentApprovalWorkflowID(id, 1), "content-approval-request-changes-v1")
	recordHistory(t, w.a, workflows.ContentApprovalWorkflowID(id, 2), "content-approval-v2-publish")
}

// createApprovalRows gives the matrix fixture a draft of A's member and an
// approval chain of A, written directly: the content helper's CreateContent
// is not on this branch.
func (f *matrixFixture) createApprovalRows(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	org, member := mustUUID(f.orgA), mustUUID(f.memberA.UserID)
	c := &db.Content{ID: db.NewID(), OrganizationID: org, AuthorUserID: member, ContentType: "post", CurrentVersion: 1,
		WorkflowStatus: enums.ContentDraft, ApprovalRequired: true}
	_, err := f.a.DB.NewInsert().Model(c).Exec(ctx)
	require.NoError(t, err)
	v := &db.ContentVersion{ID: db.NewID(), ContentID: c.ID, OrganizationID: org, Version: 1, Title: "Matrix", Hashtags: []string{}, CreatedBy: &member}
	_, err = f.a.DB.NewInsert().Model(v).Exec(ctx)
	require.NoError(t, err)
	w := &db.ApprovalWorkflow{ID: db.NewID(), OrganizationID: org, Name: "Matrix chain", IsActive: true,
		Steps: []db.ApprovalWorkflowStep{{Name: "One", ApproverUserIDs: []uuid.UUID{member}, ApproverRoles: []string{}, Quorum: enums.QuorumAny, QuorumN: 1, SLAHours: 24}}}
	require.NoError(t, f.a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error { return db.InsertApprovalWorkflow(ctx, tx, w) }))
	f.approvalContent, f.approvalWorkflow = c.ID.String(), w.ID.String()
}

// approvalStepInput is a valid step with every optional field set.
func approvalStepInput() *contentv1.ApprovalStep {
	role := identityv1.OrganizationRole_ORGANIZATION_ROLE_ADMIN
	return &contentv1.ApprovalStep{Name: "Legal", ApproverUserIds: []string{fxMemberA},
		ApproverRoles: []identityv1.OrganizationRole{identityv1.OrganizationRole_ORGANIZATION_ROLE_APPROVER},
		Quorum:        contentv1.Quorum_QUORUM_N, QuorumN: 1, SlaHours: 24, EscalationUserId: proto.String(fxMemberA), EscalationRole: &role}
}

// approvalWorkflowInput is a valid chain with every field set.
func approvalWorkflowInput() *contentv1.ApprovalWorkflowInput {
	return &contentv1.ApprovalWorkflowInput{Name: "Chain", Priority: 10,
		Trigger: &contentv1.TriggerConditions{ContentTypes: []contentv1.ContentType{contentv1.ContentType_CONTENT_TYPE_POST},
			Platforms: []string{"x"}, EventIds: []string{fxFreeEvent}, MinVipTier: 1},
		Steps: []*contentv1.ApprovalStep{approvalStepInput()}}
}

// TestContentApprovals_AuthorIsToldOfTheDecisionNotEachVote approves an
// all-of-3 step: three votes are recorded, and the author's inbox gets one
// notice, from the vote that decided the step.
func TestContentApprovals_AuthorIsToldOfTheDecisionNotEachVote(t *testing.T) {
	w := setupApprovals(t, 3)
	w.define(t, listed(contentv1.Quorum_QUORUM_ALL, w.people...))
	id := w.draft(t, "Quiet")
	w.submit(t, id)
	for _, p := range w.people {
		w.awaitInbox(t, p, 1)
	}
	for _, p := range w.people {
		require.NoError(t, w.approve(p, id, 1, 1))
	}
	assert.Equal(t, 3, w.votes(t, id))
	n, err := w.a.DB.NewSelect().Model((*db.Notification)(nil)).
		Where("recipient_user_id = ? AND reference_id = ? AND title = ?", w.author.UserID, id, "Review: approved").Count(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "one notice for the deciding vote")
}
