package jobs_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertest"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/secretbox"
	"github.com/convene/convene/internal/sentiment"
	"github.com/convene/convene/internal/socialauth"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/jobs"
)

// publishedPost is a post published on the sandbox two hours before now,
// with its stored account, content and published_posts row.
type publishedPost struct {
	d       *db.DB
	sandbox *social.Sandbox
	post    *db.PublishedPost
	metrics jobs.ContentMetrics
}

func newPublishedPost(t *testing.T) publishedPost {
	t.Helper()
	ctx := context.Background()
	d := testenv.NewDB(t)
	published := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	now := published
	clock := func() time.Time { return now }
	sb := social.NewSandbox(social.SandboxConfig{Now: clock, AccessTokenTTL: 24 * time.Hour})
	platforms, err := social.NewRegistry(sb.Platforms()...)
	require.NoError(t, err)
	box, err := secretbox.FromEnv(config.DevSocialTokenKey)
	require.NoError(t, err)
	p, err := platforms.Get("x")
	require.NoError(t, err)
	code, err := sb.IssueCode("x", "http://localhost/cb", "demo")
	require.NoError(t, err)
	grant, err := p.ExchangeCode(ctx, code, "http://localhost/cb")
	require.NoError(t, err)
	out, err := p.Publish(ctx, grant.AccessToken, social.Post{IdempotencyKey: "k-" + db.NewID().String(), Text: "Launch day"})
	require.NoError(t, err)
	now = published.Add(2 * time.Hour)

	author, _, err := db.CreateUserWithPhone(ctx, d, "+14155550170")
	require.NoError(t, err)
	org := &db.Organization{ID: db.NewID(), Name: "Acme", Slug: "acme-metrics", Status: "active", Settings: map[string]any{}}
	require.NoError(t, db.InsertOrganization(ctx, d, org))
	acct := &db.SocialAccount{ID: db.NewID(), OrganizationID: org.ID, Platform: "x", PlatformUserID: grant.Account.PlatformUserID,
		Username: grant.Account.Username, IsActive: true}
	socialauth.Seal(box, acct, grant)
	content := &db.Content{ID: db.NewID(), OrganizationID: org.ID, AuthorUserID: author.ID, ContentType: "post",
		CurrentVersion: 1, WorkflowStatus: enums.ContentPublished}
	version := &db.ContentVersion{ID: db.NewID(), ContentID: content.ID, OrganizationID: org.ID, Version: 1, Title: "Launch", Hashtags: []string{}}
	post := &db.PublishedPost{ID: db.NewID(), OrganizationID: org.ID, ContentID: content.ID, ContentVersionID: version.ID,
		SocialAccountID: acct.ID, Platform: "x", IdempotencyKey: "content/" + content.ID.String(), PlatformPostID: &out.PostID,
		PlatformURL: out.URL, PublishedContent: map[string]any{}, PublishStatus: enums.PostPublished, PublishedAt: &published}
	for _, row := range []any{acct, content, version, post} {
		_, err := d.NewInsert().Model(row).Exec(ctx)
		require.NoError(t, err, "insert %T", row)
	}
	return publishedPost{d: d, sandbox: sb, post: post,
		metrics: jobs.ContentMetrics{DB: d, Platforms: platforms, Secrets: box, Now: clock}}
}

// comments are the post's comments as the platform shows them now.
func (pp publishedPost) comments(t *testing.T) []social.Comment {
	t.Helper()
	ctx := context.Background()
	p, err := pp.metrics.Platforms.Get("x")
	require.NoError(t, err)
	token, err := socialauth.AccessToken(ctx, pp.d, pp.metrics.Secrets, p, pp.post.SocialAccountID, pp.metrics.Now())
	require.NoError(t, err)
	comments, err := p.Comments(ctx, token, *pp.post.PlatformPostID, "")
	require.NoError(t, err)
	return comments
}

