package activities

// Admission: registering a join request, holding seats or queueing on the
// waitlist, offering freed seats first come first served, and closing a
// request that holds no ticket.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
)

// RegisterInput describes a new join request.
type RegisterInput struct {
	RequestID, EventID, UserID string
	Seats                      int32
	Message                    string
	InviteID                   string
}

// Registration is the stored request and its event.
type Registration struct {
	Status string
	Event  EventSnapshot
}

// RegisterRequest writes the request row once and returns its event.
func (a *Events) RegisterRequest(ctx context.Context, in RegisterInput) (Registration, error) {
	var reg Registration
	err := a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ev, err := db.EventByID(ctx, tx, uuid.MustParse(in.EventID))
		if err != nil {
			return err
		}
		quote, err := quoteFor(ev, in.Seats)
		if err != nil {
			return err
		}
		now := a.Now()
		r := &db.Request{ID: uuid.MustParse(in.RequestID), EventID: ev.ID, RequesterUserID: uuid.MustParse(in.UserID),
			Seats: in.Seats, Message: in.Message, Status: enums.RequestPending, ViaInviteID: db.OptionalID(in.InviteID),
			Quote: &quote, QuotedAt: &now}
		if _, err := db.InsertRequestIfAbsent(ctx, tx, r); err != nil {
			if db.IsUniqueViolation(err, "event_requests_one_open_idx") {
				return temporal.NewNonRetryableApplicationError("you already have an open request for this event", ErrRequestRejected, nil)
			}
			return err
		}
		stored, err := db.RequestByID(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		reg = Registration{Status: stored.Status, Event: snapshot(ev)}
		if stored.Quote != nil {
			// Free or paid as quoted: a later switch affects only new requests.
			reg.Event.IsPaid = stored.Quote.Total > 0
		}
		return nil
	})
	return reg, err
}

// OrderSnapshot is a request as its admission (or a later step) left it,
// for its workflow to take over.
type OrderSnapshot struct {
	// Found is false when the request has no row yet.
	Found          bool
	Status         string
	ReservationID  string
	HoldExpiresAt  time.Time
	TicketID       string
	Event          EventSnapshot
	EventCancelled bool
}

// LoadOrder reads a request, its live hold or its ticket, and its event.
func (a *Events) LoadOrder(ctx context.Context, requestID string) (OrderSnapshot, error) {
	var out OrderSnapshot
	err := a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := db.RequestByID(ctx, tx, uuid.MustParse(requestID))
		if errors.Is(err, db.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		ev, err := db.EventByID(ctx, tx, r.EventID)
		if err != nil {
			return err
		}
		out = OrderSnapshot{Found: true, Status: r.Status, Event: snapshot(ev), EventCancelled: ev.Status == db.EventCancelled}
		if r.Quote != nil {
			out.Event.IsPaid = r.Quote.Total > 0
		}
		return loadHoldOrTicket(ctx, tx, r, &out)
	})
	return out, err
}

// loadHoldOrTicket adds a request's live hold or its ticket to out.
func loadHoldOrTicket(ctx context.Context, tx bun.Tx, r *db.Request, out *OrderSnapshot) error {
	switch r.Status {
	case enums.RequestAwaitingPayment, enums.RequestOffered:
		res, err := db.LiveReservation(ctx, tx, r.ID)
		if err != nil {
			return fmt.Errorf("hold of request %s: %w", r.ID, err)
		}
		out.ReservationID, out.HoldExpiresAt = res.ID.String(), res.ExpiresAt
	case enums.RequestAccepted:
		var err error
		out.TicketID, err = ticketOfRequest(ctx, tx, r.ID)
		return err
	}
	return nil
}

// ClaimInput asks for seats for a request.
type ClaimInput struct {
	RequestID   string
	HoldUntil   time.Time
	HostMessage string
	// Reopen claims for a request that was closed (a late payment): it
	// ignores the waitlist check and reopens the request if seats are free.
	Reopen bool
}

// ClaimResult is a hold, or a place on the waitlist.
type ClaimResult struct {
	Held             bool
	ReservationID    string
	ExpiresAt        time.Time
	WaitlistPosition int
}

