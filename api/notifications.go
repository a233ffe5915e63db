package api

import (
	"context"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
	"github.com/convene/convene/proto/convene/notifications/v1/notificationsv1connect"
	"github.com/convene/convene/workflows"
)

// notificationServer implements convene.notifications.v1.NotificationService.
// The inbox, preferences and devices calls only ever touch the caller's own
// rows, so they need no authorization beyond authentication; notification
// jobs (notifications_jobs.go) are authorized by organization role or
// platform staff.
type notificationServer struct{ Deps }

var _ notificationsv1connect.NotificationServiceHandler = (*notificationServer)(nil)

const (
	// watchPollInterval is how often WatchNotifications looks for new rows.
	// Polling the database, rather than an in-process signal, delivers rows
	// written by any API or worker process.
	watchPollInterval = 500 * time.Millisecond
	// watchBatch bounds the rows one poll sends; the rest follow next poll.
	watchBatch = 100
	// defaultPageSize is the page size of lists when the request has none.
	defaultPageSize = 50
)

// ListMyNotifications pages through the caller's inbox, newest first.
func (s *notificationServer) ListMyNotifications(ctx context.Context, req *connect.Request[notificationsv1.ListMyNotificationsRequest]) (*connect.Response[notificationsv1.ListMyNotificationsResponse], error) {
	msg := req.Msg
	page, err := rpc.TimePage("ListMyNotifications", msg.GetPageToken(), msg.GetPageSize(), defaultPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.InboxPage(ctx, s.DB, rpc.CallerID(ctx), msg.GetUnreadOnly(), page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	resp := &notificationsv1.ListMyNotificationsResponse{}
	rows, resp.NextPageToken = rpc.NextPage(page, rows, func(n *db.InboxNotification) (time.Time, uuid.UUID) { return n.CreatedAt, n.ID })
	for i := range rows {
		resp.Notifications = append(resp.Notifications, notificationToProto(&rows[i]))
	}
	return connect.NewResponse(resp), nil
}

// UnreadCount counts the caller's unread notifications.
func (s *notificationServer) UnreadCount(ctx context.Context, _ *connect.Request[notificationsv1.UnreadCountRequest]) (*connect.Response[notificationsv1.UnreadCountResponse], error) {
	n, err := db.CountUnread(ctx, s.DB, rpc.CallerID(ctx))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&notificationsv1.UnreadCountResponse{Count: n}), nil
}

// MarkRead marks some of the caller's notifications read. IDs of other
// users' notifications are ignored, not refused, so the answer does not
// tell whether they exist.
func (s *notificationServer) MarkRead(ctx context.Context, req *connect.Request[notificationsv1.MarkReadRequest]) (*connect.Response[notificationsv1.MarkReadResponse], error) {
	ids := make([]uuid.UUID, 0, len(req.Msg.GetNotificationIds()))
	for _, id := range req.Msg.GetNotificationIds() {
		ids = append(ids, uuid.MustParse(id))
	}
	n, err := db.MarkRead(ctx, s.DB, rpc.CallerID(ctx), ids)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&notificationsv1.MarkReadResponse{Updated: n}), nil
}

// MarkAllRead marks all of the caller's notifications read.
func (s *notificationServer) MarkAllRead(ctx context.Context, _ *connect.Request[notificationsv1.MarkAllReadRequest]) (*connect.Response[notificationsv1.MarkAllReadResponse], error) {
	n, err := db.MarkAllRead(ctx, s.DB, rpc.CallerID(ctx))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&notificationsv1.MarkAllReadResponse{Updated: n}), nil
}

// WatchNotifications sends each inbox row of the caller created after the
// call began, polling the database every watchPollInterval, until the
// client goes away. The cursor starts at the database's clock (which stamps
// created_at) and the response headers are flushed once it is taken, so a
// client that has the headers misses nothing created afterwards. A row
// whose transaction began before the call but committed after it is not
// sent: ListMyNotifications shows it.
func (s *notificationServer) WatchNotifications(ctx context.Context, _ *connect.Request[notificationsv1.WatchNotificationsRequest], stream *connect.ServerStream[notificationsv1.WatchNotificationsResponse]) error {
	userID := rpc.CallerID(ctx)
	after, err := db.DatabaseNow(ctx, s.DB)
	if err != nil {
		return endWatch(ctx, err)
	}
	afterID := uuid.Nil
	if err := stream.Send(nil); err != nil { // headers only: the watch has begun
		return endWatch(ctx, err)
	}
	tick := time.NewTicker(watchPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		rows, err := db.NotificationsAfter(ctx, s.DB, userID, after, afterID, watchBatch)
		if err != nil {
			return endWatch(ctx, err)
		}
		for i := range rows {
			if err := stream.Send(&notificationsv1.WatchNotificationsResponse{Notification: notificationToProto(&rows[i])}); err != nil {
				return endWatch(ctx, err)
			}
			after, afterID = rows[i].CreatedAt, rows[i].ID
		}
	}
}

