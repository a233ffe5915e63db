package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/jobs"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/temporal"
)

// Safety holds the safety-alert workflow's activities. Each writes in one
// transaction and is idempotent: the batch is keyed by (sender, client
// request ID), its rows by (batch, group), acknowledgements by (batch,
// user), and every notice by safety-alert/<batch>/…, so a retry sends
// nothing twice. Notices go in category db.CategorySafety: quiet hours
// and opt-outs do not hold them.
type Safety struct {
	DB      *db.DB
	Notices *jobs.Notices
	Now     func() time.Time
}

// RecordAlertInput is the alert as the sender raised it.
type RecordAlertInput struct {
	BatchID         string
	SenderID        string
	ClientRequestID string
	GroupIDs        []string
	AlertType       string
	Message         string
	Latitude        *float64
	Longitude       *float64
}

// AlertRecord is what RecordAlert wrote: the batch's time and the events
// of its groups (sorted).
type AlertRecord struct {
	CreatedAt time.Time
	EventIDs  []string
}

// AlertDecision is an acknowledgement or a resolution by UserID.
type AlertDecision struct {
	BatchID string
	UserID  string
	// Outcome and Note are set on a resolution only.
	Outcome string
	Note    string
}

// errTypeNotAllowed is workflows.ErrTypeNotAllowed (which the activities
// cannot import): the API answers it PermissionDenied.
const errTypeNotAllowed = "ConveneNotAllowed"

// RecordAlert writes the batch, one safety_alerts row per group and the
// audit row in one transaction (step 1). The sender must be a member of
// every group: a non-retryable error otherwise. A retry finds the batch
// and answers what the first attempt wrote.
func (a *Safety) RecordAlert(ctx context.Context, in RecordAlertInput) (AlertRecord, error) {
	batchID, err := uuid.Parse(in.BatchID)
	if err != nil {
		return AlertRecord{}, temporal.NewNonRetryableApplicationError("bad batch id "+in.BatchID, errTypeNotAllowed, err)
	}
	senderID, err := uuid.Parse(in.SenderID)
	if err != nil {
		return AlertRecord{}, temporal.NewNonRetryableApplicationError("bad sender id "+in.SenderID, errTypeNotAllowed, err)
	}
	var rec AlertRecord
	err = a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		b := &db.SafetyAlertBatch{ID: batchID, SenderID: senderID, ClientRequestID: in.ClientRequestID, AlertType: in.AlertType,
			Message: in.Message, Latitude: in.Latitude, Longitude: in.Longitude, Status: enums.AlertOpen}
		b.CreatedAt = a.now()
		stored, err := db.InsertAlertBatch(ctx, tx, b)
		if err != nil {
			return err
		}
		if stored {
			if err := a.recordRows(ctx, tx, b, in.GroupIDs); err != nil {
				return err
			}
		}
		rec, err = recordOf(ctx, tx, batchID)
		return err
	})
	return rec, err
}

// recordRows writes one row per target group after checking the sender is
// a member of each, and the audit row.
func (a *Safety) recordRows(ctx context.Context, tx bun.Tx, b *db.SafetyAlertBatch, groupIDs []string) error {
	rows := make([]db.SafetyAlert, 0, len(groupIDs))
	for _, id := range groupIDs {
		g, err := a.senderGroup(ctx, tx, b.SenderID, id)
		if err != nil {
			return err
		}
		rows = append(rows, db.SafetyAlert{ID: db.NewID(), BatchID: b.ID, UserID: b.SenderID, GroupID: g.ID, EventID: g.EventID,
			Latitude: b.Latitude, Longitude: b.Longitude, AlertType: b.AlertType, Message: b.Message, CreatedAt: b.CreatedAt})
	}
	if err := db.InsertAlertRows(ctx, tx, rows); err != nil {
		return err
	}
	return auditAlert(ctx, tx, b.ID, &b.SenderID, "trigger", map[string]any{"alert_type": b.AlertType, "group_ids": groupIDs})
}

// senderGroup reads a target group of the sender's: refused (not retried)
// when it is gone or the sender is not in it.
func (a *Safety) senderGroup(ctx context.Context, tx bun.Tx, senderID uuid.UUID, groupID string) (*db.Group, error) {
	id, err := uuid.Parse(groupID)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("bad group id "+groupID, errTypeNotAllowed, err)
	}
	g, err := db.GroupByID(ctx, tx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, temporal.NewNonRetryableApplicationError("group "+groupID+" does not exist", errTypeNotAllowed, nil)
	}
	if err != nil {
		return nil, err
	}
	m, err := db.GroupMembership(ctx, tx, id, senderID)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("you are not a member of group %s (%s)", g.Name, groupID), errTypeNotAllowed, nil)
	}
	return g, nil
}

