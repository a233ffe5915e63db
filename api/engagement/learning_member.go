package engagement

import (
	"context"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
)

// The members' calls of LearningService: enrolling, reading modules,
// completing them and reading their progress.

// Enroll enrolls the caller in a published path; a repeat returns the
// enrollment as it is.
func (s *learningServer) Enroll(ctx context.Context, req *connect.Request[engagementv1.EnrollRequest]) (*connect.Response[engagementv1.EnrollResponse], error) {
	userID := rpc.CallerID(ctx)
	var out *engagementv1.LearningPathProgress
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := visiblePath(ctx, tx, uuid.MustParse(req.Msg.GetPathId()), "learning path")
		if err != nil {
			return err
		}
		if p.Status != enums.PathPublished {
			return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the path is %s; only a published path takes enrollments", p.Status))
		}
		progress, err := db.EnrollInPath(ctx, tx, p.OrganizationID, p.ID, userID)
		if err != nil {
			return err
		}
		mods, mss, err := db.CompletionsOf(ctx, tx, userID, p.ID)
		if err != nil {
			return err
		}
		out = progressToProto(progress, mods[p.ID], mss[p.ID])
		return rpc.Audit(ctx, tx, &userID, &p.OrganizationID, "learning_path", p.ID.String(), "enroll", nil)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.EnrollResponse{Progress: out}), nil
}

// GetModule returns a module and its questions, which carry no answers.
func (s *learningServer) GetModule(ctx context.Context, req *connect.Request[engagementv1.GetModuleRequest]) (*connect.Response[engagementv1.GetModuleResponse], error) {
	m, _, err := visibleModule(ctx, s.DB, uuid.MustParse(req.Msg.GetModuleId()))
	if err != nil {
		return nil, err
	}
	out := &engagementv1.GetModuleResponse{Module: moduleToProto(m, true)}
	if m.Kind == enums.ModuleQuiz {
		qs, err := db.QuizQuestionsOf(ctx, s.DB, m.ID)
		if err != nil {
			return nil, err
		}
		out.Questions = questionsToProto(qs)
	}
	return connect.NewResponse(out), nil
}

