package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// Safety alerts (issue 14): a batch per (sender, client request ID), one
// safety_alerts row per target group, one acknowledgement per user. The
// safety-alert workflow writes them through activities.Safety; the API
// reads them.

// SafetyNoticePrefix starts the dedupe key of every notice about batchID
// (safety-alert/<batch>/…): the resolution tells everyone such a notice
// went to.
func SafetyNoticePrefix(batchID uuid.UUID) string { return "safety-alert/" + batchID.String() + "/" }

// InsertAlertBatch writes b unless the sender's request is recorded
// already; it reports whether it wrote it.
func InsertAlertBatch(ctx context.Context, tx bun.Tx, b *SafetyAlertBatch) (bool, error) {
	res, err := tx.NewInsert().Model(b).On("CONFLICT (sender_id, client_request_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("record safety alert %s: %w", b.ID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// InsertAlertRows writes one safety_alerts row per target group; rows
// already written (a retry) are kept.
func InsertAlertRows(ctx context.Context, tx bun.Tx, rows []SafetyAlert) error {
	if len(rows) == 0 {
		return nil
	}
	if _, err := tx.NewInsert().Model(&rows).On("CONFLICT (batch_id, group_id) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("record safety alert rows of %s: %w", rows[0].BatchID, err)
	}
	return nil
}

// AlertBatchByID reads a batch; ErrNotFound if there is none.
func AlertBatchByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*SafetyAlertBatch, error) {
	b := new(SafetyAlertBatch)
	err := idb.NewSelect().Model(b).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read safety alert %s: %w", id, err)
	}
	return b, nil
}

// AlertRowsOf lists a batch's rows, one per target group, by group.
func AlertRowsOf(ctx context.Context, idb bun.IDB, batchID uuid.UUID) ([]SafetyAlert, error) {
	var rows []SafetyAlert
	if err := idb.NewSelect().Model(&rows).Where("batch_id = ?", batchID).Order("group_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read safety alert rows of %s: %w", batchID, err)
	}
	return rows, nil
}

// AlertMemberIDs lists the distinct members of a batch's target groups
// but its sender, by ID.
func AlertMemberIDs(ctx context.Context, idb bun.IDB, batchID, senderID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := idb.NewSelect().TableExpr("group_members AS gm").ColumnExpr("DISTINCT gm.user_id").
		Join("JOIN safety_alerts AS sa ON sa.group_id = gm.group_id").
		Where("sa.batch_id = ? AND gm.user_id <> ?", batchID, senderID).OrderExpr("gm.user_id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("list members told of safety alert %s: %w", batchID, err)
	}
	return ids, nil
}

// AlertHostIDs lists the hosts of a batch's events and the owners and
// admins of their organizations, by ID.
func AlertHostIDs(ctx context.Context, idb bun.IDB, batchID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := idb.NewRaw(`SELECT e.host_user_id FROM events e JOIN safety_alerts sa ON sa.event_id = e.id WHERE sa.batch_id = ?
		UNION
		SELECT m.user_id FROM organization_members m JOIN events e ON e.organization_id = m.organization_id
		JOIN safety_alerts sa ON sa.event_id = e.id WHERE sa.batch_id = ? AND m.role IN (?, ?)
		ORDER BY 1`, batchID, batchID, RoleOwner, RoleAdmin).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("list hosts of safety alert %s: %w", batchID, err)
	}
	return ids, nil
}

// StaffIDs lists every active platform staff member, by ID.
func StaffIDs(ctx context.Context, idb bun.IDB) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := idb.NewSelect().Model((*User)(nil)).Column("id").Where("is_staff AND is_active").Order("id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	return ids, nil
}

// AlertNoticeRecipients lists everyone a notice about the batch went to.
func AlertNoticeRecipients(ctx context.Context, idb bun.IDB, batchID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := idb.NewSelect().Model((*NotificationNotice)(nil)).ColumnExpr("DISTINCT user_id").
		Where("dedupe_key LIKE ?", SafetyNoticePrefix(batchID)+"%").OrderExpr("user_id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("list recipients of safety alert %s: %w", batchID, err)
	}
	return ids, nil
}

// SetAlertNotified records how many members were told.
func SetAlertNotified(ctx context.Context, tx bun.Tx, batchID uuid.UUID, n int) error {
	_, err := tx.NewUpdate().Model((*SafetyAlertBatch)(nil)).Set("notified_count = ?", n).Set("updated_at = now()").
		Where("id = ?", batchID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record members told of safety alert %s: %w", batchID, err)
	}
	return nil
}

// EscalateAlertStatus moves a batch still waiting for an acknowledgement
// to status (escalated_host, escalated_staff); an acknowledged or
// resolved batch keeps its status.
func EscalateAlertStatus(ctx context.Context, tx bun.Tx, batchID uuid.UUID, status string) error {
	_, err := tx.NewUpdate().Model((*SafetyAlertBatch)(nil)).Set("status = ?", status).Set("updated_at = now()").
		Where("id = ? AND status IN (?)", batchID,
			bun.In([]string{enums.AlertOpen, enums.AlertEscalatedHost, enums.AlertEscalatedStaff})).Exec(ctx)
	if err != nil {
		return fmt.Errorf("escalate safety alert %s: %w", batchID, err)
	}
	return nil
}

// AcknowledgeAlertBatch records userID's acknowledgement and marks an
// unresolved batch acknowledged, keeping the first acknowledger. It
// reports whether the acknowledgement is new.
func AcknowledgeAlertBatch(ctx context.Context, tx bun.Tx, batchID, userID uuid.UUID, at time.Time) (bool, error) {
	res, err := tx.NewInsert().Model(&SafetyAlertAck{BatchID: batchID, UserID: userID, AcknowledgedAt: at}).
		On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("record acknowledgement of safety alert %s: %w", batchID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	_, err = tx.NewUpdate().Model((*SafetyAlertBatch)(nil)).Set("status = ?", enums.AlertAcknowledged).
		Set("acknowledged_by = coalesce(acknowledged_by, ?)", userID).Set("acknowledged_at = coalesce(acknowledged_at, ?)", at).
		Set("updated_at = now()").Where("id = ? AND status <> ?", batchID, enums.AlertResolved).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("acknowledge safety alert %s: %w", batchID, err)
	}
	return true, nil
}

// ResolveAlertBatch marks an unresolved batch and its rows resolved; it
// reports whether it did (false: resolved already).
func ResolveAlertBatch(ctx context.Context, tx bun.Tx, batchID, userID uuid.UUID, outcome string, at time.Time) (bool, error) {
	res, err := tx.NewUpdate().Model((*SafetyAlertBatch)(nil)).Set("status = ?", enums.AlertResolved).
		Set("resolved_by = ?", userID).Set("resolved_at = ?", at).Set("outcome = ?", outcome).Set("updated_at = now()").
		Where("id = ? AND status <> ?", batchID, enums.AlertResolved).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("resolve safety alert %s: %w", batchID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	_, err = tx.NewUpdate().Model((*SafetyAlert)(nil)).Set("resolved_at = ?", at).Set("resolved_by_user_id = ?", userID).
		Where("batch_id = ?", batchID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("resolve safety alert rows of %s: %w", batchID, err)
	}
	return true, nil
}
