package conferences

// QuestService's conversions between the stored rows, the quest-run
// workflow's state and the API's messages.

import (
	"encoding/json"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/questcheck"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	"github.com/convene/convene/workflows"
)

var questStatuses = rpc.NewEnum(map[conferencesv1.QuestStatus]string{
	conferencesv1.QuestStatus_QUEST_STATUS_DRAFT:     enums.QuestDraft,
	conferencesv1.QuestStatus_QUEST_STATUS_PUBLISHED: enums.QuestPublished,
	conferencesv1.QuestStatus_QUEST_STATUS_ARCHIVED:  enums.QuestArchived,
})

var recurrences = rpc.NewEnum(map[conferencesv1.QuestRecurrence]string{
	conferencesv1.QuestRecurrence_QUEST_RECURRENCE_NONE:    enums.RecurrenceNone,
	conferencesv1.QuestRecurrence_QUEST_RECURRENCE_DAILY:   enums.RecurrenceDaily,
	conferencesv1.QuestRecurrence_QUEST_RECURRENCE_WEEKLY:  enums.RecurrenceWeekly,
	conferencesv1.QuestRecurrence_QUEST_RECURRENCE_MONTHLY: enums.RecurrenceMonthly,
})

var taskKinds = rpc.NewEnum(map[conferencesv1.QuestTaskKind]string{
	conferencesv1.QuestTaskKind_QUEST_TASK_KIND_URL_VISIT:      enums.TaskKindURLVisit,
	conferencesv1.QuestTaskKind_QUEST_TASK_KIND_QUIZ:           enums.TaskKindQuiz,
	conferencesv1.QuestTaskKind_QUEST_TASK_KIND_TELEGRAM_JOIN:  enums.TaskKindTelegramJoin,
	conferencesv1.QuestTaskKind_QUEST_TASK_KIND_TWITTER_FOLLOW: enums.TaskKindTwitterFollow,
	conferencesv1.QuestTaskKind_QUEST_TASK_KIND_API_CHECK:      enums.TaskKindAPICheck,
	conferencesv1.QuestTaskKind_QUEST_TASK_KIND_MANUAL_PROOF:   enums.TaskKindManualProof,
	conferencesv1.QuestTaskKind_QUEST_TASK_KIND_SECRET_CODE:    enums.TaskKindSecretCode,
})

var runStatuses = rpc.NewEnum(map[conferencesv1.QuestRunStatus]string{
	conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_AWAITING_APPROVAL: workflows.QuestRunAwaitingApproval,
	conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_ACTIVE:            workflows.QuestRunActive,
	conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_VERIFYING:         workflows.QuestRunVerifying,
	conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_IN_REVIEW:         workflows.QuestRunInReview,
	conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_COMPLETED:         workflows.QuestRunCompleted,
	conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_REJECTED:          workflows.QuestRunRejected,
	conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_EXPIRED:           workflows.QuestRunExpired,
})

var registrations = rpc.NewEnum(map[conferencesv1.QuestRegistrationStatus]string{
	conferencesv1.QuestRegistrationStatus_QUEST_REGISTRATION_STATUS_PENDING:  enums.RegistrationPending,
	conferencesv1.QuestRegistrationStatus_QUEST_REGISTRATION_STATUS_APPROVED: enums.RegistrationApproved,
	conferencesv1.QuestRegistrationStatus_QUEST_REGISTRATION_STATUS_REJECTED: enums.RegistrationRejected,
	conferencesv1.QuestRegistrationStatus_QUEST_REGISTRATION_STATUS_EXPIRED:  enums.RegistrationExpired,
})

var taskStatuses = rpc.NewEnum(map[conferencesv1.QuestTaskStatus]string{
	conferencesv1.QuestTaskStatus_QUEST_TASK_STATUS_SUBMITTED: enums.UserTaskSubmitted,
	conferencesv1.QuestTaskStatus_QUEST_TASK_STATUS_VERIFYING: enums.UserTaskVerifying,
	conferencesv1.QuestTaskStatus_QUEST_TASK_STATUS_IN_REVIEW: enums.UserTaskInReview,
	conferencesv1.QuestTaskStatus_QUEST_TASK_STATUS_COMPLETED: enums.UserTaskCompleted,
	conferencesv1.QuestTaskStatus_QUEST_TASK_STATUS_FAILED:    enums.UserTaskFailed,
})

