package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/secretbox"
)

// How recent posts are measured: every MetricsInterval the poll enqueues,
// per post published within metricsWindow, one metrics fetch and one
// sentiment run for that interval's slot. A slot's metrics row is unique
// (post, measured_at = slot), so two polls or a retried fetch in one
// interval store one row.
const (
	MetricsInterval = 15 * time.Minute
	metricsWindow   = 7 * 24 * time.Hour
	// tokenRefreshMargin refreshes an access token this long before it
	// expires, so a call never races its expiry.
	tokenRefreshMargin = time.Minute
)

// MetricsPollArgs asks for the recent posts' measurements of the current
// slot to be enqueued. It runs periodically.
type MetricsPollArgs struct{}

// Kind is the job's stable name in river_job.
func (MetricsPollArgs) Kind() string { return "content.metrics_poll" }

// MetricsFetchArgs asks for one post's metrics of one slot.
type MetricsFetchArgs struct {
	PublishedPostID uuid.UUID `json:"published_post_id"`
	// Slot is the start of the interval measured; it is the row's measured_at.
	Slot time.Time `json:"slot"`
}

// Kind is the job's stable name in river_job.
func (MetricsFetchArgs) Kind() string { return "content.metrics_fetch" }

// InsertOpts make a post's fetch unique per slot.
func (MetricsFetchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// MetricsPollWorker enqueues the slot's fetch and sentiment jobs of every
// post published within the window on an active account.
type MetricsPollWorker struct {
	river.WorkerDefaults[MetricsPollArgs]
	DB *db.DB
	// River inserts the jobs (an insert-only client).
	River *river.Client[*sql.Tx]
	Now   func() time.Time
}

// Work enqueues the slot's jobs; uniqueness makes a repeated poll harmless.
func (w *MetricsPollWorker) Work(ctx context.Context, _ *river.Job[MetricsPollArgs]) error {
	now := w.Now().UTC()
	ids, err := db.PostsToMeasure(ctx, w.DB, now.Add(-metricsWindow))
	if err != nil || len(ids) == 0 {
		return err
	}
	slot := now.Truncate(MetricsInterval)
	params := make([]river.InsertManyParams, 0, 2*len(ids))
	for _, id := range ids {
		params = append(params, river.InsertManyParams{Args: MetricsFetchArgs{PublishedPostID: id, Slot: slot}},
			river.InsertManyParams{Args: SentimentArgs{PublishedPostID: id, Slot: slot}})
	}
	if _, err := w.River.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("enqueue post measurements: %w", err)
	}
	return nil
}

// PeriodicMetricsPoll schedules the poll. It does not run on start: a
// deploy or a restarted worker would otherwise measure every recent post
// again at once, off the 15-minute grid.
func PeriodicMetricsPoll() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(MetricsInterval),
		func() (river.JobArgs, *river.InsertOpts) { return MetricsPollArgs{}, nil }, nil)
}

// MetricsFetchWorker reads one post's metrics from its platform and stores
// them. A 429 snoozes the job for the platform's Retry-After; a refusal
// (revoked token, deleted post) cancels it.
type MetricsFetchWorker struct {
	river.WorkerDefaults[MetricsFetchArgs]
	Platform PlatformAccess
}

// Work measures the post.
func (w *MetricsFetchWorker) Work(ctx context.Context, job *river.Job[MetricsFetchArgs]) error {
	post, platform, token, err := w.Platform.open(ctx, job.Args.PublishedPostID)
	if err != nil || post == nil {
		return err
	}
	m, err := platform.Metrics(ctx, token, *post.Post.PlatformPostID)
	if err != nil {
		return platformOutcome(err)
	}
	row := &db.EngagementMetric{ID: db.NewID(), OrganizationID: post.Post.OrganizationID, PublishedPostID: post.Post.ID,
		Platform: post.Post.Platform, Impressions: m.Impressions, Reach: m.Reach, Likes: m.Likes, Comments: m.Comments,
		Shares: m.Shares, EngagementRateBps: engagementRateBps(m), MeasuredAt: job.Args.Slot}
	_, err = db.InsertEngagementMetric(ctx, w.Platform.DB, row)
	return err
}

// engagementRateBps is (likes + comments + shares) / impressions in basis
// points, 0 without impressions.
func engagementRateBps(m social.Metrics) int {
	if m.Impressions <= 0 {
		return 0
	}
	return int((m.Likes + m.Comments + m.Shares) * 10000 / m.Impressions)
}