// ClaimSeats holds seats if they are free and nobody waits; otherwise the
// request joins the waitlist (unless Reopen, when it simply reports no hold).
// Retrying finds the hold or waitlist place already made.
func (a *Events) ClaimSeats(ctx context.Context, in ClaimInput) (ClaimResult, error) {
	var out ClaimResult
	err := a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := db.RequestForUpdate(ctx, tx, uuid.MustParse(in.RequestID))
		if err != nil {
			return err
		}
		if live, err := db.LiveReservation(ctx, tx, r.ID); err == nil {
			out = ClaimResult{Held: true, ReservationID: live.ID.String(), ExpiresAt: live.ExpiresAt}
			return nil
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		if r.Status == enums.RequestAccepted {
			// A late attempt after the hold was already confirmed (a local
			// activity retried under load): report the consumed hold, which
			// ConfirmOrder answers with the ticket, and change nothing.
			att, err := db.AttendeeByRequest(ctx, tx, r.ID)
			if err != nil {
				return err
			}
			out = ClaimResult{Held: true, ReservationID: att.ReservationID.String()}
			return nil
		}
		if r.Status == enums.RequestWaitlisted && !in.Reopen {
			out.WaitlistPosition, err = db.WaitlistPosition(ctx, tx, r)
			return err
		}
		if in.HostMessage != "" {
			r.HostMessage = in.HostMessage
		}
		claim, err := db.TakeSeats(ctx, tx, db.SeatTake{EventID: r.EventID, RequestID: r.ID, Seats: r.Seats, IgnoreWaitlist: in.Reopen})
		if err != nil || (!claim.Held && in.Reopen) {
			return err
		}
		if !claim.Held {
			return a.waitlist(ctx, tx, r, &out)
		}
		res, err := a.hold(ctx, tx, r, claim, in.HoldUntil, nil, enums.RequestAwaitingPayment)
		out = ClaimResult{Held: true, ReservationID: res.ID.String(), ExpiresAt: res.ExpiresAt}
		return err
	})
	return out, err
}

func (a *Events) waitlist(ctx context.Context, tx bun.Tx, r *db.Request, out *ClaimResult) error {
	now := a.Now()
	r.Status, r.WaitlistedAt = enums.RequestWaitlisted, &now
	if err := db.SetRequestStatus(ctx, tx, r); err != nil {
		return err
	}
	if err := db.AdjustEventCounts(ctx, tx, r.EventID, 0, 0, 1); err != nil {
		return err
	}
	var err error
	out.WaitlistPosition, err = db.WaitlistPosition(ctx, tx, r)
	return err
}

// hold inserts a reservation for seats claim already took.
func (a *Events) hold(ctx context.Context, tx bun.Tx, r *db.Request, claim db.SeatClaim, until time.Time, offeredBy *uuid.UUID, status string) (*db.Reservation, error) {
	res := &db.Reservation{ID: db.NewID(), EventID: r.EventID, UserID: r.RequesterUserID, RequestID: r.ID,
		Seats: r.Seats, OfferedBy: offeredBy, ExpiresAt: until, Bucket: claim.Bucket}
	res.ReservationKey = "hold:" + res.ID.String()
	if err := db.InsertReservation(ctx, tx, res); err != nil {
		return nil, err
	}
	r.Status, r.HoldExpiresAt = status, &until
	return res, db.SetRequestStatus(ctx, tx, r)
}

// SeatOffer is a hold made for a waitlisted request when seats freed up.
type SeatOffer struct {
	RequestID     string
	ReservationID string
	ExpiresAt     time.Time
}

// ReleaseResult lists the waitlisted requests that got the freed seats.
type ReleaseResult struct {
	Offers      []SeatOffer
	RefundMinor int64
}

// releaseHold ends a live reservation and offers its seats to the head of
// the waitlist, strictly first come first served.
func (a *Events) releaseHold(ctx context.Context, tx bun.Tx, res *db.Reservation) ([]SeatOffer, error) {
	if err := db.EndReservation(ctx, tx, res.ID, false); err != nil {
		return nil, err
	}
	if err := db.ChangeSeats(ctx, tx, db.SeatChange{EventID: res.EventID, Bucket: res.Bucket, SeatsTaken: -res.Seats}); err != nil {
		return nil, err
	}
	return a.offerToWaitlist(ctx, tx, res.EventID, res.ID)
}