// endWatch ends a watch: a client that went away is a normal end, not an
// error to log.
func endWatch(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// GetPreferences returns the caller's channel preferences and quiet hours.
func (s *notificationServer) GetPreferences(ctx context.Context, _ *connect.Request[notificationsv1.GetPreferencesRequest]) (*connect.Response[notificationsv1.GetPreferencesResponse], error) {
	prefs, err := loadPreferences(ctx, s.DB, rpc.CallerID(ctx))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&notificationsv1.GetPreferencesResponse{Preferences: prefs}), nil
}

// UpdatePreferences upserts the given entries and replaces or clears the
// quiet hours, in one transaction.
func (s *notificationServer) UpdatePreferences(ctx context.Context, req *connect.Request[notificationsv1.UpdatePreferencesRequest]) (*connect.Response[notificationsv1.UpdatePreferencesResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	if err := checkQuietHours(msg); err != nil {
		return nil, err
	}
	entries := make([]db.Preference, 0, len(msg.GetEntries()))
	for _, e := range msg.GetEntries() {
		entries = append(entries, db.Preference{UserID: userID, Category: e.GetCategory(), Channel: channelName(e.GetChannel()), Enabled: e.GetEnabled()})
	}
	var prefs *notificationsv1.Preferences
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.UpsertPreferences(ctx, tx, entries); err != nil {
			return err
		}
		if err := saveQuietHours(ctx, tx, userID, msg); err != nil {
			return err
		}
		if err := rpc.Audit(ctx, tx, &userID, nil, "notification_preferences", userID.String(), "update",
			map[string]any{"entries": len(entries), "quiet_hours_set": msg.QuietHours != nil, "quiet_hours_cleared": msg.GetClearQuietHours()}); err != nil {
			return err
		}
		var err error
		prefs, err = loadPreferences(ctx, tx, userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&notificationsv1.UpdatePreferencesResponse{Preferences: prefs}), nil
}

// checkQuietHours checks what protovalidate cannot: that the zone exists
// and the request does not both set and clear the quiet hours.
func checkQuietHours(msg *notificationsv1.UpdatePreferencesRequest) error {
	q := msg.GetQuietHours()
	if q == nil {
		return nil
	}
	if msg.GetClearQuietHours() {
		return rpc.InvalidField("clear_quiet_hours", "cannot be true while quiet_hours is set; send one of them")
	}
	// "Local" loads, but names the server's zone, not the user's.
	if _, err := time.LoadLocation(q.GetTimezone()); err != nil || q.GetTimezone() == "Local" {
		return rpc.InvalidField("quiet_hours.timezone", fmt.Sprintf("unknown time zone %q; use an IANA name such as Asia/Kolkata", q.GetTimezone()))
	}
	if q.GetStart() == q.GetEnd() {
		return rpc.InvalidField("quiet_hours.end", "must differ from start")
	}
	return nil
}

func saveQuietHours(ctx context.Context, tx bun.Tx, userID uuid.UUID, msg *notificationsv1.UpdatePreferencesRequest) error {
	if msg.QuietHours == nil && !msg.GetClearQuietHours() {
		return nil
	}
	settings, err := db.SettingsOf(ctx, tx, userID)
	if err != nil {
		return err
	}
	settings.QuietStart, settings.QuietEnd = nil, nil
	if q := msg.GetQuietHours(); q != nil {
		start, end := q.GetStart(), q.GetEnd()
		settings.QuietStart, settings.QuietEnd, settings.Timezone = &start, &end, q.GetTimezone()
	}
	return db.SaveSettings(ctx, tx, settings)
}

func loadPreferences(ctx context.Context, idb bun.IDB, userID uuid.UUID) (*notificationsv1.Preferences, error) {
	rows, err := db.PreferencesOf(ctx, idb, userID)
	if err != nil {
		return nil, err
	}
	settings, err := db.SettingsOf(ctx, idb, userID)
	if err != nil {
		return nil, err
	}
	return preferencesToProto(rows, settings), nil
}

// RegisterDevice registers (or moves to the caller and re-enables) a push
// token; registering the same token again returns the same device.
func (s *notificationServer) RegisterDevice(ctx context.Context, req *connect.Request[notificationsv1.RegisterDeviceRequest]) (*connect.Response[notificationsv1.RegisterDeviceResponse], error) {
	userID, platform := rpc.CallerID(ctx), devicePlatformName(req.Msg.GetPlatform())
	if platform == "" {
		return nil, rpc.InvalidField("platform", "unknown platform")
	}
	var id uuid.UUID
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		id, err = db.RegisterDevice(ctx, tx, &db.PushDevice{ID: db.NewID(), UserID: userID, Token: req.Msg.GetToken(),
			Platform: platform, LastSeenAt: s.Now()})
		if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, nil, "push_device", id.String(), "register", map[string]any{"platform": platform})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&notificationsv1.RegisterDeviceResponse{DeviceId: id.String()}), nil
}

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
		out.Entries = append(out.Entries, &notificationsv1.PreferenceEntry{Category: p.Category, Channel: channelProto(p.Channel), Enabled: p.Enabled})
	}
	if settings.QuietStart != nil && settings.QuietEnd != nil {
		out.QuietHours = &notificationsv1.QuietHours{Start: *settings.QuietStart, End: *settings.QuietEnd, Timezone: settings.Timezone}
	}
	return out
}

