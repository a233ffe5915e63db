package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// Publishing: the published_posts rows of a content's targets, written
// as "publishing" before the platform is called (so a retry after a
// timeout finds the row and looks the post up instead of posting twice),
// and the content's status around a publishing run.

// PostIdempotencyKey is the key a content's post on one account is
// published with: the same for every attempt, every run and every version,
// since a content gets one post per account, ever.
func PostIdempotencyKey(contentID, socialAccountID uuid.UUID) string {
	return "content/" + contentID.String() + "/" + socialAccountID.String()
}

// PublishTarget is one social account a content version is for, with the
// content's post on it so far (Status "" when there is none yet).
type PublishTarget struct {
	SocialAccountID uuid.UUID `bun:"social_account_id"`
	Platform        string    `bun:"platform"`
	PostID          uuid.UUID `bun:"post_id"`
	Status          string    `bun:"publish_status"`
	PlatformPostID  string    `bun:"platform_post_id"`
	URL             string    `bun:"platform_url"`
	LastError       string    `bun:"last_error"`
}

// PublishTargetsOf lists the targets of a content version and the
// content's post on each, by account ID.
func PublishTargetsOf(ctx context.Context, idb bun.IDB, contentID, versionID uuid.UUID) ([]PublishTarget, error) {
	var out []PublishTarget
	err := idb.NewSelect().TableExpr("content_version_targets AS cvt").
		ColumnExpr("cvt.social_account_id, sa.platform").
		ColumnExpr("coalesce(pp.id, '00000000-0000-0000-0000-000000000000'::uuid) AS post_id").
		ColumnExpr("coalesce(pp.publish_status, '') AS publish_status").
		ColumnExpr("coalesce(pp.platform_post_id, '') AS platform_post_id").
		ColumnExpr("coalesce(pp.platform_url, '') AS platform_url, coalesce(pp.last_error, '') AS last_error").
		Join("JOIN social_accounts AS sa ON sa.id = cvt.social_account_id").
		Join("LEFT JOIN published_posts AS pp ON pp.content_id = ? AND pp.social_account_id = cvt.social_account_id", contentID).
		Where("cvt.content_version_id = ?", versionID).
		OrderExpr("cvt.social_account_id").Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("list publish targets of version %s: %w", versionID, err)
	}
	return out, nil
}

// SetContentPublishing marks a content as publishing (a run started).
func SetContentPublishing(ctx context.Context, idb bun.IDB, contentID uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*Content)(nil)).
		Set("workflow_status = ?", enums.ContentPublishing).Set("updated_at = now()").
		Where("id = ?", contentID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark content %s publishing: %w", contentID, err)
	}
	return nil
}

// FinishContentPublishing sets the outcome of a publishing run on a
// content that is still publishing. It reports false when the content was
// not publishing (a repeated finish, or the content was withdrawn or
// deleted meanwhile), so the caller announces an outcome once.
func FinishContentPublishing(ctx context.Context, idb bun.IDB, contentID uuid.UUID, status string) (bool, error) {
	res, err := idb.NewUpdate().Model((*Content)(nil)).
		Set("workflow_status = ?", status).Set("updated_at = now()").
		Where("id = ? AND workflow_status = ? AND deleted_at IS NULL", contentID, enums.ContentPublishing).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("finish publishing content %s: %w", contentID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("finish publishing content %s: %w", contentID, err)
	}
	return n == 1, nil
}

// PostClaim is the outcome of ClaimPost: the row to publish through and
// whether an earlier call may already have posted it.
type PostClaim struct {
	Post *PublishedPost
	// Publish is false when the row is settled (published, or
	// needs_attention outside a retry): nothing is to be called.
	Publish bool
	// MayExist is true when an earlier attempt was interrupted after the
	// row was written (publishing, or needs_attention on a retry): look
	// the post up before publishing it.
	MayExist bool
}

