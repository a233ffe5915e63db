package engagement

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
)

// learningServer implements convene.engagement.v1.LearningService: the
// authors' calls here, the members' in learning_member.go, the completion
// transaction in learning_complete.go.
type learningServer struct {
	Deps
}

// learningService mounts LearningService.
func learningService(d Deps) rpc.Service {
	var impl engagementv1connect.LearningServiceHandler = &learningServer{Deps: d}
	return rpc.NewService(engagementv1connect.LearningServiceName, impl, engagementv1connect.NewLearningServiceHandler)
}

// defaultLearningPageSize is the page size of the learning lists when the
// request has none.
const defaultLearningPageSize = 20

// CreatePath writes a draft path with its milestones, in request order.
func (s *learningServer) CreatePath(ctx context.Context, req *connect.Request[engagementv1.CreatePathRequest]) (*connect.Response[engagementv1.CreatePathResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	orgID := uuid.MustParse(msg.GetOrganizationId())
	p := &db.LearningPath{ID: db.NewID(), OrganizationID: orgID, Title: msg.GetTitle(), Description: msg.GetDescription(),
		Status: enums.PathDraft, PointsReward: int(msg.GetPointsReward()), CreatedBy: &userID}
	milestones := make([]db.LearningMilestone, len(msg.GetMilestoneTitles()))
	for i, title := range msg.GetMilestoneTitles() {
		milestones[i] = db.LearningMilestone{ID: db.NewID(), OrganizationID: orgID, PathID: p.ID, Position: i, Title: title}
	}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, orgID, rpc.ManagerRoles); err != nil {
			return err
		}
		if err := db.InsertLearningPath(ctx, tx, p, milestones); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &orgID, "learning_path", p.ID.String(), "create",
			map[string]any{"title": p.Title, "milestones": len(milestones)})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.CreatePathResponse{Path: pathToProto(p, milestones, nil)}), nil
}

// PublishPath opens a draft path; it needs modules, and questions in
// every quiz, so that every module can be completed.
func (s *learningServer) PublishPath(ctx context.Context, req *connect.Request[engagementv1.PublishPathRequest]) (*connect.Response[engagementv1.PublishPathResponse], error) {
	p, err := s.changePathStatus(ctx, req.Msg.GetPathId(), enums.PathPublished, func(ctx context.Context, tx bun.Tx, p *db.LearningPath) error {
		if p.Status != enums.PathDraft {
			return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the path is %s; only a draft can be published", p.Status))
		}
		modules, err := db.ModulesOf(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if len(modules) == 0 {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("the path has no modules; add one with UpsertModule"))
		}
		empty, err := db.QuizModulesWithoutQuestions(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if len(empty) > 0 {
			return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("quiz module %s has no questions; set them with SetQuiz", empty[0]))
		}
		now := s.Now()
		p.PublishedAt = &now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.PublishPathResponse{Path: p}), nil
}

// ArchivePath closes a path to enrollments and completions.
func (s *learningServer) ArchivePath(ctx context.Context, req *connect.Request[engagementv1.ArchivePathRequest]) (*connect.Response[engagementv1.ArchivePathResponse], error) {
	p, err := s.changePathStatus(ctx, req.Msg.GetPathId(), enums.PathArchived, func(_ context.Context, _ bun.Tx, p *db.LearningPath) error {
		if p.Status == enums.PathArchived {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("the path is archived already"))
		}
		now := s.Now()
		p.ArchivedAt = &now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.ArchivePathResponse{Path: p}), nil
}

// changePathStatus moves a path (locked, the caller an owner or admin) to
// status once check, which may also set its timestamps, allows it.
func (s *learningServer) changePathStatus(ctx context.Context, pathID, status string, check func(context.Context, bun.Tx, *db.LearningPath) error) (*engagementv1.LearningPath, error) {
	userID := rpc.CallerID(ctx)
	var out *engagementv1.LearningPath
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := managedPath(ctx, tx, uuid.MustParse(pathID), true)
		if err != nil {
			return err
		}
		if err := check(ctx, tx, p); err != nil {
			return err
		}
		from := p.Status
		p.Status = status
		if err := db.UpdateLearningPathStatus(ctx, tx, p); err != nil {
			return err
		}
		if err := rpc.Audit(ctx, tx, &userID, &p.OrganizationID, "learning_path", p.ID.String(), status,
			map[string]any{"from": from}); err != nil {
			return err
		}
		out, err = loadPathProto(ctx, tx, p)
		return err
	})
	return out, err
}

