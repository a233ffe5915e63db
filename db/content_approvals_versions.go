package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// ContentVersionSuccessor loads the version written after versionID.
func ContentVersionSuccessor(ctx context.Context, idb bun.IDB, versionID uuid.UUID) (*ContentVersion, error) {
	v := new(ContentVersion)
	if err := idb.NewSelect().Model(v).Where("cv.parent_version_id = ?", versionID).Scan(ctx); err != nil {
		return nil, notFound(err, "successor of version %s", versionID)
	}
	return v, nil
}

// NextVersionRows is a content's next version as an edit under review
// writes it: its media and targets are exactly the lists given (an edit
// replaces every field, as UpdateContent does); a nil ScheduledFor keeps
// the content's schedule.
type NextVersionRows struct {
	Version          *ContentVersion
	MediaAssetIDs    []uuid.UUID
	SocialAccountIDs []uuid.UUID
	ScheduledFor     *time.Time
}

// InsertNextContentVersion writes the version, its media and targets and
// points the content at it, back in review. The caller holds the content
// row's lock and has checked the version it edits is current.
func InsertNextContentVersion(ctx context.Context, tx bun.Tx, rows NextVersionRows) error {
	v := rows.Version
	if _, err := tx.NewInsert().Model(v).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert version %d of content %s: %w", v.Version, v.ContentID, err)
	}
	if err := insertRevisedVersionMedia(ctx, tx, v, rows.MediaAssetIDs); err != nil {
		return err
	}
	if err := insertRevisedVersionTargets(ctx, tx, v, rows.SocialAccountIDs); err != nil {
		return err
	}
	q := tx.NewUpdate().Model((*Content)(nil)).Set("current_version = ?", v.Version).
		Set("workflow_status = ?", enums.ContentInReview).Set("updated_at = now()").Where("id = ?", v.ContentID)
	if rows.ScheduledFor != nil {
		q = q.Set("scheduled_for = ?", *rows.ScheduledFor)
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("point content %s at version %d: %w", v.ContentID, v.Version, err)
	}
	return nil
}

// insertRevisedVersionMedia places ids in v, in order.
func insertRevisedVersionMedia(ctx context.Context, tx bun.Tx, v *ContentVersion, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	media := make([]ContentVersionMedia, 0, len(ids))
	for i, id := range ids {
		media = append(media, ContentVersionMedia{ContentVersionID: v.ID, MediaAssetID: id, Position: i})
	}
	if _, err := tx.NewInsert().Model(&media).Exec(ctx); err != nil {
		return fmt.Errorf("media of version %d: %w", v.Version, err)
	}
	return nil
}

// insertRevisedVersionTargets names ids as v's targets.
func insertRevisedVersionTargets(ctx context.Context, tx bun.Tx, v *ContentVersion, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	targets := make([]ContentVersionTarget, 0, len(ids))
	for _, id := range ids {
		targets = append(targets, ContentVersionTarget{ContentVersionID: v.ID, SocialAccountID: id})
	}
	if _, err := tx.NewInsert().Model(&targets).Exec(ctx); err != nil {
		return fmt.Errorf("targets of version %d: %w", v.Version, err)
	}
	return nil
}
