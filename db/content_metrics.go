package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// PostsPublishedSince lists the posts published at or after since, oldest
// first: the ones whose metrics are still worth polling.
func PostsPublishedSince(ctx context.Context, idb bun.IDB, since time.Time) ([]PublishedPost, error) {
	var posts []PublishedPost
	err := idb.NewSelect().Model(&posts).
		Where("pp.publish_status = ? AND pp.published_at >= ?", enums.PostPublished, since).
		OrderExpr("pp.published_at, pp.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list posts published since %s: %w", since.Format(time.RFC3339), err)
	}
	return posts, nil
}

// PublishedPostWithEvent is a published post and the event of its content
// (uuid.Nil when the content has none).
type PublishedPostWithEvent struct {
	PublishedPost
	EventID *uuid.UUID `bun:"event_id,type:uuid"`
}

// PublishedPostForMetrics reads a published post and its content's event.
func PublishedPostForMetrics(ctx context.Context, idb bun.IDB, id uuid.UUID) (*PublishedPostWithEvent, error) {
	out := &PublishedPostWithEvent{}
	err := idb.NewSelect().Model(&out.PublishedPost).ColumnExpr("pp.*").ColumnExpr("c.event_id").
		Join("JOIN content AS c ON c.id = pp.content_id").
		Where("pp.id = ? AND pp.publish_status = ?", id, enums.PostPublished).Scan(ctx, out)
	if err != nil {
		return nil, notFound(err, "published post %s", id)
	}
	return out, nil
}

// InsertEngagementMetric stores one measurement; a second measurement of
// the post at the same measured_at is dropped, so a repeated poll of one
// interval leaves one row. It reports whether the row was new.
func InsertEngagementMetric(ctx context.Context, idb bun.IDB, m *EngagementMetric) (bool, error) {
	if m.ID == uuid.Nil {
		m.ID = NewID()
	}
	res, err := idb.NewInsert().Model(m).On("CONFLICT (published_post_id, measured_at) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("insert metrics of post %s: %w", m.PublishedPostID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// LastAnalyzedComment is the platform ID of the newest comment of the post
// already analysed, "" when none is.
func LastAnalyzedComment(ctx context.Context, idb bun.IDB, postID uuid.UUID) (string, error) {
	var ids []string
	err := idb.NewSelect().Model((*SentimentAnalysis)(nil)).Column("platform_comment_id").
		Where("published_post_id = ?", postID).OrderExpr("commented_at DESC, platform_comment_id DESC").Limit(1).
		Scan(ctx, &ids)
	if err != nil {
		return "", fmt.Errorf("last analysed comment of post %s: %w", postID, err)
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

// InsertSentiments stores comment analyses; a comment already analysed is
// skipped. It returns how many rows were new.
func InsertSentiments(ctx context.Context, idb bun.IDB, rows []SentimentAnalysis) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	for i := range rows {
		if rows[i].ID == uuid.Nil {
			rows[i].ID = NewID()
		}
	}
	res, err := idb.NewInsert().Model(&rows).
		On("CONFLICT (published_post_id, platform_comment_id, commented_at) DO NOTHING").Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("insert %d comment analyses: %w", len(rows), err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// EnsureContentPartitions creates the monthly partitions of the metrics
// and sentiment series for months months from the month of from, and
// returns how many it created.
func EnsureContentPartitions(ctx context.Context, idb bun.IDB, from time.Time, months int) (int, error) {
	var created int
	if err := idb.NewRaw("SELECT content_ensure_partitions(?, ?)", from, months).Scan(ctx, &created); err != nil {
		return 0, fmt.Errorf("create content partitions from %s: %w", from.Format("2006-01"), err)
	}
	return created, nil
}
