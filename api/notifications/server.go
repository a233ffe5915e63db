// Package notifications serves convene.notifications.v1: the caller's inbox
// and its live watch (inbox.go), channel preferences, quiet hours and push
// devices (preferences.go), each organization's closed list of categories
// (categories.go), and notification jobs (jobs.go) whose audiences
// audience.go checks and whose SMS and email quota.go counts.
package notifications

import (
	"database/sql"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/inboxwatch"
	"github.com/convene/convene/jobs/workflowstart"
	"github.com/convene/convene/proto/convene/notifications/v1/notificationsv1connect"
)

// Deps is what the notification handlers use. Every field is required.
type Deps struct {
	DB *db.DB
	// Temporal starts and cancels notification job workflows.
	Temporal client.Client
	// River inserts, in the transaction of the rows, the job that starts
	// their workflow if the direct start after commit does not happen.
	River *river.Client[*sql.Tx]
	// TaskQueue is where those workflows run.
	TaskQueue string
	// Now is the clock.
	Now func() time.Time
	Log *slog.Logger
	// Watch fans new inbox rows out to WatchNotifications streams.
	Watch *inboxwatch.Hub
	// DailySendQuota caps the SMS and email messages (recipients ×
	// channels) each organization's jobs may send per UTC day.
	DailySendQuota int
}

// notificationServer implements convene.notifications.v1.NotificationService.
// The inbox, preferences and devices calls only ever touch the caller's own
// rows, so they need no authorization beyond authentication; notification
// jobs (jobs.go) are authorized by organization role or platform staff.
type notificationServer struct {
	Deps
	// starts makes the job workflow's direct start after commit.
	starts *workflowstart.Starter
}

var _ notificationsv1connect.NotificationServiceHandler = (*notificationServer)(nil)

// NewNotificationServer returns the NotificationService handler.
func NewNotificationServer(d Deps) notificationsv1connect.NotificationServiceHandler {
	return &notificationServer{Deps: d, starts: workflowstart.NewStarter(d.Temporal, d.TaskQueue, d.River, d.Log)}
}

// Domain lists the notification service for the server to mount.
func Domain(d Deps) rpc.Domain {
	return rpc.Domain{Services: []rpc.Service{
		rpc.NewService(notificationsv1connect.NotificationServiceName, NewNotificationServer(d),
			notificationsv1connect.NewNotificationServiceHandler),
	}}
}

// defaultPageSize is the page size of lists when the request has none.
const defaultPageSize = 50
