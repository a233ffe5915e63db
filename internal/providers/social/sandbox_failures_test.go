package social_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/providers/social"
)

func TestSandbox_FailNextOnPublish(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		key       func(g social.Grant) string // what FailNext matches
		failure   social.Failure
		wantErr   error
		wantPosts int
	}{
		{name: "reject by account", key: accountOf, failure: social.Reject, wantErr: social.ErrRejected},
		{name: "503 by idempotency key", key: constant("post-1"), failure: social.Unavailable, wantErr: social.ErrUnavailable},
		{name: "reject by text marker", key: constant("#refuse"), failure: social.Reject, wantErr: social.ErrRejected},
		{name: "timeout after accept", key: accountOf, failure: social.TimeoutAfterAccept,
			wantErr: context.DeadlineExceeded, wantPosts: 1},
		{name: "not for another account", key: constant("x-someone-else"), failure: social.Reject, wantPosts: 1},
		{name: "not for another operation", key: accountOf, failure: social.Reject.On(social.OpMetrics), wantPosts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, social.SandboxConfig{})
			g := b.connect(t, "ada")
			b.sandbox.FailNext(tt.key(g), tt.failure)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()

			_, err := b.x.Publish(ctx, g.AccessToken, post("post-1", "Day one recap #refuse"))
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.wantErr)
			}
			assert.Len(t, b.sandbox.Posts(g.Account.PlatformUserID), tt.wantPosts)

			// The failure is spent: the retry succeeds, still with one post.
			_, err = b.x.Publish(context.Background(), g.AccessToken, post("post-1", "Day one recap #refuse"))
			require.NoError(t, err)
			assert.Len(t, b.sandbox.Posts(g.Account.PlatformUserID), 1)
		})
	}
}

func accountOf(g social.Grant) string { return g.Account.PlatformUserID }

func constant(key string) func(social.Grant) string { return func(social.Grant) string { return key } }

func TestSandbox_FailNextRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, social.SandboxConfig{})
	g := b.connect(t, "ada")
	b.sandbox.FailNext(g.Account.PlatformUserID, social.RateLimit(90*time.Second))
	_, err := b.x.Publish(context.Background(), g.AccessToken, post("k", "hi"))
	rl, ok := social.AsRateLimited(err)
	require.True(t, ok, "got %v", err)
	assert.Equal(t, 90*time.Second, rl.RetryAfter)
}

func TestSandbox_LookupAfterTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t, social.SandboxConfig{})
	g := b.connect(t, "ada")
	ctx := context.Background()

	_, found, err := b.x.LookupPost(ctx, g.AccessToken, "post-1")
	require.NoError(t, err)
	assert.False(t, found, "nothing published yet")

	b.sandbox.FailNext("post-1", social.TimeoutAfterAccept)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = b.x.Publish(short, g.AccessToken, post("post-1", "hi"))
	require.ErrorIs(t, err, context.DeadlineExceeded)

	got, found, err := b.x.LookupPost(ctx, g.AccessToken, "post-1")
	require.NoError(t, err)
	require.True(t, found, "the timed-out publish was accepted")
	assert.Equal(t, b.sandbox.Posts(g.Account.PlatformUserID)[0].Published, got)

	b.sandbox.FailNext(g.Account.PlatformUserID, social.LookupUnknown)
	_, _, err = b.x.LookupPost(ctx, g.AccessToken, "post-1")
	require.ErrorIs(t, err, social.ErrUnavailable, "an unknown answer is an error, never found=false")
}

func TestSandbox_FailNextOnMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t, social.SandboxConfig{})
	g := b.connect(t, "ada")
	ctx := context.Background()
	p, err := b.x.Publish(ctx, g.AccessToken, post("k", "hi"))
	require.NoError(t, err)

	b.sandbox.FailNext(p.PostID, social.RateLimit(time.Minute).On(social.OpMetrics))
	_, err = b.x.Metrics(ctx, g.AccessToken, p.PostID)
	_, limited := social.AsRateLimited(err)
	require.True(t, limited, "got %v", err)
	_, err = b.x.Metrics(ctx, g.AccessToken, p.PostID)
	require.NoError(t, err)
}
