package events

import (
	"bytes"
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/engagement"
	"github.com/convene/convene/internal/tickets"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
)

// nonceRetryWindow is how long after a check-in the same scan (same nonce,
// same device) is answered OK again: long enough for a scanner's retries
// on a flaky network, short enough that a captured nonce is no use later.
const nonceRetryWindow = 5 * time.Minute

// CheckIn redeems a ticket code at the door. The door must be open (from
// the event's door_opens_minutes_before its start until its end: otherwise
// NOT_YET_OPEN or CLOSED and nothing is checked). The signature is checked
// with the event's key, then one conditional UPDATE redeems it, so of many
// concurrent scans of one code exactly one is `ok`; a retry with the same
// nonce from the same device within nonceRetryWindow gets `ok` again, any
// other scan `already_redeemed` with the time of the first.
func (s *ticketingServer) CheckIn(ctx context.Context, req *connect.Request[eventsv1.CheckInRequest]) (*connect.Response[eventsv1.CheckInResponse], error) {
	msg := req.Msg
	eventID := uuid.MustParse(msg.GetEventId())
	ev, err := s.checkInStaff(ctx, eventID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if result := doorState(ev, now); result != eventsv1.CheckInResult_CHECK_IN_RESULT_OK {
		return connect.NewResponse(&eventsv1.CheckInResponse{Result: result}), nil
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
	resp, err := s.redeem(ctx, t, db.Redemption{TicketID: t.ID, EventID: t.EventID, By: rpc.CallerID(ctx),
		DeviceID: msg.GetDeviceId(), Nonce: msg.GetNonce(), At: now})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(resp), nil
}

// doorState says whether the event's door is open at now: OK inside the
// window, NOT_YET_OPEN before it, CLOSED once the event ended.
func doorState(ev *db.Event, now time.Time) eventsv1.CheckInResult {
	switch {
	case now.Before(ev.DoorOpensAt()):
		return eventsv1.CheckInResult_CHECK_IN_RESULT_NOT_YET_OPEN
	case !now.Before(ev.EndsAt):
		return eventsv1.CheckInResult_CHECK_IN_RESULT_CLOSED
	}
	return eventsv1.CheckInResult_CHECK_IN_RESULT_OK
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

// redeem redeems the ticket unless it was, and classifies the scan.
func (s *ticketingServer) redeem(ctx context.Context, t *db.Ticket, scan db.Redemption) (*eventsv1.CheckInResponse, error) {
	var resp *eventsv1.CheckInResponse
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ok, err := db.RedeemTicket(ctx, tx, scan)
		if err != nil {
			return err
		}
		current, err := db.TicketByID(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		resp = checkInOutcome(current, scan)
		if !ok {
			return nil
		}
		if err := db.MarkCheckedIn(ctx, tx, current.AttendeeID); err != nil {
			return err
		}
		// Engagement (issue 11): ticket.checked_in and an activity's attendance.
		if err := (engagement.Recorder{River: s.River}).RecordCheckIn(ctx, tx, current, scan.At); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &scan.By, nil, "ticket", t.ID.String(), "check_in",
			map[string]any{"nonce": scan.Nonce, "device_id": scan.DeviceID})
	})
	if err != nil {
		return nil, err
	}
	resp.Ticket, err = s.ticketToProto(ctx, t)
	return resp, err
}

// checkInOutcome classifies a ticket after the redeem attempt: OK for the
// scan that redeemed it and for that scan's retries (same nonce, same
// device, within nonceRetryWindow of the check-in).
func checkInOutcome(t *db.Ticket, scan db.Redemption) *eventsv1.CheckInResponse {
	resp := &eventsv1.CheckInResponse{}
	if t.RedeemedAt != nil {
		resp.FirstCheckedInAt = timestamppb.New(*t.RedeemedAt)
	}
	switch {
	case t.RevokedAt != nil:
		resp.Result = eventsv1.CheckInResult_CHECK_IN_RESULT_REVOKED
	case sameScan(t, scan):
		resp.Result = eventsv1.CheckInResult_CHECK_IN_RESULT_OK
	default:
		resp.Result = eventsv1.CheckInResult_CHECK_IN_RESULT_ALREADY_REDEEMED
	}
	return resp
}

// sameScan reports whether scan repeats the one that redeemed t.
func sameScan(t *db.Ticket, scan db.Redemption) bool {
	return t.RedeemedAt != nil && t.RedeemNonce != nil && *t.RedeemNonce == scan.Nonce &&
		t.RedeemDeviceID != nil && *t.RedeemDeviceID == scan.DeviceID &&
		scan.At.Sub(*t.RedeemedAt) <= nonceRetryWindow
}

// checkInStaff loads the event and admits the host, platform staff and the
// owners/admins of the event's organization.
func (s *ticketingServer) checkInStaff(ctx context.Context, eventID uuid.UUID) (*db.Event, error) {
	ev, err := db.EventByID(ctx, s.DB, eventID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("event not found"))
	}
	if err != nil {
		return nil, err
	}
	if err := s.mayCheckIn(ctx, ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// mayCheckIn refuses a caller who is not the host or the event's staff.
func (s *ticketingServer) mayCheckIn(ctx context.Context, ev *db.Event) error {
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
