package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// An organization's reusable material for content: templates and media
// assets.

// InsertTemplate stores a new template.
func InsertTemplate(ctx context.Context, idb bun.IDB, t *ContentTemplate) error {
	if t.TemplateData == nil {
		t.TemplateData = map[string]string{}
	}
	if _, err := idb.NewInsert().Model(t).Returning("*").Exec(ctx); err != nil {
		return fmt.Errorf("insert template: %w", err)
	}
	return nil
}

// UseTemplate counts one use of a template of orgID and returns it. The
// increment is one UPDATE (usage_count = usage_count + 1), so concurrent
// uses never lose a count; in a transaction it also holds the row until
// commit, and a rolled-back use does not count.
func UseTemplate(ctx context.Context, idb bun.IDB, orgID, id uuid.UUID) (*ContentTemplate, error) {
	t := new(ContentTemplate)
	err := idb.NewUpdate().Model(t).Set("usage_count = usage_count + 1, updated_at = now()").
		Where("id = ? AND organization_id = ? AND deleted_at IS NULL", id, orgID).Returning("*").Scan(ctx)
	if err != nil {
		return nil, notFound(err, "template %s", id)
	}
	return t, nil
}

// ListTemplates lists an organization's templates by name, with keyset
// pagination on (name, id); contentType "" matches every type.
func ListTemplates(ctx context.Context, idb bun.IDB, orgID uuid.UUID, contentType, afterName string, afterID uuid.UUID, limit int) ([]ContentTemplate, error) {
	var out []ContentTemplate
	q := idb.NewSelect().Model(&out).Where("ctpl.organization_id = ? AND ctpl.deleted_at IS NULL", orgID).
		OrderExpr("ctpl.name, ctpl.id").Limit(int64(limit))
	if contentType != "" {
		q = q.Where("ctpl.content_type = ?", contentType)
	}
	if afterID != uuid.Nil {
		q = q.Where("(ctpl.name, ctpl.id) > (?, ?)", afterName, afterID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	return out, nil
}

// InsertMediaAsset stores a new media asset.
func InsertMediaAsset(ctx context.Context, idb bun.IDB, m *MediaAsset) error {
	if m.AITags == nil {
		m.AITags = []string{}
	}
	if _, err := idb.NewInsert().Model(m).Returning("*").Exec(ctx); err != nil {
		return fmt.Errorf("insert media asset: %w", err)
	}
	return nil
}

// MediaAssetByID loads a media asset that is not deleted.
func MediaAssetByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*MediaAsset, error) {
	m := new(MediaAsset)
	if err := idb.NewSelect().Model(m).Where("ma.id = ? AND ma.deleted_at IS NULL", id).Scan(ctx); err != nil {
		return nil, notFound(err, "media asset %s", id)
	}
	return m, nil
}

// MediaAssetsOf loads those of ids that are live media assets of orgID,
// keyed by ID; an ID of another organization is simply absent.
func MediaAssetsOf(ctx context.Context, idb bun.IDB, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]MediaAsset, error) {
	out := make(map[uuid.UUID]MediaAsset, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []MediaAsset
	err := idb.NewSelect().Model(&rows).
		Where("ma.organization_id = ? AND ma.deleted_at IS NULL AND ma.id IN (?)", orgID, bun.In(ids)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("load media assets: %w", err)
	}
	for _, m := range rows {
		out[m.ID] = m
	}
	return out, nil
}

// ListMediaAssets lists an organization's media, newest first, with
// keyset pagination on (created_at, id); status "" matches every status.
func ListMediaAssets(ctx context.Context, idb bun.IDB, orgID uuid.UUID, status string, beforeCreated time.Time, beforeID uuid.UUID, limit int) ([]MediaAsset, error) {
	var out []MediaAsset
	q := idb.NewSelect().Model(&out).Where("ma.organization_id = ? AND ma.deleted_at IS NULL", orgID).
		OrderExpr("ma.created_at DESC, ma.id DESC").Limit(int64(limit))
	if status != "" {
		q = q.Where("ma.processing_status = ?", status)
	}
	if beforeID != uuid.Nil {
		q = q.Where("(ma.created_at, ma.id) < (?, ?)", beforeCreated, beforeID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list media assets: %w", err)
	}
	return out, nil
}

// MarkMediaUploaded records the size of the bytes a signed upload stored
// for a pending asset; it reports false when the asset is not pending
// (already processed, or unknown).
func MarkMediaUploaded(ctx context.Context, idb bun.IDB, id uuid.UUID, size int64) (bool, error) {
	res, err := idb.NewUpdate().Model((*MediaAsset)(nil)).Set("file_size = ?, updated_at = now()", size).
		Where("id = ? AND processing_status = ? AND deleted_at IS NULL", id, enums.MediaPending).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("mark media %s uploaded: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark media %s uploaded: %w", id, err)
	}
	return n == 1, nil
}

// MediaProcessed is what processing found out about an asset's bytes.
type MediaProcessed struct {
	// Status is enums.MediaReady or enums.MediaFailed.
	Status   string
	MimeType string
	FileType string
	Width    *int
	Height   *int
	// Error says why processing failed ("" when ready).
	Error string
}

// SetMediaProcessed records processing's outcome on a pending asset; an
// asset already processed keeps its first outcome (a retried job changes
// nothing).
func SetMediaProcessed(ctx context.Context, idb bun.IDB, id uuid.UUID, p MediaProcessed) error {
	q := idb.NewUpdate().Model((*MediaAsset)(nil)).
		Set("processing_status = ?, processing_error = ?, width = ?, height = ?, updated_at = now()", p.Status, p.Error, p.Width, p.Height).
		Where("id = ? AND processing_status = ?", id, enums.MediaPending)
	if p.MimeType != "" {
		q = q.Set("mime_type = ?", p.MimeType)
	}
	if p.FileType != "" {
		q = q.Set("file_type = ?", p.FileType)
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("record media %s processing: %w", id, err)
	}
	return nil
}

// MediaAssetByStorageKey loads the live media asset stored under key.
func MediaAssetByStorageKey(ctx context.Context, idb bun.IDB, key string) (*MediaAsset, error) {
	m := new(MediaAsset)
	if err := idb.NewSelect().Model(m).Where("ma.storage_key = ? AND ma.deleted_at IS NULL", key).Scan(ctx); err != nil {
		return nil, notFound(err, "media asset at %s", key)
	}
	return m, nil
}
