// Package admission decides a join request in one Postgres transaction:
// the request row with its stored price quote; the seats (a signed ticket
// for a free event, a hold with its absolute expiry for a paid one), a
// place on the waitlist, or the wait for the host's decision; the caller's
// committed intent (the River job that starts the order's workflow); and
// one update of the event row, last, so the row is locked only for the
// commit. The API admits with it (RequestToJoin, RespondToInvite); the
// order's activities issue tickets with it. A ticket issued at admission is
// announced by the order's workflow right behind it (NotifyConfirmed), so
// the rush's transactions carry no notices.
package admission

import (
	"context"
	"errors"
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

// Business outcomes an admission refuses with.
var (
	// ErrOpenRequest: the buyer already has an open request for the event.
	ErrOpenRequest = errors.New("you already have an open request for this event")
	// ErrNotPublished: the event stopped taking requests.
	ErrNotPublished = errors.New("the event no longer takes requests")
	// ErrContended: the event changed under every attempt; try again.
	ErrContended = errors.New("the event is changing too fast to admit the request; try again")
)

// maxAttempts bounds the retries when the event row no longer allows the
// outcome read from it: around a sell-out a few requests find the last
// seats gone, and then the waitlist is a sure prediction.
const maxAttempts = 5

// Desk admits requests and issues tickets.
type Desk struct {
	DB      *db.DB
	Keys    *tickets.Keys
	Notices *jobs.Notices
	Now     func() time.Time
	// AuditSource is the audit log's request ID for what the desk writes
	// ("api", "workflow").
	AuditSource string
}

// Request is a join request to admit.
type Request struct {
	ID, UserID uuid.UUID
	Event      *db.Event
	Seats      int32
	Message    string
	// InviteID is the invite used; it skips the host's decision.
	InviteID *uuid.UUID
}

// Intent writes, in the admission's transaction, what must commit with it:
// the use of an invite (which it records in r.InviteID), the River job that
// starts the order's workflow. It runs first, before the decision.
type Intent func(ctx context.Context, tx bun.Tx, r *Request) error

// Admit decides in and commits the decision with intent. It returns the
// stored request. An event that changed between the read and the commit
// is read again and the decision retaken, up to maxAttempts.
func (d *Desk) Admit(ctx context.Context, in Request, intent Intent) (*db.Request, error) {
	ev := in.Event
	for attempt := 1; ; attempt++ {
		r, err := d.admitOnce(ctx, in, ev, intent)
		if !errors.Is(err, errEventMoved) {
			return r, err
		}
		if attempt == maxAttempts {
			return nil, ErrContended
		}
		if ev, err = db.EventByID(ctx, d.DB, ev.ID); err != nil {
			return nil, fmt.Errorf("read event %s again: %w", in.Event.ID, err)
		}
		if ev.Status != db.EventPublished {
			return nil, ErrNotPublished
		}
	}
}

// errEventMoved rolls back an attempt whose outcome the event row no
// longer allows.
var errEventMoved = errors.New("event changed since it was read")

func (d *Desk) admitOnce(ctx context.Context, in Request, ev *db.Event, intent Intent) (*db.Request, error) {
	var r *db.Request
	err := d.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := intent(ctx, tx, &in); err != nil {
			return err
		}
		outcome := db.PredictAdmission(ev, in.Seats, in.InviteID != nil)
		var going int32
		var err error
		r, going, err = d.write(ctx, tx, in, ev, outcome)
		if err != nil {
			return err
		}
		ok, err := db.CommitAdmission(ctx, tx, db.EventAdmission{EventID: ev.ID, Outcome: outcome, Seats: in.Seats,
			Going: going, SkipApproval: in.InviteID != nil, Buckets: ev.SeatBuckets, RequestID: in.ID})
		if err != nil {
			return err
		}
		if !ok {
			return errEventMoved
		}
		return nil
	})
	if db.IsUniqueViolation(err, "event_requests_one_open_idx") {
		return nil, ErrOpenRequest
	}
	return r, err
}

// write stores the request as outcome leaves it, with its hold and, for a
// free event, its ticket. It returns the seats confirmed at once.
func (d *Desk) write(ctx context.Context, tx bun.Tx, in Request, ev *db.Event, outcome db.AdmissionOutcome) (*db.Request, int32, error) {
	quote, err := Quote(ev, in.Seats)
	if err != nil {
		return nil, 0, err
	}
	now := d.Now()
	r := &db.Request{ID: in.ID, EventID: ev.ID, RequesterUserID: in.UserID, Seats: in.Seats, Message: in.Message,
		ViaInviteID: in.InviteID, Quote: &quote, QuotedAt: &now, Timestamps: db.Timestamps{CreatedAt: now, UpdatedAt: now}}
	switch outcome {
	case db.AdmitPending:
		r.Status = enums.RequestPending
		return r, 0, db.InsertRequest(ctx, tx, r)
	case db.AdmitWaitlisted:
		r.Status, r.WaitlistedAt = enums.RequestWaitlisted, &now
		return r, 0, db.InsertRequest(ctx, tx, r)
	}
	until := now.Add(time.Duration(ev.HoldMinutes) * time.Minute)
	res := &db.Reservation{ID: db.NewID(), EventID: ev.ID, UserID: in.UserID, RequestID: in.ID, Seats: in.Seats, ExpiresAt: until}
	res.ReservationKey = "hold:" + res.ID.String()
	if quote.Total > 0 {
		r.Status, r.HoldExpiresAt = enums.RequestAwaitingPayment, &until
		if err := db.InsertRequest(ctx, tx, r); err != nil {
			return nil, 0, err
		}
		return r, 0, db.InsertReservation(ctx, tx, res)
	}
	r.Status, res.Consumed = enums.RequestAccepted, true
	if err := db.InsertRequest(ctx, tx, r); err != nil {
		return nil, 0, err
	}
	if err := db.InsertReservation(ctx, tx, res); err != nil {
		return nil, 0, err
	}
	_, err = d.IssueTicket(ctx, tx, ev, r, res.ID, quote)
	return r, in.Seats, err
}

// Quote prices seats of an event as it is priced now; a free event quotes
// zero.
func Quote(ev *db.Event, seats int32) (money.Breakdown, error) {
	if !ev.IsPaid {
		return money.Breakdown{Seats: seats, Currency: ev.Currency}, nil
	}
	b, err := money.Quote(ev.Pricing(), seats)
	if err != nil {
		return money.Breakdown{}, fmt.Errorf("price event %s: %w", ev.ID, err)
	}
	return b, nil
}
