package onboarding

// Onboarding templates: the task lists HR writes and new onboardings copy.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	onboardingv1 "github.com/convene/convene/proto/convene/onboarding/v1"
)

// templatesPageSize is a template list's page when the request has none.
const templatesPageSize = 50

// reservedTaskKeys are the keys of the tasks the onboarding itself adds
// (the manager's check-ins, HR's choice of a buddy); a template may not
// use them, or its task would be mistaken for theirs.
var reservedTaskKeys = map[string]bool{enums.TaskKeyCheckInDay7: true, enums.TaskKeyCheckInDay30: true, enums.TaskKeyChooseBuddy: true}

// templateInput is a Create or Update request's content, both having the
// same fields.
type templateInput interface {
	GetName() string
	GetDescription() string
	GetJobRole() string
	GetIsDefault() bool
	GetCompletionBadgeId() string
	GetBuddyPoints() int32
	GetTasks() []*onboardingv1.TemplateTask
}

// CreateOnboardingTemplate creates a template at version 1; HR only.
func (s *server) CreateOnboardingTemplate(ctx context.Context, req *connect.Request[onboardingv1.CreateOnboardingTemplateRequest]) (*connect.Response[onboardingv1.CreateOnboardingTemplateResponse], error) {
	orgID := uuid.MustParse(req.Msg.GetOrganizationId())
	t, tasks := templateFromProto(req.Msg)
	t.OrganizationID = orgID
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		callerID, err := hrAccess(ctx, tx, orgID)
		if err != nil {
			return err
		}
		if err := checkTemplate(ctx, tx, orgID, req.Msg); err != nil {
			return err
		}
		t.CreatedBy = &callerID
		if err := db.InsertOnboardingTemplate(ctx, tx, t, tasks); err != nil {
			return templateChangeError(err)
		}
		return rpc.Audit(ctx, tx, &callerID, &orgID, "onboarding_template", t.ID.String(), "create", templateAudit(t, tasks))
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.CreateOnboardingTemplateResponse{Template: templateToProto(t, tasks)}), nil
}

// UpdateOnboardingTemplate replaces a template's fields and tasks and
// bumps its version; onboardings already started keep their copy.
func (s *server) UpdateOnboardingTemplate(ctx context.Context, req *connect.Request[onboardingv1.UpdateOnboardingTemplateRequest]) (*connect.Response[onboardingv1.UpdateOnboardingTemplateResponse], error) {
	m := req.Msg
	t, tasks := templateFromProto(m)
	var expected *int
	if m.ExpectedVersion != nil {
		v := int(m.GetExpectedVersion())
		expected = &v
	}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		stored, err := db.OnboardingTemplateForUpdate(ctx, tx, uuid.MustParse(m.GetTemplateId()))
		if err != nil {
			return templateLookupError(err)
		}
		callerID, err := hrAccess(ctx, tx, stored.OrganizationID)
		if err != nil {
			return err
		}
		if err := checkTemplate(ctx, tx, stored.OrganizationID, m); err != nil {
			return err
		}
		t.CreatedBy = stored.CreatedBy
		if err := db.ReplaceOnboardingTemplate(ctx, tx, stored, t, expected, tasks); err != nil {
			return templateChangeError(err)
		}
		payload := templateAudit(t, tasks)
		payload["previous_version"] = stored.Version
		return rpc.Audit(ctx, tx, &callerID, &t.OrganizationID, "onboarding_template", t.ID.String(), "update", payload)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.UpdateOnboardingTemplateResponse{Template: templateToProto(t, tasks)}), nil
}

// GetOnboardingTemplate returns a template, archived or not; HR only.
func (s *server) GetOnboardingTemplate(ctx context.Context, req *connect.Request[onboardingv1.GetOnboardingTemplateRequest]) (*connect.Response[onboardingv1.GetOnboardingTemplateResponse], error) {
	t, err := db.OnboardingTemplateByID(ctx, s.DB, uuid.MustParse(req.Msg.GetTemplateId()))
	if err != nil {
		return nil, templateLookupError(err)
	}
	if _, err := hrAccess(ctx, s.DB, t.OrganizationID); err != nil {
		return nil, err
	}
	tasks, err := db.OnboardingTemplateTasks(ctx, s.DB, t.ID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.GetOnboardingTemplateResponse{Template: templateToProto(t, tasks[t.ID])}), nil
}

