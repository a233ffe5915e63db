package api_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/jobs"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// recognitionWorld is an organization (default settings: allowance 100,
// threshold 50) with a sender, a recipient, a bystander, two approvers,
// and a second organization whose owner plays the outsider.
type recognitionWorld struct {
	a                                   *testenv.API
	org, orgB                           string
	owner, sender, recipient, bystander testenv.Session
	approver, approver2, outsider       testenv.Session
}

func setupRecognition(t *testing.T) *recognitionWorld {
	t.Helper()
	a := setup(t)
	w := &recognitionWorld{a: a, owner: a.NewUser(t, newPhone()), sender: a.NewUser(t, newPhone()),
		recipient: a.NewUser(t, newPhone()), bystander: a.NewUser(t, newPhone()), approver: a.NewUser(t, newPhone()),
		approver2: a.NewUser(t, newPhone()), outsider: a.NewUser(t, newPhone())}
	w.org = createOrg(t, a, w.owner, "thanks-"+uuid.NewString()[:8]).GetId()
	w.orgB = createOrg(t, a, w.outsider, "thanks-b-"+uuid.NewString()[:8]).GetId()
	for _, m := range []testenv.Session{w.sender, w.recipient, w.bystander} {
		addAndAccept(t, a, w.owner, w.org, m, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	}
	for _, m := range []testenv.Session{w.approver, w.approver2} {
		addAndAccept(t, a, w.owner, w.org, m, identityv1.OrganizationRole_ORGANIZATION_ROLE_APPROVER)
	}
	return w
}

// send has from recognize to with points, visible to everyone.
func (w *recognitionWorld) send(from, to testenv.Session, points int32) (*engagementv1.SendRecognitionResponse, error) {
	resp, err := w.a.Recognitions.SendRecognition(context.Background(), testenv.As(from, &engagementv1.SendRecognitionRequest{
		OrganizationId: w.org, RecipientUserId: to.UserID, Message: "Thanks for the help", Points: points,
		Visibility: engagementv1.RecognitionVisibility_RECOGNITION_VISIBILITY_PUBLIC}))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

func (w *recognitionWorld) mustSend(t *testing.T, points int32) *engagementv1.Recognition {
	t.Helper()
	resp, err := w.send(w.sender, w.recipient, points)
	require.NoError(t, err)
	return resp.GetRecognition()
}

func (w *recognitionWorld) decide(as testenv.Session, id string, approve bool) (*engagementv1.Recognition, error) {
	resp, err := w.a.Recognitions.DecideRecognition(context.Background(), testenv.As(as, &engagementv1.DecideRecognitionRequest{
		RecognitionId: id, Approve: approve, Note: "checked"}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetRecognition(), nil
}

func (w *recognitionWorld) feed(t *testing.T, as testenv.Session) []string {
	t.Helper()
	resp, err := w.a.Recognitions.ListRecognitionFeed(context.Background(), testenv.As(as, &engagementv1.ListRecognitionFeedRequest{OrganizationId: w.org}))
	require.NoError(t, err)
	var ids []string
	for _, r := range resp.Msg.GetRecognitions() {
		ids = append(ids, r.GetId())
	}
	return ids
}

func (w *recognitionWorld) allowance(t *testing.T, as testenv.Session) *engagementv1.RecognitionAllowance {
	t.Helper()
	resp, err := w.a.Recognitions.GetMyAllowance(context.Background(), testenv.As(as, &engagementv1.GetMyAllowanceRequest{OrganizationId: w.org}))
	require.NoError(t, err)
	return resp.Msg.GetAllowance()
}

// points is the recipient's total in the organization.
func (w *recognitionWorld) points(t *testing.T, who testenv.Session) int64 {
	t.Helper()
	up, err := db.UserPointsOf(context.Background(), w.a.DB, mustUUID(w.org), mustUUID(who.UserID))
	require.NoError(t, err)
	return up.TotalPoints
}

// ledgerRows counts the ledger entries paying recognition id.
func (w *recognitionWorld) ledgerRows(t *testing.T, id string) int {
	t.Helper()
	n, err := w.a.DB.NewSelect().Model((*db.LedgerEntry)(nil)).Where("idempotency_key = ?", "recognition:"+id).Count(context.Background())
	require.NoError(t, err)
	return int(n)
}

func (w *recognitionWorld) inboxTypes(t *testing.T, who testenv.Session) []string {
	t.Helper()
	notes, err := db.NotificationsOf(context.Background(), w.a.DB, mustUUID(who.UserID))
	require.NoError(t, err)
	var types []string
	for _, n := range notes {
		types = append(types, n.Type)
	}
	return types
}

func TestSendRecognition_SelfIsRefusedAndChangesNothing(t *testing.T) {
	w := setupRecognition(t)
	_, err := w.send(w.sender, w.sender, 10)
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	assert.Contains(t, err.Error(), "recipient_user_id")
	n, err := w.a.DB.NewSelect().Model((*db.RecognitionAllowance)(nil)).Count(context.Background())
	require.NoError(t, err)
	assert.Zero(t, n, "no allowance was touched")
	assert.Equal(t, int32(100), w.allowance(t, w.sender).GetRemaining())
}

func TestSendRecognition_AtThresholdPaysAtOnce(t *testing.T) {
	w := setupRecognition(t)
	resp, err := w.send(w.sender, w.recipient, 50)
	require.NoError(t, err)
	r := resp.GetRecognition()
	assert.Equal(t, engagementv1.RecognitionStatus_RECOGNITION_STATUS_APPROVED, r.GetStatus())
	assert.Equal(t, int32(50), resp.GetAllowance().GetRemaining())
	assert.Equal(t, int64(50), w.points(t, w.recipient))
	assert.Equal(t, 1, w.ledgerRows(t, r.GetId()))
	assert.Equal(t, []string{r.GetId()}, w.feed(t, w.bystander))
	assert.Contains(t, w.inboxTypes(t, w.recipient), "recognition_received")

	var events []db.DomainEvent
	require.NoError(t, w.a.DB.NewSelect().Model(&events).Where("reference_id = ?", r.GetId()).Order("type").Scan(context.Background()))
	require.Len(t, events, 2)
	assert.Equal(t, enums.EventRecognitionApproved, events[0].Type)
	assert.Equal(t, w.recipient.UserID, events[0].SubjectUserID.String())
	assert.Equal(t, enums.EventRecognitionSent, events[1].Type)
	assert.Equal(t, w.sender.UserID, events[1].SubjectUserID.String())
}

func TestSendRecognition_AboveThresholdWaitsForAnApprover(t *testing.T) {
	w := setupRecognition(t)
	r := w.mustSend(t, 60)
	assert.Equal(t, engagementv1.RecognitionStatus_RECOGNITION_STATUS_PENDING, r.GetStatus())
	assert.Empty(t, w.feed(t, w.bystander), "pending recognitions stay out of the feed")
	assert.Empty(t, w.feed(t, w.recipient))
	assert.Zero(t, w.points(t, w.recipient))
	assert.Equal(t, int32(40), w.allowance(t, w.sender).GetRemaining(), "the allowance is held while pending")

	pending, err := w.a.Recognitions.ListPendingRecognitions(context.Background(), testenv.As(w.approver,
		&engagementv1.ListPendingRecognitionsRequest{OrganizationId: w.org}))
	require.NoError(t, err)
	require.Len(t, pending.Msg.GetRecognitions(), 1)
	assert.Equal(t, r.GetId(), pending.Msg.GetRecognitions()[0].GetId())
	assert.Contains(t, w.inboxTypes(t, w.approver), "recognition_pending")
	assert.NotContains(t, w.inboxTypes(t, w.recipient), "recognition_pending", "the recipient is no approver of their own")

	_, err = w.a.Recognitions.ListPendingRecognitions(context.Background(), testenv.As(w.bystander,
		&engagementv1.ListPendingRecognitionsRequest{OrganizationId: w.org}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
}

// TestDecideRecognition_ApprovePaysExactlyOnce has two approvers approve
// at the same moment: one wins, the other is told it is decided, and the
// recipient is paid once.
func TestDecideRecognition_ApprovePaysExactlyOnce(t *testing.T) {
	w := setupRecognition(t)
	r := w.mustSend(t, 80)
	for _, who := range []testenv.Session{w.sender, w.recipient, w.bystander} {
		_, err := w.decide(who, r.GetId(), true)
		testenv.RequireCode(t, err, connect.CodePermissionDenied)
	}

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, who := range []testenv.Session{w.approver, w.approver2} {
		wg.Go(func() { _, errs[i] = w.decide(who, r.GetId(), true) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	}
	assert.Equal(t, 1, ok)
	assert.Equal(t, 1, w.ledgerRows(t, r.GetId()))
	assert.Equal(t, int64(80), w.points(t, w.recipient))
	assert.Equal(t, []string{r.GetId()}, w.feed(t, w.bystander))
	assert.Equal(t, int32(20), w.allowance(t, w.sender).GetRemaining())
}

func TestDecideRecognition_RejectRefundsTheSender(t *testing.T) {
	w := setupRecognition(t)
	r := w.mustSend(t, 70)
	got, err := w.decide(w.approver, r.GetId(), false)
	require.NoError(t, err)
	assert.Equal(t, engagementv1.RecognitionStatus_RECOGNITION_STATUS_REJECTED, got.GetStatus())
	assert.Equal(t, w.approver.UserID, got.GetDecidedByUserId())
	assert.Equal(t, int32(100), w.allowance(t, w.sender).GetRemaining())
	assert.Zero(t, w.points(t, w.recipient))
	assert.Zero(t, w.ledgerRows(t, r.GetId()))
	assert.Empty(t, w.feed(t, w.bystander))
	assert.Contains(t, w.inboxTypes(t, w.sender), "recognition_rejected")

	_, err = w.decide(w.approver2, r.GetId(), true)
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Equal(t, int32(100), w.allowance(t, w.sender).GetRemaining(), "a late approval neither pays nor spends")
}

// TestSendRecognition_ConcurrentSendsNeverOverspend sends 7 points 20
// times at once from an allowance of 100: exactly 14 go through.
func TestSendRecognition_ConcurrentSendsNeverOverspend(t *testing.T) {
	w := setupRecognition(t)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { _, errs[i] = w.send(w.sender, w.recipient, 7) })
	}
	wg.Wait()
	accepted := 0
	for _, err := range errs {
		if err == nil {
			accepted++
			continue
		}
		testenv.RequireCode(t, err, connect.CodeResourceExhausted)
	}
	assert.Equal(t, 14, accepted)
	a := w.allowance(t, w.sender)
	assert.Equal(t, int32(98), a.GetSpent())
	assert.Equal(t, int32(2), a.GetRemaining())
	assert.Equal(t, int64(98), w.points(t, w.recipient))
	n, err := w.a.DB.NewSelect().Model((*db.Recognition)(nil)).Where("organization_id = ?", w.org).Count(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(14), int64(n))
}

// TestExpireRecognitions_RefundsAfter14Days runs the expiry job 15 days
// after a pending recognition and a day after another: only the old one
// expires and is refunded, and a second run changes nothing.
func TestExpireRecognitions_RefundsAfter14Days(t *testing.T) {
	w := setupRecognition(t)
	ctx := context.Background()
	old := w.mustSend(t, 60)
	later := time.Now().Add(db.RecognitionExpiry + 24*time.Hour)
	worker := &jobs.ExpireRecognitionsWorker{DB: w.a.DB, Now: func() time.Time { return later }}
	_, err := w.a.DB.NewUpdate().Model((*db.Recognition)(nil)).Set("expires_at = ?", later.Add(time.Hour)).
		Where("id = ?", w.mustSendOther(t, 30).GetId()).Exec(ctx)
	require.NoError(t, err)
	require.Equal(t, int32(10), w.allowance(t, w.sender).GetRemaining())

	for range 2 {
		require.NoError(t, worker.Work(ctx, nil))
		got, err := db.RecognitionByID(ctx, w.a.DB, mustUUID(old.GetId()))
		require.NoError(t, err)
		assert.Equal(t, enums.RecognitionExpired, got.Status)
		assert.Equal(t, int32(70), w.allowance(t, w.sender).GetRemaining(), "60 back, 30 still held")
	}
	assert.Contains(t, w.inboxTypes(t, w.sender), "recognition_expired")
	_, err = w.decide(w.approver, old.GetId(), true)
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Zero(t, w.points(t, w.recipient))
}

// mustSendOther sends a pending-sized recognition to the bystander: the
// threshold is lowered for it so it waits too.
func (w *recognitionWorld) mustSendOther(t *testing.T, points int32) *engagementv1.Recognition {
	t.Helper()
	_, err := w.a.DB.NewInsert().Model(&db.EngagementSettings{OrganizationID: mustUUID(w.org), TimeZone: "UTC",
		MonthlyAllowance: 100, ApprovalThreshold: 10}).On("CONFLICT (organization_id) DO UPDATE").
		Set("approval_threshold = EXCLUDED.approval_threshold").Exec(context.Background())
	require.NoError(t, err)
	resp, err := w.send(w.sender, w.bystander, points)
	require.NoError(t, err)
	require.Equal(t, engagementv1.RecognitionStatus_RECOGNITION_STATUS_PENDING, resp.GetRecognition().GetStatus())
	return resp.GetRecognition()
}

func TestRecognition_VisibilityAndComments(t *testing.T) {
	w := setupRecognition(t)
	ctx := context.Background()
	resp, err := w.a.Recognitions.SendRecognition(ctx, testenv.As(w.sender, &engagementv1.SendRecognitionRequest{
		OrganizationId: w.org, RecipientUserId: w.recipient.UserID, Message: "Just between us", Points: 5,
		Visibility: engagementv1.RecognitionVisibility_RECOGNITION_VISIBILITY_PRIVATE}))
	require.NoError(t, err)
	private := resp.Msg.GetRecognition()
	public := w.mustSend(t, 5)
	assert.Equal(t, []string{public.GetId(), private.GetId()}, w.feed(t, w.recipient), "newest first")
	assert.Equal(t, []string{public.GetId()}, w.feed(t, w.bystander))

	_, err = w.a.Recognitions.AddComment(ctx, testenv.As(w.bystander, &engagementv1.AddCommentRequest{RecognitionId: private.GetId(), Body: "peek"}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	for _, who := range []testenv.Session{w.bystander, w.recipient} {
		_, err = w.a.Recognitions.AddComment(ctx, testenv.As(who, &engagementv1.AddCommentRequest{RecognitionId: public.GetId(), Body: "Well deserved"}))
		require.NoError(t, err)
	}
	comments, err := w.a.Recognitions.ListComments(ctx, testenv.As(w.sender, &engagementv1.ListCommentsRequest{RecognitionId: public.GetId(), PageSize: 1}))
	require.NoError(t, err)
	require.Len(t, comments.Msg.GetComments(), 1)
	assert.Equal(t, w.bystander.UserID, comments.Msg.GetComments()[0].GetAuthorUserId())
	next, err := w.a.Recognitions.ListComments(ctx, testenv.As(w.sender, &engagementv1.ListCommentsRequest{RecognitionId: public.GetId(),
		PageSize: 1, PageToken: comments.Msg.GetNextPageToken()}))
	require.NoError(t, err)
	require.Len(t, next.Msg.GetComments(), 1)
	assert.Equal(t, w.recipient.UserID, next.Msg.GetComments()[0].GetAuthorUserId())
	got, err := db.RecognitionByID(ctx, w.a.DB, mustUUID(public.GetId()))
	require.NoError(t, err)
	assert.Equal(t, 2, got.CommentsCount)
	heard := 0
	for _, kind := range w.inboxTypes(t, w.recipient) {
		if kind == "recognition_comment" {
			heard++
		}
	}
	assert.Equal(t, 1, heard, "the recipient hears of the bystander's comment, not their own")

	pending := w.mustSend(t, 60)
	_, err = w.a.Recognitions.AddComment(ctx, testenv.As(w.sender, &engagementv1.AddCommentRequest{RecognitionId: pending.GetId(), Body: "soon"}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
}

// TestRecognition_OtherOrganizationsAreIsolated: an outsider can neither
// see nor act on the organization's recognitions, and a member cannot
// recognize someone outside it.
func TestRecognition_OtherOrganizationsAreIsolated(t *testing.T) {
	w := setupRecognition(t)
	ctx := context.Background()
	r := w.mustSend(t, 60)
	approved := w.mustSend(t, 5)

	_, err := w.send(w.sender, w.outsider, 5)
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	_, err = w.send(w.outsider, w.recipient, 5)
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.decide(w.outsider, r.GetId(), true)
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = w.a.Recognitions.ListRecognitionFeed(ctx, testenv.As(w.outsider, &engagementv1.ListRecognitionFeedRequest{OrganizationId: w.org}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Recognitions.ListPendingRecognitions(ctx, testenv.As(w.outsider, &engagementv1.ListPendingRecognitionsRequest{OrganizationId: w.org}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Recognitions.GetMyAllowance(ctx, testenv.As(w.outsider, &engagementv1.GetMyAllowanceRequest{OrganizationId: w.org}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.a.Recognitions.AddComment(ctx, testenv.As(w.outsider, &engagementv1.AddCommentRequest{RecognitionId: approved.GetId(), Body: "hi"}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = w.a.Recognitions.ListComments(ctx, testenv.As(w.outsider, &engagementv1.ListCommentsRequest{RecognitionId: approved.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	got, err := db.RecognitionByID(ctx, w.a.DB, mustUUID(r.GetId()))
	require.NoError(t, err)
	assert.Equal(t, enums.RecognitionPending, got.Status)
	assert.Equal(t, int32(35), w.allowance(t, w.sender).GetRemaining())
	resp, err := w.a.Recognitions.ListRecognitionFeed(ctx, testenv.As(w.outsider, &engagementv1.ListRecognitionFeedRequest{OrganizationId: w.orgB}))
	require.NoError(t, err)
	assert.Empty(t, resp.Msg.GetRecognitions(), "B's feed holds nothing of A")
}
