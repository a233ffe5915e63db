package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// InsertDomainEvent appends ev to the outbox in the caller's transaction.
// Use engagement.Recorder.Emit, which also enqueues the rules job.
func InsertDomainEvent(ctx context.Context, idb bun.IDB, ev *DomainEvent) error {
	if ev.ID == uuid.Nil {
		ev.ID = NewID()
	}
	if ev.Payload == nil {
		ev.Payload = map[string]any{}
	}
	if _, err := idb.NewInsert().Model(ev).Returning("occurred_at, created_at").Exec(ctx); err != nil {
		return fmt.Errorf("record domain event %s: %w", ev.Type, err)
	}
	return nil
}

// DomainEventByID returns one outbox row.
func DomainEventByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*DomainEvent, error) {
	var ev DomainEvent
	err := idb.NewSelect().Model(&ev).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("domain event %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("domain event %s: %w", id, err)
	}
	return &ev, nil
}

// CountSubjectEvents counts a member's domain events of one type.
func CountSubjectEvents(ctx context.Context, idb bun.IDB, orgID, userID uuid.UUID, eventType string) (int, error) {
	n, err := idb.NewSelect().Model((*DomainEvent)(nil)).
		Where("organization_id = ? AND subject_user_id = ? AND type = ?", orgID, userID, eventType).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count %s events of %s: %w", eventType, userID, err)
	}
	return int(n), nil
}