// UpsertModule adds or changes a module of a draft path.
func (s *learningServer) UpsertModule(ctx context.Context, req *connect.Request[engagementv1.UpsertModuleRequest]) (*connect.Response[engagementv1.UpsertModuleResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	m := &db.LearningModule{PathID: uuid.MustParse(msg.GetPathId()), MilestoneID: rpc.OptionalID(msg.GetMilestoneId()),
		Position: int(msg.GetPosition()), Title: msg.GetTitle(), Body: msg.GetBody(), Kind: moduleKinds.Name(msg.GetKind()),
		PointsReward: int(msg.GetPointsReward()), PassingScore: int(msg.GetPassingScore()), Prerequisites: msg.GetPrerequisiteIds()}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := draftPath(ctx, tx, m.PathID)
		if err != nil {
			return err
		}
		m.OrganizationID = p.OrganizationID
		exists, err := s.identifyModule(ctx, tx, m, msg.ModuleId)
		if err != nil {
			return err
		}
		if err := checkModuleMilestone(ctx, tx, m); err != nil {
			return err
		}
		if err := saveModule(ctx, tx, m, exists); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &p.OrganizationID, "learning_module", m.ID.String(), "upsert",
			map[string]any{"path_id": p.ID.String(), "position": m.Position, "kind": m.Kind, "new": !exists})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.UpsertModuleResponse{Module: moduleToProto(m, true)}), nil
}

// identifyModule gives m its ID: the request's, which must name a module
// of the same path (then it exists), or a new one.
func (s *learningServer) identifyModule(ctx context.Context, tx bun.Tx, m *db.LearningModule, moduleID *string) (bool, error) {
	if moduleID == nil {
		m.ID = db.NewID()
		return false, nil
	}
	old, err := db.LearningModuleByID(ctx, tx, uuid.MustParse(*moduleID))
	if errors.Is(err, db.ErrNotFound) || err == nil && old.PathID != m.PathID {
		return false, rpc.InvalidField("module_id", "no such module in this path")
	}
	if err != nil {
		return false, err
	}
	m.ID = old.ID
	return true, nil
}

// checkModuleMilestone refuses a milestone of another path.
func checkModuleMilestone(ctx context.Context, tx bun.Tx, m *db.LearningModule) error {
	if m.MilestoneID == nil {
		return nil
	}
	milestones, err := db.MilestonesOf(ctx, tx, m.PathID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(milestones, func(ms db.LearningMilestone) bool { return ms.ID == *m.MilestoneID }) {
		return rpc.InvalidField("milestone_id", "no such milestone in this path")
	}
	return nil
}

// saveModule stores m, naming the field the schema refuses.
func saveModule(ctx context.Context, tx bun.Tx, m *db.LearningModule, exists bool) error {
	err := db.SaveLearningModule(ctx, tx, m, exists)
	switch {
	case errors.Is(err, db.ErrModulePositionTaken):
		return rpc.InvalidField("position", "another module of the path has this position")
	case errors.Is(err, db.ErrModulePrerequisites):
		return rpc.InvalidField("prerequisite_ids", "prerequisites must be modules of the same path at lower positions, and a module cannot move after a module that requires it")
	}
	return err
}

// SetQuiz replaces the questions of a quiz module of a draft path.
func (s *learningServer) SetQuiz(ctx context.Context, req *connect.Request[engagementv1.SetQuizRequest]) (*connect.Response[engagementv1.SetQuizResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	var qs []db.QuizQuestion
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		m, err := db.LearningModuleByID(ctx, tx, uuid.MustParse(msg.GetModuleId()))
		if err != nil {
			return learningNotFound(err, "learning module")
		}
		if _, err := draftPath(ctx, tx, m.PathID); err != nil {
			return err
		}
		if m.Kind != enums.ModuleQuiz {
			return rpc.InvalidField("module_id", "the module is a lesson; only a quiz has questions")
		}
		if qs, err = quizQuestionsOf(m, msg.GetQuestions()); err != nil {
			return err
		}
		if err := db.ReplaceQuizQuestions(ctx, tx, m.ID, qs); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &m.OrganizationID, "learning_module", m.ID.String(), "set_quiz",
			map[string]any{"questions": len(qs)})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.SetQuizResponse{Questions: questionsToProto(qs)}), nil
}

