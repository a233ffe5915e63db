package conferences

// A member's run in a quest: joined with Update-with-Start, then driven
// by the workflow's Updates (decide-registration, submit-task,
// review-task) and read by its state query. The workflow answers after
// its activity's transaction, so an answer is what the database holds.

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	"github.com/convene/convene/workflows"
)

// runClosedMsg is what an Update to a run that has ended answers.
const runClosedMsg = "the member's run in this quest has ended (or they never joined)"

// JoinQuest takes the caller's place and answers their run.
func (s *questServer) JoinQuest(ctx context.Context, req *connect.Request[conferencesv1.JoinQuestRequest]) (*connect.Response[conferencesv1.JoinQuestResponse], error) {
	q, _, err := s.questForRead(ctx, uuid.MustParse(req.Msg.GetQuestId()))
	if err != nil {
		return nil, err
	}
	if q.Status != enums.QuestPublished {
		return nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the quest is %s; only a published quest is joined", q.Status))
	}
	callerID := rpc.CallerID(ctx)
	if err := s.requireAttendance(ctx, q, callerID); err != nil {
		return nil, err
	}
	names, err := db.DisplayNames(ctx, s.DB, []uuid.UUID{callerID})
	if err != nil {
		return nil, err
	}
	in := workflows.QuestRunInput{QuestID: q.ID.String(), OrganizationID: q.OrganizationID.String(), UserID: callerID.String(),
		ConferenceID: rpc.IDString(q.ConferenceID), QuestTitle: q.Title, UserName: names[callerID]}
	st, err := workflows.JoinQuest(ctx, s.Temporal, s.TaskQueue, in)
	if err != nil {
		return nil, rpc.UpdateError(err, runClosedMsg, "join quest")
	}
	return connect.NewResponse(&conferencesv1.JoinQuestResponse{Run: runToProto(st)}), nil
}

// requireAttendance refuses a conference quest to a member not registered
// for its conference.
func (s *questServer) requireAttendance(ctx context.Context, q *db.Quest, userID uuid.UUID) error {
	if q.ConferenceID == nil {
		return nil
	}
	ok, err := db.IsRegisteredAttendee(ctx, s.DB, *q.ConferenceID, userID)
	if err != nil || ok {
		return err
	}
	c, err := db.QuestConferenceByID(ctx, s.DB, *q.ConferenceID)
	if err != nil {
		return err
	}
	return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("register for %s first: this quest is for its attendees", c.Name))
}

// DecideRegistration approves or rejects a member's pending registration.
func (s *questServer) DecideRegistration(ctx context.Context, req *connect.Request[conferencesv1.DecideRegistrationRequest]) (*connect.Response[conferencesv1.DecideRegistrationResponse], error) {
	m := req.Msg
	actor, err := s.reviewer(ctx, uuid.MustParse(m.GetQuestId()))
	if err != nil {
		return nil, err
	}
	st, err := s.updateRun(ctx, m.GetQuestId(), m.GetUserId(), workflows.UpdateDecideRegistration,
		workflows.RegistrationDecision{Actor: actor, Approve: m.GetApprove(), Comment: m.GetComment()})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.DecideRegistrationResponse{Run: runToProto(st)}), nil
}

// SubmitTask submits the caller's answer and answers the task's outcome.
func (s *questServer) SubmitTask(ctx context.Context, req *connect.Request[conferencesv1.SubmitTaskRequest]) (*connect.Response[conferencesv1.SubmitTaskResponse], error) {
	m := req.Msg
	q, _, err := s.questForRead(ctx, uuid.MustParse(m.GetQuestId()))
	if err != nil {
		return nil, err
	}
	callerID := rpc.CallerID(ctx)
	sub := workflows.TaskSubmission{Actor: workflows.QuestActor{UserID: callerID.String()}, TaskID: m.GetTaskId(),
		RequestID: uuid.NewString()}
	sub.Submission.Answers = answersOf(m.GetAnswers().GetAnswers())
	sub.Submission.Code, sub.Submission.Proof = m.GetCode(), m.GetProof()
	st, err := s.updateRun(ctx, q.ID.String(), callerID.String(), workflows.UpdateSubmitTask, sub)
	if err != nil {
		return nil, err
	}
	out := &conferencesv1.SubmitTaskResponse{Run: runToProto(st)}
	for _, t := range st.Tasks {
		if t.TaskID == m.GetTaskId() {
			out.Task = taskProgressToProto(t)
		}
	}
	if out.Task == nil {
		return nil, rpc.InvalidField("task_id", "not a task of this quest")
	}
	return connect.NewResponse(out), nil
}

