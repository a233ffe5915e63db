package api_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/testenv"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	"github.com/convene/convene/proto/convene/content/v1/contentv1connect"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	"github.com/convene/convene/workflows"
)

// publishFixture is approved content of an organization targeting sandbox
// accounts whose tokens are sealed as the application seals them.
type publishFixture struct {
	a        *testenv.API
	content  contentv1connect.ContentServiceClient
	author   testenv.Session
	org      uuid.UUID
	item     *db.Content
	version  *db.ContentVersion
	accounts []*db.SocialAccount
	// platformIDs are the accounts' PlatformUserIDs on the sandbox.
	platformIDs []string
}

func setupPublish(t *testing.T, handles ...string) *publishFixture {
	t.Helper()
	a := setup(t)
	ctx := context.Background()
	f := &publishFixture{a: a, content: contentv1connect.NewContentServiceClient(a.HTTP, a.URL), author: a.NewUser(t, newPhone())}
	f.org = mustUUID(createOrg(t, a, f.author, "pub-"+uuid.NewString()[:8]).GetId())
	f.item = &db.Content{ID: db.NewID(), OrganizationID: f.org, AuthorUserID: mustUUID(f.author.UserID), ContentType: "post",
		CurrentVersion: 1, WorkflowStatus: enums.ContentApproved, ApprovalRequired: true}
	f.version = &db.ContentVersion{ID: db.NewID(), ContentID: f.item.ID, OrganizationID: f.org, Version: 1,
		Title: "Doors open", Caption: "Doors open at 7", Hashtags: []string{"convene"}}
	rows := []any{f.item, f.version}
	for _, h := range handles {
		acct := f.connect(t, h)
		rows = append(rows, acct, &db.ContentVersionTarget{ContentVersionID: f.version.ID, SocialAccountID: acct.ID})
	}
	for _, row := range rows {
		_, err := a.DB.NewInsert().Model(row).Exec(ctx)
		require.NoError(t, err, "insert %T", row)
	}
	return f
}

// connect grants a sandbox account to the organization, as the OAuth
// callback does: tokens sealed with the account bound in. Its access token
// has already expired, so the first publish refreshes it.
func (f *publishFixture) connect(t *testing.T, handle string) *db.SocialAccount {
	t.Helper()
	platforms, err := social.NewRegistry(f.a.SocialSandbox.Platforms()...)
	require.NoError(t, err)
	x, err := platforms.Get("x")
	require.NoError(t, err)
	code, err := f.a.SocialSandbox.IssueCode("x", "https://convene.test/cb", handle)
	require.NoError(t, err)
	grant, err := x.ExchangeCode(context.Background(), code, "https://convene.test/cb")
	require.NoError(t, err)
	acct := &db.SocialAccount{ID: db.NewID(), OrganizationID: f.org, Platform: "x", PlatformUserID: grant.Account.PlatformUserID,
		Username: handle, IsActive: true}
	acct.AccessTokenCiphertext, acct.TokenKeyID = f.a.SocialTokens.Seal([]byte(grant.AccessToken), db.SocialTokenAAD(f.org, "x", acct.PlatformUserID, db.SocialAccessToken))
	acct.RefreshTokenCiphertext, _ = f.a.SocialTokens.Seal([]byte(grant.RefreshToken), db.SocialTokenAAD(f.org, "x", acct.PlatformUserID, db.SocialRefreshToken))
	expired := time.Now().Add(-time.Minute)
	acct.TokenExpiresAt = &expired
	f.accounts = append(f.accounts, acct)
	f.platformIDs = append(f.platformIDs, grant.Account.PlatformUserID)
	return acct
}

// publish runs attempt n of the version's publishing to its end.
func (f *publishFixture) publish(t *testing.T, attempt int, accounts ...string) workflows.ContentPublishResult {
	t.Helper()
	ctx := context.Background()
	in := workflows.ContentPublishInput{OrganizationID: f.org.String(), ContentID: f.item.ID.String(),
		ContentVersionID: f.version.ID.String(), Version: 1, AuthorUserID: f.author.UserID, Title: f.version.Title,
		SocialAccountIDs: accounts}
	if attempt == 0 {
		require.NoError(t, workflows.StartContentPublish(ctx, f.a.Temporal, f.a.TaskQueue, workflows.ContentPublishStart{Input: in}))
	}
	return f.result(t, attempt)
}

