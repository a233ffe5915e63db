package workflows

import (
	"context"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/activities"
)

// The quest-run contract: one run per member and quest
// (quest-run/<quest id>/<user id>) from joining, through the registration
// decision, the task submissions, their verification and review, to the
// points of each completed period. A recurring quest continues as new at
// each period's start until the quest ends.
const (
	// QuestRunWorkflowName is the registered workflow type.
	QuestRunWorkflowName = "QuestRun"
	// UpdateJoinQuest is the Update sent with the start (Update-with-Start,
	// conflict policy USE_EXISTING): it waits for the join transaction and
	// answers the QuestRunState, so a repeated JoinQuest answers the same.
	UpdateJoinQuest = "join"
	// UpdateDecideRegistration approves or rejects a pending registration
	// (RegistrationDecision).
	UpdateDecideRegistration = "decide-registration"
	// UpdateSubmitTask submits a task (TaskSubmission) and answers once the
	// submission is verified, failed or in review.
	UpdateSubmitTask = "submit-task"
	// UpdateReviewTask decides a task in review (TaskReview).
	UpdateReviewTask = "review-task"
	// SignalQuestClosed ends an open run: the quest was archived.
	SignalQuestClosed = "quest-closed"

	questRunPrefix = "quest-run/"
)

// Run statuses: the ConveneStatus of a quest run and QuestRunState.Status.
// Operators list the reviews waiting with ConveneStatus = "in_review".
const (
	QuestRunAwaitingApproval = "awaiting_approval"
	QuestRunActive           = "active"
	QuestRunVerifying        = "verifying"
	QuestRunInReview         = "in_review"
	QuestRunCompleted        = "completed"
	QuestRunRejected         = "rejected"
	QuestRunExpired          = "expired"
)

// QuestRunWorkflowID is the run of one member in one quest.
func QuestRunWorkflowID(questID, userID string) string {
	return workflowID(questRunPrefix, questID+"/"+userID)
}

// QuestRunIDsFromWorkflowID inverts QuestRunWorkflowID.
func QuestRunIDsFromWorkflowID(id string) (questID, userID string, err error) {
	rest, err := businessIDOf(questRunPrefix, id)
	if err != nil {
		return "", "", err
	}
	questID, userID, ok := strings.Cut(rest, "/")
	if !ok || questID == "" || userID == "" {
		return "", "", fmt.Errorf("%q is not a workflow id of the form %s<quest id>/<user id>", id, questRunPrefix)
	}
	return questID, userID, nil
}

// QuestRunInput starts a member's run. The API has checked the member may
// see the quest (and attends its conference); the join activity checks
// the window and takes the place.
type QuestRunInput struct {
	QuestID        string
	OrganizationID string
	UserID         string
	// ConferenceID is "" for a quest of no conference.
	ConferenceID string
	// QuestTitle and UserName only make the run's summary readable.
	QuestTitle string
	UserName   string
	// Period is set when a recurring run continues as new: the period the
	// new run serves ("2006-01-02"); "" on the first start (the join
	// activity chooses the current one).
	Period string
}

// QuestActor is who sends an Update. The API decides CanReview (an owner,
// admin or approver of the quest's organization); the workflow compares
// UserID with the participant.
type QuestActor struct {
	UserID    string
	CanReview bool
}

// RegistrationDecision approves or rejects a pending registration: a
// reviewer's, never the participant's own.
type RegistrationDecision struct {
	Actor   QuestActor
	Approve bool
	Comment string
}

// TaskSubmission is the participant's submission of TaskID.
// RequestID names the submission for the API check's receiver (replay
// safety) and is chosen by the API.
type TaskSubmission struct {
	Actor      QuestActor
	TaskID     string
	RequestID  string
	Submission activities.TaskAnswer
}

// TaskReview decides TaskID of the current period while it is in review:
// a reviewer's, never the participant's own.
type TaskReview struct {
	Actor   QuestActor
	TaskID  string
	Approve bool
	Comment string
}

// QuestTaskProgress is one task of a run and the member's standing on it,
// as the state shows it (the activities' type, so the API need not import
// activities).
type QuestTaskProgress = activities.QuestTaskProgress

// QuestRunState is what the state query and every Update answer.
type QuestRunState struct {
	QuestID        string
	OrganizationID string
	UserID         string
	// Status is one of the QuestRun* statuses.
	Status string
	// Registration is one of enums.Registration*.
	Registration string
	Period       string
	Tasks        []QuestTaskProgress
	// CompletedAt is when the current period was completed; PointsAwarded
	// the points it paid.
	CompletedAt   *time.Time
	PointsAwarded int
}

// QuestRunStartOptions are the start options of a member's run: its fixed
// ID, conflict policy USE_EXISTING (a second JoinQuest joins the open run
// and answers its state), reuse allowed (the join activity refuses what
// the registration says may not run again), the search attributes and the
// summary "<quest> / <user>".
func QuestRunStartOptions(taskQueue string, in QuestRunInput) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID: QuestRunWorkflowID(in.QuestID, in.UserID), TaskQueue: taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes:    questRunSearchAttributes(in, QuestRunActive),
		StaticSummary:            questRunSummary(in),
	}
}

func questRunSearchAttributes(in QuestRunInput, status string) temporal.SearchAttributes {
	updates := []temporal.SearchAttributeUpdate{SearchOrgID.ValueSet(in.OrganizationID),
		SearchUserID.ValueSet(in.UserID), SearchStatus.ValueSet(status)}
	if in.ConferenceID != "" {
		updates = append(updates, SearchEventID.ValueSet(in.ConferenceID))
	}
	return temporal.NewSearchAttributes(updates...)
}

func questRunSummary(in QuestRunInput) string {
	return fmt.Sprintf("%s / %s", in.QuestTitle, in.UserName)
}

// JoinQuest starts (or joins) the member's run with the join Update and
// returns the state after the join transaction. A full quest, a closed
// window or a refused registration come back as the join activity's
// typed errors.
func JoinQuest(ctx context.Context, c client.Client, taskQueue string, in QuestRunInput) (QuestRunState, error) {
	start := c.NewWithStartWorkflowOperation(QuestRunStartOptions(taskQueue, in), QuestRunWorkflowName, in)
	handle, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{UpdateName: UpdateJoinQuest,
			WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		return QuestRunState{}, fmt.Errorf("join quest %s for %s: %w", in.QuestID, in.UserID, err)
	}
	var st QuestRunState
	if err := handle.Get(ctx, &st); err != nil {
		return QuestRunState{}, fmt.Errorf("join quest %s for %s: %w", in.QuestID, in.UserID, err)
	}
	return st, nil
}
