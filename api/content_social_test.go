package api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/secretbox"
	"github.com/convene/convene/internal/testenv"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// consent is one click-through of the sandbox's consent page: where the
// platform sent the browser back, and what the callback answered.
type consent struct {
	callback string
	status   int
	body     string
}

// connectThroughSandbox starts connecting an account of platform as who,
// approves (or denies) on the sandbox's consent page as username, and
// follows the redirect to Convene's callback, as a browser would.
func connectThroughSandbox(t *testing.T, a *testenv.API, who testenv.Session, orgID, platform, username string, approve bool) consent {
	t.Helper()
	ctx := context.Background()
	start, err := a.Social.StartConnect(ctx, testenv.As(who, &contentv1.StartConnectRequest{OrganizationId: orgID, Platform: platform}))
	require.NoError(t, err)
	authorize := start.Msg.GetAuthorizeUrl()
	require.True(t, strings.HasPrefix(authorize, a.URL+"/sandbox/social/"+platform+"/authorize?"), authorize)

	status, page := get(t, a.HTTP, authorize)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, page, `value="approve"`)

	decision := map[bool]string{true: "approve", false: "deny"}[approve]
	noRedirect := *a.HTTP
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := noRedirect.PostForm(authorize, url.Values{"decision": {decision}, "username": {username}})
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	c := consent{callback: res.Header.Get("Location")}
	require.True(t, strings.HasPrefix(c.callback, a.URL+"/oauth/callback/"+platform+"?"), c.callback)
	c.status, c.body = get(t, a.HTTP, c.callback)
	return c
}

func get(t *testing.T, client *http.Client, target string) (int, string) {
	t.Helper()
	res, err := client.Get(target)
	require.NoError(t, err)
	defer func() { _ = res.Body.Close() }()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(body)
}

// socialOrg is an organization with an owner, an admin and a member.
type socialOrg struct {
	owner, admin, member testenv.Session
	orgID                string
}

func newSocialOrg(t *testing.T, a *testenv.API, slug string) socialOrg {
	t.Helper()
	o := socialOrg{owner: a.NewUser(t, newPhone()), admin: a.NewUser(t, newPhone()), member: a.NewUser(t, newPhone())}
	o.orgID = createOrg(t, a, o.owner, slug).GetId()
	addAndAccept(t, a, o.owner, o.orgID, o.admin, identityv1.OrganizationRole_ORGANIZATION_ROLE_ADMIN)
	addAndAccept(t, a, o.owner, o.orgID, o.member, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	return o
}

func accountsOf(t *testing.T, a *testenv.API, who testenv.Session, orgID string) []*contentv1.SocialAccount {
	t.Helper()
	res, err := a.Social.ListSocialAccounts(context.Background(), testenv.As(who, &contentv1.ListSocialAccountsRequest{OrganizationId: orgID}))
	require.NoError(t, err)
	return res.Msg.GetSocialAccounts()
}

func TestSocial_ConnectThroughSandboxConsentStoresSealedTokens(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	org := newSocialOrg(t, a, "social-connect")

	c := connectThroughSandbox(t, a, org.admin, org.orgID, "x", "convene_ibw", true)
	require.Equal(t, http.StatusOK, c.status, c.body)
	assert.Contains(t, c.body, "@convene_ibw on x is connected")

	accounts := accountsOf(t, a, org.member, org.orgID)
	require.Len(t, accounts, 1)
	got := accounts[0]
	want := social.SandboxAccount("x", "convene_ibw")
	assert.Equal(t, []any{"x", want.PlatformUserID, "convene_ibw", true, org.orgID},
		[]any{got.GetPlatform(), got.GetPlatformUserId(), got.GetUsername(), got.GetIsActive(), got.GetOrganizationId()})
	assert.WithinDuration(t, a.Clock.Now().Add(time.Hour), got.GetTokenExpiresAt().AsTime(), time.Minute)

	// The row holds ciphertext only; opened with the key and the account's
	// binding, it is a token the platform accepts.
	row, err := db.SocialAccountByID(ctx, a.DB, mustUUID(got.GetId()))
	require.NoError(t, err)
	box, err := secretbox.FromEnv(config.Default().SocialTokenKey)
	require.NoError(t, err)
	token, err := box.Open(row.AccessTokenCiphertext, row.TokenKeyID,
		[]byte("social_account/"+org.orgID+"/x/"+want.PlatformUserID+"/access"))
	require.NoError(t, err)
	assert.False(t, bytes.Contains(row.AccessTokenCiphertext, token), "the stored access token is encrypted")
	refresh, err := box.Open(row.RefreshTokenCiphertext, row.TokenKeyID,
		[]byte("social_account/"+org.orgID+"/x/"+want.PlatformUserID+"/refresh"))
	require.NoError(t, err)
	assert.False(t, bytes.Contains(row.RefreshTokenCiphertext, refresh), "the stored refresh token is encrypted")
	x := sandboxPlatform(t, a, "x")
	_, err = x.Publish(ctx, string(token), social.Post{IdempotencyKey: "check", Text: "hello"})
	require.NoError(t, err, "the sealed token is the one the platform granted")

	// The state is spent: replaying the callback connects nothing more.
	status, body := get(t, a.HTTP, c.callback)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, "expired or was already used")
	assert.Len(t, accountsOf(t, a, org.owner, org.orgID), 1)
	assert.Equal(t, int64(1), socialAuditCount(t, a, "social_account", got.GetId(), "connect"))
}

