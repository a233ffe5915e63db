package admission

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/money"
	"github.com/convene/convene/internal/tickets"
	"github.com/convene/convene/jobs"
)

// Ticket is what issuing a ticket created.
type Ticket struct {
	AttendeeID, TicketID string
}

// IssueTicket creates the attendee and the signed ticket of a request
// whose seats reservationID holds, paid for at quote, and audits it. The
// caller has consumed the hold, counted the seats as going and accepts the
// request, and tells buyer and host (NotifyConfirmed).
func (d *Desk) IssueTicket(ctx context.Context, tx bun.Tx, ev *db.Event, r *db.Request, reservationID uuid.UUID, quote money.Breakdown) (Ticket, error) {
	att := &db.Attendee{ID: db.NewID(), EventID: ev.ID, UserID: r.RequesterUserID, RequestID: r.ID, ReservationID: reservationID,
		TicketType: "standard", Seats: r.Seats, IsPaid: quote.Total > 0, PricePaidMinor: quote.Total, TaxMinor: quote.GST,
		PlatformFeeMinor: quote.PlatformFee, Currency: quote.Currency, Status: enums.AttendeeGoing}
	if err := db.InsertAttendee(ctx, tx, att); err != nil {
		return Ticket{}, err
	}
	ticketID, err := d.signTicket(ctx, tx, att)
	if err != nil {
		return Ticket{}, err
	}
	err = d.Audit(ctx, tx, ev, r, "event_request", "accepted", map[string]any{"ticket_id": ticketID, "seats": r.Seats, "paid_minor": quote.Total})
	if err != nil {
		return Ticket{}, err
	}
	return Ticket{AttendeeID: att.ID.String(), TicketID: ticketID}, nil
}

// signTicket signs the ticket code and stores its hash. Ed25519 signatures
// are deterministic, so GetTicket re-derives the same code from the row.
func (d *Desk) signTicket(ctx context.Context, tx bun.Tx, att *db.Attendee) (string, error) {
	t := &db.Ticket{ID: db.NewID(), AttendeeID: att.ID, EventID: att.EventID, UserID: att.UserID, Seats: att.Seats,
		IssuedAt: d.Now().UTC().Truncate(time.Second)}
	code, err := d.Keys.Sign(t.Claims())
	if err != nil {
		return "", fmt.Errorf("sign ticket of request %s: %w", att.RequestID, err)
	}
	t.CodeHash = tickets.HashCode(code)
	if err := db.InsertTicket(ctx, tx, t); err != nil {
		return "", err
	}
	return t.ID.String(), nil
}

// Audit records a step of an order in the audit log, in the step's
// transaction and attributed to the buyer.
func (d *Desk) Audit(ctx context.Context, tx bun.Tx, ev *db.Event, r *db.Request, objectType, action string, payload map[string]any) error {
	payload["event_id"] = r.EventID.String()
	payload["request_id"] = r.ID.String()
	return db.WriteAudit(ctx, tx, &db.AuditLog{ActorUserID: &r.RequesterUserID, OrganizationID: ev.OrganizationID,
		ObjectType: objectType, ObjectID: r.ID.String(), Action: action, Payload: payload, RequestID: d.AuditSource})
}

// NotifyConfirmed tells the buyer their ticket is issued (ticketing) and
// the host a new attendee joined (event_updates, which a host may mute),
// once per request: the notices are keyed by it.
func (d *Desk) NotifyConfirmed(ctx context.Context, tx bun.Tx, ev *db.Event, r *db.Request, ticketID string) error {
	seats := fmt.Sprintf("%d seat(s) confirmed", r.Seats)
	err := d.Notices.Send(ctx, tx, jobs.Notice{Key: "ticket-issued/" + r.ID.String(), To: r.RequesterUserID, Category: db.CategoryTicketing,
		OrganizationID: ev.OrganizationID, Title: "You're going to " + ev.Title, Body: seats, ReferenceType: "ticket", ReferenceID: ticketID})
	if err != nil {
		return err
	}
	return d.Notices.Send(ctx, tx, jobs.Notice{Key: "new-attendee/" + r.ID.String(), To: ev.HostUserID, From: &r.RequesterUserID,
		Category: db.CategoryEventUpdates, OrganizationID: ev.OrganizationID, Title: "New attendee for " + ev.Title, Body: seats,
		ReferenceType: "event_request", ReferenceID: r.ID.String()})
}