func (f *publishFixture) result(t *testing.T, attempt int) workflows.ContentPublishResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var r workflows.ContentPublishResult
	run := f.a.Temporal.GetWorkflow(ctx, workflows.ContentPublishWorkflowID(f.item.ID.String(), 1, attempt), "")
	require.NoError(t, run.Get(ctx, &r))
	return r
}

func (f *publishFixture) posts(t *testing.T) map[uuid.UUID]db.PublishedPost {
	t.Helper()
	var rows []db.PublishedPost
	require.NoError(t, f.a.DB.NewSelect().Model(&rows).Where("content_id = ?", f.item.ID).Scan(context.Background()))
	out := map[uuid.UUID]db.PublishedPost{}
	for _, p := range rows {
		out[p.SocialAccountID] = p
	}
	return out
}

func (f *publishFixture) status(t *testing.T) string {
	t.Helper()
	c := new(db.Content)
	require.NoError(t, f.a.DB.NewSelect().Model(c).Where("id = ?", f.item.ID).Scan(context.Background()))
	return c.WorkflowStatus
}

// TestContentPublish_WorkerKilledMidPublishPostsOnce: a worker took the
// post to the platform, which accepted it, and died before recording it:
// the row is still "publishing". The next run looks the post up by its
// idempotency key, records it and never posts a second time.
func TestContentPublish_WorkerKilledMidPublishPostsOnce(t *testing.T) {
	f := setupPublish(t, "alice")
	ctx := context.Background()
	acct := f.accounts[0]
	claim, err := db.ClaimPost(ctx, f.a.DB, &db.PublishedPost{OrganizationID: f.org, ContentID: f.item.ID,
		ContentVersionID: f.version.ID, SocialAccountID: acct.ID, Platform: "x",
		IdempotencyKey: db.PostIdempotencyKey(f.item.ID, acct.ID)}, false)
	require.NoError(t, err)
	require.NoError(t, db.SetContentPublishing(ctx, f.a.DB, f.item.ID))
	f.a.SocialSandbox.FailNext(f.platformIDs[0], social.TimeoutAfterAccept)
	platforms, err := social.NewRegistry(f.a.SocialSandbox.Platforms()...)
	require.NoError(t, err)
	x, _ := platforms.Get("x")
	code, _ := f.a.SocialSandbox.IssueCode("x", "https://convene.test/cb", "alice")
	grant, err := x.ExchangeCode(ctx, code, "https://convene.test/cb")
	require.NoError(t, err)
	dying, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = x.Publish(dying, grant.AccessToken, social.Post{IdempotencyKey: claim.Post.IdempotencyKey, Text: "Doors open at 7 #convene"})
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "the killed worker never heard back")
	require.Len(t, f.a.SocialSandbox.Posts(f.platformIDs[0]), 1, "but the platform took the post")

	r := f.publish(t, 0)

	assert.Equal(t, enums.ContentPublished, r.Status)
	posts := f.a.SocialSandbox.Posts(f.platformIDs[0])
	require.Len(t, posts, 1, "exactly one post on the platform")
	row := f.posts(t)[acct.ID]
	assert.Equal(t, enums.PostPublished, row.PublishStatus)
	require.NotNil(t, row.PlatformPostID)
	assert.Equal(t, posts[0].PostID, *row.PlatformPostID, "the post found by the lookup is recorded")
	assert.Equal(t, enums.ContentPublished, f.status(t))
}

