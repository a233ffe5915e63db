package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// Queries of the approval chains that the API runs: definitions, the
// facts a submission matches them on, the inbox, the history, absences
// and external review links.

// InsertApprovalWorkflow writes a definition and its steps.
func InsertApprovalWorkflow(ctx context.Context, tx bun.Tx, w *ApprovalWorkflow) error {
	if _, err := tx.NewInsert().Model(w).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert approval workflow: %w", err)
	}
	return insertApprovalSteps(ctx, tx, w)
}

// ReplaceApprovalWorkflow rewrites a definition and replaces its steps.
func ReplaceApprovalWorkflow(ctx context.Context, tx bun.Tx, w *ApprovalWorkflow) error {
	_, err := tx.NewUpdate().Model(w).Column("name", "trigger_conditions", "priority", "is_active").
		Set("updated_at = now()").WherePK().Returning("updated_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("update approval workflow %s: %w", w.ID, err)
	}
	if _, err := tx.NewDelete().Model((*ApprovalWorkflowStep)(nil)).Where("approval_workflow_id = ?", w.ID).Exec(ctx); err != nil {
		return fmt.Errorf("delete steps of approval workflow %s: %w", w.ID, err)
	}
	return insertApprovalSteps(ctx, tx, w)
}

func insertApprovalSteps(ctx context.Context, tx bun.Tx, w *ApprovalWorkflow) error {
	for i := range w.Steps {
		w.Steps[i].ApprovalWorkflowID, w.Steps[i].Position = w.ID, i+1
		if w.Steps[i].ID == uuid.Nil {
			w.Steps[i].ID = NewID()
		}
	}
	if _, err := tx.NewInsert().Model(&w.Steps).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert steps of approval workflow %s: %w", w.ID, err)
	}
	return nil
}

// ApprovalWorkflowForUpdate loads and locks a definition (not deleted).
func ApprovalWorkflowForUpdate(ctx context.Context, tx bun.Tx, id uuid.UUID) (*ApprovalWorkflow, error) {
	w := new(ApprovalWorkflow)
	err := tx.NewSelect().Model(w).Where("aw.id = ? AND aw.deleted_at IS NULL", id).For("UPDATE").Scan(ctx)
	if err != nil {
		return nil, notFound(err, "approval workflow %s", id)
	}
	return w, nil
}

// ApprovalWorkflowsOf lists an organization's definitions with their
// steps, in matching order (highest priority first, then oldest);
// activeOnly keeps the active ones.
func ApprovalWorkflowsOf(ctx context.Context, idb bun.IDB, orgID uuid.UUID, activeOnly bool) ([]ApprovalWorkflow, error) {
	var out []ApprovalWorkflow
	q := idb.NewSelect().Model(&out).
		Relation("Steps", func(q *bun.SelectQuery) *bun.SelectQuery { return q.Order("aws.position") }).
		Where("aw.organization_id = ? AND aw.deleted_at IS NULL", orgID).
		Order("aw.priority DESC", "aw.created_at", "aw.id")
	if activeOnly {
		q = q.Where("aw.is_active")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list approval workflows: %w", err)
	}
	return out, nil
}

// NonMemberIDs returns those of ids who are not members of the organization.
func NonMemberIDs(ctx context.Context, idb bun.IDB, orgID uuid.UUID, ids []uuid.UUID) ([]uuid.UUID, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []uuid.UUID
	err := idb.NewRaw(`SELECT u FROM unnest(?::uuid[]) AS u WHERE NOT EXISTS (
		SELECT 1 FROM organization_members m WHERE m.organization_id = ? AND m.user_id = u)`, pgUUIDs(ids), orgID).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("find non-members: %w", err)
	}
	return out, nil
}

// ApprovalContentByID loads a content item that is not deleted.
func ApprovalContentByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Content, error) {
	c := new(Content)
	if err := idb.NewSelect().Model(c).Where("c.id = ? AND c.deleted_at IS NULL", id).Scan(ctx); err != nil {
		return nil, notFound(err, "content %s", id)
	}
	return c, nil
}

// ApprovalContentVersion loads one version of a content.
func ApprovalContentVersion(ctx context.Context, idb bun.IDB, contentID uuid.UUID, version int) (*ContentVersion, error) {
	v := new(ContentVersion)
	if err := idb.NewSelect().Model(v).Where("cv.content_id = ? AND cv.version = ?", contentID, version).Scan(ctx); err != nil {
		return nil, notFound(err, "version %d of content %s", version, contentID)
	}
	return v, nil
}

