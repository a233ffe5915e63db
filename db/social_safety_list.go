package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// AlertFilter pages the alerts one user may see, newest first.
type AlertFilter struct {
	// ViewerID sees the alerts they sent, those to groups they are in and
	// those at events they host (or whose organization they own or
	// administer); All (staff) sees every alert.
	ViewerID uuid.UUID
	All      bool
	// Status filters on one status when set.
	Status string
	// BeforeCreatedAt and BeforeID name the last alert of the previous
	// page (zero on the first).
	BeforeCreatedAt time.Time
	BeforeID        uuid.UUID
	Limit           int
}

// ListAlertBatches lists the batches f allows, newest first.
func ListAlertBatches(ctx context.Context, idb bun.IDB, f AlertFilter) ([]SafetyAlertBatch, error) {
	var out []SafetyAlertBatch
	q := idb.NewSelect().Model(&out)
	if !f.All {
		q = q.Where(`sab.sender_id = ?0
			OR EXISTS (SELECT 1 FROM safety_alerts sa JOIN group_members gm ON gm.group_id = sa.group_id
				WHERE sa.batch_id = sab.id AND gm.user_id = ?0)
			OR EXISTS (SELECT 1 FROM safety_alerts sa JOIN events e ON e.id = sa.event_id
				WHERE sa.batch_id = sab.id AND (e.host_user_id = ?0 OR EXISTS (SELECT 1 FROM organization_members m
					WHERE m.organization_id = e.organization_id AND m.user_id = ?0 AND m.role IN (?1, ?2))))`,
			f.ViewerID, RoleOwner, RoleAdmin)
	}
	if f.Status != "" {
		q = q.Where("sab.status = ?", f.Status)
	}
	if f.BeforeID != uuid.Nil {
		q = q.Where("(sab.created_at, sab.id) < (?, ?)", f.BeforeCreatedAt, f.BeforeID)
	}
	if err := q.OrderExpr("sab.created_at DESC, sab.id DESC").Limit(int64(f.Limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list safety alerts of %s: %w", f.ViewerID, err)
	}
	return out, nil
}

// AlertRowsOfBatches reads the rows of several batches, by batch.
func AlertRowsOfBatches(ctx context.Context, idb bun.IDB, batchIDs []uuid.UUID) (map[uuid.UUID][]SafetyAlert, error) {
	out := make(map[uuid.UUID][]SafetyAlert, len(batchIDs))
	if len(batchIDs) == 0 {
		return out, nil
	}
	var rows []SafetyAlert
	if err := idb.NewSelect().Model(&rows).Where("batch_id IN (?)", bun.In(batchIDs)).Order("batch_id", "group_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read safety alert rows: %w", err)
	}
	for _, r := range rows {
		out[r.BatchID] = append(out[r.BatchID], r)
	}
	return out, nil
}