// platformOutcome is what a job does with a platform's error: wait out a
// 429, give up on a refusal or a vanished post, retry anything else.
func platformOutcome(err error) error {
	if rl, ok := social.AsRateLimited(err); ok {
		return river.JobSnooze(rl.RetryAfter)
	}
	if errors.Is(err, social.ErrRejected) || errors.Is(err, social.ErrNotFound) {
		return river.JobCancel(err)
	}
	return err
}

// PlatformAccess opens what a job needs to call a post's platform: the
// post, the platform's adapter and a working access token (refreshed and
// stored when about to expire).
type PlatformAccess struct {
	DB        *db.DB
	Platforms *social.Registry
	Tokens    *secretbox.Box
	Now       func() time.Time
}

// open returns nil post when there is nothing to measure (not published,
// account disconnected).
func (p PlatformAccess) open(ctx context.Context, postID uuid.UUID) (*db.MeasuredPost, social.Platform, string, error) {
	post, err := db.MeasuredPostByID(ctx, p.DB, postID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, "", nil
	}
	if err != nil {
		return nil, nil, "", err
	}
	if !post.Account.IsActive || post.Post.PlatformPostID == nil {
		return nil, nil, "", nil
	}
	platform, err := p.Platforms.Get(post.Post.Platform)
	if err != nil {
		return nil, nil, "", river.JobCancel(err)
	}
	token, err := p.accessToken(ctx, platform, &post.Account)
	if err != nil {
		return nil, nil, "", err
	}
	return post, platform, token, nil
}

// accessToken opens the account's access token, refreshing it first when
// it expires within tokenRefreshMargin.
func (p PlatformAccess) accessToken(ctx context.Context, platform social.Platform, a *db.SocialAccount) (string, error) {
	aad := func(kind string) []byte {
		return db.SocialTokenAAD(a.OrganizationID, a.Platform, a.PlatformUserID, kind)
	}
	if a.TokenExpiresAt == nil || p.Now().Add(tokenRefreshMargin).Before(*a.TokenExpiresAt) || a.RefreshTokenCiphertext == nil {
		token, err := p.Tokens.Open(a.AccessTokenCiphertext, a.TokenKeyID, aad(db.SocialAccessToken))
		if err != nil {
			return "", river.JobCancel(fmt.Errorf("open access token of social account %s: %w", a.ID, err))
		}
		return string(token), nil
	}
	refresh, err := p.Tokens.Open(a.RefreshTokenCiphertext, a.TokenKeyID, aad(db.SocialRefreshToken))
	if err != nil {
		return "", river.JobCancel(fmt.Errorf("open refresh token of social account %s: %w", a.ID, err))
	}
	g, err := platform.RefreshToken(ctx, string(refresh))
	if err != nil {
		return "", platformOutcome(fmt.Errorf("refresh token of social account %s: %w", a.ID, err))
	}
	a.AccessTokenCiphertext, a.TokenKeyID = p.Tokens.Seal([]byte(g.AccessToken), aad(db.SocialAccessToken))
	a.RefreshTokenCiphertext, _ = p.Tokens.Seal([]byte(g.RefreshToken), aad(db.SocialRefreshToken))
	a.TokenExpiresAt = &g.ExpiresAt
	if err := db.UpdateSocialAccountTokens(ctx, p.DB, a); err != nil {
		return "", err
	}
	return g.AccessToken, nil
}

// ContentPartitionsArgs asks for the metrics and sentiment tables'
// partitions of this month and the next two. It runs daily.
type ContentPartitionsArgs struct{}

// Kind is the job's stable name in river_job.
func (ContentPartitionsArgs) Kind() string { return "content.partitions" }

// contentPartitionMonths is how many months of partitions exist ahead.
const contentPartitionMonths = 3

// ContentPartitionsWorker creates missing partitions; existing ones are kept,
// so a repeated run is harmless.
type ContentPartitionsWorker struct {
	river.WorkerDefaults[ContentPartitionsArgs]
	DB  *db.DB
	Now func() time.Time
}

// Work creates the partitions.
func (w *ContentPartitionsWorker) Work(ctx context.Context, _ *river.Job[ContentPartitionsArgs]) error {
	_, err := db.EnsureContentPartitions(ctx, w.DB, w.Now(), contentPartitionMonths)
	return err
}

// PeriodicContentPartitions schedules the partitions job daily.
func PeriodicContentPartitions() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return ContentPartitionsArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
