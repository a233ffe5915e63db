// Package social serves convene.social.v1, issue 14: groups inside events
// (GroupService) with a live chat (ChatService), ratings between
// co-attendees (RatingService), bans and reports (ModerationService) and
// safety alerts escalated by a durable workflow (SafetyService).
//
// The rules of who may do what are in access.go; every write is audited
// in its own transaction and bad input changes nothing.
package social

import (
	"database/sql"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
)

// Deps is what the social handlers use. Every field is required.
type Deps struct {
	DB *db.DB
	// Temporal runs the safety-alert workflows.
	Temporal client.Client
	// River inserts, in the transaction of the rows, the jobs that follow
	// them (notices, chat pushes).
	River *river.Client[*sql.Tx]
	// TaskQueue is where the safety-alert workflows run.
	TaskQueue string
	// Now is the clock.
	Now func() time.Time
	Log *slog.Logger
	// Safety is how long an alert waits for an acknowledgement before it
	// goes to the event's host, then to platform staff.
	Safety SafetyEscalation
}

// SafetyEscalation configures the safety-alert workflows the API starts.
type SafetyEscalation struct {
	// HostAfter: no acknowledgement this long after the alert → the host.
	HostAfter time.Duration
	// StaffAfter: still none this long after the alert → platform staff,
	// again every StaffRepeat until someone acknowledges.
	StaffAfter  time.Duration
	StaffRepeat time.Duration
}

// Domain lists the social services for the server to mount, one line per
// service (each built in its topic's file).
func Domain(d Deps) rpc.Domain {
	return rpc.Domain{
		Services: []rpc.Service{
			safetyService(d),
			groupsService(d),
			ratingsService(d),
			moderationService(d),
			newChatService(d),
		},
	}
}
