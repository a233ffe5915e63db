package content

import (
	"context"
	"errors"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
)

// templateNameIndex keeps template names unique per organization
// (migration 20261203000200).
const templateNameIndex = "content_templates_org_name_idx"

// CreateTemplate stores a template (owners and admins). A name already
// used in the organization (ignoring case) is AlreadyExists.
func (s *contentServer) CreateTemplate(ctx context.Context, req *connect.Request[contentv1.CreateTemplateRequest]) (*connect.Response[contentv1.CreateTemplateResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	t := &db.ContentTemplate{ID: db.NewID(), OrganizationID: uuid.MustParse(msg.GetOrganizationId()), CreatedBy: &userID,
		Name: msg.GetName(), ContentType: contentTypes.Name(msg.GetContentType()), ThumbnailURL: msg.GetThumbnailUrl(),
		TemplateData: map[string]string{"title": msg.GetTitle(), "caption": msg.GetCaption(), "body": msg.GetBody()}}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, t.OrganizationID, rpc.ManagerRoles); err != nil {
			return err
		}
		if err := db.InsertTemplate(ctx, tx, t); err != nil {
			if db.IsUniqueViolation(err, templateNameIndex) {
				return connect.NewError(connect.CodeAlreadyExists, errors.New("name: the organization already has a template of that name"))
			}
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &t.OrganizationID, "content_template", t.ID.String(), "create",
			map[string]any{"name": t.Name, "variables": placeholderNames(t.TemplateData)})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.CreateTemplateResponse{Template: templateToProto(t)}), nil
}

// ListTemplates pages through an organization's templates by name, for
// its members.
func (s *contentServer) ListTemplates(ctx context.Context, req *connect.Request[contentv1.ListTemplatesRequest]) (*connect.Response[contentv1.ListTemplatesResponse], error) {
	msg := req.Msg
	orgID := uuid.MustParse(msg.GetOrganizationId())
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
		return nil, err
	}
	page, err := rpc.NamePage("ListTemplates", msg.GetPageToken(), msg.GetPageSize(), defaultPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.ListTemplates(ctx, s.DB, orgID, contentTypes.Name(msg.GetContentType()), page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	resp := &contentv1.ListTemplatesResponse{}
	rows, resp.NextPageToken = rpc.NextPage(page, rows, func(t *db.ContentTemplate) (string, uuid.UUID) { return t.Name, t.ID })
	for i := range rows {
		resp.Templates = append(resp.Templates, templateToProto(&rows[i]))
	}
	return connect.NewResponse(resp), nil
}

// templateToProto converts a template.
func templateToProto(t *db.ContentTemplate) *contentv1.Template {
	return &contentv1.Template{Id: t.ID.String(), OrganizationId: t.OrganizationID.String(), Name: t.Name,
		ContentType: contentTypes.Value(t.ContentType), Title: t.TemplateData["title"], Caption: t.TemplateData["caption"],
		Body: t.TemplateData["body"], Variables: placeholderNames(t.TemplateData), ThumbnailUrl: t.ThumbnailURL,
		UsageCount: int64(t.UsageCount), CreatedAt: timestamppb.New(t.CreatedAt)}
}
