package activities

// Tickets: confirming a held order into an attendee and a signed ticket,
// and cancelling attendance with the refund it is due.

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
)

// ConfirmInput confirms a held order.
type ConfirmInput struct {
	RequestID     string
	ReservationID string
}

// Confirmation is the ticket an order produced.
type Confirmation struct {
	AttendeeID string
	TicketID   string
}

// ConfirmOrder consumes the hold and, in the same transaction, creates the
// attendee and ticket, bumps going_count, accepts the request, audits and
// notifies buyer and host. A retry returns the ticket already issued.
func (a *Events) ConfirmOrder(ctx context.Context, in ConfirmInput) (Confirmation, error) {
	var out Confirmation
	err := a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		requestID := uuid.MustParse(in.RequestID)
		if att, err := db.AttendeeByRequest(ctx, tx, requestID); err == nil {
			ticketID, err := db.TicketIDOfAttendee(ctx, tx, att.ID)
			if err != nil {
				return err
			}
			out = Confirmation{AttendeeID: att.ID.String(), TicketID: ticketID.String()}
			return nil
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		res, err := db.ReservationForUpdate(ctx, tx, uuid.MustParse(in.ReservationID))
		if err != nil {
			return err
		}
		if res.Released || res.Consumed {
			return temporal.NewNonRetryableApplicationError("the seat hold was released before confirmation", ErrHoldGone, nil)
		}
		out, err = a.issue(ctx, tx, res)
		return err
	})
	return out, err
}

func (a *Events) issue(ctx context.Context, tx bun.Tx, res *db.Reservation) (Confirmation, error) {
	r, err := db.RequestForUpdate(ctx, tx, res.RequestID)
	if err != nil {
		return Confirmation{}, err
	}
	ev, err := db.EventByID(ctx, tx, res.EventID)
	if err != nil {
		return Confirmation{}, err
	}
	quote, err := orderQuote(r, ev)
	if err != nil {
		return Confirmation{}, err
	}
	if err := db.EndReservation(ctx, tx, res.ID, true); err != nil {
		return Confirmation{}, err
	}
	if err := db.ChangeSeats(ctx, tx, db.SeatChange{EventID: ev.ID, Bucket: res.Bucket, Going: r.Seats}); err != nil {
		return Confirmation{}, err
	}
	r.Status = enums.RequestAccepted
	if err := db.SetRequestStatus(ctx, tx, r); err != nil {
		return Confirmation{}, err
	}
	if err := a.markPaid(ctx, tx, r.ID, quote.Total > 0); err != nil {
		return Confirmation{}, err
	}
	t, err := a.desk().IssueTicket(ctx, tx, ev, r, res.ID, quote)
	if err != nil {
		return Confirmation{}, err
	}
	return Confirmation(t), a.desk().NotifyConfirmed(ctx, tx, ev, r, t.TicketID)
}

// NotifyAdmittedTicket tells buyer and host about a ticket the API issued
// at admission. A retry sends nothing twice (the notices are keyed by the
// request).
func (a *Events) NotifyAdmittedTicket(ctx context.Context, requestID string) error {
	return a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := db.RequestByID(ctx, tx, uuid.MustParse(requestID))
		if err != nil {
			return err
		}
		ev, err := db.EventByID(ctx, tx, r.EventID)
		if err != nil {
			return err
		}
		ticketID, err := ticketOfRequest(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		return a.desk().NotifyConfirmed(ctx, tx, ev, r, ticketID)
	})
}

func (a *Events) markPaid(ctx context.Context, tx bun.Tx, requestID uuid.UUID, isPaid bool) error {
	if !isPaid {
		return nil
	}
	p, err := db.PaymentOrderByRequest(ctx, tx, requestID)
	if err != nil {
		return err
	}
	return db.SetPaymentStatus(ctx, tx, p.ID, enums.PaymentPaid)
}

// ticketOfRequest is the ID of the ticket a request was issued.
func ticketOfRequest(ctx context.Context, tx bun.Tx, requestID uuid.UUID) (string, error) {
	att, err := db.AttendeeByRequest(ctx, tx, requestID)
	if err != nil {
		return "", err
	}
	ticketID, err := db.TicketIDOfAttendee(ctx, tx, att.ID)
	if err != nil {
		return "", err
	}
	return ticketID.String(), nil
}

// CancelAttendanceInput cancels a confirmed order.
type CancelAttendanceInput struct {
	RequestID string
	Reason    string
	// ForceFullRefund refunds everything (the event was cancelled);
	// otherwise the event's refund cutoff decides.
	ForceFullRefund bool
	Now             time.Time
}

// CancelAttendance revokes the ticket, cancels the attendee, frees the
// seats (offering them on) and returns how much to refund.
func (a *Events) CancelAttendance(ctx context.Context, in CancelAttendanceInput) (ReleaseResult, error) {
	var out ReleaseResult
	err := a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := db.RequestForUpdate(ctx, tx, uuid.MustParse(in.RequestID))
		if err != nil {
			return err
		}
		att, err := db.AttendeeByRequest(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		ev, err := db.EventByID(ctx, tx, r.EventID)
		if err != nil {
			return err
		}
		out.RefundMinor = refundDue(ev, att, in)
		if r.Status == enums.RequestCancelled {
			out.Offers, err = a.offersOf(ctx, tx, r.ID)
			return err
		}
		out.Offers, err = a.cancelAttendee(ctx, tx, r, att)
		if err != nil {
			return err
		}
		return a.notifyBuyer(ctx, tx, r, "ticket-cancelled", "Your ticket was cancelled", in.Reason)
	})
	return out, err
}

func (a *Events) cancelAttendee(ctx context.Context, tx bun.Tx, r *db.Request, att *db.Attendee) ([]SeatOffer, error) {
	if err := db.CancelAttendee(ctx, tx, att.ID); err != nil {
		return nil, err
	}
	if err := db.RevokeTicket(ctx, tx, att.ID); err != nil {
		return nil, err
	}
	bucket, err := db.ReservationBucket(ctx, tx, att.ReservationID)
	if err != nil {
		return nil, err
	}
	if err := db.ChangeSeats(ctx, tx, db.SeatChange{EventID: att.EventID, Bucket: bucket, SeatsTaken: -att.Seats, Going: -att.Seats}); err != nil {
		return nil, err
	}
	r.Status = enums.RequestCancelled
	if err := db.SetRequestStatus(ctx, tx, r); err != nil {
		return nil, err
	}
	if err := a.audit(ctx, tx, r, "event_request", "cancelled", map[string]any{"attendee_id": att.ID.String()}); err != nil {
		return nil, err
	}
	return a.offerToWaitlist(ctx, tx, att.EventID, att.ReservationID)
}

// refundDue is the full price before the event's refund cutoff (or when
// forced), nothing after it.
func refundDue(ev *db.Event, att *db.Attendee, in CancelAttendanceInput) int64 {
	if !att.IsPaid {
		return 0
	}
	cutoff := ev.StartsAt.Add(-time.Duration(ev.RefundCutoffHours) * time.Hour)
	if in.ForceFullRefund || !in.Now.After(cutoff) {
		return att.PricePaidMinor
	}
	return 0
}
