package social_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/providers/social"
)

// clock is a fixed time the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const redirectURI = "https://convene.test/oauth/callback/x"

// testBundle is a sandbox on a test clock with its "x" platform.
type testBundle struct {
	sandbox *social.Sandbox
	clock   *clock
	x       social.Platform
}

func setup(t *testing.T, cfg social.SandboxConfig) *testBundle {
	t.Helper()
	b := &testBundle{clock: &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}}
	cfg.Now = b.clock.now
	cfg.BaseURL = "https://api.convene.test/"
	b.sandbox = social.NewSandbox(cfg)
	reg, err := social.NewRegistry(b.sandbox.Platforms()...)
	require.NoError(t, err)
	b.x, err = reg.Get("x")
	require.NoError(t, err)
	return b
}

// connect gives username an "x" account and returns its grant.
func (b *testBundle) connect(t *testing.T, username string) social.Grant {
	t.Helper()
	code, err := b.sandbox.IssueCode("x", redirectURI, username)
	require.NoError(t, err)
	g, err := b.x.ExchangeCode(context.Background(), code, redirectURI)
	require.NoError(t, err)
	return g
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	s := social.NewSandbox(social.SandboxConfig{})
	reg, err := social.NewRegistry(s.Platforms()...)
	require.NoError(t, err)
	assert.Equal(t, []string{"facebook", "instagram", "linkedin", "x"}, reg.Names())

	_, err = reg.Get("myspace")
	require.ErrorIs(t, err, social.ErrUnknownPlatform)

	_, err = social.NewRegistry(append(s.Platforms(), s.Platforms()[0])...)
	require.ErrorContains(t, err, `"x" registered twice`)
}

func TestSandbox_ExchangeCodeRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		platform string
		redirect string
		wait     time.Duration
		reuse    bool
	}{
		{name: "code used twice", platform: "x", redirect: redirectURI, reuse: true},
		{name: "code expired", platform: "x", redirect: redirectURI, wait: 5 * time.Minute},
		{name: "other redirect uri", platform: "x", redirect: "https://evil.test/cb"},
		{name: "other platform", platform: "linkedin", redirect: redirectURI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, social.SandboxConfig{})
			ctx := context.Background()
			code, err := b.sandbox.IssueCode("x", redirectURI, "ada")
			require.NoError(t, err)
			if tt.reuse {
				_, err = b.x.ExchangeCode(ctx, code, redirectURI)
				require.NoError(t, err)
			}
			b.clock.advance(tt.wait)
			p := platform(t, b.sandbox, tt.platform)
			_, err = p.ExchangeCode(ctx, code, tt.redirect)
			require.ErrorIs(t, err, social.ErrRejected)
		})
	}
}

func platform(t *testing.T, s *social.Sandbox, name string) social.Platform {
	t.Helper()
	reg, err := social.NewRegistry(s.Platforms()...)
	require.NoError(t, err)
	p, err := reg.Get(name)
	require.NoError(t, err)
	return p
}

func TestSandbox_TokensExpireAndRefreshRotates(t *testing.T) {
	t.Parallel()
	b := setup(t, social.SandboxConfig{AccessTokenTTL: time.Hour})
	ctx := context.Background()
	g := b.connect(t, "ada")
	assert.Equal(t, social.SandboxAccount("x", "ada"), g.Account)
	assert.Equal(t, b.clock.now().Add(time.Hour), g.ExpiresAt)

	// Another platform does not take x's token.
	_, err := platform(t, b.sandbox, "linkedin").Publish(ctx, g.AccessToken, post("k1", "hello"))
	require.ErrorIs(t, err, social.ErrRejected)

	b.clock.advance(time.Hour)
	_, err = b.x.Publish(ctx, g.AccessToken, post("k1", "hello"))
	require.ErrorIs(t, err, social.ErrTokenExpired)
	require.ErrorIs(t, err, social.ErrRejected, "an expired token is also a rejection for callers that do not refresh")

	fresh, err := b.x.RefreshToken(ctx, g.RefreshToken)
	require.NoError(t, err)
	assert.Equal(t, g.Account, fresh.Account)
	_, err = b.x.Publish(ctx, fresh.AccessToken, post("k1", "hello"))
	require.NoError(t, err)

	_, err = b.x.RefreshToken(ctx, g.RefreshToken)
	require.ErrorIs(t, err, social.ErrRejected, "a refresh token works once")

	b.clock.advance(31 * 24 * time.Hour)
	_, err = b.x.RefreshToken(ctx, fresh.RefreshToken)
	require.ErrorIs(t, err, social.ErrRejected, "refresh tokens expire too")
}