// recordOf is what a batch's record answers: its time and its events.
func recordOf(ctx context.Context, idb bun.IDB, batchID uuid.UUID) (AlertRecord, error) {
	b, err := db.AlertBatchByID(ctx, idb, batchID)
	if err != nil {
		return AlertRecord{}, err
	}
	rows, err := db.AlertRowsOf(ctx, idb, batchID)
	if err != nil {
		return AlertRecord{}, err
	}
	rec := AlertRecord{CreatedAt: b.CreatedAt}
	for _, r := range rows {
		rec.EventIDs = append(rec.EventIDs, r.EventID.String())
	}
	slices.Sort(rec.EventIDs)
	rec.EventIDs = slices.Compact(rec.EventIDs)
	return rec, nil
}

// NotifyAlertMembers tells every distinct member of the batch's groups
// but the sender, once each (in-app and push), and returns how many were
// told (step 2).
func (a *Safety) NotifyAlertMembers(ctx context.Context, batchID string) (int, error) {
	told := 0
	err := a.withBatch(ctx, batchID, func(ctx context.Context, tx bun.Tx, b *db.SafetyAlertBatch) error {
		members, err := db.AlertMemberIDs(ctx, tx, b.ID, b.SenderID)
		if err != nil {
			return err
		}
		title, body := alertText(b)
		for _, m := range members {
			if err := a.notify(ctx, tx, b, m.String(), m, title, body); err != nil {
				return err
			}
		}
		told = len(members)
		return db.SetAlertNotified(ctx, tx, b.ID, told)
	})
	return told, err
}

// EscalateAlertToHosts tells the hosts of the batch's events (and their
// organizations' owners and admins) and marks it escalated_host.
func (a *Safety) EscalateAlertToHosts(ctx context.Context, batchID string) error {
	return a.withBatch(ctx, batchID, func(ctx context.Context, tx bun.Tx, b *db.SafetyAlertBatch) error {
		hosts, err := db.AlertHostIDs(ctx, tx, b.ID)
		if err != nil {
			return err
		}
		title, body := alertText(b)
		for _, h := range hosts {
			if err := a.notify(ctx, tx, b, "host/"+h.String(), h, "Not acknowledged: "+title, body); err != nil {
				return err
			}
		}
		if err := db.EscalateAlertStatus(ctx, tx, b.ID, enums.AlertEscalatedHost); err != nil {
			return err
		}
		return auditAlert(ctx, tx, b.ID, nil, "escalate_host", map[string]any{"told": len(hosts)})
	})
}

// EscalateAlertToStaff tells every platform staff member (round names the
// repeat, so each round is sent once) and marks it escalated_staff.
func (a *Safety) EscalateAlertToStaff(ctx context.Context, batchID string, round int) error {
	return a.withBatch(ctx, batchID, func(ctx context.Context, tx bun.Tx, b *db.SafetyAlertBatch) error {
		staff, err := db.StaffIDs(ctx, tx)
		if err != nil {
			return err
		}
		title, body := alertText(b)
		for _, s := range staff {
			key := fmt.Sprintf("staff/%d/%s", round, s)
			if err := a.notify(ctx, tx, b, key, s, "Not acknowledged: "+title, body); err != nil {
				return err
			}
		}
		if err := db.EscalateAlertStatus(ctx, tx, b.ID, enums.AlertEscalatedStaff); err != nil {
			return err
		}
		return auditAlert(ctx, tx, b.ID, nil, "escalate_staff", map[string]any{"round": round, "told": len(staff)})
	})
}

// AcknowledgeAlert records the acknowledgement and marks the batch
// acknowledged (the first acknowledger is kept).
func (a *Safety) AcknowledgeAlert(ctx context.Context, in AlertDecision) error {
	userID, err := uuid.Parse(in.UserID)
	if err != nil {
		return temporal.NewNonRetryableApplicationError("bad user id "+in.UserID, errTypeNotAllowed, err)
	}
	return a.withBatch(ctx, in.BatchID, func(ctx context.Context, tx bun.Tx, b *db.SafetyAlertBatch) error {
		added, err := db.AcknowledgeAlertBatch(ctx, tx, b.ID, userID, a.now())
		if err != nil || !added {
			return err
		}
		return auditAlert(ctx, tx, b.ID, &userID, "acknowledge", map[string]any{})
	})
}

