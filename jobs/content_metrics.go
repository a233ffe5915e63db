package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/secretbox"
	"github.com/convene/convene/internal/sentiment"
	"github.com/convene/convene/internal/socialauth"
)

// Metrics polling: every MetricsInterval a poll enqueues one fetch per
// post published within MetricsWindow; each fetch stores the post's
// figures for that interval and enqueues the analysis of its new comments.
const (
	// MetricsInterval is how often posts are measured.
	MetricsInterval = 15 * time.Minute
	// MetricsWindow is how long after publishing a post is measured.
	MetricsWindow = 30 * 24 * time.Hour
	// partitionsAhead is how many months of partitions are kept ready.
	partitionsAhead = 3
	// commentPages bounds the comment pages one analysis reads; the rest
	// waits for the next interval.
	commentPages = 20
)

// PollMetricsArgs asks for every recent post to be measured.
type PollMetricsArgs struct{}

// Kind is the job's stable name in river_job.
func (PollMetricsArgs) Kind() string { return "content.metrics_poll" }

// FetchMetricsArgs measures one post for the interval starting at
// Interval. The interval in the args makes the job unique per post and
// interval, and it is the measurement's measured_at, so two polls of one
// interval store one row.
type FetchMetricsArgs struct {
	PublishedPostID uuid.UUID `json:"published_post_id"`
	Interval        time.Time `json:"interval"`
}

// Kind is the job's stable name in river_job.
func (FetchMetricsArgs) Kind() string { return "content.metrics_fetch" }

// InsertOpts makes a post's fetch unique per interval.
func (FetchMetricsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// AnalyzeSentimentArgs analyses a post's comments not analysed yet.
type AnalyzeSentimentArgs struct {
	PublishedPostID uuid.UUID `json:"published_post_id"`
	Interval        time.Time `json:"interval"`
}

// Kind is the job's stable name in river_job.
func (AnalyzeSentimentArgs) Kind() string { return "content.sentiment" }

// InsertOpts makes a post's analysis unique per interval.
func (AnalyzeSentimentArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// EnsurePartitionsArgs creates the coming months' partitions of the
// metrics and sentiment series.
type EnsurePartitionsArgs struct{}

// Kind is the job's stable name in river_job.
func (EnsurePartitionsArgs) Kind() string { return "content.partitions" }

// ContentMetrics are what the metrics and sentiment jobs use.
type ContentMetrics struct {
	DB        *db.DB
	Platforms *social.Registry
	Secrets   *secretbox.Box
	Now       func() time.Time
}

// PollMetricsWorker enqueues the interval's fetches.
type PollMetricsWorker struct {
	river.WorkerDefaults[PollMetricsArgs]
	ContentMetrics
}

// Work enqueues one fetch per recent post, in one transaction.
func (w *PollMetricsWorker) Work(ctx context.Context, _ *river.Job[PollMetricsArgs]) error {
	now := w.Now()
	interval := now.Truncate(MetricsInterval)
	posts, err := db.PostsPublishedSince(ctx, w.DB, now.Add(-MetricsWindow))
	if err != nil || len(posts) == 0 {
		return err
	}
	params := make([]river.InsertManyParams, len(posts))
	for i, p := range posts {
		params[i] = river.InsertManyParams{Args: FetchMetricsArgs{PublishedPostID: p.ID, Interval: interval}}
	}
	rc := river.ClientFromContext[*sql.Tx](ctx)
	if _, err := rc.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("enqueue metrics of %d posts: %w", len(posts), err)
	}
	return nil
}

// FetchMetricsWorker measures one post.
type FetchMetricsWorker struct {
	river.WorkerDefaults[FetchMetricsArgs]
	ContentMetrics
}

// Work stores the post's figures for the interval and enqueues the
// analysis of its comments with them. A platform's 429 snoozes the job
// for its Retry-After.
func (w *FetchMetricsWorker) Work(ctx context.Context, job *river.Job[FetchMetricsArgs]) error {
	post, p, token, err := w.open(ctx, job.Args.PublishedPostID)
	if err != nil {
		return err
	}
	m, err := p.Metrics(ctx, token, *post.PlatformPostID)
	if wait, limited := snoozeFor(err); limited {
		return river.JobSnooze(wait)
	}
	if err != nil {
		return fmt.Errorf("metrics of post %s: %w", post.ID, err)
	}
	row := metricRow(&post.PublishedPost, m, job.Args.Interval)
	return w.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := db.InsertEngagementMetric(ctx, tx, row); err != nil {
			return err
		}
		rc := river.ClientFromContext[*sql.Tx](ctx)
		_, err := rc.InsertTx(ctx, tx.Tx, AnalyzeSentimentArgs{PublishedPostID: post.ID, Interval: job.Args.Interval}, nil)
		return err
	})
}

// AnalyzeSentimentWorker analyses one post's new comments.
type AnalyzeSentimentWorker struct {
	river.WorkerDefaults[AnalyzeSentimentArgs]
	ContentMetrics
}

