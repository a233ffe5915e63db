package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Attachments are what a version uses besides its text: media in order
// and the social accounts it is for.
type Attachments struct {
	MediaAssetIDs    []uuid.UUID
	SocialAccountIDs []uuid.UUID
}

// InsertContent stores a new content with its first version and that
// version's media and targets, in tx.
func InsertContent(ctx context.Context, tx bun.Tx, c *Content, v *ContentVersion, att Attachments) error {
	if _, err := tx.NewInsert().Model(c).Returning("*").Exec(ctx); err != nil {
		return fmt.Errorf("insert content: %w", err)
	}
	return insertVersion(ctx, tx, v, att)
}

// insertVersion stores a version and its attachments.
func insertVersion(ctx context.Context, tx bun.Tx, v *ContentVersion, att Attachments) error {
	if v.Hashtags == nil {
		v.Hashtags = []string{}
	}
	// Not "*": the generated search column has no field.
	if _, err := tx.NewInsert().Model(v).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert content version %d: %w", v.Version, err)
	}
	return insertAttachments(ctx, tx, v.ID, att)
}

// insertAttachments writes a version's media (in order) and targets.
func insertAttachments(ctx context.Context, tx bun.Tx, versionID uuid.UUID, att Attachments) error {
	if len(att.MediaAssetIDs) > 0 {
		rows := make([]ContentVersionMedia, len(att.MediaAssetIDs))
		for i, id := range att.MediaAssetIDs {
			rows[i] = ContentVersionMedia{ContentVersionID: versionID, MediaAssetID: id, Position: i}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return fmt.Errorf("insert version media: %w", err)
		}
	}
	if len(att.SocialAccountIDs) > 0 {
		rows := make([]ContentVersionTarget, len(att.SocialAccountIDs))
		for i, id := range att.SocialAccountIDs {
			rows[i] = ContentVersionTarget{ContentVersionID: versionID, SocialAccountID: id}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return fmt.Errorf("insert version targets: %w", err)
		}
	}
	return nil
}

// ContentByID loads a content that is not deleted; callers check its
// organization against the caller's.
func ContentByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Content, error) {
	c := new(Content)
	if err := idb.NewSelect().Model(c).Where("c.id = ? AND c.deleted_at IS NULL", id).Scan(ctx); err != nil {
		return nil, notFound(err, "content %s", id)
	}
	return c, nil
}

// ContentForUpdate row-locks a content that is not deleted: edits of one
// content serialize on it, so two edits of the same version cannot both
// pass the expected-version check.
func ContentForUpdate(ctx context.Context, tx bun.Tx, id uuid.UUID) (*Content, error) {
	c := new(Content)
	if err := tx.NewSelect().Model(c).Where("c.id = ? AND c.deleted_at IS NULL", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "content %s", id)
	}
	return c, nil
}

// ContentVersionOf loads one version of a content.
func ContentVersionOf(ctx context.Context, idb bun.IDB, contentID uuid.UUID, version int) (*ContentVersion, error) {
	v := new(ContentVersion)
	if err := idb.NewSelect().Model(v).Where("cv.content_id = ? AND cv.version = ?", contentID, version).Scan(ctx); err != nil {
		return nil, notFound(err, "content %s version %d", contentID, version)
	}
	return v, nil
}

// ListContentVersions lists every version of a content, oldest first.
func ListContentVersions(ctx context.Context, idb bun.IDB, contentID uuid.UUID) ([]ContentVersion, error) {
	var out []ContentVersion
	if err := idb.NewSelect().Model(&out).Where("cv.content_id = ?", contentID).Order("cv.version").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list content versions: %w", err)
	}
	return out, nil
}

// VersionsAttachments loads the attachments of several versions in two
// queries, keyed by version ID; a version without any has a zero value.
func VersionsAttachments(ctx context.Context, idb bun.IDB, versionIDs []uuid.UUID) (map[uuid.UUID]Attachments, error) {
	out := make(map[uuid.UUID]Attachments, len(versionIDs))
	if len(versionIDs) == 0 {
		return out, nil
	}
	var media []ContentVersionMedia
	if err := idb.NewSelect().Model(&media).Where("cvm.content_version_id IN (?)", bun.In(versionIDs)).
		Order("cvm.content_version_id", "cvm.position").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load version media: %w", err)
	}
	var targets []ContentVersionTarget
	if err := idb.NewSelect().Model(&targets).Where("cvt.content_version_id IN (?)", bun.In(versionIDs)).
		Order("cvt.content_version_id", "cvt.created_at", "cvt.social_account_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load version targets: %w", err)
	}
	for _, m := range media {
		a := out[m.ContentVersionID]
		a.MediaAssetIDs = append(a.MediaAssetIDs, m.MediaAssetID)
		out[m.ContentVersionID] = a
	}
	for _, t := range targets {
		a := out[t.ContentVersionID]
		a.SocialAccountIDs = append(a.SocialAccountIDs, t.SocialAccountID)
		out[t.ContentVersionID] = a
	}
	return out, nil
}

