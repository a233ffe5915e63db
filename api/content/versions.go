package content

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/sergi/go-diff/diffmatchpatch"
	"github.com/uptrace/bun"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
	"github.com/convene/convene/workflows"
)

// errNeedsRevise says an edit belongs to the content's approval run (the
// revise update), not to a direct write.
var errNeedsRevise = errors.New("content has an approval run that takes the edit")

// UpdateContent replaces the text, media, targets (and, if set, schedule)
// of a content, for its author, owners and admins. expected_version must
// be the current version (Aborted otherwise). A draft is edited in place;
// content under approval, after a verdict, or approved is revised by its
// approval run (the revise update writes version n+1 and restarts the
// approval for it); if that run has closed, version n+1 is written here
// as a draft. The edit of a content is serialized on its row, so of
// concurrent edits of one version exactly one lands.
func (s *contentServer) UpdateContent(ctx context.Context, req *connect.Request[contentv1.UpdateContentRequest]) (*connect.Response[contentv1.UpdateContentResponse], error) {
	msg := req.Msg
	id := uuid.MustParse(msg.GetContentId())
	var schedule *time.Time
	if at := msg.GetScheduledFor(); at != nil {
		t := at.AsTime()
		schedule = &t
	}
	if err := s.checkSchedule(schedule); err != nil {
		return nil, err
	}
	err := s.editDirectly(ctx, id, msg, schedule, false)
	if errors.Is(err, errNeedsRevise) {
		err = s.revise(ctx, id, msg, schedule)
		var closed *serviceerror.NotFound
		if errors.As(err, &closed) {
			// The run has closed meanwhile: no approval is open, so the
			// edit is a new draft version.
			err = s.editDirectly(ctx, id, msg, schedule, true)
		}
	}
	if err != nil {
		return nil, err
	}
	c, err := readableContent(ctx, s.DB, msg.GetContentId())
	if err != nil {
		return nil, err
	}
	out, err := contentsToProto(ctx, s.DB, []db.Content{*c})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.UpdateContentResponse{Content: out[0]}), nil
}

// editDirectly checks and applies an edit in one transaction holding the
// content's row. Content that may have an approval run answers
// errNeedsRevise (having changed nothing) unless runClosed says the run
// was found closed.
func (s *contentServer) editDirectly(ctx context.Context, id uuid.UUID, msg *contentv1.UpdateContentRequest, schedule *time.Time, runClosed bool) error {
	userID := rpc.CallerID(ctx)
	return s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := db.ContentForUpdate(ctx, tx, id)
		if err != nil {
			return contentNotFound(err)
		}
		if err := checkEditable(ctx, tx, c, int(msg.GetExpectedVersion())); err != nil {
			return err
		}
		att := attachmentsOf(msg.GetMediaAssetIds(), msg.GetSocialAccountIds())
		if err := checkAttachments(ctx, tx, c.OrganizationID, att); err != nil {
			return err
		}
		v := &db.ContentVersion{Title: msg.GetTitle(), Caption: msg.GetCaption(), Body: msg.GetBody(), Hashtags: msg.GetHashtags(), CreatedBy: &userID}
		if schedule != nil {
			c.ScheduledFor = schedule
		}
		action := "edit"
		switch {
		case c.WorkflowStatus == enums.ContentDraft:
			err = editDraft(ctx, tx, c, v, att)
		case !runClosed:
			return errNeedsRevise
		default:
			action = "new_version"
			err = db.AppendContentVersion(ctx, tx, c, v, att, enums.ContentDraft)
		}
		if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &c.OrganizationID, "content", c.ID.String(), action, map[string]any{"version": c.CurrentVersion})
	})
}

// checkEditable refuses an edit by someone who may not change the
// content, of a stale version, or of content past editing.
func checkEditable(ctx context.Context, idb bun.IDB, c *db.Content, expected int) error {
	if err := editAccess(ctx, idb, c); err != nil {
		return err
	}
	if expected != c.CurrentVersion {
		return connect.NewError(connect.CodeAborted, fmt.Errorf(
			"expected_version %d is stale: the content is at version %d; reload it and edit that", expected, c.CurrentVersion))
	}
	if c.WorkflowStatus != enums.ContentDraft && !openForRevision(c.WorkflowStatus) {
		return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the content is %s and can no longer be edited", c.WorkflowStatus))
	}
	return nil
}

// editDraft overwrites the draft's current version in place.
func editDraft(ctx context.Context, tx bun.Tx, c *db.Content, v *db.ContentVersion, att db.Attachments) error {
	cur, err := db.ContentVersionOf(ctx, tx, c.ID, c.CurrentVersion)
	if err != nil {
		return err
	}
	cur.Title, cur.Caption, cur.Body, cur.Hashtags, cur.CreatedBy = v.Title, v.Caption, v.Body, v.Hashtags, v.CreatedBy
	if err := db.EditVersionInPlace(ctx, tx, cur, att); err != nil {
		return err
	}
	return db.SaveContentState(ctx, tx, c)
}

