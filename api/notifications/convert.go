package notifications

import (
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
	"github.com/convene/convene/workflows"
)

// channels maps the proto channels to notification_*.channel values.
var channels = rpc.NewEnum(map[notificationsv1.Channel]string{
	notificationsv1.Channel_CHANNEL_IN_APP:   enums.ChannelInApp,
	notificationsv1.Channel_CHANNEL_PUSH:     enums.ChannelPush,
	notificationsv1.Channel_CHANNEL_EMAIL:    enums.ChannelEmail,
	notificationsv1.Channel_CHANNEL_SMS:      enums.ChannelSMS,
	notificationsv1.Channel_CHANNEL_TELEGRAM: enums.ChannelTelegram,
})

// platforms maps the proto device platforms to push_devices.platform.
var platforms = rpc.NewEnum(map[notificationsv1.DevicePlatform]string{
	notificationsv1.DevicePlatform_DEVICE_PLATFORM_IOS:     "ios",
	notificationsv1.DevicePlatform_DEVICE_PLATFORM_ANDROID: "android",
	notificationsv1.DevicePlatform_DEVICE_PLATFORM_WEB:     "web",
})

// jobStatuses maps the proto job statuses to notification_jobs.status.
var jobStatuses = rpc.NewEnum(map[notificationsv1.JobStatus]string{
	notificationsv1.JobStatus_JOB_STATUS_DRAFT:     jobDraft,
	notificationsv1.JobStatus_JOB_STATUS_SCHEDULED: workflows.JobScheduled,
	notificationsv1.JobStatus_JOB_STATUS_RUNNING:   workflows.JobRunning,
	notificationsv1.JobStatus_JOB_STATUS_COMPLETED: workflows.JobCompleted,
	notificationsv1.JobStatus_JOB_STATUS_CANCELLED: workflows.JobCancelled,
	notificationsv1.JobStatus_JOB_STATUS_FAILED:    jobFailed,
})

// audienceKinds maps the proto audience kinds to db.Audience kinds.
var audienceKinds = rpc.NewEnum(map[notificationsv1.AudienceKind]string{
	notificationsv1.AudienceKind_AUDIENCE_KIND_ALL_USERS:            db.AudienceAllUsers,
	notificationsv1.AudienceKind_AUDIENCE_KIND_ORGANIZATION_MEMBERS: db.AudienceOrganizationMembers,
	notificationsv1.AudienceKind_AUDIENCE_KIND_EVENT_ATTENDEES:      db.AudienceEventAttendees,
	notificationsv1.AudienceKind_AUDIENCE_KIND_EVENT_REQUESTERS:     db.AudienceEventRequesters,
	notificationsv1.AudienceKind_AUDIENCE_KIND_INTEREST:             db.AudienceInterest,
	notificationsv1.AudienceKind_AUDIENCE_KIND_USER_LIST:            db.AudienceUserList,
	notificationsv1.AudienceKind_AUDIENCE_KIND_CONFERENCE_ATTENDEES: db.AudienceConferenceAttendees,
	notificationsv1.AudienceKind_AUDIENCE_KIND_QUEST_PARTICIPANTS:   db.AudienceQuestParticipants,
})

func notificationToProto(n *db.InboxNotification) *notificationsv1.Notification {
	out := &notificationsv1.Notification{Id: n.ID.String(), Type: n.Type, Title: n.Title, Message: n.Message,
		ReferenceType: n.ReferenceType, ReferenceId: n.ReferenceID, Link: n.Link, IsRead: n.IsRead,
		CreatedAt: timestamppb.New(n.CreatedAt), SenderUserId: rpc.IDString(n.SenderUserID)}
	if n.ReadAt != nil {
		out.ReadAt = timestamppb.New(*n.ReadAt)
	}
	if len(n.Metadata) > 0 {
		// Metadata is JSON from the database, so it always converts.
		out.Metadata, _ = structpb.NewStruct(n.Metadata)
	}
	return out
}

func preferencesToProto(rows []db.Preference, settings *db.NotificationSettings) *notificationsv1.Preferences {
	out := &notificationsv1.Preferences{}
	for _, p := range rows {
		out.Entries = append(out.Entries, &notificationsv1.PreferenceEntry{Category: p.Category, Channel: channels.Value(p.Channel), Enabled: p.Enabled})
	}
	if settings.QuietStart != nil && settings.QuietEnd != nil {
		out.QuietHours = &notificationsv1.QuietHours{Start: *settings.QuietStart, End: *settings.QuietEnd, Timezone: settings.Timezone}
	}
	return out
}

func jobToProto(j *db.NotificationJob, p db.JobProgress) *notificationsv1.NotificationJob {
	out := &notificationsv1.NotificationJob{Id: j.ID.String(), OrganizationId: rpc.IDString(j.OrganizationID),
		CreatedBy: j.CreatedBy.String(), Criteria: criteriaToProto(j.Criteria), Category: j.Category,
		Title: j.TitleTemplate, Body: j.BodyTemplate, Variables: j.Variables, ScheduledAt: timestamppb.New(j.ScheduledAt),
		Status: jobStatuses.Value(j.Status), Progress: progressToProto(p), CreatedAt: timestamppb.New(j.CreatedAt),
		UpdatedAt: timestamppb.New(j.UpdatedAt)}
	for _, c := range j.Channels {
		out.Channels = append(out.Channels, channels.Value(c))
	}
	if j.Status != jobDraft {
		out.WorkflowId = workflows.NotificationJobWorkflowID(j.ID.String())
	}
	if j.CompletedAt != nil {
		out.CompletedAt = timestamppb.New(*j.CompletedAt)
	}
	return out
}

func progressToProto(p db.JobProgress) *notificationsv1.JobProgress {
	return &notificationsv1.JobProgress{Resolved: p.Resolved, Pending: p.Pending, Sent: p.Sent, Failed: p.Failed,
		Skipped: p.Skipped, Cancelled: p.Cancelled}
}

func criteriaToProto(c db.Criteria) *notificationsv1.Criteria {
	out := &notificationsv1.Criteria{}
	for _, a := range c.Include {
		out.Include = append(out.Include, audienceToProto(a))
	}
	for _, a := range c.Exclude {
		out.Exclude = append(out.Exclude, audienceToProto(a))
	}
	return out
}

func audienceToProto(a db.Audience) *notificationsv1.Audience {
	out := &notificationsv1.Audience{OrganizationId: rpc.IDString(a.OrganizationID), Roles: a.Roles,
		EventId: rpc.IDString(a.EventID), Statuses: a.Statuses, InterestSlug: a.InterestSlug, Kind: audienceKinds.Value(a.Kind)}
	for _, id := range a.UserIDs {
		out.UserIds = append(out.UserIds, id.String())
	}
	return out
}
