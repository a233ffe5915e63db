package rpc

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
)

// Audit writes an audit row for the current request inside idb (the
// transaction of the change it records), stamped with the request's ID and
// client IP. actor and org may be nil (a login attempt, a personal change).
func Audit(ctx context.Context, idb bun.IDB, actor, org *uuid.UUID, objectType, objectID, action string, payload map[string]any) error {
	info := RequestInfoOf(ctx)
	return db.WriteAudit(ctx, idb, &db.AuditLog{ActorUserID: actor, OrganizationID: org, ObjectType: objectType,
		ObjectID: objectID, Action: action, Payload: payload, IP: info.IP, RequestID: info.ID})
}
