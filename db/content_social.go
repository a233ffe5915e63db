package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Queries of social accounts, their OAuth round trips, and the posts and
// metrics the SocialService reads.

// InsertSocialConnectState records a StartConnect's single-use state (only
// its hash).
func InsertSocialConnectState(ctx context.Context, idb bun.IDB, s *SocialConnectState) error {
	if _, err := idb.NewInsert().Model(s).Exec(ctx); err != nil {
		return fmt.Errorf("insert social connect state: %w", err)
	}
	return nil
}

// UseSocialConnectState marks the unused, unexpired state of platform with
// stateHash used and returns it; ErrNotFound when there is none, so a state
// is accepted once, even by concurrent callbacks.
func UseSocialConnectState(ctx context.Context, idb bun.IDB, platform string, stateHash []byte, now time.Time) (*SocialConnectState, error) {
	s := new(SocialConnectState)
	err := idb.NewUpdate().Model(s).
		Set("used_at = ?", now).Set("updated_at = now()").
		Where("state_hash = ? AND platform = ? AND used_at IS NULL AND expires_at > ?", stateHash, platform, now).
		Returning("*").Scan(ctx)
	if err != nil {
		return nil, notFound(err, "social connect state")
	}
	return s, nil
}

// UpsertSocialAccount stores a connected account: a new row, or, for an
// account the organization connected before (same platform and platform
// user ID), the same row with its new tokens, active again. a is filled
// with the stored row; created reports whether the row is new.
func UpsertSocialAccount(ctx context.Context, idb bun.IDB, a *SocialAccount) (created bool, err error) {
	proposed := a.ID
	err = idb.NewInsert().Model(a).
		On("CONFLICT (organization_id, platform, platform_user_id) DO UPDATE").
		Set("username = EXCLUDED.username").
		Set("event_id = COALESCE(EXCLUDED.event_id, sa.event_id)").
		Set("connected_by = EXCLUDED.connected_by").
		Set("access_token_ciphertext = EXCLUDED.access_token_ciphertext").
		Set("refresh_token_ciphertext = EXCLUDED.refresh_token_ciphertext").
		Set("token_key_id = EXCLUDED.token_key_id").
		Set("token_expires_at = EXCLUDED.token_expires_at").
		Set("is_active = true, disconnected_at = NULL, updated_at = now()").
		Returning("*").Scan(ctx)
	if err != nil {
		return false, fmt.Errorf("upsert social account %s/%s: %w", a.Platform, a.PlatformUserID, err)
	}
	return a.ID == proposed, nil
}

// SocialAccountsOf lists an organization's accounts, active and inactive,
// by platform and username.
func SocialAccountsOf(ctx context.Context, idb bun.IDB, orgID uuid.UUID) ([]SocialAccount, error) {
	var out []SocialAccount
	err := idb.NewSelect().Model(&out).Where("sa.organization_id = ?", orgID).
		OrderExpr("sa.platform, sa.username, sa.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list social accounts: %w", err)
	}
	return out, nil
}

// SocialAccountByID loads an account; ErrNotFound when there is none.
func SocialAccountByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*SocialAccount, error) {
	a := new(SocialAccount)
	if err := idb.NewSelect().Model(a).Where("sa.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "social account %s", id)
	}
	return a, nil
}

// DisconnectSocialAccount deactivates an account and deletes its tokens
// (the ciphertext column is emptied). Disconnecting it again changes
// nothing and returns it.
func DisconnectSocialAccount(ctx context.Context, idb bun.IDB, id uuid.UUID, now time.Time) (*SocialAccount, error) {
	a := new(SocialAccount)
	err := idb.NewUpdate().Model(a).
		Set("is_active = false").
		Set("disconnected_at = COALESCE(disconnected_at, ?)", now).
		Set("access_token_ciphertext = ''::bytea, refresh_token_ciphertext = NULL, token_expires_at = NULL").
		Set("updated_at = now()").
		Where("id = ?", id).Returning("*").Scan(ctx)
	if err != nil {
		return nil, notFound(err, "social account %s", id)
	}
	return a, nil
}

// PostRow is a published post with the number of the version it posted.
type PostRow struct {
	PublishedPost `bun:",extend"`

	ContentVersion int `bun:"content_version"`
}

// PostFilter narrows ListPublishedPosts; zero fields do not filter.
type PostFilter struct {
	ContentID *uuid.UUID
	Status    string
}

// PublishedPostsPage lists an organization's posts newest first (by
// created_at, id), before the keyset (beforeCreated, beforeID) unless
// beforeID is nil, at most limit rows.
func PublishedPostsPage(ctx context.Context, idb bun.IDB, orgID uuid.UUID, f PostFilter, beforeCreated time.Time, beforeID uuid.UUID, limit int) ([]PostRow, error) {
	var out []PostRow
	q := postRows(idb, &out).Where("pp.organization_id = ?", orgID).
		OrderExpr("pp.created_at DESC, pp.id DESC").Limit(int64(limit))
	if f.ContentID != nil {
		q = q.Where("pp.content_id = ?", *f.ContentID)
	}
	if f.Status != "" {
		q = q.Where("pp.publish_status = ?", f.Status)
	}
	if beforeID != uuid.Nil {
		q = q.Where("(pp.created_at, pp.id) < (?, ?)", beforeCreated, beforeID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list published posts: %w", err)
	}
	return out, nil
}

// PublishedPostByID loads a post with its version number; ErrNotFound
// when there is none.
func PublishedPostByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*PostRow, error) {
	var out []PostRow
	if err := postRows(idb, &out).Where("pp.id = ?", id).Limit(1).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load published post %s: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("published post %s: %w", id, ErrNotFound)
	}
	return &out[0], nil
}

func postRows(idb bun.IDB, out *[]PostRow) *bun.SelectQuery {
	return idb.NewSelect().Model(out).ColumnExpr("pp.*").ColumnExpr("cv.version AS content_version").
		Join("JOIN content_versions AS cv ON cv.id = pp.content_version_id")
}

// maxMetricsSeries bounds the measurements RecentMetrics returns.
const maxMetricsSeries = 1000

// RecentMetrics are a post's most recent measurements (at most 1,000),
// oldest first.
func RecentMetrics(ctx context.Context, idb bun.IDB, postID uuid.UUID) ([]EngagementMetric, error) {
	var out []EngagementMetric
	err := idb.NewSelect().Model(&out).Where("em.published_post_id = ?", postID).
		OrderExpr("em.measured_at DESC").Limit(maxMetricsSeries).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list metrics of post %s: %w", postID, err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