func (a *Events) offerToWaitlist(ctx context.Context, tx bun.Tx, eventID, releasedID uuid.UUID) ([]SeatOffer, error) {
	ev, err := db.EventForUpdate(ctx, tx, eventID)
	if err != nil || ev.Status != db.EventPublished {
		return nil, err
	}
	head, err := db.WaitlistHead(ctx, tx, eventID, 20)
	if err != nil {
		return nil, err
	}
	var offers []SeatOffer
	free := ev.Capacity - ev.SeatsTaken
	for i := range head {
		r := &head[i]
		if r.Seats > free {
			break // strict FIFO: the head waits for enough seats
		}
		claim, err := db.TakeSeats(ctx, tx, db.SeatTake{EventID: eventID, RequestID: r.ID, Seats: r.Seats, IgnoreWaitlist: true})
		if err != nil {
			return nil, err
		}
		if !claim.Held {
			break // seats scattered no further than the count says: wait for more
		}
		until := a.Now().Add(time.Duration(ev.HoldMinutes) * time.Minute)
		res, err := a.hold(ctx, tx, r, claim, until, &releasedID, enums.RequestOffered)
		if err != nil {
			return nil, err
		}
		if err := db.AdjustEventCounts(ctx, tx, eventID, 0, 0, -1); err != nil {
			return nil, err
		}
		free -= r.Seats
		offers = append(offers, SeatOffer{RequestID: r.ID.String(), ReservationID: res.ID.String(), ExpiresAt: until})
	}
	return offers, nil
}

// offersOf returns the offers already made from the seats of a request, so a
// retried release or cancellation signals them again rather than losing them
// (a repeated offer signal is harmless).
func (a *Events) offersOf(ctx context.Context, tx bun.Tx, requestID uuid.UUID) ([]SeatOffer, error) {
	held, err := db.OffersFromRequest(ctx, tx, requestID)
	if err != nil {
		return nil, err
	}
	offers := make([]SeatOffer, 0, len(held))
	for _, h := range held {
		offers = append(offers, SeatOffer{RequestID: h.RequestID.String(), ReservationID: h.ID.String(), ExpiresAt: h.ExpiresAt})
	}
	return offers, nil
}

// CloseInput ends an order that holds no ticket.
type CloseInput struct {
	RequestID string
	Status    string
	Reason    string
}

// CloseRequest records a final status, releases any hold (offering the
// seats on), takes the request off the waitlist and notifies the buyer.
func (a *Events) CloseRequest(ctx context.Context, in CloseInput) (ReleaseResult, error) {
	var out ReleaseResult
	err := a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := db.RequestForUpdate(ctx, tx, uuid.MustParse(in.RequestID))
		if err != nil {
			return err
		}
		if err := a.releaseAnyHold(ctx, tx, r, &out); err != nil {
			return err
		}
		if r.Status == in.Status {
			return nil // retried after commit
		}
		if r.Status == enums.RequestWaitlisted {
			if err := db.AdjustEventCounts(ctx, tx, r.EventID, 0, 0, -1); err != nil {
				return err
			}
		}
		now := a.Now()
		r.Status = in.Status
		if in.Status == enums.RequestDeclined {
			r.HostMessage, r.DecidedAt = in.Reason, &now
		}
		if err := db.SetRequestStatus(ctx, tx, r); err != nil {
			return err
		}
		return a.notifyBuyer(ctx, tx, r, "request-"+in.Status, requestTitle(in.Status), in.Reason)
	})
	return out, err
}

func (a *Events) releaseAnyHold(ctx context.Context, tx bun.Tx, r *db.Request, out *ReleaseResult) error {
	live, err := db.LiveReservation(ctx, tx, r.ID)
	if errors.Is(err, db.ErrNotFound) {
		out.Offers, err = a.offersOf(ctx, tx, r.ID)
		return err
	}
	if err != nil {
		return err
	}
	out.Offers, err = a.releaseHold(ctx, tx, live)
	return err
}

func requestTitle(status string) string {
	switch status {
	case enums.RequestDeclined:
		return "Your request was declined"
	case enums.RequestExpired:
		return "Your request expired"
	default:
		return "Your request was cancelled"
	}
}