// ResolveAlert marks the batch and its rows resolved by in.UserID with
// in.Outcome, audits it, and tells the sender, every member told and
// every host or staff member escalated to (not the resolver).
func (a *Safety) ResolveAlert(ctx context.Context, in AlertDecision) error {
	userID, err := uuid.Parse(in.UserID)
	if err != nil {
		return temporal.NewNonRetryableApplicationError("bad user id "+in.UserID, errTypeNotAllowed, err)
	}
	return a.withBatch(ctx, in.BatchID, func(ctx context.Context, tx bun.Tx, b *db.SafetyAlertBatch) error {
		resolved, err := db.ResolveAlertBatch(ctx, tx, b.ID, userID, in.Outcome, a.now())
		if err != nil {
			return err
		}
		if resolved {
			if err := auditAlert(ctx, tx, b.ID, &userID, "resolve", map[string]any{"outcome": in.Outcome, "note": in.Note}); err != nil {
				return err
			}
		}
		if b, err = db.AlertBatchByID(ctx, tx, b.ID); err != nil {
			return err
		}
		return a.announceResolution(ctx, tx, b, in.Note)
	})
}

// announceResolution tells the sender and everyone told about the batch,
// but its resolver, keyed resolved/<user>: a retry tells nobody twice.
func (a *Safety) announceResolution(ctx context.Context, tx bun.Tx, b *db.SafetyAlertBatch, note string) error {
	told, err := db.AlertNoticeRecipients(ctx, tx, b.ID)
	if err != nil {
		return err
	}
	outcome := ""
	if b.Outcome != nil {
		outcome = *b.Outcome
	}
	title := fmt.Sprintf("Safety alert resolved: %s", strings.ReplaceAll(outcome, "_", " "))
	body := title
	if note != "" {
		body = title + ". " + note
	}
	for _, u := range append(told, b.SenderID) {
		if b.ResolvedBy != nil && u == *b.ResolvedBy {
			continue
		}
		if err := a.notify(ctx, tx, b, "resolved/"+u.String(), u, title, body); err != nil {
			return err
		}
	}
	return nil
}

// withBatch runs fn in one transaction with the batch read.
func (a *Safety) withBatch(ctx context.Context, batchID string, fn func(ctx context.Context, tx bun.Tx, b *db.SafetyAlertBatch) error) error {
	id, err := uuid.Parse(batchID)
	if err != nil {
		return temporal.NewNonRetryableApplicationError("bad batch id "+batchID, errTypeNotAllowed, err)
	}
	return a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		b, err := db.AlertBatchByID(ctx, tx, id)
		if err != nil {
			return err
		}
		return fn(ctx, tx, b)
	})
}

// notify sends one safety notice, keyed safety-alert/<batch>/<key>, to
// the inbox and by push; quiet hours and opt-outs do not hold it.
func (a *Safety) notify(ctx context.Context, tx bun.Tx, b *db.SafetyAlertBatch, key string, to uuid.UUID, title, body string) error {
	return a.Notices.Send(ctx, tx, jobs.Notice{Key: db.SafetyNoticePrefix(b.ID) + key, To: to, Category: db.CategorySafety,
		Title: title, Body: body, From: &b.SenderID, ReferenceType: "safety_alert", ReferenceID: b.ID.String(),
		Channels: []string{enums.ChannelPush}})
}

// alertText is the notice of an alert: its type, message and location.
func alertText(b *db.SafetyAlertBatch) (string, string) {
	title := fmt.Sprintf("Safety alert: %s", b.AlertType)
	body := b.Message
	if b.Latitude != nil && b.Longitude != nil {
		body = strings.TrimSpace(fmt.Sprintf("%s (at %.5f, %.5f)", body, *b.Latitude, *b.Longitude))
	}
	if body == "" {
		body = "Someone in your group asked for help."
	}
	return title, body
}

func auditAlert(ctx context.Context, tx bun.Tx, batchID uuid.UUID, actor *uuid.UUID, verb string, payload map[string]any) error {
	return db.WriteAudit(ctx, tx, &db.AuditLog{ActorUserID: actor, ObjectType: "safety_alert", ObjectID: batchID.String(),
		Action: "safety_alert." + verb, Payload: payload})
}

func (a *Safety) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}