// ClaimPost writes the "publishing" row of p's content on p's account
// before the platform is called, or returns the row already there. A
// failed row (nothing was posted) is taken over for p's version; a
// needs_attention row only when retry is set (an operator asked for it).
func ClaimPost(ctx context.Context, idb bun.IDB, p *PublishedPost, retry bool) (PostClaim, error) {
	if p.ID == uuid.Nil {
		p.ID = NewID()
	}
	if p.PublishedContent == nil {
		p.PublishedContent = map[string]any{}
	}
	p.PublishStatus = enums.PostPublishing
	res, err := idb.NewInsert().Model(p).On("CONFLICT (content_id, social_account_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return PostClaim{}, fmt.Errorf("claim post of content %s on %s: %w", p.ContentID, p.SocialAccountID, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return PostClaim{Post: p, Publish: true}, nil
	}
	existing, err := postForUpdate(ctx, idb, p.ContentID, p.SocialAccountID)
	if err != nil {
		return PostClaim{}, err
	}
	switch existing.PublishStatus {
	case enums.PostPublished:
		return PostClaim{Post: existing}, nil
	case enums.PostPublishing:
		return PostClaim{Post: existing, Publish: true, MayExist: true}, nil
	case enums.PostNeedsAttention:
		if !retry {
			return PostClaim{Post: existing}, nil
		}
	}
	mayExist := existing.PublishStatus == enums.PostNeedsAttention
	existing.ContentVersionID, existing.PublishStatus, existing.LastError = p.ContentVersionID, enums.PostPublishing, ""
	existing.PublishedContent = p.PublishedContent
	_, err = idb.NewUpdate().Model(existing).
		Column("content_version_id", "publish_status", "last_error", "published_content").Set("updated_at = now()").
		WherePK().Exec(ctx)
	if err != nil {
		return PostClaim{}, fmt.Errorf("reopen post %s: %w", existing.ID, err)
	}
	return PostClaim{Post: existing, Publish: true, MayExist: mayExist}, nil
}

func postForUpdate(ctx context.Context, idb bun.IDB, contentID, accountID uuid.UUID) (*PublishedPost, error) {
	p := new(PublishedPost)
	err := idb.NewSelect().Model(p).Where("content_id = ? AND social_account_id = ?", contentID, accountID).For("UPDATE").Scan(ctx)
	if err != nil {
		return nil, notFound(err, "post of content %s on account %s", contentID, accountID)
	}
	return p, nil
}

// PostByID returns one published_posts row.
func PostByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*PublishedPost, error) {
	p := new(PublishedPost)
	if err := idb.NewSelect().Model(p).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "post %s", id)
	}
	return p, nil
}

// CountPostAttempt counts one call to the platform for a post, before it
// is made, so the count includes calls whose answer never came.
func CountPostAttempt(ctx context.Context, idb bun.IDB, id uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*PublishedPost)(nil)).Set("attempts = attempts + 1").Set("updated_at = now()").
		Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("count attempt of post %s: %w", id, err)
	}
	return nil
}

// RecordPostPublished stores the platform's post. Recording the same post
// again changes nothing.
func RecordPostPublished(ctx context.Context, idb bun.IDB, id uuid.UUID, platformPostID, url string, at time.Time) error {
	_, err := idb.NewUpdate().Model((*PublishedPost)(nil)).
		Set("publish_status = ?", enums.PostPublished).Set("platform_post_id = ?", platformPostID).
		Set("platform_url = ?", url).Set("published_at = ?", at).Set("last_error = ''").Set("updated_at = now()").
		Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record post %s published: %w", id, err)
	}
	return nil
}

// MarkPostUnpublished settles a post that was not (or not knowingly)
// published: failed or needs_attention, with the reason. A published post
// is never marked back.
func MarkPostUnpublished(ctx context.Context, idb bun.IDB, id uuid.UUID, status, reason string) error {
	if status != enums.PostFailed && status != enums.PostNeedsAttention {
		return fmt.Errorf("mark post %s: %q is not an unpublished status", id, status)
	}
	_, err := idb.NewUpdate().Model((*PublishedPost)(nil)).
		Set("publish_status = ?", status).Set("last_error = ?", clipText(reason, 2000)).Set("updated_at = now()").
		Where("id = ? AND publish_status <> ?", id, enums.PostPublished).Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark post %s %s: %w", id, status, err)
	}
	return nil
}

// clipText cuts s to at most n bytes, for free-text columns fed by
// outside services.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// PostText is what a version publishes: its text and its media's public
// URLs, in order.
type PostText struct {
	Title     string
	Caption   string
	Body      string
	Hashtags  []string
	MediaURLs []string
}

// PostTextOf reads what a content version publishes.
func PostTextOf(ctx context.Context, idb bun.IDB, versionID uuid.UUID) (PostText, error) {
	v := new(ContentVersion)
	if err := idb.NewSelect().Model(v).Where("id = ?", versionID).Scan(ctx); err != nil {
		return PostText{}, notFound(err, "content version %s", versionID)
	}
	var urls []string
	err := idb.NewSelect().TableExpr("content_version_media AS cvm").
		ColumnExpr("coalesce(nullif(ma.cdn_url, ''), ma.storage_url)").
		Join("JOIN media_assets AS ma ON ma.id = cvm.media_asset_id").
		Where("cvm.content_version_id = ?", versionID).OrderExpr("cvm.position").Scan(ctx, &urls)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return PostText{}, fmt.Errorf("list media of version %s: %w", versionID, err)
	}
	return PostText{Title: v.Title, Caption: v.Caption, Body: v.Body, Hashtags: v.Hashtags, MediaURLs: urls}, nil
}