func answersOf(in []int32) []int {
	if len(in) == 0 {
		return nil
	}
	out := make([]int, len(in))
	for i, a := range in {
		out[i] = int(a)
	}
	return out
}

// ReviewTask decides a task in review; never the participant's own.
func (s *questServer) ReviewTask(ctx context.Context, req *connect.Request[conferencesv1.ReviewTaskRequest]) (*connect.Response[conferencesv1.ReviewTaskResponse], error) {
	m := req.Msg
	actor, err := s.reviewer(ctx, uuid.MustParse(m.GetQuestId()))
	if err != nil {
		return nil, err
	}
	if actor.UserID == m.GetUserId() {
		return nil, rpc.DeniedField("user_id", "you cannot review your own submission")
	}
	st, err := s.updateRun(ctx, m.GetQuestId(), m.GetUserId(), workflows.UpdateReviewTask,
		workflows.TaskReview{Actor: actor, TaskID: m.GetTaskId(), Approve: m.GetApprove(), Comment: m.GetComment()})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.ReviewTaskResponse{Run: runToProto(st)}), nil
}

// GetMyProgress answers the caller's run from its state query; NotFound
// when they never joined.
func (s *questServer) GetMyProgress(ctx context.Context, req *connect.Request[conferencesv1.GetMyProgressRequest]) (*connect.Response[conferencesv1.GetMyProgressResponse], error) {
	q, _, err := s.questForRead(ctx, uuid.MustParse(req.Msg.GetQuestId()))
	if err != nil {
		return nil, err
	}
	wfID := workflows.QuestRunWorkflowID(q.ID.String(), rpc.CallerID(ctx).String())
	resp, err := s.Temporal.QueryWorkflow(ctx, wfID, "", workflows.QueryState)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("you have not joined this quest"))
	}
	if err != nil {
		return nil, fmt.Errorf("query the run %s: %w", wfID, err)
	}
	var st workflows.QuestRunState
	if err := resp.Get(&st); err != nil {
		return nil, fmt.Errorf("read the state of the run %s: %w", wfID, err)
	}
	return connect.NewResponse(&conferencesv1.GetMyProgressResponse{Run: runToProto(st)}), nil
}

// reviewer admits the quest organization's owners, admins and approvers
// (another organization's caller sees NotFound) and returns them as the
// Update's actor.
func (s *questServer) reviewer(ctx context.Context, questID uuid.UUID) (workflows.QuestActor, error) {
	q, _, err := s.questForRead(ctx, questID)
	if err != nil {
		return workflows.QuestActor{}, err
	}
	if _, err := rpc.OrgAccess(ctx, s.DB, q.OrganizationID, reviewerRoles); err != nil {
		return workflows.QuestActor{}, err
	}
	return workflows.QuestActor{UserID: rpc.CallerID(ctx).String(), CanReview: true}, nil
}

// updateRun sends the Update name with arg to the member's run and
// answers its state; refusals become their Connect codes.
func (s *questServer) updateRun(ctx context.Context, questID, userID, name string, arg any) (workflows.QuestRunState, error) {
	var st workflows.QuestRunState
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflows.QuestRunWorkflowID(questID, userID),
		UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = handle.Get(ctx, &st)
	}
	return st, rpc.UpdateError(err, runClosedMsg, "quest run "+name)
}
