package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/money"
	"github.com/convene/convene/internal/tickets"
)

// Request is a join request: one ticket order.
type Request struct {
	bun.BaseModel `bun:"table:event_requests,alias:r"`

	ID              uuid.UUID  `bun:"id,pk,type:uuid"`
	EventID         uuid.UUID  `bun:"event_id,type:uuid,notnull"`
	RequesterUserID uuid.UUID  `bun:"requester_user_id,type:uuid,notnull"`
	Seats           int32      `bun:"seats,notnull"`
	Message         string     `bun:"message,notnull"`
	HostMessage     string     `bun:"host_message,notnull"`
	Status          string     `bun:"status,notnull"`
	ViaInviteID     *uuid.UUID `bun:"via_invite_id,type:uuid"`
	WaitlistedAt    *time.Time `bun:"waitlisted_at"`
	HoldExpiresAt   *time.Time `bun:"hold_expires_at"`
	DecidedAt       *time.Time `bun:"decided_at"`
	// Quote is the price quoted when the request was made (nil on requests
	// made before quotes were stored); QuotedAt is when.
	Quote    *money.Breakdown `bun:"price_quote,type:jsonb"`
	QuotedAt *time.Time       `bun:"quoted_at"`
	Timestamps
}

// PriceQuote is the price this request pays: its stored quote, or for a
// request made before quotes were stored, the event's current pricing.
func (r *Request) PriceQuote(ev *Event) (money.Breakdown, error) {
	if r.Quote != nil {
		return *r.Quote, nil
	}
	if !ev.IsPaid {
		return money.Breakdown{Seats: r.Seats, Currency: ev.Currency}, nil
	}
	return money.Quote(ev.Pricing(), r.Seats)
}