// Work reads the comments after the last analysed one and stores their
// analyses; a comment analysed twice is stored once.
func (w *AnalyzeSentimentWorker) Work(ctx context.Context, job *river.Job[AnalyzeSentimentArgs]) error {
	post, p, token, err := w.open(ctx, job.Args.PublishedPostID)
	if err != nil {
		return err
	}
	after, err := db.LastAnalyzedComment(ctx, w.DB, post.ID)
	if err != nil {
		return err
	}
	analyzer := sentiment.Analyzer{}
	for range commentPages {
		comments, err := p.Comments(ctx, token, *post.PlatformPostID, after)
		if wait, limited := snoozeFor(err); limited {
			return river.JobSnooze(wait)
		}
		if err != nil {
			return fmt.Errorf("comments of post %s: %w", post.ID, err)
		}
		if len(comments) == 0 {
			return nil
		}
		if _, err := db.InsertSentiments(ctx, w.DB, sentimentRows(post, comments, analyzer, w.Now())); err != nil {
			return err
		}
		after = comments[len(comments)-1].ID
	}
	return nil
}

// open reads a published post and gives its platform and a working token
// of its account.
func (c *ContentMetrics) open(ctx context.Context, postID uuid.UUID) (*db.PublishedPostWithEvent, social.Platform, string, error) {
	post, err := db.PublishedPostForMetrics(ctx, c.DB, postID)
	if err != nil {
		return nil, nil, "", err
	}
	p, err := c.Platforms.Get(post.Platform)
	if err != nil {
		return nil, nil, "", river.JobCancel(fmt.Errorf("post %s: %w", postID, err))
	}
	token, err := socialauth.AccessToken(ctx, c.DB, c.Secrets, p, post.SocialAccountID, c.Now())
	if errors.Is(err, socialauth.ErrReconnect) || errors.Is(err, db.ErrNotFound) {
		// The account was disconnected or must be connected again: the
		// next interval's poll tries again once it is.
		return nil, nil, "", river.JobCancel(err)
	}
	if err != nil {
		return nil, nil, "", err
	}
	return post, p, token, nil
}

// snoozeFor says how long to wait when err is a platform's 429.
func snoozeFor(err error) (time.Duration, bool) {
	if limited, ok := social.AsRateLimited(err); ok {
		return max(limited.RetryAfter, time.Second), true
	}
	return 0, false
}

// metricRow is the measurement of post m at the interval's start.
func metricRow(post *db.PublishedPost, m social.Metrics, interval time.Time) *db.EngagementMetric {
	return &db.EngagementMetric{OrganizationID: post.OrganizationID, PublishedPostID: post.ID, Platform: post.Platform,
		Impressions: m.Impressions, Reach: m.Reach, Likes: m.Likes, Comments: m.Comments, Shares: m.Shares,
		EngagementRateBps: engagementRateBps(m), MeasuredAt: interval}
}

// engagementRateBps is interactions per impression, in basis points.
func engagementRateBps(m social.Metrics) int {
	if m.Impressions <= 0 {
		return 0
	}
	return int((m.Likes + m.Comments + m.Shares) * 10_000 / m.Impressions)
}

func sentimentRows(post *db.PublishedPostWithEvent, comments []social.Comment, a sentiment.Analyzer, now time.Time) []db.SentimentAnalysis {
	rows := make([]db.SentimentAnalysis, len(comments))
	for i, c := range comments {
		r := a.Analyze(c.Text)
		entities := []any{}
		for _, e := range r.Entities.All() {
			entities = append(entities, e)
		}
		rows[i] = db.SentimentAnalysis{OrganizationID: post.OrganizationID, PublishedPostID: &post.ID, EventID: post.EventID,
			Platform: post.Platform, PlatformCommentID: c.ID, TextContent: c.Text, Sentiment: string(r.Label),
			ScoreBps: r.ScoreBps, Entities: entities, Keywords: r.Keywords, CommentedAt: c.At, AnalyzedAt: now}
	}
	return rows
}

// EnsurePartitionsWorker keeps the coming months' partitions ready.
type EnsurePartitionsWorker struct {
	river.WorkerDefaults[EnsurePartitionsArgs]
	DB  *db.DB
	Now func() time.Time
}

// Work creates what is missing; existing partitions are kept.
func (w *EnsurePartitionsWorker) Work(ctx context.Context, _ *river.Job[EnsurePartitionsArgs]) error {
	_, err := db.EnsureContentPartitions(ctx, w.DB, w.Now(), partitionsAhead)
	return err
}

// PeriodicContentJobs schedules the metrics poll and the partitions.
func PeriodicContentJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(MetricsInterval),
			func() (river.JobArgs, *river.InsertOpts) { return PollMetricsArgs{}, nil }, nil),
		river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return EnsurePartitionsArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
}