func sandboxPlatform(t *testing.T, a *testenv.API, name string) social.Platform {
	t.Helper()
	reg, err := social.NewRegistry(a.SocialSandbox.Platforms()...)
	require.NoError(t, err)
	p, err := reg.Get(name)
	require.NoError(t, err)
	return p
}

func socialAuditCount(t *testing.T, a *testenv.API, objectType, objectID, action string) int64 {
	t.Helper()
	n, err := a.DB.NewSelect().Model((*db.AuditLog)(nil)).
		Where("object_type = ? AND object_id = ? AND action = ?", objectType, objectID, action).Count(context.Background())
	require.NoError(t, err)
	return n
}

func TestSocial_ReconnectUpdatesTheAccountAndDisconnectDeletesTokens(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	org := newSocialOrg(t, a, "social-reconnect")
	other := newSocialOrg(t, a, "social-other")

	require.Equal(t, http.StatusOK, connectThroughSandbox(t, a, org.owner, org.orgID, "linkedin", "grace", true).status)
	first := accountsOf(t, a, org.owner, org.orgID)[0]

	// A member may not disconnect; another organization's owner does not see it.
	_, err := a.Social.DisconnectSocialAccount(ctx, testenv.As(org.member, &contentv1.DisconnectSocialAccountRequest{SocialAccountId: first.GetId()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = a.Social.DisconnectSocialAccount(ctx, testenv.As(other.owner, &contentv1.DisconnectSocialAccountRequest{SocialAccountId: first.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	res, err := a.Social.DisconnectSocialAccount(ctx, testenv.As(org.admin, &contentv1.DisconnectSocialAccountRequest{SocialAccountId: first.GetId()}))
	require.NoError(t, err)
	assert.False(t, res.Msg.GetSocialAccount().GetIsActive())
	row, err := db.SocialAccountByID(ctx, a.DB, mustUUID(first.GetId()))
	require.NoError(t, err)
	assert.Empty(t, row.AccessTokenCiphertext, "disconnecting deletes the tokens")
	assert.Nil(t, row.RefreshTokenCiphertext)
	assert.Equal(t, int64(1), socialAuditCount(t, a, "social_account", first.GetId(), "disconnect"))

	// Connecting the same platform account again revives the same row.
	require.Equal(t, http.StatusOK, connectThroughSandbox(t, a, org.owner, org.orgID, "linkedin", "grace", true).status)
	accounts := accountsOf(t, a, org.owner, org.orgID)
	require.Len(t, accounts, 1)
	assert.Equal(t, first.GetId(), accounts[0].GetId())
	assert.True(t, accounts[0].GetIsActive())
	assert.Equal(t, int64(1), socialAuditCount(t, a, "social_account", first.GetId(), "reconnect"))

	// Another account is another row; the other organization has none.
	require.Equal(t, http.StatusOK, connectThroughSandbox(t, a, org.owner, org.orgID, "linkedin", "ada", true).status)
	assert.Len(t, accountsOf(t, a, org.owner, org.orgID), 2)
	assert.Empty(t, accountsOf(t, a, other.owner, other.orgID))
}

func TestSocial_ConsentDeniedConnectsNothing(t *testing.T) {
	a := setup(t)
	org := newSocialOrg(t, a, "social-denied")
	c := connectThroughSandbox(t, a, org.owner, org.orgID, "instagram", "grace", false)
	assert.Equal(t, http.StatusBadRequest, c.status)
	assert.Contains(t, c.body, "consent was not given")
	assert.Empty(t, accountsOf(t, a, org.owner, org.orgID))
}

func TestSocial_StartConnectRefusals(t *testing.T) {
	a := setup(t)
	org := newSocialOrg(t, a, "social-refusals")
	other := newSocialOrg(t, a, "social-refusals-b")
	unknownEvent := uuid.NewString()
	tests := []struct {
		name  string
		who   testenv.Session
		req   *contentv1.StartConnectRequest
		code  connect.Code
		field string
	}{
		{name: "unknown platform", who: org.owner, req: &contentv1.StartConnectRequest{OrganizationId: org.orgID, Platform: "myspace"},
			code: connect.CodeInvalidArgument, field: "platform"},
		{name: "event of no organization of ours", who: org.owner,
			req:  &contentv1.StartConnectRequest{OrganizationId: org.orgID, Platform: "x", EventId: &unknownEvent},
			code: connect.CodeInvalidArgument, field: "event_id"},
		{name: "member", who: org.member, req: &contentv1.StartConnectRequest{OrganizationId: org.orgID, Platform: "x"},
			code: connect.CodePermissionDenied},
		{name: "another organization's owner", who: other.owner, req: &contentv1.StartConnectRequest{OrganizationId: org.orgID, Platform: "x"},
			code: connect.CodePermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Social.StartConnect(context.Background(), testenv.As(tt.who, tt.req))
			testenv.RequireCode(t, err, tt.code)
			if tt.field != "" {
				assert.Contains(t, err.Error(), tt.field+":")
			}
		})
	}
	n, err := a.DB.NewSelect().Model((*db.SocialConnectState)(nil)).Count(context.Background())
	require.NoError(t, err)
	assert.Zero(t, n, "a refused StartConnect stores no state")
}

func TestSocial_PostsAndMetrics(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	org := newSocialOrg(t, a, "social-posts")
	other := newSocialOrg(t, a, "social-posts-b")
	require.Equal(t, http.StatusOK, connectThroughSandbox(t, a, org.owner, org.orgID, "x", "ada", true).status)
	account := mustUUID(accountsOf(t, a, org.owner, org.orgID)[0].GetId())
	now := time.Now().UTC().Truncate(time.Second)
	published := insertPost(t, a, org.orgID, org.member.UserID, account, enums.PostPublished, now.Add(-time.Hour))
	failed := insertPost(t, a, org.orgID, org.member.UserID, account, enums.PostFailed, time.Time{})
	for i, impressions := range []int64{100, 250} {
		_, err := a.DB.NewInsert().Model(&db.EngagementMetric{ID: db.NewID(), OrganizationID: mustUUID(org.orgID),
			PublishedPostID: published, Platform: "x", Impressions: impressions, Likes: 5, EngagementRateBps: 200,
			MeasuredAt: now.Add(time.Duration(i-2) * 15 * time.Minute)}).Exec(ctx)
		require.NoError(t, err)
	}

	list := func(req *contentv1.ListPublishedPostsRequest) *contentv1.ListPublishedPostsResponse {
		req.OrganizationId = org.orgID
		res, err := a.Social.ListPublishedPosts(ctx, testenv.As(org.member, req))
		require.NoError(t, err)
		return res.Msg
	}
	page := list(&contentv1.ListPublishedPostsRequest{PageSize: 1})
	require.Len(t, page.GetPublishedPosts(), 1)
	assert.Equal(t, failed.String(), page.GetPublishedPosts()[0].GetId(), "newest first")
	page = list(&contentv1.ListPublishedPostsRequest{PageSize: 1, PageToken: page.GetNextPageToken()})
	require.Len(t, page.GetPublishedPosts(), 1)
	assert.Equal(t, published.String(), page.GetPublishedPosts()[0].GetId())
	assert.Empty(t, page.GetNextPageToken())
	onlyPublished := list(&contentv1.ListPublishedPostsRequest{Status: contentv1.PublishStatus_PUBLISH_STATUS_PUBLISHED})
	require.Len(t, onlyPublished.GetPublishedPosts(), 1)
	post := onlyPublished.GetPublishedPosts()[0]
	assert.Equal(t, []any{"post-" + published.String(), "https://sandbox.social/x/posts/1", int32(1), contentv1.PublishStatus_PUBLISH_STATUS_PUBLISHED},
		[]any{post.GetPlatformPostId(), post.GetPlatformUrl(), post.GetContentVersion(), post.GetStatus()})

	metrics, err := a.Social.GetPostMetrics(ctx, testenv.As(org.member, &contentv1.GetPostMetricsRequest{PublishedPostId: published.String()}))
	require.NoError(t, err)
	require.Len(t, metrics.Msg.GetSeries(), 2)
	assert.Equal(t, int64(100), metrics.Msg.GetSeries()[0].GetMetrics().GetImpressions(), "oldest first")
	assert.Equal(t, int64(250), metrics.Msg.GetLatest().GetMetrics().GetImpressions())
	assert.Equal(t, int32(200), metrics.Msg.GetLatest().GetMetrics().GetEngagementRateBps())

	_, err = a.Social.GetPostMetrics(ctx, testenv.As(other.owner, &contentv1.GetPostMetricsRequest{PublishedPostId: published.String()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = a.Social.ListPublishedPosts(ctx, testenv.As(other.owner, &contentv1.ListPublishedPostsRequest{OrganizationId: org.orgID}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
}

// insertPost writes a content by author with one version and its post on
// account, as publishing would.
func insertPost(t *testing.T, a *testenv.API, org, author string, account uuid.UUID, status string, publishedAt time.Time) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	orgID := mustUUID(org)
	content := &db.Content{ID: db.NewID(), OrganizationID: orgID, AuthorUserID: mustUUID(author),
		ContentType: "post", CurrentVersion: 1, WorkflowStatus: "published", ApprovalRequired: true}
	version := &db.ContentVersion{ID: db.NewID(), ContentID: content.ID, OrganizationID: orgID, Version: 1, Title: "Day one", Hashtags: []string{}}
	post := &db.PublishedPost{ID: db.NewID(), OrganizationID: orgID, ContentID: content.ID, ContentVersionID: version.ID,
		SocialAccountID: account, Platform: "x", IdempotencyKey: "content/" + content.ID.String(), PublishStatus: status,
		PublishedContent: map[string]any{}}
	if status == enums.PostPublished {
		id := "post-" + post.ID.String()
		post.PlatformPostID, post.PlatformURL, post.PublishedAt = &id, "https://sandbox.social/x/posts/1", &publishedAt
	}
	for _, row := range []any{content, version, post} {
		_, err := a.DB.NewInsert().Model(row).Exec(ctx)
		require.NoError(t, err)
	}
	return post.ID
}
