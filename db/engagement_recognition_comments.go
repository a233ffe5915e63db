package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// RecognitionComment is a member's reply under a recognition; the
// recognition's comments_count follows these rows by trigger.
type RecognitionComment struct {
	bun.BaseModel `bun:"table:recognition_comments,alias:rcm"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	RecognitionID  uuid.UUID `bun:"recognition_id,type:uuid,notnull"`
	AuthorUserID   uuid.UUID `bun:"author_user_id,type:uuid,notnull"`
	Body           string    `bun:"body,notnull"`
	Timestamps
}

// InsertRecognitionComment records c.
func InsertRecognitionComment(ctx context.Context, idb bun.IDB, c *RecognitionComment) error {
	if c.ID == uuid.Nil {
		c.ID = NewID()
	}
	if _, err := idb.NewInsert().Model(c).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert recognition comment: %w", err)
	}
	return nil
}

// RecognitionComments pages through a recognition's comments, oldest
// first, after (afterCreated, afterID).
func RecognitionComments(ctx context.Context, idb bun.IDB, recognitionID uuid.UUID, afterCreated time.Time, afterID uuid.UUID, limit int) ([]RecognitionComment, error) {
	var out []RecognitionComment
	q := idb.NewSelect().Model(&out).Where("rcm.recognition_id = ?", recognitionID)
	if !afterCreated.IsZero() {
		q = q.Where("(rcm.created_at, rcm.id) > (?, ?)", afterCreated, afterID)
	}
	if err := q.OrderExpr("rcm.created_at, rcm.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("comments of recognition %s: %w", recognitionID, err)
	}
	return out, nil
}