// ListOnboardingTemplates pages through an organization's templates by
// name, with their tasks; HR only.
func (s *server) ListOnboardingTemplates(ctx context.Context, req *connect.Request[onboardingv1.ListOnboardingTemplatesRequest]) (*connect.Response[onboardingv1.ListOnboardingTemplatesResponse], error) {
	m := req.Msg
	orgID := uuid.MustParse(m.GetOrganizationId())
	page, err := rpc.NamePage("ListOnboardingTemplates", m.GetPageToken(), m.GetPageSize(), templatesPageSize)
	if err != nil {
		return nil, err
	}
	if _, err := hrAccess(ctx, s.DB, orgID); err != nil {
		return nil, err
	}
	rows, err := db.OnboardingTemplatesPage(ctx, s.DB, orgID, m.GetIncludeArchived(), page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(t *db.OnboardingTemplate) (string, uuid.UUID) { return t.Name, t.ID })
	ids := make([]uuid.UUID, 0, len(rows))
	for _, t := range rows {
		ids = append(ids, t.ID)
	}
	tasks, err := db.OnboardingTemplateTasks(ctx, s.DB, ids...)
	if err != nil {
		return nil, err
	}
	out := &onboardingv1.ListOnboardingTemplatesResponse{NextPageToken: next}
	for i := range rows {
		out.Templates = append(out.Templates, templateToProto(&rows[i], tasks[rows[i].ID]))
	}
	return connect.NewResponse(out), nil
}

// ArchiveOnboardingTemplate stops a template from being picked; HR only.
// Archiving an archived template changes nothing.
func (s *server) ArchiveOnboardingTemplate(ctx context.Context, req *connect.Request[onboardingv1.ArchiveOnboardingTemplateRequest]) (*connect.Response[onboardingv1.ArchiveOnboardingTemplateResponse], error) {
	var t *db.OnboardingTemplate
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if t, err = db.OnboardingTemplateForUpdate(ctx, tx, uuid.MustParse(req.Msg.GetTemplateId())); err != nil {
			return templateLookupError(err)
		}
		callerID, err := hrAccess(ctx, tx, t.OrganizationID)
		if err != nil || t.ArchivedAt != nil {
			return err
		}
		if err := db.ArchiveOnboardingTemplate(ctx, tx, t); err != nil {
			return templateChangeError(err)
		}
		return rpc.Audit(ctx, tx, &callerID, &t.OrganizationID, "onboarding_template", t.ID.String(), "archive", nil)
	})
	if err != nil {
		return nil, err
	}
	tasks, err := db.OnboardingTemplateTasks(ctx, s.DB, t.ID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.ArchiveOnboardingTemplateResponse{Template: templateToProto(t, tasks[t.ID])}), nil
}

// checkTemplate refuses what protovalidate cannot see: a task key used
// twice or reserved, and a badge that is not the organization's or is
// archived.
func checkTemplate(ctx context.Context, idb bun.IDB, orgID uuid.UUID, in templateInput) error {
	seen := map[string]bool{}
	for i, task := range in.GetTasks() {
		field := fmt.Sprintf("tasks[%d].key", i)
		switch {
		case reservedTaskKeys[task.GetKey()]:
			return rpc.InvalidField(field, fmt.Sprintf("%q is the key of a task the onboarding adds itself; choose another", task.GetKey()))
		case seen[task.GetKey()]:
			return rpc.InvalidField(field, fmt.Sprintf("%q is the key of an earlier task; keys are unique in a template", task.GetKey()))
		}
		seen[task.GetKey()] = true
	}
	if in.GetCompletionBadgeId() == "" {
		return nil
	}
	b, err := db.BadgeInOrg(ctx, idb, orgID, uuid.MustParse(in.GetCompletionBadgeId()))
	if errors.Is(err, db.ErrNotFound) {
		return rpc.InvalidField("completion_badge_id", "no such badge in this organization")
	}
	if err != nil {
		return err
	}
	if b.ArchivedAt != nil {
		return rpc.InvalidField("completion_badge_id", "the badge is archived")
	}
	return nil
}

