package content

// Publishing: RetryPublish, a new publishing run of the current version
// for the targets whose post failed or needs attention. The scheduled
// publish itself is started by the approval run (workflows.ContentPublish
// as its child).

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/jobs/workflowstart"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	"github.com/convene/convene/workflows"
)

// retryableContent are the statuses a publishing run ended in.
var retryableContent = []string{enums.ContentPublished, enums.ContentPartiallyPublished, enums.ContentFailed}

// retryablePost are the post statuses RetryPublish posts again.
var retryablePost = []string{enums.PostFailed, enums.PostNeedsAttention}

// RetryPublish starts publishing run n+1 of the current version for its
// failed and needs-attention targets (or the one named). The run and its
// River start job commit with the content's status "publishing", so a
// second retry waits for this one to end.
func (s *contentServer) RetryPublish(ctx context.Context, req *connect.Request[contentv1.RetryPublishRequest]) (*connect.Response[contentv1.RetryPublishResponse], error) {
	contentID, onlyAccount := uuid.MustParse(req.Msg.GetContentId()), rpc.OptionalID(req.Msg.GetSocialAccountId())
	callerID := rpc.CallerID(ctx)
	var (
		start      workflows.ContentPublishStart
		startJobID int64
		out        []*contentv1.Content
	)
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, v, err := publishableContent(ctx, tx, contentID)
		if err != nil {
			return err
		}
		accounts, err := retryTargets(ctx, tx, c, v, onlyAccount)
		if err != nil {
			return err
		}
		run := &db.ContentPublishRun{OrganizationID: c.OrganizationID, ContentID: c.ID, ContentVersionID: v.ID,
			Version: v.Version, RequestedBy: &callerID, SocialAccountIDs: accounts}
		if err := db.InsertPublishRun(ctx, tx, run); err != nil {
			return err
		}
		if err := db.SetContentPublishing(ctx, tx, c.ID); err != nil {
			return err
		}
		c.WorkflowStatus = enums.ContentPublishing
		start = publishStart(c, v, run)
		if startJobID, err = s.starts.Commit(ctx, tx.Tx, workflowstart.ContentPublishArgs{Start: start}, s.Now()); err != nil {
			return err
		}
		if err := rpc.Audit(ctx, tx, &callerID, &c.OrganizationID, "content", c.ID.String(), "retry_publish", map[string]any{
			"version": v.Version, "attempt": run.Attempt, "social_account_ids": start.Input.SocialAccountIDs}); err != nil {
			return err
		}
		out, err = contentsToProto(ctx, tx, []db.Content{*c})
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.starts.Start(ctx, workflowstart.ContentPublishArgs{Start: start}, startJobID); err != nil {
		// The River job committed with the run starts it.
		s.Log.WarnContext(ctx, "direct start of publish retry failed; its River job will start it", "content_id", contentID, "error", err)
	}
	return connect.NewResponse(&contentv1.RetryPublishResponse{Content: out[0]}), nil
}

// publishableContent locks the content and its current version for a
// retry: the caller must be its author or an owner or admin of its
// organization (NotFound for anyone outside it), and its last publishing
// run must have ended.
func publishableContent(ctx context.Context, tx bun.Tx, contentID uuid.UUID) (*db.Content, *db.ContentVersion, error) {
	hidden := connect.NewError(connect.CodeNotFound, errors.New("content not found"))
	orgID, err := db.ContentOrganization(ctx, tx, contentID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, hidden
	}
	if err != nil {
		return nil, nil, err
	}
	role, err := rpc.OrgAccess(ctx, tx, orgID, rpc.AnyRole)
	if err != nil {
		return nil, nil, hidden
	}
	c, v, err := db.ContentForPublish(ctx, tx, orgID, contentID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, hidden
	}
	if err != nil {
		return nil, nil, err
	}
	manager := role == rpc.StaffRole || slices.Contains(rpc.ManagerRoles, role)
	if !manager && c.AuthorUserID != rpc.CallerID(ctx) {
		return nil, nil, connect.NewError(connect.CodePermissionDenied, errors.New("only the author or an owner or admin can retry publishing"))
	}
	if !slices.Contains(retryableContent, c.WorkflowStatus) {
		return nil, nil, connect.NewError(connect.CodeFailedPrecondition,
			fmt.Errorf("the content is %s: only published, partially published or failed content can be retried", c.WorkflowStatus))
	}
	return c, v, nil
}

// retryTargets are the version's targets to post again: those whose post
// failed or needs attention, or only the one named.
func retryTargets(ctx context.Context, tx bun.Tx, c *db.Content, v *db.ContentVersion, only *uuid.UUID) ([]uuid.UUID, error) {
	targets, err := db.PublishTargetsOf(ctx, tx, c.ID, v.ID)
	if err != nil {
		return nil, err
	}
	var out []uuid.UUID
	for _, t := range targets {
		if only != nil && t.SocialAccountID != *only {
			continue
		}
		if only != nil && !slices.Contains(retryablePost, t.Status) {
			return nil, connect.NewError(connect.CodeFailedPrecondition,
				fmt.Errorf("social_account_id: its post is %s; only failed or needs-attention posts are retried", postStatusWord(t.Status)))
		}
		if slices.Contains(retryablePost, t.Status) {
			out = append(out, t.SocialAccountID)
		}
	}
	switch {
	case only != nil && len(out) == 0:
		return nil, rpc.InvalidField("social_account_id", "not a target account of the content's current version")
	case len(out) == 0:
		return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("no target has a failed or needs-attention post to retry"))
	}
	return out, nil
}

func postStatusWord(status string) string {
	if status == "" {
		return "not started"
	}
	return status
}

// publishStart is the workflow start of a retry run.
func publishStart(c *db.Content, v *db.ContentVersion, run *db.ContentPublishRun) workflows.ContentPublishStart {
	accounts := make([]string, len(run.SocialAccountIDs))
	for i, id := range run.SocialAccountIDs {
		accounts[i] = id.String()
	}
	return workflows.ContentPublishStart{Attempt: run.Attempt, Input: workflows.ContentPublishInput{
		OrganizationID: c.OrganizationID.String(), ContentID: c.ID.String(), ContentVersionID: v.ID.String(),
		Version: v.Version, AuthorUserID: c.AuthorUserID.String(), EventID: rpc.IDString(c.EventID), Title: v.Title,
		SocialAccountIDs: accounts}}
}
