package events

import (
	"bytes"
	"context"
	"errors"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/tickets"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
)

// CheckIn redeems a ticket code at the door. The signature is checked with
// the event's key, then one conditional UPDATE redeems it, so of many
// concurrent scans of one code exactly one is `ok`; a retry with the same
// nonce gets `ok` again, any other scan `already_redeemed` with the time of
// the first.
func (s *ticketingServer) CheckIn(ctx context.Context, req *connect.Request[eventsv1.CheckInRequest]) (*connect.Response[eventsv1.CheckInResponse], error) {
	msg := req.Msg
	eventID := uuid.MustParse(msg.GetEventId())
	if err := s.checkInStaff(ctx, eventID); err != nil {
		return nil, err
	}
	claims, result := s.verifyCode(eventID, msg.GetCode())
	if result != eventsv1.CheckInResult_CHECK_IN_RESULT_OK {
		return connect.NewResponse(&eventsv1.CheckInResponse{Result: result}), nil
	}
	t, err := db.TicketByID(ctx, s.DB, claims.TicketID)
	if errors.Is(err, db.ErrNotFound) || (err == nil && !bytes.Equal(t.CodeHash, tickets.HashCode(msg.GetCode()))) {
		return connect.NewResponse(&eventsv1.CheckInResponse{Result: eventsv1.CheckInResult_CHECK_IN_RESULT_NOT_FOUND}), nil
	}
	if err != nil {
		return nil, err
	}
	resp, err := s.redeem(ctx, t, msg.GetNonce())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(resp), nil
}

// verifyCode checks a code's signature against this event's key.
func (s *ticketingServer) verifyCode(eventID uuid.UUID, code string) (tickets.Claims, eventsv1.CheckInResult) {
	claims, err := tickets.Verify(s.Tickets.PublicKey(eventID), code)
	if err == nil {
		return claims, eventsv1.CheckInResult_CHECK_IN_RESULT_OK
	}
	// A genuine code of another event fails this event's key: say so.
	if other, perr := tickets.Parse(code); perr == nil && other.EventID != eventID {
		if _, verr := tickets.Verify(s.Tickets.PublicKey(other.EventID), code); verr == nil {
			return tickets.Claims{}, eventsv1.CheckInResult_CHECK_IN_RESULT_WRONG_EVENT
		}
	}
	return tickets.Claims{}, eventsv1.CheckInResult_CHECK_IN_RESULT_NOT_FOUND
}

func (s *ticketingServer) redeem(ctx context.Context, t *db.Ticket, nonce string) (*eventsv1.CheckInResponse, error) {
	var resp *eventsv1.CheckInResponse
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ok, err := db.RedeemTicket(ctx, tx, t.ID, t.EventID, rpc.CallerID(ctx), nonce)
		if err != nil {
			return err
		}
		current, err := db.TicketByID(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		resp = checkInOutcome(current, nonce)
		if !ok {
			return nil
		}
		if err := db.MarkCheckedIn(ctx, tx, current.AttendeeID); err != nil {
			return err
		}
		caller := rpc.CallerID(ctx)
		return rpc.Audit(ctx, tx, &caller, nil, "ticket", t.ID.String(), "check_in", map[string]any{"nonce": nonce})
	})
	if err != nil {
		return nil, err
	}
	resp.Ticket, err = s.ticketToProto(ctx, t)
	return resp, err
}

// checkInOutcome classifies a ticket after the redeem attempt.
func checkInOutcome(t *db.Ticket, nonce string) *eventsv1.CheckInResponse {
	resp := &eventsv1.CheckInResponse{}
	if t.RedeemedAt != nil {
		resp.FirstCheckedInAt = timestamppb.New(*t.RedeemedAt)
	}
	switch {
	case t.RevokedAt != nil:
		resp.Result = eventsv1.CheckInResult_CHECK_IN_RESULT_REVOKED
	case t.RedeemNonce != nil && *t.RedeemNonce == nonce:
		resp.Result = eventsv1.CheckInResult_CHECK_IN_RESULT_OK
	default:
		resp.Result = eventsv1.CheckInResult_CHECK_IN_RESULT_ALREADY_REDEEMED
	}
	return resp
}

// checkInStaff admits the host, platform staff and the owners/admins of
// the event's organization.
func (s *ticketingServer) checkInStaff(ctx context.Context, eventID uuid.UUID) error {
	ev, err := db.EventByID(ctx, s.DB, eventID)
	if errors.Is(err, db.ErrNotFound) {
		return connect.NewError(connect.CodeNotFound, errors.New("event not found"))
	}
	if err != nil {
		return err
	}
	caller := rpc.CallerID(ctx)
	switch {
	case ev.HostUserID == caller:
		return nil
	case ev.OrganizationID != nil:
		// The organization's owners and admins pass, and platform staff.
		_, err := rpc.OrgAccess(ctx, s.DB, *ev.OrganizationID, rpc.ManagerRoles)
		var refused *connect.Error
		if !errors.As(err, &refused) {
			return err
		}
	default:
		u, err := db.UserByID(ctx, s.DB, caller)
		if err != nil || u.IsStaff {
			return err
		}
	}
	return connect.NewError(connect.CodePermissionDenied, errors.New("only the host or the event's staff can check tickets in"))
}
