package content

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
)

// defaultPageSize is the page size of the content lists when the request
// has none.
const defaultPageSize = 50

// Text limits of a version, as the API accepts them (the schema's are
// looser); a template's filled-in text must fit them too.
const (
	maxTitle   = 200
	maxCaption = 5000
	maxBody    = 20000
)

// CreateContent writes a draft with version 1, from the request's fields
// or from a template filled in with variables. The template's use is
// counted in the same transaction, so it counts only content that exists.
func (s *contentServer) CreateContent(ctx context.Context, req *connect.Request[contentv1.CreateContentRequest]) (*connect.Response[contentv1.CreateContentResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	orgID := uuid.MustParse(msg.GetOrganizationId())
	c := &db.Content{ID: db.NewID(), OrganizationID: orgID, EventID: rpc.OptionalID(msg.GetEventId()),
		CampaignID: rpc.OptionalID(msg.GetCampaignId()), TemplateID: rpc.OptionalID(msg.GetTemplateId()), AuthorUserID: userID,
		ContentType: contentTypes.Name(msg.GetContentType()), CurrentVersion: 1, WorkflowStatus: enums.ContentDraft,
		ApprovalRequired: msg.GetApprovalRequired()}
	v := &db.ContentVersion{ID: db.NewID(), ContentID: c.ID, OrganizationID: orgID, Version: 1, Title: msg.GetTitle(),
		Caption: msg.GetCaption(), Body: msg.GetBody(), Hashtags: msg.GetHashtags(), CreatedBy: &userID}
	if at := msg.GetScheduledFor(); at != nil {
		t := at.AsTime()
		c.ScheduledFor = &t
	}
	if err := s.checkSchedule(c.ScheduledFor); err != nil {
		return nil, err
	}
	att := attachmentsOf(msg.GetMediaAssetIds(), msg.GetSocialAccountIds())
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, orgID, rpc.AnyRole); err != nil {
			return err
		}
		if err := fillFromTemplate(ctx, tx, c, v, msg.GetVariables()); err != nil {
			return err
		}
		if err := checkContentRefs(ctx, tx, c); err != nil {
			return err
		}
		if err := checkAttachments(ctx, tx, orgID, att); err != nil {
			return err
		}
		if err := db.InsertContent(ctx, tx, c, v, att); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &orgID, "content", c.ID.String(), "create",
			map[string]any{"version": 1, "template_id": rpc.IDString(c.TemplateID)})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.CreateContentResponse{Content: contentToProto(c, v, att, nil)}), nil
}

// fillFromTemplate completes a new content from its template, if it has
// one: the template's type and the texts the request left empty, with
// the variables filled in; it counts the template's use. Variables
// without a template are refused.
func fillFromTemplate(ctx context.Context, tx bun.Tx, c *db.Content, v *db.ContentVersion, vars map[string]string) error {
	if c.TemplateID == nil {
		if len(vars) > 0 {
			return rpc.InvalidField("variables", "variables fill a template's placeholders; set template_id")
		}
		return nil
	}
	t, err := db.UseTemplate(ctx, tx, c.OrganizationID, *c.TemplateID)
	if errors.Is(err, db.ErrNotFound) {
		return rpc.InvalidField("template_id", "no such template in this organization")
	}
	if err != nil {
		return err
	}
	if c.ContentType == "" {
		c.ContentType = t.ContentType
	}
	texts := map[string]string{"title": v.Title, "caption": v.Caption, "body": v.Body}
	for field, text := range texts {
		if text == "" {
			texts[field] = t.TemplateData[field]
		}
	}
	filled, err := renderTemplate(texts, vars)
	if err != nil {
		return err
	}
	v.Title, v.Caption, v.Body = filled["title"], filled["caption"], filled["body"]
	return checkTextLimits(v)
}

// checkTextLimits refuses filled-in text longer than a request may send.
func checkTextLimits(v *db.ContentVersion) error {
	for _, f := range []struct {
		field, text string
		max         int
	}{{"title", v.Title, maxTitle}, {"caption", v.Caption, maxCaption}, {"body", v.Body, maxBody}} {
		if n := utf8.RuneCountInString(f.text); n > f.max {
			return rpc.InvalidField(f.field, fmt.Sprintf("is %d characters with the template's variables filled in; at most %d", n, f.max))
		}
	}
	return nil
}

// checkSchedule refuses a publication time in the past.
func (s *contentServer) checkSchedule(at *time.Time) error {
	if at != nil && !at.After(s.Now()) {
		return rpc.InvalidField("scheduled_for", "must be in the future")
	}
	return nil
}

// checkContentRefs refuses a campaign or event that is not the content's
// organization's, or an archived campaign, naming the field.
func checkContentRefs(ctx context.Context, idb bun.IDB, c *db.Content) error {
	if c.CampaignID != nil {
		cmp, err := db.CampaignByID(ctx, idb, *c.CampaignID)
		if errors.Is(err, db.ErrNotFound) || err == nil && cmp.OrganizationID != c.OrganizationID {
			return rpc.InvalidField("campaign_id", "no such campaign in this organization")
		}
		if err != nil {
			return err
		}
		if cmp.ArchivedAt != nil {
			return rpc.InvalidField("campaign_id", "the campaign is archived; pick an active one")
		}
	}
	return checkOrgEvent(ctx, idb, c.OrganizationID, c.EventID)
}

