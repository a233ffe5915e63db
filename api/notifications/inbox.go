package notifications

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/inboxwatch"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
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
// call began, until the client goes away, its access token expires, its
// session ends, or the user opens a sixth watch (the oldest closes). Rows
// come from the process's one poller (internal/inboxwatch), so an idle
// watch costs no query of its own. The response headers are flushed once
// the watch is registered, so a client that has them misses nothing
// created afterwards. A row whose transaction began before the call but
// committed after the poller passed it is not sent: ListMyNotifications
// shows it.
func (s *notificationServer) WatchNotifications(ctx context.Context, _ *connect.Request[notificationsv1.WatchNotificationsRequest], stream *connect.ServerStream[notificationsv1.WatchNotificationsResponse]) error {
	session := rpc.SessionOf(ctx)
	sub, err := s.Watch.Subscribe(ctx, db.SessionKey{UserID: session.UserID, SessionID: session.SessionID}, session.ExpiresAt)
	if err != nil {
		return endWatch(ctx, err)
	}
	defer sub.Close()
	if err := stream.Send(nil); err != nil { // headers only: the watch has begun
		return endWatch(ctx, err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sub.Done():
			return watchEndedError(sub.Err())
		case row := <-sub.Notifications():
			if err := stream.Send(&notificationsv1.WatchNotificationsResponse{Notification: notificationToProto(&row)}); err != nil {
				return endWatch(ctx, err)
			}
		}
	}
}

// watchEndedError tells the client why the server ended its watch.
func watchEndedError(why error) error {
	switch {
	case errors.Is(why, inboxwatch.ErrTokenExpired), errors.Is(why, inboxwatch.ErrSessionEnded):
		return connect.NewError(connect.CodeUnauthenticated, why)
	case errors.Is(why, inboxwatch.ErrReplaced), errors.Is(why, inboxwatch.ErrTooSlow):
		return connect.NewError(connect.CodeResourceExhausted, why)
	default:
		return connect.NewError(connect.CodeUnavailable, errors.New("the watch ended; watch again"))
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