func (pp publishedPost) count(t *testing.T, table string) int {
	t.Helper()
	n, err := pp.d.NewSelect().Table(table).Where("published_post_id = ?", pp.post.ID).Count(context.Background())
	require.NoError(t, err)
	return int(n)
}

func TestFetchMetrics_TwoPollsOfOneIntervalStoreOneRowAndAnalyseEachCommentOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pp := newPublishedPost(t)
	interval := pp.metrics.Now().Truncate(jobs.MetricsInterval)
	fetch := rivertest.NewWorker(t, pp.d.RiverDriver(), &river.Config{}, river.Worker[jobs.FetchMetricsArgs](&jobs.FetchMetricsWorker{ContentMetrics: pp.metrics}))
	analyse := rivertest.NewWorker(t, pp.d.RiverDriver(), &river.Config{}, river.Worker[jobs.AnalyzeSentimentArgs](&jobs.AnalyzeSentimentWorker{ContentMetrics: pp.metrics}))

	for range 2 {
		res, err := fetch.Work(ctx, t, beginTx(t, pp.d), jobs.FetchMetricsArgs{PublishedPostID: pp.post.ID, Interval: interval}, nil)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		res, err = analyse.Work(ctx, t, beginTx(t, pp.d), jobs.AnalyzeSentimentArgs{PublishedPostID: pp.post.ID, Interval: interval}, nil)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
	}
	require.Equal(t, 1, pp.count(t, "engagement_metrics"), "one measurement per post and interval")
	m := &db.EngagementMetric{}
	require.NoError(t, pp.d.NewSelect().Model(m).Where("published_post_id = ?", pp.post.ID).Scan(ctx))
	require.True(t, interval.Equal(m.MeasuredAt), "measured at the interval's start")
	require.Positive(t, m.Impressions, "two hours after publishing the post has been seen")

	// Every comment the platform shows is analysed exactly once.
	comments := pp.comments(t)
	require.NotEmpty(t, comments)
	require.Equal(t, len(comments), pp.count(t, "sentiment_analysis"), "each comment analysed once, however often the job runs")
	var stored []db.SentimentAnalysis
	require.NoError(t, pp.d.NewSelect().Model(&stored).Where("published_post_id = ?", pp.post.ID).Order("commented_at").Scan(ctx))
	for i, c := range comments {
		require.Equal(t, c.ID, stored[i].PlatformCommentID)
		require.Equal(t, string(sentiment.Analyzer{}.Analyze(c.Text).Label), stored[i].Sentiment, "%q", c.Text)
	}
}

func TestFetchMetrics_RateLimitedSnoozesForRetryAfter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pp := newPublishedPost(t)
	pp.sandbox.FailNext(*pp.post.PlatformPostID, social.RateLimit(90*time.Second).On(social.OpMetrics))
	fetch := rivertest.NewWorker(t, pp.d.RiverDriver(), &river.Config{}, river.Worker[jobs.FetchMetricsArgs](&jobs.FetchMetricsWorker{ContentMetrics: pp.metrics}))

	res, err := fetch.Work(ctx, t, beginTx(t, pp.d), jobs.FetchMetricsArgs{PublishedPostID: pp.post.ID, Interval: pp.metrics.Now().Truncate(jobs.MetricsInterval)}, nil)
	require.NoError(t, err)
	require.Equal(t, river.EventKindJobSnoozed, res.EventKind)
	require.WithinDuration(t, time.Now().Add(90*time.Second), res.Job.ScheduledAt, 10*time.Second, "snoozed for Retry-After")
	require.Zero(t, pp.count(t, "engagement_metrics"))
}

// beginTx is the transaction rivertest works a job in, rolled back at the
// end of the test (the job row only; the worker writes through its own
// connections).
func beginTx(t *testing.T, d *db.DB) *sql.Tx {
	t.Helper()
	tx, err := d.SQL().BeginTx(context.Background(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback() })
	return tx
}