// TestContentPublish_RetryPublishPostsTheFailedTargetOnce: one platform
// refuses its post; the content is partially published and the author
// told. RetryPublish posts that target once, leaves the published one
// alone, and then has nothing left to retry.
func TestContentPublish_RetryPublishPostsTheFailedTargetOnce(t *testing.T) {
	f := setupPublish(t, "alice", "bob")
	ctx := context.Background()
	ok, refused := f.accounts[0], f.accounts[1]
	f.a.SocialSandbox.FailNext(f.platformIDs[1], social.Reject)

	first := f.publish(t, 0)

	assert.Equal(t, enums.ContentPartiallyPublished, first.Status)
	assert.Equal(t, enums.ContentPartiallyPublished, f.status(t))
	posts := f.posts(t)
	assert.Equal(t, enums.PostPublished, posts[ok.ID].PublishStatus)
	assert.Equal(t, enums.PostFailed, posts[refused.ID].PublishStatus)
	assert.Contains(t, posts[refused.ID].LastError, "refused by the social platform")
	refreshed, err := db.SocialAccountForPosting(ctx, f.a.DB, ok.ID, false)
	require.NoError(t, err)
	assert.NotEqual(t, ok.AccessTokenCiphertext, refreshed.AccessTokenCiphertext, "the expired token was refreshed and stored sealed")
	assert.True(t, refreshed.TokenExpiresAt.After(time.Now()))
	inbox, err := db.NotificationsOf(ctx, f.a.DB, mustUUID(f.author.UserID))
	require.NoError(t, err)
	require.Len(t, inbox, 1)
	assert.Equal(t, "Partly published: Doors open", inbox[0].Title)

	resp, err := f.content.RetryPublish(ctx, testenv.As(f.author, &contentv1.RetryPublishRequest{ContentId: f.item.ID.String()}))
	require.NoError(t, err)
	assert.Equal(t, contentv1.ContentStatus_CONTENT_STATUS_PUBLISHING, resp.Msg.GetContent().GetStatus())
	_, err = f.content.RetryPublish(ctx, testenv.As(f.author, &contentv1.RetryPublishRequest{ContentId: f.item.ID.String()}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition) // the retry is still publishing

	retry := f.result(t, 1)

	assert.Equal(t, enums.ContentPublished, retry.Status)
	assert.Equal(t, enums.ContentPublished, f.status(t))
	assert.Len(t, f.a.SocialSandbox.Posts(f.platformIDs[0]), 1, "the published target is not posted again")
	assert.Len(t, f.a.SocialSandbox.Posts(f.platformIDs[1]), 1, "the failed target is posted once")
	assert.Equal(t, enums.PostPublished, f.posts(t)[refused.ID].PublishStatus)
	_, err = f.content.RetryPublish(ctx, testenv.As(f.author, &contentv1.RetryPublishRequest{ContentId: f.item.ID.String()}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition) // nothing failed is left
	var runs int64
	runs, err = f.a.DB.NewSelect().Model((*db.ContentPublishRun)(nil)).Where("content_id = ?", f.item.ID).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, runs)
}

// TestRetryPublish_Refusals: who may retry, which content and which
// target.
func TestRetryPublish_Refusals(t *testing.T) {
	f := setupPublish(t, "alice")
	ctx := context.Background()
	outsider, member := f.a.NewUser(t, newPhone()), f.a.NewUser(t, newPhone())
	addAndAccept(t, f.a, f.author, f.org.String(), member, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	retry := func(s testenv.Session, account string) error {
		req := &contentv1.RetryPublishRequest{ContentId: f.item.ID.String()}
		if account != "" {
			req.SocialAccountId = &account
		}
		_, err := f.content.RetryPublish(ctx, testenv.As(s, req))
		return err
	}

	testenv.RequireCode(t, retry(f.author, ""), connect.CodeFailedPrecondition) // approved, never published
	f.a.SocialSandbox.FailNext(f.platformIDs[0], social.Reject)
	assert.Equal(t, enums.ContentFailed, f.publish(t, 0).Status)

	testenv.RequireCode(t, retry(outsider, ""), connect.CodeNotFound)
	testenv.RequireCode(t, retry(member, ""), connect.CodePermissionDenied)
	err := retry(f.author, uuid.NewString())
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	assert.Contains(t, err.Error(), "social_account_id")
	testenv.RequireCode(t, retry(f.author, "not-a-uuid"), connect.CodeInvalidArgument)
	assert.Equal(t, enums.ContentFailed, f.status(t), "refusals change nothing")

	require.NoError(t, retry(f.author, f.accounts[0].ID.String()))
	assert.Equal(t, enums.ContentPublished, f.result(t, 1).Status)
}