// Reservation is a hold on seats, ended by being consumed or released.
type Reservation struct {
	bun.BaseModel `bun:"table:capacity_reservations,alias:cr"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	ReservationKey string     `bun:"reservation_key,notnull"`
	EventID        uuid.UUID  `bun:"event_id,type:uuid,notnull"`
	UserID         uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	RequestID      uuid.UUID  `bun:"request_id,type:uuid,notnull"`
	Seats          int32      `bun:"seats,notnull"`
	OfferedBy      *uuid.UUID `bun:"offered_by,type:uuid"`
	Consumed       bool       `bun:"consumed,notnull"`
	Released       bool       `bun:"released,notnull"`
	ExpiresAt      time.Time  `bun:"expires_at,notnull"`
	// Bucket is the seat bucket the held seats came from; nil for an
	// event whose row counts its seats.
	Bucket *int32 `bun:"bucket"`
	Timestamps
}

// Attendee is a confirmed seat-holder.
type Attendee struct {
	bun.BaseModel `bun:"table:event_attendees,alias:a"`

	ID               uuid.UUID  `bun:"id,pk,type:uuid"`
	EventID          uuid.UUID  `bun:"event_id,type:uuid,notnull"`
	UserID           uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	RequestID        uuid.UUID  `bun:"request_id,type:uuid,notnull"`
	ReservationID    uuid.UUID  `bun:"reservation_id,type:uuid,notnull"`
	TicketType       string     `bun:"ticket_type,notnull"`
	Seats            int32      `bun:"seats,notnull"`
	IsPaid           bool       `bun:"is_paid,notnull"`
	PricePaidMinor   int64      `bun:"price_paid_minor,notnull"`
	TaxMinor         int64      `bun:"tax_minor,notnull"`
	PlatformFeeMinor int64      `bun:"platform_fee_minor,notnull"`
	Currency         string     `bun:"currency,notnull"`
	Status           string     `bun:"status,notnull"`
	CheckedInAt      *time.Time `bun:"checked_in_at"`
	Timestamps

	Name  string  `bun:"name,scanonly"`
	Phone *string `bun:"phone,scanonly"`
}

// Ticket is an attendee's ticket; its code is signed, only its hash stored.
type Ticket struct {
	bun.BaseModel `bun:"table:tickets,alias:t"`

	ID          uuid.UUID  `bun:"id,pk,type:uuid"`
	AttendeeID  uuid.UUID  `bun:"attendee_id,type:uuid,notnull"`
	EventID     uuid.UUID  `bun:"event_id,type:uuid,notnull"`
	UserID      uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	Seats       int32      `bun:"seats,notnull"`
	CodeHash    []byte     `bun:"code_hash,notnull"`
	IssuedAt    time.Time  `bun:"issued_at,notnull"`
	RedeemedAt  *time.Time `bun:"redeemed_at"`
	RedeemedBy  *uuid.UUID `bun:"redeemed_by,type:uuid"`
	RedeemNonce *string    `bun:"redeem_nonce"`
	RevokedAt   *time.Time `bun:"revoked_at"`

	// RedeemDeviceID is the scanner that redeemed the ticket with RedeemNonce.
	RedeemDeviceID *string `bun:"redeem_device_id"`
	Timestamps
}

// InsertRequestIfAbsent writes a request and bumps the event's
// requests_count, once: a retried insert reports false and changes nothing.
func InsertRequestIfAbsent(ctx context.Context, tx bun.Tx, r *Request) (bool, error) {
	res, err := tx.NewInsert().Model(r).On("CONFLICT (id) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("insert request: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	_, err = tx.NewUpdate().Model((*Event)(nil)).Set("requests_count = requests_count + 1").Where("id = ?", r.EventID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("count request: %w", err)
	}
	return true, nil
}

// RequestByID loads a request.
func RequestByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Request, error) {
	r := new(Request)
	if err := idb.NewSelect().Model(r).Where("r.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "request %s", id)
	}
	return r, nil
}

// RequestForUpdate row-locks a request.
func RequestForUpdate(ctx context.Context, tx bun.Tx, id uuid.UUID) (*Request, error) {
	r := new(Request)
	if err := tx.NewSelect().Model(r).Where("r.id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "request %s", id)
	}
	return r, nil
}

// SetRequestStatus records a request's status (and host message, hold expiry).
func SetRequestStatus(ctx context.Context, idb bun.IDB, r *Request) error {
	_, err := idb.NewUpdate().Model(r).Column("status", "host_message", "hold_expires_at", "waitlisted_at", "decided_at").
		Set("updated_at = now()").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("set request status: %w", err)
	}
	return nil
}

// SeatTake asks for the seats of a request.
type SeatTake struct {
	EventID, RequestID uuid.UUID
	Seats              int32
	// IgnoreWaitlist takes the seats although requests wait: an offer to
	// them, a late payment reopening its request.
	IgnoreWaitlist bool
}

// SeatClaim is the outcome of TakeSeats.
type SeatClaim struct {
	Held bool
	// Bucket is where the seats were taken on a bucketed event, for the
	// hold to record (Reservation.Bucket); nil for the event row.
	Bucket *int32
}

// TakeSeats claims seats on a published event if they are free and nobody
// is waiting (unless t.IgnoreWaitlist). On a single-row event it is one
// statement on the event row: concurrent claims queue on the row lock and
// the CHECK makes overselling impossible regardless. On a bucketed event
// it claims in a bucket; a claim that minds the waitlist locks the event
// row first, so a waitlist join that follows a refusal cannot miss a seat
// a release frees meanwhile (the release needs that lock to free it).
func TakeSeats(ctx context.Context, tx bun.Tx, t SeatTake) (SeatClaim, error) {
	var buckets int32
	if err := tx.NewSelect().Model((*Event)(nil)).Column("seat_buckets").Where("id = ?", t.EventID).Scan(ctx, &buckets); err != nil {
		return SeatClaim{}, notFound(err, "event %s", t.EventID)
	}
	if buckets > 1 {
		return takeBucketSeats(ctx, tx, t, buckets)
	}
	q := tx.NewUpdate().Model((*Event)(nil)).
		Set("seats_taken = seats_taken + ?, updated_at = now()", t.Seats).
		Where("id = ? AND status = ? AND seats_taken + ? <= capacity", t.EventID, EventPublished, t.Seats)
	if !t.IgnoreWaitlist {
		q = q.Where("waitlist_count = 0")
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return SeatClaim{}, fmt.Errorf("take seats: %w", err)
	}
	n, _ := res.RowsAffected()
	return SeatClaim{Held: n == 1}, nil
}

func takeBucketSeats(ctx context.Context, tx bun.Tx, t SeatTake, buckets int32) (SeatClaim, error) {
	if !t.IgnoreWaitlist {
		if err := lockEvent(ctx, tx, t.EventID); err != nil {
			return SeatClaim{}, err
		}
	}
	b, ok, err := ClaimBucketSeats(ctx, tx, BucketClaim{EventID: t.EventID, Buckets: buckets, Key: t.RequestID,
		Seats: t.Seats, IgnoreWaitlist: t.IgnoreWaitlist})
	if err != nil || !ok {
		return SeatClaim{}, err
	}
	return SeatClaim{Held: true, Bucket: &b}, nil
}

// AdjustEventCounts adds the deltas to an event's counters.
func AdjustEventCounts(ctx context.Context, tx bun.Tx, eventID uuid.UUID, seatsTaken, going, waitlist int32) error {
	_, err := tx.NewUpdate().Model((*Event)(nil)).
		Set("seats_taken = seats_taken + ?, going_count = going_count + ?, waitlist_count = waitlist_count + ?, updated_at = now()",
			seatsTaken, going, waitlist).
		Where("id = ?", eventID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("adjust event counts: %w", err)
	}
	return nil
}

// InsertReservation creates a hold.
func InsertReservation(ctx context.Context, idb bun.IDB, r *Reservation) error {
	if _, err := idb.NewInsert().Model(r).Exec(ctx); err != nil {
		return fmt.Errorf("insert reservation: %w", err)
	}
	return nil
}

// LiveReservation returns the unended hold of a request, or ErrNotFound.
func LiveReservation(ctx context.Context, tx bun.Tx, requestID uuid.UUID) (*Reservation, error) {
	r := new(Reservation)
	err := tx.NewSelect().Model(r).Where("cr.request_id = ? AND NOT cr.consumed AND NOT cr.released", requestID).For("UPDATE").Scan(ctx)
	if err != nil {
		return nil, notFound(err, "live reservation of %s", requestID)
	}
	return r, nil
}

// ReservationForUpdate row-locks a reservation.
func ReservationForUpdate(ctx context.Context, tx bun.Tx, id uuid.UUID) (*Reservation, error) {
	r := new(Reservation)
	if err := tx.NewSelect().Model(r).Where("cr.id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "reservation %s", id)
	}
	return r, nil
}

// EndReservation marks a hold consumed or released.
func EndReservation(ctx context.Context, idb bun.IDB, id uuid.UUID, consumed bool) error {
	col := "released"
	if consumed {
		col = "consumed"
	}
	_, err := idb.NewUpdate().Model((*Reservation)(nil)).Set("? = true, updated_at = now()", bun.Ident(col)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("end reservation: %w", err)
	}
	return nil
}

// OffersFromRequest lists the holds that seats released by a request's
// reservations were offered as.
func OffersFromRequest(ctx context.Context, idb bun.IDB, requestID uuid.UUID) ([]Reservation, error) {
	var out []Reservation
	err := idb.NewSelect().Model(&out).
		Where("cr.offered_by IN (SELECT id FROM capacity_reservations WHERE request_id = ?)", requestID).
		Order("cr.created_at").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list offers: %w", err)
	}
	return out, nil
}

// WaitlistHead returns the oldest waitlisted requests of an event, locked,
// skipping ones another transaction is already handling.
func WaitlistHead(ctx context.Context, tx bun.Tx, eventID uuid.UUID, limit int) ([]Request, error) {
	var out []Request
	err := tx.NewSelect().Model(&out).Where("r.event_id = ? AND r.status = ?", eventID, enums.RequestWaitlisted).
		OrderExpr("r.waitlisted_at, r.id").Limit(int64(limit)).For("UPDATE SKIP LOCKED").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("read waitlist: %w", err)
	}
	return out, nil
}

// WaitlistPosition is a waitlisted request's 1-based place in line.
func WaitlistPosition(ctx context.Context, idb bun.IDB, r *Request) (int, error) {
	if r.Status != enums.RequestWaitlisted || r.WaitlistedAt == nil {
		return 0, nil
	}
	n, err := idb.NewSelect().Model((*Request)(nil)).
		Where("r.event_id = ? AND r.status = ? AND (r.waitlisted_at, r.id) <= (?, ?)", r.EventID, enums.RequestWaitlisted, *r.WaitlistedAt, r.ID).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("waitlist position: %w", err)
	}
	return int(n), nil
}

// InsertAttendee records a confirmed seat-holder; the unique request_id
// makes a second attendee for one request impossible.
func InsertAttendee(ctx context.Context, idb bun.IDB, a *Attendee) error {
	if _, err := idb.NewInsert().Model(a).Exec(ctx); err != nil {
		return fmt.Errorf("insert attendee: %w", err)
	}
	return nil
}

// AttendeeByRequest loads the attendee a request produced, or ErrNotFound.
func AttendeeByRequest(ctx context.Context, idb bun.IDB, requestID uuid.UUID) (*Attendee, error) {
	a := new(Attendee)
	if err := idb.NewSelect().Model(a).Where("a.request_id = ?", requestID).Scan(ctx); err != nil {
		return nil, notFound(err, "attendee of request %s", requestID)
	}
	return a, nil
}

// CancelAttendee marks an attendee cancelled.
func CancelAttendee(ctx context.Context, idb bun.IDB, id uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*Attendee)(nil)).Set("status = ?, updated_at = now()", enums.AttendeeCancelled).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("cancel attendee: %w", err)
	}
	return nil
}

// ListAttendees lists an event's attendees with names, oldest first.
func ListAttendees(ctx context.Context, idb bun.IDB, eventID uuid.UUID, afterCreated time.Time, afterID uuid.UUID, limit int) ([]Attendee, error) {
	var out []Attendee
	q := idb.NewSelect().Model(&out).ColumnExpr("a.*, coalesce(p.name, '') AS name, u.phone").
		Join("JOIN users AS u ON u.id = a.user_id").Join("LEFT JOIN user_profiles AS p ON p.user_id = a.user_id").
		Where("a.event_id = ?", eventID).OrderExpr("a.created_at, a.id").Limit(int64(limit))
	if afterID != uuid.Nil {
		q = q.Where("(a.created_at, a.id) > (?, ?)", afterCreated, afterID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list attendees: %w", err)
	}
	return out, nil
}

// InsertTicket issues a ticket.
func InsertTicket(ctx context.Context, idb bun.IDB, t *Ticket) error {
	if _, err := idb.NewInsert().Model(t).Exec(ctx); err != nil {
		return fmt.Errorf("insert ticket: %w", err)
	}
	return nil
}

// TicketByID loads a ticket.
func TicketByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Ticket, error) {
	t := new(Ticket)
	if err := idb.NewSelect().Model(t).Where("t.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "ticket %s", id)
	}
	return t, nil
}

// TicketIDOfAttendee returns the ID of the ticket issued to an attendee.
func TicketIDOfAttendee(ctx context.Context, idb bun.IDB, attendeeID uuid.UUID) (uuid.UUID, error) {
	var id uuid.UUID
	if err := idb.NewSelect().Model((*Ticket)(nil)).Column("id").Where("attendee_id = ?", attendeeID).Scan(ctx, &id); err != nil {
		return uuid.Nil, notFound(err, "ticket of attendee %s", attendeeID)
	}
	return id, nil
}

// RevokeTicket revokes the ticket of an attendee.
func RevokeTicket(ctx context.Context, idb bun.IDB, attendeeID uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*Ticket)(nil)).Set("revoked_at = coalesce(revoked_at, now()), updated_at = now()").
		Where("attendee_id = ?", attendeeID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke ticket: %w", err)
	}
	return nil
}

// AttendeeCheckedIn reports whether the attendee a request produced has
// checked in (false when there is no attendee).
func AttendeeCheckedIn(ctx context.Context, idb bun.IDB, requestID uuid.UUID) (bool, error) {
	n, err := idb.NewSelect().Model((*Attendee)(nil)).
		Where("request_id = ? AND (status = ? OR checked_in_at IS NOT NULL)", requestID, enums.AttendeeCheckedIn).Count(ctx)
	if err != nil {
		return false, fmt.Errorf("read check-in of request %s: %w", requestID, err)
	}
	return n > 0, nil
}

// HoldsLiveTicket reports whether a request produced an attendee that is
// not cancelled (going or checked in).
func HoldsLiveTicket(ctx context.Context, idb bun.IDB, requestID uuid.UUID) (bool, error) {
	n, err := idb.NewSelect().Model((*Attendee)(nil)).Where("request_id = ? AND status <> ?", requestID, enums.AttendeeCancelled).Count(ctx)
	if err != nil {
		return false, fmt.Errorf("read attendee of request %s: %w", requestID, err)
	}
	return n > 0, nil
}

// MarkCheckedIn records the check-in on the attendee.
func MarkCheckedIn(ctx context.Context, idb bun.IDB, attendeeID uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*Attendee)(nil)).Set("status = ?, checked_in_at = now(), updated_at = now()", enums.AttendeeCheckedIn).
		Where("id = ? AND status = ?", attendeeID, enums.AttendeeGoing).Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark checked in: %w", err)
	}
	return nil
}

// ListTicketsOfUser lists a user's tickets, newest first.
func ListTicketsOfUser(ctx context.Context, idb bun.IDB, userID uuid.UUID, beforeCreated time.Time, beforeID uuid.UUID, limit int) ([]Ticket, error) {
	var out []Ticket
	q := idb.NewSelect().Model(&out).Where("t.user_id = ?", userID).OrderExpr("t.created_at DESC, t.id DESC").Limit(int64(limit))
	if beforeID != uuid.Nil {
		q = q.Where("(t.created_at, t.id) < (?, ?)", beforeCreated, beforeID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	return out, nil
}

// ListRequests lists an event's requests, optionally of one status, oldest first.
func ListRequests(ctx context.Context, idb bun.IDB, eventID uuid.UUID, status string, afterCreated time.Time, afterID uuid.UUID, limit int) ([]Request, error) {
	var out []Request
	q := idb.NewSelect().Model(&out).Where("r.event_id = ?", eventID).OrderExpr("r.created_at, r.id").Limit(int64(limit))
	if status != "" {
		q = q.Where("r.status = ?", status)
	}
	if afterID != uuid.Nil {
		q = q.Where("(r.created_at, r.id) > (?, ?)", afterCreated, afterID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return out, nil
}

// OpenRequestIDs lists the requests of an event whose orders are still open.
func OpenRequestIDs(ctx context.Context, idb bun.IDB, eventID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := idb.NewSelect().Model((*Request)(nil)).Column("id").
		Where("event_id = ? AND status IN (?)", eventID, bun.In(enums.OpenRequestStatuses)).
		Order("created_at").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("list open requests: %w", err)
	}
	return ids, nil
}

// Claims are what the ticket's signed code asserts.
func (t *Ticket) Claims() tickets.Claims {
	return tickets.Claims{TicketID: t.ID, EventID: t.EventID, Seats: t.Seats, IssuedAt: t.IssuedAt}
}