// EditVersionInPlace overwrites a draft version's text and attachments.
func EditVersionInPlace(ctx context.Context, tx bun.Tx, v *ContentVersion, att Attachments) error {
	if v.Hashtags == nil {
		v.Hashtags = []string{}
	}
	_, err := tx.NewUpdate().Model(v).Column("title", "caption", "body", "hashtags", "created_by").
		Set("updated_at = now()").WherePK().Returning("updated_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("edit content version %d: %w", v.Version, err)
	}
	if _, err := tx.NewDelete().Model((*ContentVersionMedia)(nil)).Where("content_version_id = ?", v.ID).Exec(ctx); err != nil {
		return fmt.Errorf("clear version media: %w", err)
	}
	if _, err := tx.NewDelete().Model((*ContentVersionTarget)(nil)).Where("content_version_id = ?", v.ID).Exec(ctx); err != nil {
		return fmt.Errorf("clear version targets: %w", err)
	}
	return insertAttachments(ctx, tx, v.ID, att)
}

// AppendContentVersion writes v as the next version of c (the successor
// of c's current version), makes it current with the given status, and
// reloads c. c must be row-locked (ContentForUpdate) by the caller.
func AppendContentVersion(ctx context.Context, tx bun.Tx, c *Content, v *ContentVersion, att Attachments, status string) error {
	parent, err := ContentVersionOf(ctx, tx, c.ID, c.CurrentVersion)
	if err != nil {
		return err
	}
	v.ContentID, v.OrganizationID, v.Version, v.ParentVersionID = c.ID, c.OrganizationID, c.CurrentVersion+1, &parent.ID
	if err := insertVersion(ctx, tx, v, att); err != nil {
		return err
	}
	c.CurrentVersion, c.WorkflowStatus = v.Version, status
	return SaveContentState(ctx, tx, c)
}

// SaveContentState writes c's current version, status and schedule,
// bumps updated_at and reloads c.
func SaveContentState(ctx context.Context, idb bun.IDB, c *Content) error {
	_, err := idb.NewUpdate().Model(c).Column("current_version", "workflow_status", "scheduled_for").
		Set("updated_at = now()").WherePK().Returning("*").Exec(ctx)
	if err != nil {
		return fmt.Errorf("save content %s: %w", c.ID, err)
	}
	return nil
}

// SoftDeleteContent marks a content deleted; PurgeDeletedContent removes
// it for good later.
func SoftDeleteContent(ctx context.Context, idb bun.IDB, id uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*Content)(nil)).Set("deleted_at = now(), updated_at = now()").
		Where("id = ? AND deleted_at IS NULL", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete content %s: %w", id, err)
	}
	return nil
}

// PurgeDeletedContent hard-deletes content soft-deleted before cutoff
// (its versions, posts and approval rows cascade) and returns how many
// went.
func PurgeDeletedContent(ctx context.Context, idb bun.IDB, cutoff time.Time) (int64, error) {
	res, err := idb.NewDelete().Model((*Content)(nil)).Where("deleted_at IS NOT NULL AND deleted_at < ?", cutoff).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("purge deleted content: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("count purged content: %w", err)
	}
	return n, nil
}

// ContentFilter narrows ListContent and SearchContent; zero fields match
// everything.
type ContentFilter struct {
	Status     string
	CampaignID *uuid.UUID
	EventID    *uuid.UUID
}

// apply adds the filter's conditions on content (alias c).
func (f ContentFilter) apply(q *bun.SelectQuery) *bun.SelectQuery {
	if f.Status != "" {
		q = q.Where("c.workflow_status = ?", f.Status)
	}
	if f.CampaignID != nil {
		q = q.Where("c.campaign_id = ?", *f.CampaignID)
	}
	if f.EventID != nil {
		q = q.Where("c.event_id = ?", *f.EventID)
	}
	return q
}