// quizQuestionsOf builds the rows of the request's questions, refusing a
// correct option that is not one of the question's options.
func quizQuestionsOf(m *db.LearningModule, in []*engagementv1.LearningQuizQuestionInput) ([]db.QuizQuestion, error) {
	out := make([]db.QuizQuestion, len(in))
	for i, q := range in {
		if int(q.GetCorrectOption()) >= len(q.GetOptions()) {
			return nil, rpc.InvalidField("questions", fmt.Sprintf("question %d: correct_option %d is not one of its %d options", i, q.GetCorrectOption(), len(q.GetOptions())))
		}
		out[i] = db.QuizQuestion{ID: db.NewID(), OrganizationID: m.OrganizationID, ModuleID: m.ID, Position: i,
			Prompt: q.GetPrompt(), Options: q.GetOptions(), CorrectOption: int(q.GetCorrectOption()), Points: int(q.GetPoints())}
	}
	return out, nil
}

// ListPaths pages the organization's paths: every one for owners and
// admins, the published ones for other members.
func (s *learningServer) ListPaths(ctx context.Context, req *connect.Request[engagementv1.ListPathsRequest]) (*connect.Response[engagementv1.ListPathsResponse], error) {
	msg := req.Msg
	orgID := uuid.MustParse(msg.GetOrganizationId())
	role, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole)
	if err != nil {
		return nil, err
	}
	page, err := rpc.TimePage("ListPaths", msg.GetPageToken(), msg.GetPageSize(), defaultLearningPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.LearningPathsPage(ctx, s.DB, orgID, !isLearningManager(role), page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(p *db.LearningPath) (time.Time, uuid.UUID) { return p.CreatedAt, p.ID })
	paths, err := pathsToProto(ctx, s.DB, rows)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.ListPathsResponse{Paths: paths, NextPageToken: next}), nil
}

// isLearningManager reports whether role writes and sees draft paths.
func isLearningManager(role string) bool {
	return slices.Contains(rpc.ManagerRoles, role) || role == rpc.StaffRole
}

// managedPath returns a path the caller, an owner or admin of its
// organization, may change: outsiders are told it does not exist, other
// members are PermissionDenied.
func managedPath(ctx context.Context, tx bun.Tx, pathID uuid.UUID, forUpdate bool) (*db.LearningPath, error) {
	p, err := db.LearningPathByID(ctx, tx, pathID, forUpdate)
	if err != nil {
		return nil, learningNotFound(err, "learning path")
	}
	if _, err := learningRowAccess(ctx, tx, p.OrganizationID, rpc.ManagerRoles, "learning path"); err != nil {
		return nil, err
	}
	return p, nil
}

// draftPath is managedPath, locked, refusing a path that is no longer a
// draft: a published path's modules are fixed, so progress keeps meaning.
func draftPath(ctx context.Context, tx bun.Tx, pathID uuid.UUID) (*db.LearningPath, error) {
	p, err := managedPath(ctx, tx, pathID, true)
	if err != nil {
		return nil, err
	}
	if p.Status != enums.PathDraft {
		return nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the path is %s; modules and quizzes change only while it is a draft", p.Status))
	}
	return p, nil
}

// learningRowAccess checks the caller's role for a row of orgID and
// returns it: someone outside the organization is told the row (named by
// what) does not exist; a member whose role is not allowed is
// PermissionDenied.
func learningRowAccess(ctx context.Context, idb bun.IDB, orgID uuid.UUID, allowed []string, what string) (string, error) {
	role, err := rpc.OrgAccess(ctx, idb, orgID, rpc.AnyRole)
	if code := connect.CodeOf(err); code == connect.CodePermissionDenied || code == connect.CodeNotFound {
		return "", connect.NewError(connect.CodeNotFound, errors.New(what+" not found"))
	}
	if err != nil || role == rpc.StaffRole || slices.Contains(allowed, role) {
		return role, err
	}
	return rpc.OrgAccess(ctx, idb, orgID, allowed)
}

// learningNotFound turns a missing row (named by what) into NotFound.
func learningNotFound(err error, what string) error {
	if errors.Is(err, db.ErrNotFound) {
		return connect.NewError(connect.CodeNotFound, errors.New(what+" not found"))
	}
	return err
}
