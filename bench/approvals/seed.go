package main

import (
	"context"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	"github.com/convene/convene/proto/convene/content/v1/contentv1connect"
)

// world is the seeded organization: its owner, the author of every draft,
// the approvers of each step and the drafts.
type world struct {
	orgID, ownerID, authorID uuid.UUID
	approvers                [steps][approversPerStep]uuid.UUID
	contentIDs               []uuid.UUID
}

// publishAhead puts every draft's publish time beyond the run, so approved
// runs only wait on their timer.
const publishAhead = 7 * 24 * time.Hour

// seed writes the organization, its people and the drafts.
func seed(ctx context.Context, d *db.DB, items int) (*world, error) {
	w := &world{orgID: db.NewID()}
	err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, name, slug) VALUES (?, 'Approvals bench', ?)`,
			w.orgID, "approvals-"+w.orgID.String()[24:]); err != nil {
			return fmt.Errorf("create organization: %w", err)
		}
		phone := 0
		person := func(role string) (uuid.UUID, error) {
			phone++
			u, _, err := db.CreateUserWithPhone(ctx, tx, fmt.Sprintf("+1415556%04d", phone))
			if err != nil {
				return uuid.Nil, fmt.Errorf("create user: %w", err)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO organization_members (id, organization_id, user_id, role) VALUES (?, ?, ?, ?)`,
				db.NewID(), w.orgID, u.ID, role)
			return u.ID, err
		}
		var err error
		if w.ownerID, err = person(db.RoleOwner); err != nil {
			return err
		}
		if w.authorID, err = person(db.RoleMember); err != nil {
			return err
		}
		for s := range steps {
			for i := range approversPerStep {
				if w.approvers[s][i], err = person(db.RoleApprover); err != nil {
					return err
				}
			}
		}
		return w.writeDrafts(ctx, tx, items)
	})
	return w, err
}

// writeDrafts writes items drafts by the author, version 1 each.
func (w *world) writeDrafts(ctx context.Context, tx bun.Tx, items int) error {
	at := time.Now().Add(publishAhead)
	contents := make([]db.Content, items)
	versions := make([]db.ContentVersion, items)
	for i := range items {
		contents[i] = db.Content{ID: db.NewID(), OrganizationID: w.orgID, AuthorUserID: w.authorID, ContentType: "post",
			CurrentVersion: 1, WorkflowStatus: enums.ContentDraft, ApprovalRequired: true, ScheduledFor: &at}
		versions[i] = db.ContentVersion{ID: db.NewID(), ContentID: contents[i].ID, OrganizationID: w.orgID, Version: 1,
			Title: fmt.Sprintf("Post %d", i+1), Caption: "bench", Hashtags: []string{}, CreatedBy: &w.authorID}
		w.contentIDs = append(w.contentIDs, contents[i].ID)
	}
	if _, err := tx.NewInsert().Model(&contents).Exec(ctx); err != nil {
		return fmt.Errorf("write drafts: %w", err)
	}
	if _, err := tx.NewInsert().Model(&versions).Exec(ctx); err != nil {
		return fmt.Errorf("write draft versions: %w", err)
	}
	return nil
}

// defineAndSubmit defines the two-step chain as the owner and submits every
// draft as its author, concurrency at a time.
func defineAndSubmit(ctx context.Context, s *stack.Stack, w *world, concurrency int) error {
	hc := s.HTTPClient(concurrency)
	approvals := contentv1connect.NewApprovalServiceClient(hc, s.APIURL())
	chain := &contentv1.ApprovalWorkflowInput{Name: "Two steps, all of three"}
	for st := range steps {
		step := &contentv1.ApprovalStep{Name: fmt.Sprintf("Step %d", st+1), Quorum: contentv1.Quorum_QUORUM_ALL, SlaHours: 72}
		for _, id := range w.approvers[st] {
			step.ApproverUserIds = append(step.ApproverUserIds, id.String())
		}
		chain.Steps = append(chain.Steps, step)
	}
	req, err := authed(s, w.ownerID, &contentv1.CreateApprovalWorkflowRequest{OrganizationId: w.orgID.String(), Workflow: chain})
	if err != nil {
		return err
	}
	if _, err := approvals.CreateApprovalWorkflow(ctx, req); err != nil {
		return fmt.Errorf("define the chain: %w", err)
	}
	content := contentv1connect.NewContentServiceClient(hc, s.APIURL())
	return forEach(len(w.contentIDs), concurrency, func(i int) error {
		req, err := authed(s, w.authorID, &contentv1.SubmitContentRequest{ContentId: w.contentIDs[i].String(), ExpectedVersion: 1})
		if err != nil {
			return err
		}
		if _, err := content.SubmitContent(ctx, req); err != nil {
			return fmt.Errorf("submit %s: %w", w.contentIDs[i], err)
		}
		return nil
	})
}

// authed is msg sent with userID's access token.
func authed[T any](s *stack.Stack, userID uuid.UUID, msg *T) (*connect.Request[T], error) {
	tok, err := s.Token(userID)
	if err != nil {
		return nil, err
	}
	req := connect.NewRequest(msg)
	req.Header().Set("Authorization", "Bearer "+tok)
	return req, nil
}
