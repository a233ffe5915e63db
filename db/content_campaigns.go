package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// InsertCampaign stores a new campaign and reloads its defaults.
func InsertCampaign(ctx context.Context, idb bun.IDB, c *Campaign) error {
	if c.TargetPlatforms == nil {
		c.TargetPlatforms = []string{}
	}
	if c.KPITargets == nil {
		c.KPITargets = map[string]any{}
	}
	if _, err := idb.NewInsert().Model(c).Returning("*").Exec(ctx); err != nil {
		return fmt.Errorf("insert campaign: %w", err)
	}
	return nil
}

// CampaignByID loads a campaign that is not deleted; callers check its
// organization against the caller's.
func CampaignByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Campaign, error) {
	c := new(Campaign)
	if err := idb.NewSelect().Model(c).Where("cmp.id = ? AND cmp.deleted_at IS NULL", id).Scan(ctx); err != nil {
		return nil, notFound(err, "campaign %s", id)
	}
	return c, nil
}

// CampaignForUpdate row-locks a campaign that is not deleted.
func CampaignForUpdate(ctx context.Context, tx bun.Tx, id uuid.UUID) (*Campaign, error) {
	c := new(Campaign)
	if err := tx.NewSelect().Model(c).Where("cmp.id = ? AND cmp.deleted_at IS NULL", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "campaign %s", id)
	}
	return c, nil
}

// SaveCampaign writes the editable columns of c (name, type, dates,
// platforms, KPI targets, status, event), bumps updated_at and reloads c.
func SaveCampaign(ctx context.Context, idb bun.IDB, c *Campaign) error {
	_, err := idb.NewUpdate().Model(c).
		Column("event_id", "name", "campaign_type", "start_date", "end_date", "target_platforms", "kpi_targets", "status").
		Set("updated_at = now()").WherePK().Returning("*").Exec(ctx)
	if err != nil {
		return fmt.Errorf("update campaign: %w", err)
	}
	return nil
}

// ArchiveCampaign stamps archived_at (once) and reloads c.
func ArchiveCampaign(ctx context.Context, idb bun.IDB, c *Campaign) error {
	_, err := idb.NewUpdate().Model(c).Set("archived_at = coalesce(archived_at, now()), updated_at = now()").
		WherePK().Returning("*").Exec(ctx)
	if err != nil {
		return fmt.Errorf("archive campaign: %w", err)
	}
	return nil
}

// ListCampaigns lists an organization's campaigns that are not archived,
// latest start first, with keyset pagination on (start_date, id); a zero
// beforeID starts at the latest. status "" and a nil eventID match all.
func ListCampaigns(ctx context.Context, idb bun.IDB, orgID uuid.UUID, status string, eventID *uuid.UUID, beforeStart time.Time, beforeID uuid.UUID, limit int) ([]Campaign, error) {
	var out []Campaign
	q := idb.NewSelect().Model(&out).
		Where("cmp.organization_id = ? AND cmp.deleted_at IS NULL AND cmp.archived_at IS NULL", orgID).
		OrderExpr("cmp.start_date DESC, cmp.id DESC").Limit(int64(limit))
	if status != "" {
		q = q.Where("cmp.status = ?", status)
	}
	if eventID != nil {
		q = q.Where("cmp.event_id = ?", *eventID)
	}
	if beforeID != uuid.Nil {
		q = q.Where("(cmp.start_date, cmp.id) < (?, ?)", beforeStart, beforeID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	return out, nil
}

// CampaignReport sums up a campaign's content and how its posts did.
type CampaignReport struct {
	// ContentByStatus counts the campaign's live content by
	// workflow_status.
	ContentByStatus map[string]int64
	// PostsByStatus counts its published_posts rows by publish_status.
	PostsByStatus map[string]int64
	// Engagement sums the latest measurement of each post.
	Engagement EngagementTotals
	// SentimentByLabel counts analysed comments on its posts by sentiment.
	SentimentByLabel map[string]int64
}

// EngagementTotals are summed engagement figures.
type EngagementTotals struct {
	Impressions int64 `bun:"impressions"`
	Reach       int64 `bun:"reach"`
	Likes       int64 `bun:"likes"`
	Comments    int64 `bun:"comments"`
	Shares      int64 `bun:"shares"`
	// MeasuredPosts is how many posts have at least one measurement.
	MeasuredPosts int64 `bun:"measured_posts"`
}

// labelCount is one row of a GROUP BY count.
type labelCount struct {
	Label string `bun:"label"`
	N     int64  `bun:"n"`
}

// LoadCampaignReport aggregates the report of one campaign: its content
// by status, its posts by status, the latest engagement of each post
// summed, and the sentiment of the comments on its posts.
func LoadCampaignReport(ctx context.Context, idb bun.IDB, campaignID uuid.UUID) (*CampaignReport, error) {
	r := &CampaignReport{}
	var err error
	if r.ContentByStatus, err = countBy(ctx, idb, `SELECT c.workflow_status AS label, count(*) AS n FROM content c
		WHERE c.campaign_id = ? AND c.deleted_at IS NULL GROUP BY 1`, campaignID); err != nil {
		return nil, fmt.Errorf("count campaign content: %w", err)
	}
	if r.PostsByStatus, err = countBy(ctx, idb, `SELECT pp.publish_status AS label, count(*) AS n FROM published_posts pp
		JOIN content c ON c.id = pp.content_id WHERE c.campaign_id = ? AND c.deleted_at IS NULL GROUP BY 1`, campaignID); err != nil {
		return nil, fmt.Errorf("count campaign posts: %w", err)
	}
	if r.SentimentByLabel, err = countBy(ctx, idb, `SELECT s.sentiment AS label, count(*) AS n FROM sentiment_analysis s
		JOIN published_posts pp ON pp.id = s.published_post_id JOIN content c ON c.id = pp.content_id
		WHERE c.campaign_id = ? AND c.deleted_at IS NULL GROUP BY 1`, campaignID); err != nil {
		return nil, fmt.Errorf("count campaign sentiment: %w", err)
	}
	err = idb.NewRaw(`SELECT coalesce(sum(m.impressions), 0) AS impressions, coalesce(sum(m.reach), 0) AS reach,
			coalesce(sum(m.likes), 0) AS likes, coalesce(sum(m.comments), 0) AS comments,
			coalesce(sum(m.shares), 0) AS shares, count(*) AS measured_posts
		FROM (SELECT DISTINCT ON (em.published_post_id) em.* FROM engagement_metrics em
			JOIN published_posts pp ON pp.id = em.published_post_id JOIN content c ON c.id = pp.content_id
			WHERE c.campaign_id = ? AND c.deleted_at IS NULL
			ORDER BY em.published_post_id, em.measured_at DESC) m`, campaignID).Scan(ctx, &r.Engagement)
	if err != nil {
		return nil, fmt.Errorf("sum campaign engagement: %w", err)
	}
	return r, nil
}

// countBy runs a "label, n" GROUP BY query into a map.
func countBy(ctx context.Context, idb bun.IDB, query string, args ...any) (map[string]int64, error) {
	var rows []labelCount
	if err := idb.NewRaw(query, args...).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Label] = r.N
	}
	return out, nil
}
