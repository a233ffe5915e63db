// Package conferences serves convene.conferences.v1, issue 13:
// conferences and their attendees (ConferenceService), the agenda and its
// public, login-free view (AgendaService), speakers (SpeakerService),
// verified quests (QuestService), connections between attendees
// (ConnectionService) and the enrichment of social profiles
// (EnrichmentService).
//
// Writes are the organization's owners' and admins'; another
// organization's drafts are NotFound and its writes PermissionDenied.
// Double-booking is refused by the database (exclusion constraints), and
// each quest run is a durable workflow (workflows/quest_run.go).
package conferences

import (
	"database/sql"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/secretbox"
)

// Deps is what the conferences handlers use. Every field is required.
type Deps struct {
	DB *db.DB
	// Temporal runs the quest-run workflows.
	Temporal client.Client
	// River inserts, in the transaction of the rows, the jobs that follow
	// them (notices, enrichment).
	River *river.Client[*sql.Tx]
	// TaskQueue is where the quest-run workflows run.
	TaskQueue string
	// Now is the clock.
	Now func() time.Time
	Log *slog.Logger
	// PublicURL is the API's public base URL: tracked quest links and the
	// agenda's iCal address are made from it.
	PublicURL string
	// Secrets seals the api_check tasks' HMAC secrets (the task ID is the
	// associated data).
	Secrets *secretbox.Box
	// LinkKey signs the tracked links of url_visit tasks (TrackedLink).
	LinkKey []byte
	// ConnectionDailyLimit is how many connection requests a member may
	// send per UTC day.
	ConnectionDailyLimit int
}

// Domain lists the conferences services for the server to mount, one
// line per service (each built in its topic's file).
func Domain(d Deps) rpc.Domain {
	return rpc.Domain{
		Services: []rpc.Service{
			conferenceService(d),
			agendaService(d),
			speakerService(d),
			connectionService(d),
			enrichmentService(d),
			questService(d),
		},
		Routes: []rpc.Route{agendaICalRoute(d), questLinkRoute(d)},
	}
}