// attachmentsOf parses the media and account IDs protovalidate checked.
func attachmentsOf(mediaIDs, accountIDs []string) db.Attachments {
	att := db.Attachments{MediaAssetIDs: make([]uuid.UUID, len(mediaIDs)), SocialAccountIDs: make([]uuid.UUID, len(accountIDs))}
	for i, id := range mediaIDs {
		att.MediaAssetIDs[i] = uuid.MustParse(id)
	}
	for i, id := range accountIDs {
		att.SocialAccountIDs[i] = uuid.MustParse(id)
	}
	return att
}

// checkAttachments refuses media that is not a ready asset of the
// organization and accounts that are not its active ones, naming the
// field and the first offending ID.
func checkAttachments(ctx context.Context, idb bun.IDB, orgID uuid.UUID, att db.Attachments) error {
	media, err := db.MediaAssetsOf(ctx, idb, orgID, att.MediaAssetIDs)
	if err != nil {
		return err
	}
	for _, id := range att.MediaAssetIDs {
		m, ok := media[id]
		if !ok {
			return rpc.InvalidField("media_asset_ids", fmt.Sprintf("%s is not a media asset of this organization", id))
		}
		if m.ProcessingStatus != enums.MediaReady {
			return rpc.InvalidField("media_asset_ids", fmt.Sprintf("media asset %s is %s; only ready media can be attached", id, m.ProcessingStatus))
		}
	}
	accounts, err := db.ActiveSocialAccountIDs(ctx, idb, orgID, att.SocialAccountIDs)
	if err != nil {
		return err
	}
	for _, id := range att.SocialAccountIDs {
		if !accounts[id] {
			return rpc.InvalidField("social_account_ids", fmt.Sprintf("%s is not an active social account of this organization", id))
		}
	}
	return nil
}

// DeleteContent soft-deletes content (its author, owners and admins); it
// is purged after jobs.ContentRetention. Content being published, or with
// an approval or schedule still running, is FailedPrecondition: it must
// be withdrawn first, so nothing posts deleted content.
func (s *contentServer) DeleteContent(ctx context.Context, req *connect.Request[contentv1.DeleteContentRequest]) (*connect.Response[contentv1.DeleteContentResponse], error) {
	userID := rpc.CallerID(ctx)
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := db.ContentForUpdate(ctx, tx, uuid.MustParse(req.Msg.GetContentId()))
		if err != nil {
			return contentNotFound(err)
		}
		if err := editAccess(ctx, tx, c); err != nil {
			return err
		}
		switch {
		case c.WorkflowStatus == enums.ContentPublishing:
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("the content is being published; delete it once publishing ends"))
		case openForRevision(c.WorkflowStatus):
			return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the content is %s; withdraw it first (WithdrawContent) so its approval and schedule stop", c.WorkflowStatus))
		}
		if err := db.SoftDeleteContent(ctx, tx, c.ID); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &c.OrganizationID, "content", c.ID.String(), "delete", map[string]any{"status": c.WorkflowStatus})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.DeleteContentResponse{}), nil
}

// openForRevision reports whether content in this status may have an
// approval run taking edits (the revise update): in review, after a
// verdict, or approved and waiting for its time.
func openForRevision(status string) bool {
	switch status {
	case enums.ContentInReview, enums.ContentChangesRequested, enums.ContentRejected, enums.ContentApproved, enums.ContentScheduled:
		return true
	}
	return false
}

// editAccess lets the content's author, and the organization's owners and
// admins (and staff), change it; other members are PermissionDenied, and
// anyone else is told it does not exist.
func editAccess(ctx context.Context, idb bun.IDB, c *db.Content) error {
	if err := orgRowAccess(ctx, idb, c.OrganizationID, rpc.AnyRole, "content"); err != nil {
		return err
	}
	if c.AuthorUserID == rpc.CallerID(ctx) {
		return nil
	}
	_, err := rpc.OrgAccess(ctx, idb, c.OrganizationID, rpc.ManagerRoles)
	if connect.CodeOf(err) == connect.CodePermissionDenied {
		return connect.NewError(connect.CodePermissionDenied, errors.New("only the content's author or an owner or admin can change it"))
	}
	return err
}

// orgRowAccess checks the caller's role for a row of orgID: someone
// outside the organization is told the row (named by what) does not
// exist; a member whose role is not allowed is PermissionDenied.
func orgRowAccess(ctx context.Context, idb bun.IDB, orgID uuid.UUID, allowed []string, what string) error {
	if _, err := rpc.OrgAccess(ctx, idb, orgID, rpc.AnyRole); err != nil {
		if code := connect.CodeOf(err); code == connect.CodePermissionDenied || code == connect.CodeNotFound {
			return connect.NewError(connect.CodeNotFound, errors.New(what+" not found"))
		}
		return err
	}
	if slices.Equal(allowed, rpc.AnyRole) {
		return nil
	}
	_, err := rpc.OrgAccess(ctx, idb, orgID, allowed)
	return err
}

// contentNotFound turns a missing content into NotFound.
func contentNotFound(err error) error {
	if errors.Is(err, db.ErrNotFound) {
		return connect.NewError(connect.CodeNotFound, errors.New("content not found"))
	}
	return err
}
