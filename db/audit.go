package db

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// AuditLog is one append-only record of a change. It is written in the same
// transaction as the change it describes.
type AuditLog struct {
	bun.BaseModel `bun:"table:audit_logs"`

	ID             uuid.UUID      `bun:"id,pk,type:uuid"`
	ActorUserID    *uuid.UUID     `bun:"actor_user_id,type:uuid"`
	OrganizationID *uuid.UUID     `bun:"organization_id,type:uuid"`
	ObjectType     string         `bun:"object_type,notnull"`
	ObjectID       string         `bun:"object_id,notnull"`
	Action         string         `bun:"action,notnull"`
	Payload        map[string]any `bun:"payload,type:jsonb,notnull"`
	IP             string         `bun:"ip,notnull"`
	RequestID      string         `bun:"request_id,notnull"`
	Timestamps
}

// WriteAudit appends an audit row.
func WriteAudit(ctx context.Context, idb bun.IDB, a *AuditLog) error {
	if a.ID == uuid.Nil {
		a.ID = NewID()
	}
	if a.Payload == nil {
		a.Payload = map[string]any{}
	}
	if _, err := idb.NewInsert().Model(a).Exec(ctx); err != nil {
		return fmt.Errorf("write audit %s %s: %w", a.ObjectType, a.Action, err)
	}
	return nil
}

// AuditLogsFor lists the audit rows of one object, oldest first.
func AuditLogsFor(ctx context.Context, idb bun.IDB, objectType, objectID string) ([]AuditLog, error) {
	var out []AuditLog
	err := idb.NewSelect().Model(&out).Where("object_type = ? AND object_id = ?", objectType, objectID).
		Order("created_at", "id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list audit logs: %w", err)
	}
	return out, nil
}
