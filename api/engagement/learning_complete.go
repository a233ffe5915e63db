package engagement

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
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
)

// learner is a member's enrollment in a published path, locked for the
// transaction (so the member's completions in the path apply one at a
// time), with the path's modules and milestones and what the member has
// completed of them.
type learner struct {
	userID     uuid.UUID
	path       *db.LearningPath
	progress   *db.PathProgress
	modules    []db.LearningModule
	milestones []db.LearningMilestone
	// doneModules and doneMilestones are in completion order.
	doneModules, doneMilestones []uuid.UUID
}

// lockLearner loads the caller's enrollment in path, locked. A path that
// is not published, or a caller not enrolled, is FailedPrecondition.
func lockLearner(ctx context.Context, tx bun.Tx, path *db.LearningPath, userID uuid.UUID) (*learner, error) {
	if path.Status != enums.PathPublished {
		return nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the path is %s; only a published path can be worked on", path.Status))
	}
	progress, err := db.PathProgressOf(ctx, tx, path.ID, userID, true)
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("you are not enrolled in this path; Enroll first"))
	}
	if err != nil {
		return nil, err
	}
	l := &learner{userID: userID, path: path, progress: progress}
	if l.modules, err = db.ModulesOf(ctx, tx, path.ID); err != nil {
		return nil, err
	}
	if l.milestones, err = db.MilestonesOf(ctx, tx, path.ID); err != nil {
		return nil, err
	}
	mods, mss, err := db.CompletionsOf(ctx, tx, userID, path.ID)
	if err != nil {
		return nil, err
	}
	l.doneModules, l.doneMilestones = mods[path.ID], mss[path.ID]
	return l, nil
}

// checkPrerequisites refuses a module whose prerequisites the member has
// not all completed.
func (l *learner) checkPrerequisites(m *db.LearningModule) error {
	for _, id := range m.Prerequisites {
		if !slices.Contains(l.doneModules, uuid.MustParse(id)) {
			return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("complete prerequisite module %s first", id))
		}
	}
	return nil
}

// proto is the member's progress as the API returns it.
func (l *learner) proto() *engagementv1.LearningPathProgress {
	return progressToProto(l.progress, l.doneModules, l.doneMilestones)
}

// recordModule is the module completion transaction's body: the
// completion row (a module completed before ends it: false), the
// module's points, the domain events (module.completed, and quiz.passed
// for a quiz), the audit row and the member's progress, which may
// complete the path. quizScore is nil for a lesson.
func (s *learningServer) recordModule(ctx context.Context, tx bun.Tx, l *learner, m *db.LearningModule, quizScore *int) (bool, error) {
	if slices.Contains(l.doneModules, m.ID) {
		return false, nil
	}
	done, err := db.InsertModuleCompletion(ctx, tx, &db.ModuleCompletion{OrganizationID: m.OrganizationID,
		PathID: m.PathID, ModuleID: m.ID, UserID: l.userID, QuizScore: quizScore})
	if err != nil || !done {
		return false, err
	}
	l.doneModules = append(l.doneModules, m.ID)
	if err := s.awardLearningPoints(ctx, tx, l, enums.LedgerModule, "learning_module", m.ID, m.PointsReward, "module: "+m.Title); err != nil {
		return false, err
	}
	payload := map[string]any{"path_id": m.PathID.String(), "module_id": m.ID.String(), "module_kind": m.Kind,
		"points": m.PointsReward}
	if quizScore != nil {
		payload["quiz_score"] = *quizScore
	}
	if err := s.emitLearning(ctx, tx, l, enums.EventModuleCompleted, "learning_module", m.ID, payload); err != nil {
		return false, err
	}
	if quizScore != nil {
		if err := s.emitLearning(ctx, tx, l, enums.EventQuizPassed, "learning_module", m.ID,
			map[string]any{"path_id": m.PathID.String(), "module_id": m.ID.String(), "score": *quizScore}); err != nil {
			return false, err
		}
	}
	if err := rpc.Audit(ctx, tx, &l.userID, &m.OrganizationID, "learning_module", m.ID.String(), "complete",
		map[string]any{"quiz_score": quizScore}); err != nil {
		return false, err
	}
	return true, s.advance(ctx, tx, l)
}

