// Package events serves convene.events.v1: events and venues
// (EventService: events.go, events_read.go, event_input.go, slug.go,
// venues.go, and RSVPs in rsvps.go) and ticket orders (TicketingService: ticketing.go, views.go,
// invites.go, checkin.go), plus the payment provider's webhook
// (webhook.go) and, with the sandbox provider, its checkout pages.
package events

import (
	"database/sql"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/admission"
	"github.com/convene/convene/internal/providers/payment"
	"github.com/convene/convene/internal/tickets"
	"github.com/convene/convene/jobs"
	"github.com/convene/convene/jobs/workflowstart"
	"github.com/convene/convene/proto/convene/events/v1/eventsv1connect"
)

// Deps is what the events handlers use. Every field but Sandbox is required.
type Deps struct {
	DB *db.DB
	// Temporal runs ticket orders and event cancellations.
	Temporal client.Client
	// River inserts, in the transaction of the rows, the job that starts
	// their workflow if the direct start after commit does not happen.
	River *river.Client[*sql.Tx]
	// TaskQueue is where those workflows run.
	TaskQueue string
	// Now is the clock.
	Now func() time.Time
	Log *slog.Logger
	// Payments is the payment provider whose webhook the API receives;
	// Sandbox is also set when that is the sandbox, whose checkout pages
	// the API serves.
	Payments payment.Provider
	Sandbox  *payment.Sandbox
	// Tickets derives the per-event keys that sign ticket codes.
	Tickets *tickets.Keys
	// PublicURL is the API's base URL as clients reach it (invite links).
	PublicURL string
}

// eventServer implements convene.events.v1.EventService. Every change goes
// through hostedEventForUpdate, the one authorization check: only an
// event's host changes it. Reads show drafts and private events to their
// host only (eventVisible), so nobody else learns they exist. RSVP going
// is a join request: rsvps.go admits it through tickets.
type eventServer struct {
	Deps
	tickets *ticketingServer
	// starts makes the cancellation workflow's direct start after commit.
	starts *workflowstart.Starter
}

// ticketingServer implements convene.events.v1.TicketingService. Orders are
// ticket-order workflows: the handlers admit a request in one transaction
// and start its workflow after commit (admission.go), send the workflows
// the host's and buyer's updates, and read their rows for everything else.
type ticketingServer struct {
	Deps
	// desk admits requests in one transaction each; starts makes the
	// order starts after commit off the request path.
	desk   *admission.Desk
	starts *workflowstart.BackgroundStarter
}

var (
	_ eventsv1connect.EventServiceHandler     = (*eventServer)(nil)
	_ eventsv1connect.TicketingServiceHandler = (*ticketingServer)(nil)
)

// Page sizes of lists whose request has none.
const (
	defaultEventPageSize     = 20
	defaultVenuePageSize     = 50
	defaultTicketingPageSize = 50
)

// NewEventServer returns the EventService handler.
func NewEventServer(d Deps) eventsv1connect.EventServiceHandler {
	return newEventServer(d, newTicketingServer(d))
}

func newEventServer(d Deps, tickets *ticketingServer) *eventServer {
	return &eventServer{Deps: d, tickets: tickets, starts: tickets.starts.Starter}
}

// NewTicketingServer returns the TicketingService handler.
func NewTicketingServer(d Deps) eventsv1connect.TicketingServiceHandler { return newTicketingServer(d) }

func newTicketingServer(d Deps) *ticketingServer {
	return &ticketingServer{Deps: d,
		desk:   &admission.Desk{DB: d.DB, Keys: d.Tickets, Notices: &jobs.Notices{River: d.River}, Now: d.Now, AuditSource: "api"},
		starts: workflowstart.NewStarter(d.Temporal, d.TaskQueue, d.River, d.Log).Background(parallelOrderStarts)}
}

// Domain lists the events services and routes for the server to mount:
// the payment webhook at POST /webhooks/payments/{provider} and, with the
// sandbox provider, its checkout pages under /sandbox/checkout/.
func Domain(d Deps) rpc.Domain {
	tickets := newTicketingServer(d) // one order-start pool for RequestToJoin and RSVP going
	dom := rpc.Domain{
		Services: []rpc.Service{
			rpc.NewService(eventsv1connect.EventServiceName, eventsv1connect.EventServiceHandler(newEventServer(d, tickets)), eventsv1connect.NewEventServiceHandler),
			rpc.NewService(eventsv1connect.TicketingServiceName, eventsv1connect.TicketingServiceHandler(tickets), eventsv1connect.NewTicketingServiceHandler),
		},
		Routes: []rpc.Route{{Pattern: "POST /webhooks/payments/{provider}", Handler: &paymentWebhook{d}}},
	}
	if d.Sandbox != nil {
		dom.Routes = append(dom.Routes, rpc.Route{Pattern: "/sandbox/checkout/", Handler: d.Sandbox.Handler()})
	}
	return dom
}