// SocialAccountForPosting returns one social account (tokens sealed),
// locked for update when lock is set (a token refresh).
func SocialAccountForPosting(ctx context.Context, idb bun.IDB, id uuid.UUID, lock bool) (*SocialAccount, error) {
	a := new(SocialAccount)
	q := idb.NewSelect().Model(a).Where("id = ?", id)
	if lock {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, notFound(err, "social account %s", id)
	}
	return a, nil
}

// SaveRefreshedSocialTokens stores refreshed (sealed) tokens of an account.
func SaveRefreshedSocialTokens(ctx context.Context, idb bun.IDB, a *SocialAccount) error {
	_, err := idb.NewUpdate().Model(a).
		Column("access_token_ciphertext", "refresh_token_ciphertext", "token_key_id", "token_expires_at").
		Set("updated_at = now()").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("save tokens of social account %s: %w", a.ID, err)
	}
	return nil
}

// ContentPublishRun is one RetryPublish of a content version.
type ContentPublishRun struct {
	bun.BaseModel `bun:"table:content_publish_runs,alias:cpr"`

	ID               uuid.UUID   `bun:"id,pk,type:uuid"`
	OrganizationID   uuid.UUID   `bun:"organization_id,type:uuid,notnull"`
	ContentID        uuid.UUID   `bun:"content_id,type:uuid,notnull"`
	ContentVersionID uuid.UUID   `bun:"content_version_id,type:uuid,notnull"`
	Version          int         `bun:"version,notnull"`
	Attempt          int         `bun:"attempt,notnull"`
	RequestedBy      *uuid.UUID  `bun:"requested_by,type:uuid"`
	SocialAccountIDs []uuid.UUID `bun:"social_account_ids,array,type:uuid[],notnull"`
	Timestamps
}

// InsertPublishRun numbers run as the next attempt of its version and
// stores it. Call it with the content row locked (ContentForPublish), so
// concurrent retries number in turn; the unique key refuses a duplicate.
func InsertPublishRun(ctx context.Context, idb bun.IDB, run *ContentPublishRun) error {
	if run.ID == uuid.Nil {
		run.ID = NewID()
	}
	n, err := idb.NewSelect().Model((*ContentPublishRun)(nil)).
		Where("content_id = ? AND version = ?", run.ContentID, run.Version).Count(ctx)
	if err != nil {
		return fmt.Errorf("count publish runs of content %s: %w", run.ContentID, err)
	}
	run.Attempt = int(n) + 1
	if _, err := idb.NewInsert().Model(run).Exec(ctx); err != nil {
		return fmt.Errorf("insert publish run of content %s: %w", run.ContentID, err)
	}
	return nil
}

// ContentForPublish returns a content of the organization and its
// current version, with the content row locked for update; ErrNotFound
// for another organization's or a deleted content.
func ContentForPublish(ctx context.Context, idb bun.IDB, orgID, contentID uuid.UUID) (*Content, *ContentVersion, error) {
	c := new(Content)
	err := idb.NewSelect().Model(c).Where("id = ? AND organization_id = ? AND deleted_at IS NULL", contentID, orgID).
		For("UPDATE").Scan(ctx)
	if err != nil {
		return nil, nil, notFound(err, "content %s", contentID)
	}
	v := new(ContentVersion)
	if err := idb.NewSelect().Model(v).Where("content_id = ? AND version = ?", c.ID, c.CurrentVersion).Scan(ctx); err != nil {
		return nil, nil, notFound(err, "version %d of content %s", c.CurrentVersion, c.ID)
	}
	return c, v, nil
}

// ContentOrganization is the organization of a content, for checking the
// caller's role before anything else is read; ErrNotFound when the content
// does not exist or is deleted.
func ContentOrganization(ctx context.Context, idb bun.IDB, contentID uuid.UUID) (uuid.UUID, error) {
	var orgID uuid.UUID
	err := idb.NewSelect().Model((*Content)(nil)).Column("organization_id").
		Where("id = ? AND deleted_at IS NULL", contentID).Scan(ctx, &orgID)
	if err != nil {
		return uuid.Nil, notFound(err, "content %s", contentID)
	}
	return orgID, nil
}
