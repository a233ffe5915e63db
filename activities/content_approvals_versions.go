package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
)

// WriteNextContentVersion turns an edit of a version under review (or
// rejected, or approved) into the content's next version, in one
// transaction under the content row's lock: the version with its media and
// targets, the content pointing at it and back in review, this version's
// request closed as superseded and the next version's request opened with
// the same steps. A retry after commit finds the version it wrote; an edit
// of a version that is no longer current fails with ErrStaleContentVersion.
func (a *ContentApprovals) WriteNextContentVersion(ctx context.Context, in NextVersionInput) (NextVersion, error) {
	var out NextVersion
	err := a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, _, err := a.lockRequest(ctx, tx, in.RequestID)
		if err != nil {
			return err
		}
		c, err := db.LockContentForApproval(ctx, tx, r.ContentID)
		if err != nil {
			return err
		}
		if next, err := db.ContentVersionSuccessor(ctx, tx, r.ContentVersionID); err == nil {
			out = NextVersion{ContentVersionID: next.ID.String(), Version: next.Version, Title: next.Title}
			return nil
		}
		if c.CurrentVersion != in.ExpectedVersion || r.Version != c.CurrentVersion {
			msg := fmt.Sprintf("the content is at version %d, not %d: reload it and edit again", c.CurrentVersion, in.ExpectedVersion)
			return temporal.NewNonRetryableApplicationError(msg, ErrStaleContentVersion, nil)
		}
		next, err := a.insertNextVersion(ctx, tx, r, c, in)
		if err != nil {
			return err
		}
		out = NextVersion{ContentVersionID: next.ID.String(), Version: next.Version, Title: next.Title}
		return nil
	})
	return out, err
}

// insertNextVersion writes the rows of WriteNextContentVersion.
func (a *ContentApprovals) insertNextVersion(ctx context.Context, tx bun.Tx, r *db.ApprovalRequest, c *db.Content, in NextVersionInput) (*db.ContentVersion, error) {
	editor := db.OptionalID(in.EditorUserID)
	next := &db.ContentVersion{ID: db.NewID(), ContentID: c.ID, OrganizationID: c.OrganizationID, Version: r.Version + 1,
		ParentVersionID: &r.ContentVersionID, Title: in.Title, Caption: in.Caption, Body: in.Body,
		Hashtags: tagsOrEmpty(in.Hashtags), CreatedBy: editor}
	rows := db.NextVersionRows{Version: next, MediaAssetIDs: approvalUUIDs(in.MediaAssetIDs), SocialAccountIDs: approvalUUIDs(in.SocialAccountIDs)}
	if !in.ScheduledFor.IsZero() {
		rows.ScheduledFor = &in.ScheduledFor
	}
	if err := db.InsertNextContentVersion(ctx, tx, rows); err != nil {
		return nil, err
	}
	now := a.now()
	if err := db.ResolveApprovalRequest(ctx, tx, r.ID, enums.ApprovalSuperseded, now); err != nil {
		return nil, err
	}
	if err := db.CloseApprovalAssignmentsExcept(ctx, tx, r.ID, 0, nil); err != nil {
		return nil, err
	}
	req := &db.ApprovalRequest{ID: db.NewID(), OrganizationID: r.OrganizationID, ApprovalWorkflowID: r.ApprovalWorkflowID,
		ContentID: c.ID, ContentVersionID: next.ID, Version: next.Version, RequestedBy: editor, Steps: r.Steps,
		CurrentStep: 1, Status: enums.ApprovalPending, RequestedAt: now}
	if err := db.InsertApprovalRequest(ctx, tx, req); err != nil {
		return nil, err
	}
	return next, db.WriteAudit(ctx, tx, &db.AuditLog{ActorUserID: editor, OrganizationID: &r.OrganizationID,
		ObjectType: "content", ObjectID: c.ID.String(), Action: "content.revised",
		Payload: map[string]any{"from_version": r.Version, "version": next.Version}})
}

// RescheduleContentVersion moves the publish time of the request's
// content, while its version is the current one.
func (a *ContentApprovals) RescheduleContentVersion(ctx context.Context, in ContentRescheduleInput) error {
	return a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, c, err := a.lockRequest(ctx, tx, in.RequestID)
		if err != nil {
			return err
		}
		if c.CurrentVersion != r.Version {
			return nil
		}
		if err := db.SetContentScheduledFor(ctx, tx, c.ID, in.ScheduledFor); err != nil {
			return err
		}
		return db.WriteAudit(ctx, tx, &db.AuditLog{ActorUserID: db.OptionalID(in.ActorUserID), OrganizationID: &r.OrganizationID,
			ObjectType: "content", ObjectID: c.ID.String(), Action: "content.rescheduled",
			Payload: map[string]any{"version": r.Version, "scheduled_for": in.ScheduledFor.UTC().Format(time.RFC3339)}})
	})
}

// approvalUUIDs parses IDs made or validated by Convene.
func approvalUUIDs(ids []string) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		out = append(out, uuid.MustParse(id))
	}
	return out
}

// tagsOrEmpty is s, or an empty slice for a NOT NULL array column.
func tagsOrEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