// ListContent lists an organization's live content, newest first, with
// keyset pagination on (created_at, id); a zero beforeID starts at the
// newest.
func ListContent(ctx context.Context, idb bun.IDB, orgID uuid.UUID, f ContentFilter, beforeCreated time.Time, beforeID uuid.UUID, limit int) ([]Content, error) {
	var out []Content
	q := f.apply(idb.NewSelect().Model(&out).Where("c.organization_id = ? AND c.deleted_at IS NULL", orgID)).
		OrderExpr("c.created_at DESC, c.id DESC").Limit(int64(limit))
	if beforeID != uuid.Nil {
		q = q.Where("(c.created_at, c.id) < (?, ?)", beforeCreated, beforeID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list content: %w", err)
	}
	return out, nil
}

// ContentHit is a content matching a full-text search, with its rank.
type ContentHit struct {
	Content `bun:",extend"`
	// Rank is ts_rank of the current version against the query.
	Rank float32 `bun:"rank"`
}

// SearchContent finds an organization's live content whose current
// version's title, caption or body matches query (websearch_to_tsquery
// with the 'simple' configuration, as the search column is built), most
// relevant first, with keyset pagination on (rank, id); a zero afterID
// starts at the most relevant.
func SearchContent(ctx context.Context, idb bun.IDB, orgID uuid.UUID, query string, f ContentFilter, afterRank float32, afterID uuid.UUID, limit int) ([]ContentHit, error) {
	var out []ContentHit
	rank := bun.SafeQuery("ts_rank(cv.search, websearch_to_tsquery('simple', ?))", query)
	q := f.apply(idb.NewSelect().Model(&out).ColumnExpr("c.*").ColumnExpr("? AS rank", rank).
		Join("JOIN content_versions AS cv ON cv.content_id = c.id AND cv.version = c.current_version").
		Where("c.organization_id = ? AND c.deleted_at IS NULL", orgID).
		Where("cv.search @@ websearch_to_tsquery('simple', ?)", query)).
		OrderExpr("rank DESC, c.id DESC").Limit(int64(limit))
	if afterID != uuid.Nil {
		q = q.Where("(?, c.id) < (?::real, ?)", rank, afterRank, afterID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("search content: %w", err)
	}
	return out, nil
}

// VersionApproval is where the approval request of one version is.
type VersionApproval struct {
	ContentVersionID uuid.UUID `bun:"content_version_id,type:uuid"`
	Status           string    `bun:"status"`
	CurrentStep      int       `bun:"current_step"`
	TotalSteps       int       `bun:"total_steps"`
	// DueAt is the earliest deadline of the current step's open
	// assignments; nil when none is open.
	DueAt *time.Time `bun:"due_at"`
}

// VersionApprovals loads the approval request of each of versionIDs that
// has one, keyed by version ID.
func VersionApprovals(ctx context.Context, idb bun.IDB, versionIDs []uuid.UUID) (map[uuid.UUID]VersionApproval, error) {
	out := make(map[uuid.UUID]VersionApproval, len(versionIDs))
	if len(versionIDs) == 0 {
		return out, nil
	}
	var rows []VersionApproval
	err := idb.NewRaw(`SELECT ar.content_version_id, ar.status, ar.current_step, jsonb_array_length(ar.steps) AS total_steps,
			(SELECT min(asg.due_at) FROM approval_assignments asg WHERE asg.approval_request_id = ar.id
				AND asg.step_number = ar.current_step AND asg.status = 'open') AS due_at
		FROM approval_requests ar WHERE ar.content_version_id IN (?)`, bun.In(versionIDs)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("load version approvals: %w", err)
	}
	for _, r := range rows {
		out[r.ContentVersionID] = r
	}
	return out, nil
}

// CurrentVersions loads the current version of each content, keyed by
// content ID.
func CurrentVersions(ctx context.Context, idb bun.IDB, contents []Content) (map[uuid.UUID]ContentVersion, error) {
	out := make(map[uuid.UUID]ContentVersion, len(contents))
	if len(contents) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(contents))
	for i := range contents {
		ids[i] = contents[i].ID
	}
	var versions []ContentVersion
	err := idb.NewSelect().Model(&versions).Join("JOIN content AS c ON c.id = cv.content_id AND c.current_version = cv.version").
		Where("cv.content_id IN (?)", bun.In(ids)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("load current versions: %w", err)
	}
	for _, v := range versions {
		out[v.ContentID] = v
	}
	return out, nil
}

// ActiveSocialAccountIDs returns which of ids are active social accounts
// of orgID.
func ActiveSocialAccountIDs(ctx context.Context, idb bun.IDB, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	out := make(map[uuid.UUID]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var found []uuid.UUID
	err := idb.NewSelect().Model((*SocialAccount)(nil)).Column("sa.id").
		Where("sa.organization_id = ? AND sa.is_active AND sa.id IN (?)", orgID, bun.In(ids)).Scan(ctx, &found)
	if err != nil {
		return nil, fmt.Errorf("check social accounts: %w", err)
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}
