package jobs_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/secretbox"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/jobs"
)

// metricsBundle is one organization's x account on the social sandbox with
// one published post, and the jobs' access to it.
type metricsBundle struct {
	db      *db.DB
	clock   *fixedClock
	sandbox *social.Sandbox
	access  jobs.PlatformAccess
	account *db.SocialAccount
	post    *db.PublishedPost
}

type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func setupMetrics(t *testing.T) *metricsBundle {
	t.Helper()
	t.Parallel()
	ctx := context.Background()
	b := &metricsBundle{db: testenv.NewDB(t), clock: &fixedClock{t: time.Now().UTC().Truncate(jobs.MetricsInterval)}}
	b.sandbox = social.NewSandbox(social.SandboxConfig{Now: b.clock.now})
	platforms, err := social.NewRegistry(b.sandbox.Platforms()...)
	require.NoError(t, err)
	box, err := secretbox.New(map[string][]byte{"k1": []byte("0123456789abcdef0123456789abcdef")}, "k1")
	require.NoError(t, err)
	b.access = jobs.PlatformAccess{DB: b.db, Platforms: platforms, Tokens: box, Now: b.clock.now}

	user, _, err := db.CreateUserWithPhone(ctx, b.db, "+14155550190")
	require.NoError(t, err)
	org := &db.Organization{ID: db.NewID(), Name: "Metrics", Slug: "metrics-" + uuid.NewString()[:8], Settings: map[string]any{}, Status: "active"}
	require.NoError(t, db.InsertOrganization(ctx, b.db, org))

	x, err := platforms.Get("x")
	require.NoError(t, err)
	code, err := b.sandbox.IssueCode("x", "https://convene.test/cb", "ada")
	require.NoError(t, err)
	grant, err := x.ExchangeCode(ctx, code, "https://convene.test/cb")
	require.NoError(t, err)
	b.account = &db.SocialAccount{ID: db.NewID(), OrganizationID: org.ID, Platform: "x", PlatformUserID: grant.Account.PlatformUserID,
		Username: "ada", IsActive: true, TokenExpiresAt: &grant.ExpiresAt}
	aad := func(kind string) []byte { return db.SocialTokenAAD(org.ID, "x", grant.Account.PlatformUserID, kind) }
	b.account.AccessTokenCiphertext, b.account.TokenKeyID = box.Seal([]byte(grant.AccessToken), aad(db.SocialAccessToken))
	b.account.RefreshTokenCiphertext, _ = box.Seal([]byte(grant.RefreshToken), aad(db.SocialRefreshToken))
	_, err = db.UpsertSocialAccount(ctx, b.db, b.account)
	require.NoError(t, err)

	published, err := x.Publish(ctx, grant.AccessToken, social.Post{IdempotencyKey: "k", Text: "Doors open at 9 #ibw"})
	require.NoError(t, err)
	content := &db.Content{ID: db.NewID(), OrganizationID: org.ID, AuthorUserID: user.ID, ContentType: "post", CurrentVersion: 1,
		WorkflowStatus: "published", ApprovalRequired: true}
	version := &db.ContentVersion{ID: db.NewID(), ContentID: content.ID, OrganizationID: org.ID, Version: 1, Hashtags: []string{}}
	b.post = &db.PublishedPost{ID: db.NewID(), OrganizationID: org.ID, ContentID: content.ID, ContentVersionID: version.ID,
		SocialAccountID: b.account.ID, Platform: "x", IdempotencyKey: "k", PlatformPostID: &published.PostID,
		PlatformURL: published.URL, PublishStatus: enums.PostPublished, PublishedAt: &published.PublishedAt, PublishedContent: map[string]any{}}
	for _, row := range []any{content, version, b.post} {
		_, err := b.db.NewInsert().Model(row).Exec(ctx)
		require.NoError(t, err)
	}
	return b
}

func (b *metricsBundle) fetch(slot time.Time) error {
	w := &jobs.MetricsFetchWorker{Platform: b.access}
	return w.Work(context.Background(), &river.Job[jobs.MetricsFetchArgs]{Args: jobs.MetricsFetchArgs{PublishedPostID: b.post.ID, Slot: slot}})
}

func (b *metricsBundle) metricRows(t *testing.T) []db.EngagementMetric {
	t.Helper()
	var rows []db.EngagementMetric
	require.NoError(t, b.db.NewSelect().Model(&rows).Where("published_post_id = ?", b.post.ID).Order("measured_at").Scan(context.Background()))
	return rows
}

func TestMetricsFetch_OneRowPerSlotAndSnoozesOn429(t *testing.T) {
	b := setupMetrics(t)
	b.clock.advance(time.Hour)
	slot := b.clock.now().Truncate(jobs.MetricsInterval)

	require.NoError(t, b.fetch(slot))
	require.NoError(t, b.fetch(slot), "a second fetch of the slot stores nothing more")
	rows := b.metricRows(t)
	require.Len(t, rows, 1)
	m := rows[0]
	assert.Equal(t, slot, m.MeasuredAt.UTC())
	assert.Positive(t, m.Impressions)
	assert.Equal(t, int((m.Likes+m.Comments+m.Shares)*10000/m.Impressions), m.EngagementRateBps)

	b.sandbox.FailNext(*b.post.PlatformPostID, social.RateLimit(90*time.Second).On(social.OpMetrics))
	err := b.fetch(slot.Add(jobs.MetricsInterval))
	var snooze *river.JobSnoozeError
	require.ErrorAs(t, err, &snooze)
	assert.Equal(t, 90*time.Second, snooze.Duration, "the platform's Retry-After")
	assert.Len(t, b.metricRows(t), 1, "a rate-limited fetch stores nothing")

	b.sandbox.FailNext(*b.post.PlatformPostID, social.Reject.On(social.OpMetrics))
	var cancel *river.JobCancelError
	require.ErrorAs(t, b.fetch(slot.Add(jobs.MetricsInterval)), &cancel, "a refusal is not retried")
}

