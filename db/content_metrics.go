package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// Queries of the River jobs that measure posts: which posts to poll, the
// post and account a fetch needs, the metrics and sentiment rows, and the
// monthly partitions of both.

// PostsToMeasure are the IDs of the posts published since since on an
// active account, oldest first.
func PostsToMeasure(ctx context.Context, idb bun.IDB, since time.Time) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := idb.NewSelect().Model((*PublishedPost)(nil)).Column("pp.id").
		Join("JOIN social_accounts AS sa ON sa.id = pp.social_account_id AND sa.is_active").
		Where("pp.publish_status = ? AND pp.published_at >= ?", enums.PostPublished, since).
		OrderExpr("pp.published_at, pp.id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("list posts to measure: %w", err)
	}
	return ids, nil
}

// MeasuredPost is a published post with the account it was posted on and
// the event its content is about (nil when none).
type MeasuredPost struct {
	Post    PublishedPost
	Account SocialAccount
	EventID *uuid.UUID
}

// MeasuredPostByID loads a published post and its account; ErrNotFound
// when the post is not published (any more).
func MeasuredPostByID(ctx context.Context, idb bun.IDB, postID uuid.UUID) (*MeasuredPost, error) {
	m := new(MeasuredPost)
	err := idb.NewSelect().Model(&m.Post).Where("pp.id = ? AND pp.publish_status = ?", postID, enums.PostPublished).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "published post %s", postID)
	}
	if err := idb.NewSelect().Model(&m.Account).Where("sa.id = ?", m.Post.SocialAccountID).Scan(ctx); err != nil {
		return nil, notFound(err, "social account %s", m.Post.SocialAccountID)
	}
	err = idb.NewSelect().Model((*Content)(nil)).Column("event_id").Where("id = ?", m.Post.ContentID).Scan(ctx, &m.EventID)
	if err != nil {
		return nil, notFound(err, "content %s", m.Post.ContentID)
	}
	return m, nil
}

// UpdateSocialAccountTokens stores an account's refreshed tokens (sealed)
// unless it was disconnected meanwhile.
func UpdateSocialAccountTokens(ctx context.Context, idb bun.IDB, a *SocialAccount) error {
	_, err := idb.NewUpdate().Model(a).
		Column("access_token_ciphertext", "refresh_token_ciphertext", "token_key_id", "token_expires_at").
		Set("updated_at = now()").
		Where("sa.id = ? AND sa.is_active", a.ID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store refreshed tokens of social account %s: %w", a.ID, err)
	}
	return nil
}

// InsertEngagementMetric records a measurement; a second one of the same
// post at the same measured_at is dropped. It reports whether m was stored.
func InsertEngagementMetric(ctx context.Context, idb bun.IDB, m *EngagementMetric) (bool, error) {
	res, err := idb.NewInsert().Model(m).On("CONFLICT (published_post_id, measured_at) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("insert metrics of post %s: %w", m.PublishedPostID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// LastAnalyzedComment is the platform ID of the newest comment of a post
// already analysed, "" when none is.
func LastAnalyzedComment(ctx context.Context, idb bun.IDB, postID uuid.UUID) (string, error) {
	var ids []string
	err := idb.NewSelect().Model((*SentimentAnalysis)(nil)).Column("platform_comment_id").
		Where("published_post_id = ?", postID).OrderExpr("commented_at DESC, platform_comment_id DESC").
		Limit(1).Scan(ctx, &ids)
	if err != nil {
		return "", fmt.Errorf("last analysed comment of post %s: %w", postID, err)
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

// InsertSentiments records analysed comments; one already recorded is
// skipped. It returns how many were stored.
func InsertSentiments(ctx context.Context, idb bun.IDB, rows []SentimentAnalysis) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	res, err := idb.NewInsert().Model(&rows).
		On("CONFLICT (published_post_id, platform_comment_id, commented_at) DO NOTHING").Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("insert sentiment analyses: %w", err)
	}
	return res.RowsAffected()
}

// EnsureContentPartitions creates the monthly partitions of the metrics
// and sentiment tables for months months from start's month; existing
// ones are kept. It returns how many it created.
func EnsureContentPartitions(ctx context.Context, idb bun.IDB, start time.Time, months int) (int, error) {
	var created int
	if err := idb.NewRaw("SELECT content_ensure_partitions(?, ?)", start, months).Scan(ctx, &created); err != nil {
		return 0, fmt.Errorf("create content partitions: %w", err)
	}
	return created, nil
}