// SubmitQuiz grades the caller's answers on the server and records the
// attempt; a passing score completes the module, once.
func (s *learningServer) SubmitQuiz(ctx context.Context, req *connect.Request[engagementv1.SubmitQuizRequest]) (*connect.Response[engagementv1.SubmitQuizResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	out := &engagementv1.SubmitQuizResponse{}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		m, l, err := s.startModule(ctx, tx, uuid.MustParse(msg.GetModuleId()), enums.ModuleQuiz)
		if err != nil {
			return err
		}
		qs, err := db.QuizQuestionsOf(ctx, tx, m.ID)
		if err != nil {
			return err
		}
		score, err := gradeQuiz(qs, msg.GetAnswers())
		if err != nil {
			return err
		}
		answers := make([]int, len(msg.GetAnswers()))
		for i, a := range msg.GetAnswers() {
			answers[i] = int(a)
		}
		passed := score >= m.PassingScore
		if err := db.InsertQuizAttempt(ctx, tx, &db.QuizAttempt{OrganizationID: m.OrganizationID, ModuleID: m.ID,
			UserID: userID, Answers: answers, Score: score, Passed: passed}); err != nil {
			return err
		}
		out.Score, out.Passed = int32(score), passed
		if passed {
			if out.Completed, err = s.recordModule(ctx, tx, l, m, &score); err != nil {
				return err
			}
		}
		out.Progress = l.proto()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(out), nil
}

// gradeQuiz scores answers (one per question, in order) as the percentage
// of the questions' points answered right, rounded down.
func gradeQuiz(qs []db.QuizQuestion, answers []int32) (int, error) {
	if len(answers) != len(qs) {
		return 0, rpc.InvalidField("answers", fmt.Sprintf("give one answer per question: %d, not %d", len(qs), len(answers)))
	}
	total, right := 0, 0
	for i, q := range qs {
		if int(answers[i]) >= len(q.Options) {
			return 0, rpc.InvalidField("answers", fmt.Sprintf("answer %d: question %d has %d options", i, i, len(q.Options)))
		}
		total += q.Points
		if int(answers[i]) == q.CorrectOption {
			right += q.Points
		}
	}
	if total == 0 {
		return 0, nil
	}
	return right * 100 / total, nil
}

// CompleteModule completes a lesson for the caller.
func (s *learningServer) CompleteModule(ctx context.Context, req *connect.Request[engagementv1.CompleteModuleRequest]) (*connect.Response[engagementv1.CompleteModuleResponse], error) {
	out := &engagementv1.CompleteModuleResponse{}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		m, l, err := s.startModule(ctx, tx, uuid.MustParse(req.Msg.GetModuleId()), enums.ModuleLesson)
		if err != nil {
			return err
		}
		if out.Completed, err = s.recordModule(ctx, tx, l, m, nil); err != nil {
			return err
		}
		out.Progress = l.proto()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(out), nil
}

// startModule loads a module of the kind the call handles for the
// caller, with their locked enrollment, refusing a missing prerequisite.
func (s *learningServer) startModule(ctx context.Context, tx bun.Tx, moduleID uuid.UUID, kind string) (*db.LearningModule, *learner, error) {
	m, p, err := visibleModule(ctx, tx, moduleID)
	if err != nil {
		return nil, nil, err
	}
	if m.Kind != kind {
		return nil, nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the module is a %s: a lesson is completed with CompleteModule, a quiz by passing SubmitQuiz", m.Kind))
	}
	l, err := lockLearner(ctx, tx, p, rpc.CallerID(ctx))
	if err != nil {
		return nil, nil, err
	}
	if err := l.checkPrerequisites(m); err != nil {
		return nil, nil, err
	}
	return m, l, nil
}

// CompleteMilestone completes a milestone whose modules the caller has
// all completed.
func (s *learningServer) CompleteMilestone(ctx context.Context, req *connect.Request[engagementv1.CompleteMilestoneRequest]) (*connect.Response[engagementv1.CompleteMilestoneResponse], error) {
	out := &engagementv1.CompleteMilestoneResponse{}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ms, err := db.LearningMilestoneByID(ctx, tx, uuid.MustParse(req.Msg.GetMilestoneId()))
		if err != nil {
			return learningNotFound(err, "milestone")
		}
		p, err := visiblePath(ctx, tx, ms.PathID, "milestone")
		if err != nil {
			return err
		}
		l, err := lockLearner(ctx, tx, p, rpc.CallerID(ctx))
		if err != nil {
			return err
		}
		if out.Completed, err = s.recordMilestone(ctx, tx, l, ms); err != nil {
			return err
		}
		out.Progress = l.proto()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(out), nil
}

// ListMyProgress pages the caller's enrollments in the organization.
func (s *learningServer) ListMyProgress(ctx context.Context, req *connect.Request[engagementv1.ListMyProgressRequest]) (*connect.Response[engagementv1.ListMyProgressResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	orgID := uuid.MustParse(msg.GetOrganizationId())
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
		return nil, err
	}
	page, err := rpc.TimePage("ListMyProgress", msg.GetPageToken(), msg.GetPageSize(), defaultLearningPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.ProgressPage(ctx, s.DB, orgID, userID, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(p *db.PathProgress) (time.Time, uuid.UUID) { return p.StartedAt, p.ID })
	pathIDs := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		pathIDs[i] = r.PathID
	}
	mods, mss, err := db.CompletionsOf(ctx, s.DB, userID, pathIDs...)
	if err != nil {
		return nil, err
	}
	out := &engagementv1.ListMyProgressResponse{NextPageToken: next}
	for i := range rows {
		out.Progress = append(out.Progress, progressToProto(&rows[i], mods[rows[i].PathID], mss[rows[i].PathID]))
	}
	return connect.NewResponse(out), nil
}

// visiblePath returns a path the caller may see: a member of its
// organization sees it once published, owners and admins always; anyone
// else is told the row (named by what) does not exist.
func visiblePath(ctx context.Context, idb bun.IDB, pathID uuid.UUID, what string) (*db.LearningPath, error) {
	p, err := db.LearningPathByID(ctx, idb, pathID, false)
	if err != nil {
		return nil, learningNotFound(err, what)
	}
	role, err := learningRowAccess(ctx, idb, p.OrganizationID, rpc.AnyRole, what)
	if err != nil {
		return nil, err
	}
	if p.Status == enums.PathDraft && !isLearningManager(role) {
		return nil, learningNotFound(db.ErrNotFound, what)
	}
	return p, nil
}

// visibleModule returns a module of a path the caller may see, with the
// path.
func visibleModule(ctx context.Context, idb bun.IDB, moduleID uuid.UUID) (*db.LearningModule, *db.LearningPath, error) {
	m, err := db.LearningModuleByID(ctx, idb, moduleID)
	if err != nil {
		return nil, nil, learningNotFound(err, "learning module")
	}
	p, err := visiblePath(ctx, idb, m.PathID, "learning module")
	if err != nil {
		return nil, nil, err
	}
	return m, p, nil
}