func TestMetricsFetch_RefreshesAnExpiringToken(t *testing.T) {
	b := setupMetrics(t)
	b.clock.advance(2 * time.Hour) // past the sandbox's 1h access token
	require.NoError(t, b.fetch(b.clock.now().Truncate(jobs.MetricsInterval)))
	assert.Len(t, b.metricRows(t), 1)

	stored, err := db.SocialAccountByID(context.Background(), b.db, b.account.ID)
	require.NoError(t, err)
	assert.True(t, stored.TokenExpiresAt.After(b.clock.now()), "the refreshed token's expiry is stored")
	assert.NotEqual(t, b.account.AccessTokenCiphertext, stored.AccessTokenCiphertext)
}

func TestSentiment_AnalysesEachNewCommentOnce(t *testing.T) {
	b := setupMetrics(t)
	ctx := context.Background()
	run := func() {
		w := &jobs.SentimentWorker{Platform: b.access}
		require.NoError(t, w.Work(ctx, &river.Job[jobs.SentimentArgs]{Args: jobs.SentimentArgs{PublishedPostID: b.post.ID}}))
	}
	count := func() int64 {
		n, err := b.db.NewSelect().Model((*db.SentimentAnalysis)(nil)).Where("published_post_id = ?", b.post.ID).Count(ctx)
		require.NoError(t, err)
		return n
	}
	b.clock.advance(31 * time.Minute) // two comments so far
	run()
	run()
	assert.Equal(t, int64(2), count(), "a second run finds nothing new")

	b.clock.advance(24 * time.Hour)
	run()
	var rows []db.SentimentAnalysis
	require.NoError(t, b.db.NewSelect().Model(&rows).Where("published_post_id = ?", b.post.ID).Order("commented_at").Scan(ctx))
	require.Len(t, rows, 6, "every comment of the sandbox's first post, once")
	assert.Equal(t, []any{"Disappointing, very annoying delays", "negative", -8682},
		[]any{rows[0].TextContent, rows[0].Sentiment, rows[0].ScoreBps})
	assert.Equal(t, []any{"Love this, great lineup!", "positive", 7809},
		[]any{rows[1].TextContent, rows[1].Sentiment, rows[1].ScoreBps})
}

func TestMetricsPoll_EnqueuesEachRecentPostOncePerSlot(t *testing.T) {
	b := setupMetrics(t)
	ctx := context.Background()
	inserter, err := river.NewClient(b.db.RiverDriver(), &river.Config{})
	require.NoError(t, err)
	w := &jobs.MetricsPollWorker{DB: b.db, River: inserter, Now: b.clock.now}
	require.NoError(t, w.Work(ctx, nil))
	require.NoError(t, w.Work(ctx, nil), "a second poll in the slot enqueues nothing more")

	kinds := map[string]int{}
	var rows []struct {
		Kind string `bun:"kind"`
	}
	require.NoError(t, b.db.NewSelect().Table("river_job").Column("kind").Scan(ctx, &rows))
	for _, r := range rows {
		kinds[r.Kind]++
	}
	assert.Equal(t, map[string]int{"content.metrics_fetch": 1, "content.sentiment": 1}, kinds)

	_, err = b.db.NewUpdate().Model((*db.SocialAccount)(nil)).Set("is_active = false").Where("id = ?", b.account.ID).Exec(ctx)
	require.NoError(t, err)
	b.clock.advance(jobs.MetricsInterval)
	require.NoError(t, w.Work(ctx, nil))
	n, err := b.db.NewSelect().Table("river_job").Count(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(2), n, "a disconnected account's posts are not measured")
}

func TestContentPartitions_CreatesAheadOnce(t *testing.T) {
	b := setupMetrics(t)
	ctx := context.Background()
	later := &fixedClock{t: b.clock.now().AddDate(0, 6, 0)}
	w := &jobs.ContentPartitionsWorker{DB: b.db, Now: later.now}
	require.NoError(t, w.Work(ctx, nil))
	created, err := db.EnsureContentPartitions(ctx, b.db, later.now(), 3)
	require.NoError(t, err)
	assert.Zero(t, created, "the job made them already")
	m := &db.EngagementMetric{ID: db.NewID(), OrganizationID: b.post.OrganizationID, PublishedPostID: b.post.ID, Platform: "x",
		MeasuredAt: later.now()}
	stored, err := db.InsertEngagementMetric(ctx, b.db, m)
	require.NoError(t, err)
	assert.True(t, stored, "a measurement six months ahead has its partition")
}
