package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
)

// postFixture is one content version targeting one account.
type postFixture struct {
	d       *db.DB
	content *db.Content
	version *db.ContentVersion
	account *db.SocialAccount
}

func setupPost(t *testing.T) postFixture {
	t.Helper()
	ctx := context.Background()
	d := testenv.NewDB(t)
	author, _, err := db.CreateUserWithPhone(ctx, d, fmt.Sprintf("+1415%07d", time.Now().UnixNano()%10_000_000))
	require.NoError(t, err)
	org := &db.Organization{ID: db.NewID(), Name: "Acme", Slug: "acme-" + db.NewID().String()[:8], Status: "active", Settings: map[string]any{}}
	require.NoError(t, db.InsertOrganization(ctx, d, org))
	f := postFixture{d: d,
		account: &db.SocialAccount{ID: db.NewID(), OrganizationID: org.ID, Platform: "x", PlatformUserID: "u1",
			AccessTokenCiphertext: []byte{1}, TokenKeyID: "k1", IsActive: true},
		content: &db.Content{ID: db.NewID(), OrganizationID: org.ID, AuthorUserID: author.ID, ContentType: "post",
			CurrentVersion: 1, WorkflowStatus: enums.ContentApproved, ApprovalRequired: true}}
	f.version = &db.ContentVersion{ID: db.NewID(), ContentID: f.content.ID, OrganizationID: org.ID, Version: 1, Title: "Launch", Hashtags: []string{}}
	for _, row := range []any{f.account, f.content, f.version,
		&db.ContentVersionTarget{ContentVersionID: f.version.ID, SocialAccountID: f.account.ID}} {
		_, err := d.NewInsert().Model(row).Exec(ctx)
		require.NoError(t, err, "insert %T", row)
	}
	return f
}

func (f postFixture) claim(t *testing.T, retry bool) db.PostClaim {
	t.Helper()
	c, err := db.ClaimPost(context.Background(), f.d, &db.PublishedPost{OrganizationID: f.content.OrganizationID,
		ContentID: f.content.ID, ContentVersionID: f.version.ID, SocialAccountID: f.account.ID, Platform: "x",
		IdempotencyKey: db.PostIdempotencyKey(f.content.ID, f.account.ID)}, retry)
	require.NoError(t, err)
	return c
}

// TestClaimPost_OneRowPerAccountEver: the first claim writes the row, a
// repeat finds it (and says a post may exist), a published post is never
// claimed again, and needs_attention is taken over only by a retry.
func TestClaimPost_OneRowPerAccountEver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setupPost(t)

	first := f.claim(t, false)
	assert.Equal(t, db.PostClaim{Post: first.Post, Publish: true}, first)
	again := f.claim(t, false)
	assert.Equal(t, first.Post.ID, again.Post.ID, "one row per content and account")
	assert.True(t, again.Publish && again.MayExist, "an interrupted attempt is looked up first")

	require.NoError(t, db.MarkPostUnpublished(ctx, f.d, first.Post.ID, enums.PostNeedsAttention, "unknown"))
	left := f.claim(t, false)
	assert.False(t, left.Publish, "a scheduled run leaves a post an operator must check")
	assert.Equal(t, enums.PostNeedsAttention, left.Post.PublishStatus)
	retried := f.claim(t, true)
	assert.True(t, retried.Publish && retried.MayExist, "a retry takes it over, looking it up first")

	require.NoError(t, db.MarkPostUnpublished(ctx, f.d, first.Post.ID, enums.PostFailed, "rejected"))
	reopened := f.claim(t, false)
	assert.True(t, reopened.Publish, "nothing was posted: publish")
	assert.False(t, reopened.MayExist)

	at := time.Now().UTC().Truncate(time.Microsecond)
	require.NoError(t, db.RecordPostPublished(ctx, f.d, first.Post.ID, "p-1", "https://x/p-1", at))
	require.NoError(t, db.MarkPostUnpublished(ctx, f.d, first.Post.ID, enums.PostFailed, "late"), "ignored for a published post")
	done := f.claim(t, true)
	assert.False(t, done.Publish, "a published post is never posted again")
	assert.Equal(t, enums.PostPublished, done.Post.PublishStatus)

	targets, err := db.PublishTargetsOf(ctx, f.d, f.content.ID, f.version.ID)
	require.NoError(t, err)
	require.Len(t, targets, 1)
	assert.Equal(t, db.PublishTarget{SocialAccountID: f.account.ID, Platform: "x", PostID: first.Post.ID,
		Status: enums.PostPublished, PlatformPostID: "p-1", URL: "https://x/p-1"}, targets[0])
}

// TestFinishContentPublishing_Once: the outcome is set on content that is
// publishing, once.
func TestFinishContentPublishing_Once(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setupPost(t)
	changed, err := db.FinishContentPublishing(ctx, f.d, f.content.ID, enums.ContentPublished)
	require.NoError(t, err)
	assert.False(t, changed, "not publishing yet")
	require.NoError(t, db.SetContentPublishing(ctx, f.d, f.content.ID))
	changed, err = db.FinishContentPublishing(ctx, f.d, f.content.ID, enums.ContentPublished)
	require.NoError(t, err)
	assert.True(t, changed)
	changed, err = db.FinishContentPublishing(ctx, f.d, f.content.ID, enums.ContentFailed)
	require.NoError(t, err)
	assert.False(t, changed, "a repeat changes nothing")
}