// recordMilestone completes a milestone whose modules the member has all
// completed (false if it was completed before), then advances progress.
func (s *learningServer) recordMilestone(ctx context.Context, tx bun.Tx, l *learner, ms *db.LearningMilestone) (bool, error) {
	if slices.Contains(l.doneMilestones, ms.ID) {
		return false, nil
	}
	for _, m := range l.modules {
		if m.MilestoneID != nil && *m.MilestoneID == ms.ID && !slices.Contains(l.doneModules, m.ID) {
			return false, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("complete module %s (%q) of the milestone first", m.ID, m.Title))
		}
	}
	done, err := db.InsertMilestoneCompletion(ctx, tx, &db.MilestoneCompletion{OrganizationID: ms.OrganizationID,
		PathID: ms.PathID, MilestoneID: ms.ID, UserID: l.userID})
	if err != nil || !done {
		return false, err
	}
	l.doneMilestones = append(l.doneMilestones, ms.ID)
	if err := s.emitLearning(ctx, tx, l, enums.EventMilestoneCompleted, "learning_milestone", ms.ID,
		map[string]any{"path_id": ms.PathID.String(), "milestone_id": ms.ID.String()}); err != nil {
		return false, err
	}
	if err := rpc.Audit(ctx, tx, &l.userID, &ms.OrganizationID, "learning_milestone", ms.ID.String(), "complete", nil); err != nil {
		return false, err
	}
	return true, s.advance(ctx, tx, l)
}

// advance recomputes the member's progress and stores it; reaching 100
// completes the path once (the locked row's status says whether it was),
// with its points and path.completed.
func (s *learningServer) advance(ctx context.Context, tx bun.Tx, l *learner) error {
	p := l.progress
	p.Progress = pathProgress(len(l.doneMilestones), len(l.milestones), len(l.doneModules), len(l.modules))
	completing := p.Progress == 100 && p.Status != enums.ProgressCompleted
	switch {
	case p.Progress == 100:
		p.Status = enums.ProgressCompleted
	case p.Status == enums.ProgressEnrolled:
		p.Status = enums.ProgressInProgress
	}
	if err := db.UpdatePathProgress(ctx, tx, p); err != nil {
		return err
	}
	if !completing {
		return nil
	}
	path := l.path
	if err := s.awardLearningPoints(ctx, tx, l, enums.LedgerPath, "learning_path", path.ID, path.PointsReward, "path: "+path.Title); err != nil {
		return err
	}
	if err := s.emitLearning(ctx, tx, l, enums.EventPathCompleted, "learning_path", path.ID,
		map[string]any{"path_id": path.ID.String(), "points": path.PointsReward, "modules": len(l.modules)}); err != nil {
		return err
	}
	return rpc.Audit(ctx, tx, &l.userID, &path.OrganizationID, "learning_path", path.ID.String(), "complete", nil)
}

// pathProgress is the percent done: milestones and modules weigh half
// each, or modules alone in a path without milestones; it is 100 only
// when everything is done.
func pathProgress(milestonesDone, milestones, modulesDone, modules int) int {
	switch {
	case modules == 0 && milestones == 0:
		return 0
	case milestones == 0:
		return modulesDone * 100 / modules
	case modules == 0:
		return milestonesDone * 100 / milestones
	}
	return (milestonesDone*50*modules + modulesDone*50*milestones) / (milestones * modules)
}

// awardLearningPoints credits the member through the ledger, keyed by
// "<ledger type>:<id>:<user>" so a retry credits nothing more.
func (s *learningServer) awardLearningPoints(ctx context.Context, tx bun.Tx, l *learner, ledgerType, refType string, refID uuid.UUID, points int, reason string) error {
	if points <= 0 {
		return nil
	}
	ref := refID.String()
	_, err := db.PointsLedger{}.Award(ctx, tx, db.LedgerEntry{OrganizationID: l.path.OrganizationID, UserID: l.userID,
		Amount: int64(points), Type: ledgerType, ReferenceType: &refType, ReferenceID: &ref, Reason: reason,
		IdempotencyKey: ledgerType + ":" + ref + ":" + l.userID.String()})
	if err != nil && !errors.Is(err, db.ErrAlreadyRecorded) {
		return fmt.Errorf("points for %s %s: %w", refType, ref, err)
	}
	return nil
}

// emitLearning records a learning domain event about the member.
func (s *learningServer) emitLearning(ctx context.Context, tx bun.Tx, l *learner, eventType, refType string, refID uuid.UUID, payload map[string]any) error {
	ref := refID.String()
	return s.recorder().Emit(ctx, tx, &db.DomainEvent{OrganizationID: l.path.OrganizationID, Type: eventType,
		SubjectUserID: &l.userID, ReferenceType: &refType, ReferenceID: &ref, Payload: payload})
}
