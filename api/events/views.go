package events

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/tickets"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	"github.com/convene/convene/workflows"
)

// ListRequests lists an event's requests for its host, optionally by status.
func (s *ticketingServer) ListRequests(ctx context.Context, req *connect.Request[eventsv1.ListRequestsRequest]) (*connect.Response[eventsv1.ListRequestsResponse], error) {
	msg := req.Msg
	ev, err := s.hostedEvent(ctx, uuid.MustParse(msg.GetEventId()))
	if err != nil {
		return nil, err
	}
	page, err := rpc.TimePage("ListRequests", msg.GetPageToken(), msg.GetPageSize(), defaultTicketingPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.ListRequests(ctx, s.DB, ev.ID, requestStatuses.Name(msg.GetStatus()), page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	resp := &eventsv1.ListRequestsResponse{}
	rows, resp.NextPageToken = rpc.NextPage(page, rows, func(r *db.Request) (time.Time, uuid.UUID) { return r.CreatedAt, r.ID })
	for i := range rows {
		jr, err := s.requestToProto(ctx, &rows[i], ev)
		if err != nil {
			return nil, err
		}
		resp.Requests = append(resp.Requests, jr)
	}
	return connect.NewResponse(resp), nil
}

// ListAttendees lists an event's attendees for its host.
func (s *ticketingServer) ListAttendees(ctx context.Context, req *connect.Request[eventsv1.ListAttendeesRequest]) (*connect.Response[eventsv1.ListAttendeesResponse], error) {
	msg := req.Msg
	ev, err := s.hostedEvent(ctx, uuid.MustParse(msg.GetEventId()))
	if err != nil {
		return nil, err
	}
	page, err := rpc.TimePage("ListAttendees", msg.GetPageToken(), msg.GetPageSize(), defaultTicketingPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.ListAttendees(ctx, s.DB, ev.ID, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	resp := &eventsv1.ListAttendeesResponse{}
	rows, resp.NextPageToken = rpc.NextPage(page, rows, func(a *db.Attendee) (time.Time, uuid.UUID) { return a.CreatedAt, a.ID })
	for i := range rows {
		resp.Attendees = append(resp.Attendees, attendeeToProto(&rows[i]))
	}
	return connect.NewResponse(resp), nil
}

// ListMyTickets lists the caller's tickets, newest first.
func (s *ticketingServer) ListMyTickets(ctx context.Context, req *connect.Request[eventsv1.ListMyTicketsRequest]) (*connect.Response[eventsv1.ListMyTicketsResponse], error) {
	page, err := rpc.TimePage("ListMyTickets", req.Msg.GetPageToken(), req.Msg.GetPageSize(), defaultTicketingPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.ListTicketsOfUser(ctx, s.DB, rpc.CallerID(ctx), page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	resp := &eventsv1.ListMyTicketsResponse{}
	rows, resp.NextPageToken = rpc.NextPage(page, rows, func(t *db.Ticket) (time.Time, uuid.UUID) { return t.CreatedAt, t.ID })
	for i := range rows {
		t, err := s.ticketToProto(ctx, &rows[i])
		if err != nil {
			return nil, err
		}
		resp.Tickets = append(resp.Tickets, t)
	}
	return connect.NewResponse(resp), nil
}

// GetTicket returns a ticket with its QR-ready code to its holder (and its
// event's host).
func (s *ticketingServer) GetTicket(ctx context.Context, req *connect.Request[eventsv1.GetTicketRequest]) (*connect.Response[eventsv1.GetTicketResponse], error) {
	t, err := db.TicketByID(ctx, s.DB, uuid.MustParse(req.Msg.GetTicketId()))
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("ticket not found"))
	}
	if err != nil {
		return nil, err
	}
	if t.UserID != rpc.CallerID(ctx) {
		if _, err := s.hostedEvent(ctx, t.EventID); err != nil {
			return nil, connect.NewError(connect.CodePermissionDenied, errors.New("only the ticket's holder or the event's host can see it"))
		}
	}
	out, err := s.ticketToProto(ctx, t)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.GetTicketResponse{Ticket: out}), nil
}

// GetCheckinKey gives the host the event's public key, so door scanners can
// verify ticket codes offline.
func (s *ticketingServer) GetCheckinKey(ctx context.Context, req *connect.Request[eventsv1.GetCheckinKeyRequest]) (*connect.Response[eventsv1.GetCheckinKeyResponse], error) {
	ev, err := s.hostedEvent(ctx, uuid.MustParse(req.Msg.GetEventId()))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.GetCheckinKeyResponse{
		PublicKey: tickets.EncodePublicKey(s.Tickets.PublicKey(ev.ID)), Algorithm: "Ed25519"}), nil
}

// loadRequest reads a request with its event for the response.
func (s *ticketingServer) loadRequest(ctx context.Context, id uuid.UUID) (*eventsv1.JoinRequest, error) {
	r, err := db.RequestByID(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	ev, err := db.EventByID(ctx, s.DB, r.EventID)
	if err != nil {
		return nil, err
	}
	return s.requestToProto(ctx, r, ev)
}

func (s *ticketingServer) requestToProto(ctx context.Context, r *db.Request, ev *db.Event) (*eventsv1.JoinRequest, error) {
	out := &eventsv1.JoinRequest{Id: r.ID.String(), EventId: r.EventID.String(), RequesterUserId: r.RequesterUserID.String(),
		Seats: r.Seats, Message: r.Message, HostMessage: r.HostMessage, Status: requestStatuses.Value(r.Status),
		WorkflowId: workflows.TicketOrderWorkflowID(r.ID.String()),
		CreatedAt:  timestamppb.New(r.CreatedAt), UpdatedAt: timestamppb.New(r.UpdatedAt)}
	if quote, err := r.PriceQuote(ev); err == nil {
		out.Price = breakdownToProto(quote)
	}
	if r.Status == workflows.StatusAwaitingPayment || r.Status == workflows.StatusOffered {
		if r.HoldExpiresAt != nil {
			out.HoldExpiresAt = timestamppb.New(*r.HoldExpiresAt)
		}
		if p, err := db.PaymentOrderByRequest(ctx, s.DB, r.ID); err == nil {
			out.CheckoutUrl = p.CheckoutURL
		}
	}
	pos, err := db.WaitlistPosition(ctx, s.DB, r)
	out.WaitlistPosition = int32(pos)
	return out, err
}

func (s *ticketingServer) ticketToProto(ctx context.Context, t *db.Ticket) (*eventsv1.Ticket, error) {
	ev, err := db.EventByID(ctx, s.DB, t.EventID)
	if err != nil {
		return nil, err
	}
	out := &eventsv1.Ticket{Id: t.ID.String(), EventId: t.EventID.String(), AttendeeId: t.AttendeeID.String(), Seats: t.Seats,
		Revoked: t.RevokedAt != nil, EventTitle: ev.Title, StartsAt: timestamppb.New(ev.StartsAt)}
	if t.RedeemedAt != nil {
		out.RedeemedAt = timestamppb.New(*t.RedeemedAt)
	}
	if t.RevokedAt == nil {
		if out.Code, err = s.Tickets.Sign(t.Claims()); err != nil {
			return nil, err
		}
	}
	return out, nil
}