// VersionTargetPlatforms lists the platforms of a version's target accounts.
func VersionTargetPlatforms(ctx context.Context, idb bun.IDB, versionID uuid.UUID) ([]string, error) {
	var out []string
	err := idb.NewRaw(`SELECT DISTINCT sa.platform FROM content_version_targets t
		JOIN social_accounts sa ON sa.id = t.social_account_id WHERE t.content_version_id = ? ORDER BY 1`, versionID).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("list target platforms: %w", err)
	}
	return out, nil
}

// MaxTaggedVIPTier is the highest VIP tier of an event's auto-tagged
// delegates (0 without any).
func MaxTaggedVIPTier(ctx context.Context, idb bun.IDB, eventID uuid.UUID) (int, error) {
	var tier int
	err := idb.NewRaw(`SELECT coalesce(max(vip_tier), 0) FROM delegates
		WHERE event_id = ? AND auto_tag AND deleted_at IS NULL`, eventID).Scan(ctx, &tier)
	if err != nil {
		return 0, fmt.Errorf("max vip tier of event %s: %w", eventID, err)
	}
	return tier, nil
}

// PhaseAt is the event's phase that contains at, or nil.
func PhaseAt(ctx context.Context, idb bun.IDB, eventID uuid.UUID, at time.Time) (*uuid.UUID, error) {
	var ids []uuid.UUID
	err := idb.NewSelect().Model((*EventPhase)(nil)).Column("id").
		Where("event_id = ? AND starts_at <= ? AND ends_at > ?", eventID, at, at).Limit(1).Scan(ctx, &ids)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return &ids[0], nil
}

// OpenApprovalRequestOfContent loads the content's open request.
func OpenApprovalRequestOfContent(ctx context.Context, idb bun.IDB, contentID uuid.UUID) (*ApprovalRequest, error) {
	r := new(ApprovalRequest)
	err := idb.NewSelect().Model(r).Where("ar.content_id = ? AND ar.status IN (?, ?)", contentID,
		enums.ApprovalPending, enums.ApprovalEscalated).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "open approval request of content %s", contentID)
	}
	return r, nil
}

// PendingApproval is one row of an approver's inbox.
type PendingApproval struct {
	ApprovalAssignment `bun:",extend"`

	Version       int                    `bun:"version,scanonly"`
	Title         string                 `bun:"title,scanonly"`
	AuthorUserID  uuid.UUID              `bun:"author_user_id,scanonly"`
	RequestStatus string                 `bun:"request_status,scanonly"`
	Steps         []ApprovalWorkflowStep `bun:"steps,type:jsonb,scanonly"`
}

// PendingApprovalsOf pages through userID's open assignments, earliest
// due first, after the row (afterDue, afterID); orgID limits them to one
// organization.
func PendingApprovalsOf(ctx context.Context, idb bun.IDB, userID uuid.UUID, orgID *uuid.UUID, afterDue time.Time, afterID uuid.UUID, limit int) ([]PendingApproval, error) {
	var out []PendingApproval
	q := idb.NewSelect().Model(&out).
		ColumnExpr("asg.*, ar.version, cv.title, c.author_user_id, ar.status AS request_status, ar.steps").
		Join("JOIN approval_requests ar ON ar.id = asg.approval_request_id").
		Join("JOIN content_versions cv ON cv.id = ar.content_version_id").
		Join("JOIN content c ON c.id = asg.content_id AND c.deleted_at IS NULL").
		Where("asg.assignee_user_id = ? AND asg.status = ?", userID, enums.AssignmentOpen).
		Order("asg.due_at", "asg.id").Limit(int64(limit))
	if orgID != nil {
		q = q.Where("asg.organization_id = ?", *orgID)
	}
	if afterID != uuid.Nil {
		q = q.Where("(asg.due_at, asg.id) > (?, ?)", afterDue, afterID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list pending approvals: %w", err)
	}
	return out, nil
}

// ApprovalRequestsOfContent lists a content's requests, oldest first.
func ApprovalRequestsOfContent(ctx context.Context, idb bun.IDB, contentID uuid.UUID) ([]ApprovalRequest, error) {
	var out []ApprovalRequest
	if err := idb.NewSelect().Model(&out).Where("ar.content_id = ?", contentID).Order("ar.version", "ar.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list approval requests: %w", err)
	}
	return out, nil
}