// questToProto is q with tasks (nil in lists) as the API shows them to
// anyone: public config only.
func questToProto(q *db.Quest, tasks []db.QuestTask) *conferencesv1.Quest {
	p := &conferencesv1.Quest{Id: q.ID.String(), OrganizationId: q.OrganizationID.String(), ConferenceId: rpc.IDString(q.ConferenceID),
		Title: q.Title, Description: q.Description, Category: q.Category, Featured: q.Featured, Points: int32(q.Points),
		RequiresApproval: q.RequiresApproval, Recurrence: recurrences.Value(q.Recurrence), StartsAt: timestamppb.New(q.StartsAt),
		EndsAt: timestamppb.New(q.EndsAt), MaxParticipants: int32(rpc.Deref(q.MaxParticipants)), ParticipantsCount: int32(q.ParticipantsCount),
		RetryCooldownSeconds: int32(q.RetryCooldownSeconds), ReviewSlaHours: int32(q.ReviewSLAHours), Status: questStatuses.Value(q.Status),
		CreatedBy: rpc.IDString(q.CreatedBy), PublishedAt: questTime(q.PublishedAt), ArchivedAt: questTime(q.ArchivedAt),
		CreatedAt: timestamppb.New(q.CreatedAt), UpdatedAt: timestamppb.New(q.UpdatedAt)}
	for i := range tasks {
		p.Tasks = append(p.Tasks, taskToProto(&tasks[i]))
	}
	return p
}

// taskToProto shows t with its kind's public config: never a quiz answer,
// a code or a secret.
func taskToProto(t *db.QuestTask) *conferencesv1.QuestTask {
	return &conferencesv1.QuestTask{Id: t.ID.String(), QuestId: t.QuestID.String(), Position: int32(t.Position),
		Kind: taskKinds.Value(t.Kind), Title: t.Title, Description: t.Description, Required: t.Required,
		Config: jsonStruct(questcheck.PublicConfig(t.Kind, t.Config))}
}

// jsonStruct is a stored JSON object as a Struct (empty if it is not one).
func jsonStruct(raw json.RawMessage) *structpb.Struct {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return &structpb.Struct{}
	}
	s, err := structpb.NewStruct(m)
	if err != nil {
		return &structpb.Struct{}
	}
	return s
}

// myQuestStatus is the caller's run status as the database tells it
// (UNSPECIFIED when they have not joined).
func myQuestStatus(st db.MemberQuestStanding) conferencesv1.QuestRunStatus {
	switch {
	case st.Registration == "":
		return conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_UNSPECIFIED
	case st.Registration == enums.RegistrationPending:
		return conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_AWAITING_APPROVAL
	case st.Registration == enums.RegistrationRejected:
		return conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_REJECTED
	case st.Registration == enums.RegistrationExpired:
		return conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_EXPIRED
	case st.Completed:
		return conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_COMPLETED
	case st.InReview:
		return conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_IN_REVIEW
	case st.Verifying:
		return conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_VERIFYING
	}
	return conferencesv1.QuestRunStatus_QUEST_RUN_STATUS_ACTIVE
}

// runToProto is the workflow's state as the API shows it.
func runToProto(st workflows.QuestRunState) *conferencesv1.QuestRun {
	p := &conferencesv1.QuestRun{QuestId: st.QuestID, UserId: st.UserID, Status: runStatuses.Value(st.Status),
		Registration: registrations.Value(st.Registration), Period: st.Period, CompletedAt: questTime(st.CompletedAt),
		PointsAwarded: int32(st.PointsAwarded)}
	for _, t := range st.Tasks {
		p.Tasks = append(p.Tasks, taskProgressToProto(t))
	}
	return p
}

func taskProgressToProto(t workflows.QuestTaskProgress) *conferencesv1.QuestTaskProgress {
	return &conferencesv1.QuestTaskProgress{TaskId: t.TaskID, Position: int32(t.Position), Kind: taskKinds.Value(t.Kind),
		Title: t.Title, Required: t.Required, Status: taskStatuses.Value(t.Status), Attempts: int32(t.Attempts), Reason: t.Reason,
		ReviewDueAt: questTime(t.ReviewDueAt), LastAttemptAt: questTime(t.LastAttemptAt)}
}

// questTime is t as a Timestamp, unset for nil.
func questTime(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}
