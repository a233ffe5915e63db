package engagement

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
)

// The stored strings of the learning enums.
var (
	pathStatuses = rpc.NewEnum(map[engagementv1.LearningPathStatus]string{
		engagementv1.LearningPathStatus_LEARNING_PATH_STATUS_DRAFT:     enums.PathDraft,
		engagementv1.LearningPathStatus_LEARNING_PATH_STATUS_PUBLISHED: enums.PathPublished,
		engagementv1.LearningPathStatus_LEARNING_PATH_STATUS_ARCHIVED:  enums.PathArchived,
	})
	moduleKinds = rpc.NewEnum(map[engagementv1.LearningModuleKind]string{
		engagementv1.LearningModuleKind_LEARNING_MODULE_KIND_LESSON: enums.ModuleLesson,
		engagementv1.LearningModuleKind_LEARNING_MODULE_KIND_QUIZ:   enums.ModuleQuiz,
	})
	progressStatuses = rpc.NewEnum(map[engagementv1.LearningProgressStatus]string{
		engagementv1.LearningProgressStatus_LEARNING_PROGRESS_STATUS_ENROLLED:    enums.ProgressEnrolled,
		engagementv1.LearningProgressStatus_LEARNING_PROGRESS_STATUS_IN_PROGRESS: enums.ProgressInProgress,
		engagementv1.LearningProgressStatus_LEARNING_PROGRESS_STATUS_COMPLETED:   enums.ProgressCompleted,
	})
)

// loadPathProto converts p with its milestones and module outlines.
func loadPathProto(ctx context.Context, idb bun.IDB, p *db.LearningPath) (*engagementv1.LearningPath, error) {
	out, err := pathsToProto(ctx, idb, []db.LearningPath{*p})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// pathsToProto converts paths with their milestones and module outlines,
// loaded in two queries for the lot.
func pathsToProto(ctx context.Context, idb bun.IDB, paths []db.LearningPath) ([]*engagementv1.LearningPath, error) {
	ids := make([]uuid.UUID, len(paths))
	for i, p := range paths {
		ids[i] = p.ID
	}
	milestones, err := db.MilestonesOf(ctx, idb, ids...)
	if err != nil {
		return nil, err
	}
	modules, err := db.ModulesOf(ctx, idb, ids...)
	if err != nil {
		return nil, err
	}
	byPathMS := map[uuid.UUID][]db.LearningMilestone{}
	for _, ms := range milestones {
		byPathMS[ms.PathID] = append(byPathMS[ms.PathID], ms)
	}
	byPathMod := map[uuid.UUID][]db.LearningModule{}
	for _, m := range modules {
		byPathMod[m.PathID] = append(byPathMod[m.PathID], m)
	}
	out := make([]*engagementv1.LearningPath, len(paths))
	for i := range paths {
		out[i] = pathToProto(&paths[i], byPathMS[paths[i].ID], byPathMod[paths[i].ID])
	}
	return out, nil
}

// pathToProto converts a path; modules go without their bodies.
func pathToProto(p *db.LearningPath, milestones []db.LearningMilestone, modules []db.LearningModule) *engagementv1.LearningPath {
	out := &engagementv1.LearningPath{Id: p.ID.String(), OrganizationId: p.OrganizationID.String(), Title: p.Title,
		Description: p.Description, Status: pathStatuses.Value(p.Status), PointsReward: int32(p.PointsReward),
		CreatedAt: timestamppb.New(p.CreatedAt)}
	if p.PublishedAt != nil {
		out.PublishedAt = timestamppb.New(*p.PublishedAt)
	}
	for _, ms := range milestones {
		out.Milestones = append(out.Milestones, &engagementv1.LearningMilestone{Id: ms.ID.String(),
			Position: int32(ms.Position), Title: ms.Title})
	}
	for i := range modules {
		out.Modules = append(out.Modules, moduleToProto(&modules[i], false))
	}
	return out
}

// moduleToProto converts a module, with its body if withBody.
func moduleToProto(m *db.LearningModule, withBody bool) *engagementv1.LearningModule {
	out := &engagementv1.LearningModule{Id: m.ID.String(), PathId: m.PathID.String(), MilestoneId: rpc.IDString(m.MilestoneID),
		Position: int32(m.Position), Title: m.Title, Kind: moduleKinds.Value(m.Kind), PointsReward: int32(m.PointsReward),
		PassingScore: int32(m.PassingScore), PrerequisiteIds: m.Prerequisites}
	if withBody {
		out.Body = m.Body
	}
	return out
}

// questionsToProto converts questions as members see them: the correct
// option stays on the server.
func questionsToProto(qs []db.QuizQuestion) []*engagementv1.LearningQuizQuestion {
	out := make([]*engagementv1.LearningQuizQuestion, len(qs))
	for i, q := range qs {
		out[i] = &engagementv1.LearningQuizQuestion{Id: q.ID.String(), Position: int32(q.Position), Prompt: q.Prompt,
			Options: q.Options, Points: int32(q.Points)}
	}
	return out
}

// progressToProto converts an enrollment with the IDs of what is done.
func progressToProto(p *db.PathProgress, modules, milestones []uuid.UUID) *engagementv1.LearningPathProgress {
	out := &engagementv1.LearningPathProgress{PathId: p.PathID.String(), Status: progressStatuses.Value(p.Status),
		Progress: int32(p.Progress), StartedAt: timestamppb.New(p.StartedAt),
		CompletedModuleIds: idStrings(modules), CompletedMilestoneIds: idStrings(milestones)}
	if p.CompletedAt != nil {
		out.CompletedAt = timestamppb.New(*p.CompletedAt)
	}
	return out
}

func idStrings(ids []uuid.UUID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}