// ApprovalActionRow is one action with the name of the external reviewer
// who took it, if any.
type ApprovalActionRow struct {
	ApprovalAction `bun:",extend"`

	ReviewerName *string `bun:"reviewer_name,scanonly"`
}

// ApprovalActionsOfContent lists the actions on a content's requests,
// oldest first.
func ApprovalActionsOfContent(ctx context.Context, idb bun.IDB, contentID uuid.UUID) ([]ApprovalActionRow, error) {
	var out []ApprovalActionRow
	err := idb.NewSelect().Model(&out).ColumnExpr("aa.*, erl.reviewer_name").
		Join("JOIN approval_requests ar ON ar.id = aa.approval_request_id").
		Join("LEFT JOIN external_review_links erl ON erl.id = aa.external_review_link_id").
		Where("ar.content_id = ?", contentID).Order("aa.actioned_at", "aa.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list approval actions: %w", err)
	}
	return out, nil
}

// ApprovalWorkflowNames maps definition IDs to their names.
func ApprovalWorkflowNames(ctx context.Context, idb bun.IDB, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	out := map[uuid.UUID]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []ApprovalWorkflow
	if err := idb.NewSelect().Model(&rows).Column("id", "name").Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("name approval workflows: %w", err)
	}
	for _, w := range rows {
		out[w.ID] = w.Name
	}
	return out, nil
}

// InsertApprovalDelegation records an absence; an overlapping one of the
// same user violates approval_delegations_no_overlap.
func InsertApprovalDelegation(ctx context.Context, idb bun.IDB, d *ApprovalDelegation) error {
	if _, err := idb.NewInsert().Model(d).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert approval delegation: %w", err)
	}
	return nil
}

// RevokeApprovalDelegations revokes the user's absences that have not
// ended by at.
func RevokeApprovalDelegations(ctx context.Context, idb bun.IDB, orgID, userID uuid.UUID, at time.Time) error {
	_, err := idb.NewUpdate().Model((*ApprovalDelegation)(nil)).Set("revoked_at = ?", at).Set("updated_at = now()").
		Where("organization_id = ? AND user_id = ? AND revoked_at IS NULL AND ends_at > ?", orgID, userID, at).Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke delegations of %s: %w", userID, err)
	}
	return nil
}

// OpenRunOfAssignment is the content version of an open request on whose
// current step someone is assigned.
type OpenRunOfAssignment struct {
	ContentID uuid.UUID `bun:"content_id"`
	Version   int       `bun:"version"`
}

// OpenRunsAssigning lists the open requests of the organization where
// userID is an open assignee, or stands in for one (on behalf of).
func OpenRunsAssigning(ctx context.Context, idb bun.IDB, orgID, userID uuid.UUID) ([]OpenRunOfAssignment, error) {
	var out []OpenRunOfAssignment
	err := idb.NewRaw(`SELECT DISTINCT ar.content_id, ar.version FROM approval_assignments asg
		JOIN approval_requests ar ON ar.id = asg.approval_request_id AND ar.status IN (?, ?)
		WHERE asg.organization_id = ? AND asg.status = ? AND (asg.assignee_user_id = ? OR asg.on_behalf_of_user_id = ?)`,
		enums.ApprovalPending, enums.ApprovalEscalated, orgID, enums.AssignmentOpen, userID, userID).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("list open runs assigning %s: %w", userID, err)
	}
	return out, nil
}

// InsertExternalReviewLink stores a review link (its token's hash only).
func InsertExternalReviewLink(ctx context.Context, idb bun.IDB, l *ExternalReviewLink) error {
	if _, err := idb.NewInsert().Model(l).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert review link: %w", err)
	}
	return nil
}

// ReviewLinkByTokenHash loads a review link by its token's hash.
func ReviewLinkByTokenHash(ctx context.Context, idb bun.IDB, hash []byte) (*ExternalReviewLink, error) {
	l := new(ExternalReviewLink)
	if err := idb.NewSelect().Model(l).Where("erl.token_hash = ?", hash).Scan(ctx); err != nil {
		return nil, notFound(err, "review link")
	}
	return l, nil
}

// ApprovalRequestByID loads a request.
func ApprovalRequestByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*ApprovalRequest, error) {
	r := new(ApprovalRequest)
	if err := idb.NewSelect().Model(r).Where("ar.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "approval request %s", id)
	}
	return r, nil
}