// channelNames maps the proto channels to notification_*.channel values.
// It is read-only.
var channelNames = map[notificationsv1.Channel]string{
	notificationsv1.Channel_CHANNEL_IN_APP:   db.ChannelInApp,
	notificationsv1.Channel_CHANNEL_PUSH:     db.ChannelPush,
	notificationsv1.Channel_CHANNEL_EMAIL:    db.ChannelEmail,
	notificationsv1.Channel_CHANNEL_SMS:      db.ChannelSMS,
	notificationsv1.Channel_CHANNEL_TELEGRAM: db.ChannelTelegram,
}

func channelName(c notificationsv1.Channel) string { return channelNames[c] }

func channelProto(name string) notificationsv1.Channel {
	for c, n := range channelNames {
		if n == name {
			return c
		}
	}
	return notificationsv1.Channel_CHANNEL_UNSPECIFIED
}

func devicePlatformName(p notificationsv1.DevicePlatform) string {
	switch p {
	case notificationsv1.DevicePlatform_DEVICE_PLATFORM_IOS:
		return "ios"
	case notificationsv1.DevicePlatform_DEVICE_PLATFORM_ANDROID:
		return "android"
	case notificationsv1.DevicePlatform_DEVICE_PLATFORM_WEB:
		return "web"
	}
	return ""
}

// audienceKindNames maps the proto audience kinds to db.Audience kinds. It
// is read-only.
var audienceKindNames = map[notificationsv1.AudienceKind]string{
	notificationsv1.AudienceKind_AUDIENCE_KIND_ALL_USERS:            db.AudienceAllUsers,
	notificationsv1.AudienceKind_AUDIENCE_KIND_ORGANIZATION_MEMBERS: db.AudienceOrganizationMembers,
	notificationsv1.AudienceKind_AUDIENCE_KIND_EVENT_ATTENDEES:      db.AudienceEventAttendees,
	notificationsv1.AudienceKind_AUDIENCE_KIND_EVENT_REQUESTERS:     db.AudienceEventRequesters,
	notificationsv1.AudienceKind_AUDIENCE_KIND_INTEREST:             db.AudienceInterest,
	notificationsv1.AudienceKind_AUDIENCE_KIND_USER_LIST:            db.AudienceUserList,
}

func jobToProto(j *db.NotificationJob, p db.JobProgress) *notificationsv1.NotificationJob {
	out := &notificationsv1.NotificationJob{Id: j.ID.String(), OrganizationId: rpc.IDString(j.OrganizationID),
		CreatedBy: j.CreatedBy.String(), Criteria: criteriaToProto(j.Criteria), Category: j.Category,
		Title: j.TitleTemplate, Body: j.BodyTemplate, Variables: j.Variables, ScheduledAt: timestamppb.New(j.ScheduledAt),
		Status: jobStatusProto(j.Status), Progress: progressToProto(p), CreatedAt: timestamppb.New(j.CreatedAt),
		UpdatedAt: timestamppb.New(j.UpdatedAt)}
	for _, c := range j.Channels {
		out.Channels = append(out.Channels, channelProto(c))
	}
	if j.Status != "draft" {
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

func jobStatusProto(status string) notificationsv1.JobStatus {
	return notificationsv1.JobStatus(notificationsv1.JobStatus_value["JOB_STATUS_"+strings.ToUpper(status)])
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
		EventId: rpc.IDString(a.EventID), Statuses: a.Statuses, InterestSlug: a.InterestSlug}
	for kind, name := range audienceKindNames {
		if name == a.Kind {
			out.Kind = kind
		}
	}
	for _, id := range a.UserIDs {
		out.UserIds = append(out.UserIds, id.String())
	}
	return out
}

func channelNamesOf(channels []notificationsv1.Channel) []string {
	out := make([]string, 0, len(channels))
	for _, c := range channels {
		out = append(out, channelName(c))
	}
	return out
}
