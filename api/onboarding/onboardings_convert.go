package onboarding

// Onboardings as the API shows them: rows of db/ (what the workflow's
// activities wrote) to convene.onboarding.v1 messages, with the figures
// computed on the office calendar (overdue tasks, business days behind).

import (
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/workcal"
	onboardingv1 "github.com/convene/convene/proto/convene/onboarding/v1"
)

// onboardingStatuses maps the API's onboarding statuses to enums.Onboarding*.
var onboardingStatuses = rpc.NewEnum(map[onboardingv1.OnboardingStatus]string{
	onboardingv1.OnboardingStatus_ONBOARDING_STATUS_PREBOARDING: enums.OnboardingPreboarding,
	onboardingv1.OnboardingStatus_ONBOARDING_STATUS_ACTIVE:      enums.OnboardingActive,
	onboardingv1.OnboardingStatus_ONBOARDING_STATUS_BEHIND:      enums.OnboardingBehind,
	onboardingv1.OnboardingStatus_ONBOARDING_STATUS_PAUSED:      enums.OnboardingPaused,
	onboardingv1.OnboardingStatus_ONBOARDING_STATUS_COMPLETED:   enums.OnboardingCompleted,
	onboardingv1.OnboardingStatus_ONBOARDING_STATUS_CANCELLED:   enums.OnboardingCancelled,
})

// taskStatuses maps the API's task statuses to enums.Task*.
var taskStatuses = rpc.NewEnum(map[onboardingv1.TaskStatus]string{
	onboardingv1.TaskStatus_TASK_STATUS_PENDING:   enums.TaskPending,
	onboardingv1.TaskStatus_TASK_STATUS_DONE:      enums.TaskDone,
	onboardingv1.TaskStatus_TASK_STATUS_SKIPPED:   enums.TaskSkipped,
	onboardingv1.TaskStatus_TASK_STATUS_CANCELLED: enums.TaskCancelled,
})

// buddySources maps the API's buddy sources to enums.BuddySource*.
var buddySources = rpc.NewEnum(map[onboardingv1.BuddySource]string{
	onboardingv1.BuddySource_BUDDY_SOURCE_AUTO:   enums.BuddySourceAuto,
	onboardingv1.BuddySource_BUDDY_SOURCE_MANUAL: enums.BuddySourceManual,
})

// countsOverdue reports whether an onboarding in status can be behind: a
// paused one is not (its dues move when it resumes), nor a closed one.
func countsOverdue(status string) bool {
	return status != enums.OnboardingPaused && !enums.OnboardingClosed(status)
}

// behind is how far behind an onboarding is at now: its overdue tasks and
// the business days since the oldest of them was due.
type behind struct {
	overdue int
	days    int
}

// behindOf counts the pending tasks past due at now, as the dashboard's
// query does (db.OnboardingDashboard).
func behindOf(uo *db.UserOnboarding, tasks []db.OnboardingTask, cal workcal.Calendar, now time.Time) behind {
	var b behind
	if !countsOverdue(uo.Status) {
		return b
	}
	var oldest time.Time
	for _, t := range tasks {
		if t.Status == enums.TaskPending && t.DueAt.Before(now) {
			b.overdue++
			if oldest.IsZero() || t.DueAt.Before(oldest) {
				oldest = t.DueAt
			}
		}
	}
	if b.overdue > 0 {
		b.days = cal.BusinessDaysBehind(oldest, now)
	}
	return b
}

// onboardingToProto is uo without its tasks and buddy: a dashboard row.
func onboardingToProto(uo *db.UserOnboarding, names map[uuid.UUID]string, cal workcal.Calendar, b behind) *onboardingv1.Onboarding {
	out := &onboardingv1.Onboarding{Id: uo.ID.String(), OrganizationId: uo.OrganizationID.String(), UserId: uo.UserID.String(),
		UserName: names[uo.UserID], TemplateId: uo.TemplateID.String(), TemplateVersion: int32(uo.TemplateVersion),
		ManagerUserId: uo.ManagerUserID.String(), BuddyUserId: rpc.IDString(uo.BuddyUserID), HrUserId: uo.HRUserID.String(),
		Role: uo.JobRole, OfficeId: rpc.IDString(uo.OfficeID), TeamId: rpc.IDString(uo.TeamID),
		StartDate: workcal.DateFromTime(uo.StartDate).String(), Status: onboardingStatuses.Value(uo.Status),
		Milestone: milestones.Value(uo.Milestone), Progress: int32(uo.Progress), PausedBusinessDays: int32(uo.PausedBusinessDays),
		OverdueTasks: int32(b.overdue), BusinessDaysBehind: int32(b.days), CreatedAt: timestamppb.New(uo.CreatedAt),
		CompletedAt: optionalTime(uo.CompletedAt), PausedAt: optionalTime(uo.PausedAt), CancelledAt: optionalTime(uo.CancelledAt)}
	if uo.PauseUntil != nil {
		out.PauseUntil = cal.DateOf(*uo.PauseUntil).String()
	}
	return out
}

// detailToProto is the onboarding with its tasks, buddy and last check-in.
func detailToProto(d *db.OnboardingDetail, names map[uuid.UUID]string, cal workcal.Calendar, now time.Time) *onboardingv1.Onboarding {
	out := onboardingToProto(d.Onboarding, names, cal, behindOf(d.Onboarding, d.Tasks, cal, now))
	for i := range d.Tasks {
		out.Tasks = append(out.Tasks, taskToProto(&d.Tasks[i]))
	}
	if d.Buddy != nil {
		out.Buddy = &onboardingv1.BuddyMatch{BuddyUserId: d.Buddy.BuddyUserID.String(), Score: int32(d.Buddy.Score),
			Reasons: d.Buddy.Reasons, Source: buddySources.Value(d.Buddy.Source)}
	}
	for _, c := range d.CheckIns {
		if out.LastCheckinAt == nil || c.CreatedAt.After(out.LastCheckinAt.AsTime()) {
			out.LastCheckinAt = timestamppb.New(c.CreatedAt)
		}
	}
	return out
}

// dashboardRowToProto is one line of HR's dashboard.
func dashboardRowToProto(r *db.OnboardingDashboardRow, names map[uuid.UUID]string, cal workcal.Calendar, now time.Time) *onboardingv1.Onboarding {
	b := behind{overdue: r.OverdueTasks}
	if r.OldestOverdueDue != nil {
		b.days = cal.BusinessDaysBehind(*r.OldestOverdueDue, now)
	}
	out := onboardingToProto(&r.UserOnboarding, names, cal, b)
	out.LastCheckinAt = optionalTime(r.LastCheckInAt)
	return out
}

func taskToProto(t *db.OnboardingTask) *onboardingv1.OnboardingTask {
	return &onboardingv1.OnboardingTask{Key: t.Key, Title: t.Title, Description: t.Description,
		AssigneeRole: assigneeRoles.Value(t.AssigneeRole), AssigneeUserId: rpc.IDString(t.AssigneeUserID),
		Milestone: milestones.Value(t.Milestone), DueAt: timestamppb.New(t.DueAt), Required: t.Required,
		Status: taskStatuses.Value(t.Status), CompletedBy: rpc.IDString(t.CompletedBy), CompletedAt: optionalTime(t.CompletedAt),
		ReminderLevel: int32(t.ReminderLevel), Note: t.Note}
}

// optionalTime is t as a Timestamp, unset for nil.
func optionalTime(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}