// templateLookupError maps a missing template to NotFound.
func templateLookupError(err error) error {
	if errors.Is(err, db.ErrNotFound) {
		return connect.NewError(connect.CodeNotFound, errors.New("onboarding template not found"))
	}
	return err
}

// templateChangeError maps the refusals of a template change to their
// codes.
func templateChangeError(err error) error {
	switch {
	case errors.Is(err, db.ErrTemplateVersionStale):
		return connect.NewError(connect.CodeAborted, db.ErrTemplateVersionStale)
	case errors.Is(err, db.ErrTemplateArchived):
		return connect.NewError(connect.CodeFailedPrecondition, db.ErrTemplateArchived)
	case errors.Is(err, db.ErrDefaultTemplate):
		return connect.NewError(connect.CodeFailedPrecondition, db.ErrDefaultTemplate)
	case errors.Is(err, db.ErrTemplateNameTaken):
		return connect.NewError(connect.CodeAlreadyExists, fmt.Errorf("name: %w", db.ErrTemplateNameTaken))
	case errors.Is(err, db.ErrTemplateRoleTaken):
		return connect.NewError(connect.CodeAlreadyExists, fmt.Errorf("job_role: %w", db.ErrTemplateRoleTaken))
	}
	return err
}

// templateFromProto builds the rows of a request's template.
func templateFromProto(in templateInput) (*db.OnboardingTemplate, []db.OnboardingTemplateTask) {
	t := &db.OnboardingTemplate{Name: in.GetName(), Description: in.GetDescription(), JobRole: strings.TrimSpace(in.GetJobRole()), IsDefault: in.GetIsDefault(),
		CompletionBadgeID: rpc.OptionalID(in.GetCompletionBadgeId()), BuddyPoints: int(in.GetBuddyPoints())}
	tasks := make([]db.OnboardingTemplateTask, 0, len(in.GetTasks()))
	for _, task := range in.GetTasks() {
		tasks = append(tasks, db.OnboardingTemplateTask{Key: task.GetKey(), Title: task.GetTitle(), Description: task.GetDescription(),
			AssigneeRole: assigneeRoles.Name(task.GetAssigneeRole()), Milestone: milestones.Name(task.GetMilestone()),
			DueOffsetDays: int(task.GetDueOffsetDays()), Required: task.GetRequired()})
	}
	return t, tasks
}

// templateAudit is what a template's audit row records.
func templateAudit(t *db.OnboardingTemplate, tasks []db.OnboardingTemplateTask) map[string]any {
	keys := make([]string, 0, len(tasks))
	for _, task := range tasks {
		keys = append(keys, task.Key)
	}
	return map[string]any{"name": t.Name, "job_role": t.JobRole, "is_default": t.IsDefault, "version": t.Version,
		"completion_badge_id": rpc.IDString(t.CompletionBadgeID), "buddy_points": t.BuddyPoints, "task_keys": keys}
}

func templateToProto(t *db.OnboardingTemplate, tasks []db.OnboardingTemplateTask) *onboardingv1.OnboardingTemplate {
	out := &onboardingv1.OnboardingTemplate{Id: t.ID.String(), OrganizationId: t.OrganizationID.String(), Name: t.Name, Description: t.Description, JobRole: t.JobRole,
		IsDefault: t.IsDefault, Version: int32(t.Version), CompletionBadgeId: rpc.IDString(t.CompletionBadgeID), BuddyPoints: int32(t.BuddyPoints),
		CreatedAt: timestamppb.New(t.CreatedAt), UpdatedAt: timestamppb.New(t.UpdatedAt)}
	if t.ArchivedAt != nil {
		out.ArchivedAt = timestamppb.New(*t.ArchivedAt)
	}
	for _, task := range tasks {
		out.Tasks = append(out.Tasks, &onboardingv1.TemplateTask{Key: task.Key, Title: task.Title, Description: task.Description,
			AssigneeRole: assigneeRoles.Value(task.AssigneeRole), Milestone: milestones.Value(task.Milestone),
			DueOffsetDays: int32(task.DueOffsetDays), Required: task.Required})
	}
	return out
}
