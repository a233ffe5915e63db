package social_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/providers/social"
)

func TestSandbox_MetricsGrowWithTime(t *testing.T) {
	t.Parallel()
	b := setup(t, social.SandboxConfig{AccessTokenTTL: 90 * 24 * time.Hour})
	g := b.connect(t, "ada")
	ctx := context.Background()
	p, err := b.x.Publish(ctx, g.AccessToken, post("k", "hi"))
	require.NoError(t, err)

	tests := []struct {
		after time.Duration
		want  social.Metrics
	}{
		{after: 0, want: social.Metrics{}},
		{after: 10 * time.Minute, want: social.Metrics{Impressions: 120, Reach: 104, Likes: 4}},
		{after: time.Hour, want: social.Metrics{Impressions: 720, Reach: 626, Likes: 28, Comments: 4, Shares: 5}},
		{after: 7 * 24 * time.Hour, want: social.Metrics{Impressions: 120960, Reach: 105235, Likes: 4838, Comments: 6, Shares: 967}},
		{after: 30 * 24 * time.Hour, want: social.Metrics{Impressions: 120960, Reach: 105235, Likes: 4838, Comments: 6, Shares: 967}},
	}
	for _, tt := range tests {
		now := p.PublishedAt.Add(tt.after)
		b.clock.advance(now.Sub(b.clock.now()))
		m, err := b.x.Metrics(ctx, g.AccessToken, p.PostID)
		require.NoError(t, err)
		tt.want.MeasuredAt = now
		assert.Equal(t, tt.want, m, "after %s", tt.after)
	}
}

func TestSandbox_CommentsArriveOverTime(t *testing.T) {
	t.Parallel()
	b := setup(t, social.SandboxConfig{AccessTokenTTL: 90 * 24 * time.Hour})
	g, other := b.connect(t, "ada"), b.connect(t, "bob")
	ctx := context.Background()
	p, err := b.x.Publish(ctx, g.AccessToken, post("k", "hi"))
	require.NoError(t, err)

	got, err := b.x.Comments(ctx, g.AccessToken, p.PostID, "")
	require.NoError(t, err)
	assert.Empty(t, got, "no comment in the first 15 minutes")

	b.clock.advance(31 * time.Minute)
	got, err = b.x.Comments(ctx, g.AccessToken, p.PostID, "")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, social.Comment{ID: p.PostID + "-c00", Text: "Disappointing, very annoying delays",
		At: p.PublishedAt.Add(15 * time.Minute)}, got[0])
	assert.Equal(t, "Love this, great lineup!", got[1].Text)

	b.clock.advance(24 * time.Hour)
	rest, err := b.x.Comments(ctx, g.AccessToken, p.PostID, got[1].ID)
	require.NoError(t, err)
	require.Len(t, rest, 4)
	assert.Equal(t, p.PostID+"-c02", rest[0].ID)

	_, err = b.x.Comments(ctx, g.AccessToken, p.PostID, "nonsense")
	require.ErrorIs(t, err, social.ErrRejected)
	_, err = b.x.Comments(ctx, other.AccessToken, p.PostID, "")
	require.ErrorIs(t, err, social.ErrNotFound, "another account's post")
	_, err = b.x.Metrics(ctx, g.AccessToken, "404")
	require.ErrorIs(t, err, social.ErrNotFound)
}