// revise hands the edit to the approval run of the current version (the
// revise update), which writes the next version and restarts the
// approval; it returns once the run has done so. A run that has closed
// comes back as *serviceerror.NotFound for the caller to handle.
func (s *contentServer) revise(ctx context.Context, id uuid.UUID, msg *contentv1.UpdateContentRequest, schedule *time.Time) error {
	edit := workflows.ContentEdit{EditorUserID: rpc.CallerID(ctx).String(), ExpectedVersion: int(msg.GetExpectedVersion()),
		Title: msg.GetTitle(), Caption: msg.GetCaption(), Body: msg.GetBody(), Hashtags: msg.GetHashtags(),
		MediaAssetIDs: msg.GetMediaAssetIds(), SocialAccountIDs: msg.GetSocialAccountIds()}
	if schedule != nil {
		edit.ScheduledFor = *schedule
	}
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.ContentApprovalWorkflowID(id.String(), edit.ExpectedVersion), UpdateName: workflows.UpdateRevise,
		Args: []any{edit}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	var closed *serviceerror.NotFound
	if errors.As(err, &closed) {
		return err
	}
	return rpc.UpdateError(err, "the content's approval has closed", "content approval")
}

// ListContentVersions returns every version of a content, oldest first.
func (s *contentServer) ListContentVersions(ctx context.Context, req *connect.Request[contentv1.ListContentVersionsRequest]) (*connect.Response[contentv1.ListContentVersionsResponse], error) {
	c, err := readableContent(ctx, s.DB, req.Msg.GetContentId())
	if err != nil {
		return nil, err
	}
	versions, err := db.ListContentVersions(ctx, s.DB, c.ID)
	if err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, len(versions))
	for i := range versions {
		ids[i] = versions[i].ID
	}
	atts, err := db.VersionsAttachments(ctx, s.DB, ids)
	if err != nil {
		return nil, err
	}
	resp := &contentv1.ListContentVersionsResponse{}
	for i := range versions {
		resp.Versions = append(resp.Versions, versionToProto(&versions[i], atts[versions[i].ID]))
	}
	return connect.NewResponse(resp), nil
}

// DiffContentVersions compares two versions word by word, per field:
// title, caption, body and hashtags (as their space-separated text).
func (s *contentServer) DiffContentVersions(ctx context.Context, req *connect.Request[contentv1.DiffContentVersionsRequest]) (*connect.Response[contentv1.DiffContentVersionsResponse], error) {
	msg := req.Msg
	c, err := readableContent(ctx, s.DB, msg.GetContentId())
	if err != nil {
		return nil, err
	}
	from, err := db.ContentVersionOf(ctx, s.DB, c.ID, int(msg.GetFromVersion()))
	if err != nil {
		return nil, versionNotFound(err, "from_version", msg.GetFromVersion())
	}
	to, err := db.ContentVersionOf(ctx, s.DB, c.ID, int(msg.GetToVersion()))
	if err != nil {
		return nil, versionNotFound(err, "to_version", msg.GetToVersion())
	}
	resp := &contentv1.DiffContentVersionsResponse{}
	for _, f := range []struct {
		field    contentv1.DiffField
		from, to string
	}{
		{contentv1.DiffField_DIFF_FIELD_TITLE, from.Title, to.Title},
		{contentv1.DiffField_DIFF_FIELD_CAPTION, from.Caption, to.Caption},
		{contentv1.DiffField_DIFF_FIELD_BODY, from.Body, to.Body},
		{contentv1.DiffField_DIFF_FIELD_HASHTAGS, strings.Join(from.Hashtags, " "), strings.Join(to.Hashtags, " ")},
	} {
		resp.Fields = append(resp.Fields, &contentv1.FieldDiff{Field: f.field, Ops: diffOps(diffWords(f.from, f.to))})
	}
	return connect.NewResponse(resp), nil
}

// diffOpTypes maps go-diff's operations to the proto's.
var diffOpTypes = map[diffmatchpatch.Operation]contentv1.DiffOpType{
	diffmatchpatch.DiffEqual:  contentv1.DiffOpType_DIFF_OP_TYPE_EQUAL,
	diffmatchpatch.DiffInsert: contentv1.DiffOpType_DIFF_OP_TYPE_INSERT,
	diffmatchpatch.DiffDelete: contentv1.DiffOpType_DIFF_OP_TYPE_DELETE,
}

// diffOps converts a diff to its proto spans.
func diffOps(diffs []diffmatchpatch.Diff) []*contentv1.DiffOp {
	out := make([]*contentv1.DiffOp, len(diffs))
	for i, d := range diffs {
		out[i] = &contentv1.DiffOp{Op: diffOpTypes[d.Type], Text: d.Text}
	}
	return out
}

// versionNotFound turns a missing version into NotFound naming the field.
func versionNotFound(err error, field string, version int32) error {
	if errors.Is(err, db.ErrNotFound) {
		return connect.NewError(connect.CodeNotFound, fmt.Errorf("%s: the content has no version %d", field, version))
	}
	return err
}