func post(key, text string) social.Post { return social.Post{IdempotencyKey: key, Text: text} }

func TestSandbox_PublishIsIdempotentUnderConcurrency(t *testing.T) {
	t.Parallel()
	b := setup(t, social.SandboxConfig{})
	ctx := context.Background()
	ada, bob := b.connect(t, "ada"), b.connect(t, "bob")

	var wg sync.WaitGroup
	ids := make([]string, 50)
	for i := range ids {
		wg.Go(func() {
			p, err := b.x.Publish(ctx, ada.AccessToken, post("content-1/v1/x", "Doors open at 9"))
			assert.NoError(t, err)
			ids[i] = p.PostID
		})
	}
	wg.Wait()
	for _, id := range ids {
		require.Equal(t, ids[0], id)
	}
	// The same key on another account is another post.
	other, err := b.x.Publish(ctx, bob.AccessToken, post("content-1/v1/x", "Doors open at 9"))
	require.NoError(t, err)
	assert.NotEqual(t, ids[0], other.PostID)

	posts := b.sandbox.Posts(ada.Account.PlatformUserID)
	require.Len(t, posts, 1)
	assert.Equal(t, "https://sandbox.social/x/posts/"+ids[0], posts[0].URL)
	assert.Equal(t, "content-1/v1/x", posts[0].IdempotencyKey)
	assert.Len(t, b.sandbox.Posts(bob.Account.PlatformUserID), 1)
}

func TestSandbox_PublishRejectsContent(t *testing.T) {
	t.Parallel()
	long := make([]byte, 281)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		name string
		post social.Post
		want string
	}{
		{name: "no key", post: post("", "hi"), want: "idempotency key is required"},
		{name: "nothing to post", post: post("k", ""), want: "needs text or media"},
		{name: "too long for x", post: post("k", string(long)), want: "text is 281 characters, x allows 280"},
		{name: "media not a URL", post: social.Post{IdempotencyKey: "k", MediaURLs: []string{"file:///etc/passwd"}},
			want: "is not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, social.SandboxConfig{})
			g := b.connect(t, "ada")
			_, err := b.x.Publish(context.Background(), g.AccessToken, tt.post)
			require.ErrorIs(t, err, social.ErrRejected)
			require.ErrorContains(t, err, tt.want)
			assert.Empty(t, b.sandbox.Posts(g.Account.PlatformUserID))
		})
	}
}

func TestSandbox_RateLimitPerAccount(t *testing.T) {
	t.Parallel()
	b := setup(t, social.SandboxConfig{PostsPerMinute: 6, Burst: 2})
	ctx := context.Background()
	ada, bob := b.connect(t, "ada"), b.connect(t, "bob")
	for i := range 2 {
		_, err := b.x.Publish(ctx, ada.AccessToken, post(fmt.Sprint("k", i), "hi"))
		require.NoError(t, err)
	}
	_, err := b.x.Publish(ctx, ada.AccessToken, post("k2", "hi"))
	rl, ok := social.AsRateLimited(err)
	require.True(t, ok, "got %v", err)
	assert.Equal(t, 10*time.Second, rl.RetryAfter)

	// A repeat of a published key is answered, not limited; another account has its own bucket.
	_, err = b.x.Publish(ctx, ada.AccessToken, post("k0", "hi"))
	require.NoError(t, err)
	_, err = b.x.Publish(ctx, bob.AccessToken, post("k2", "hi"))
	require.NoError(t, err)

	b.clock.advance(rl.RetryAfter)
	_, err = b.x.Publish(ctx, ada.AccessToken, post("k2", "hi"))
	require.NoError(t, err)
	assert.Len(t, b.sandbox.Posts(ada.Account.PlatformUserID), 3)
}
