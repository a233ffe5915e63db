package events

// RSVPs: going is a join request of one seat through the ticketing
// admission (never a row of its own, so going_count stays exact);
// interested and not_going are event_rsvps rows. Leaving going cancels the
// live request through its ticket order, which hands the seat to the
// waitlist.

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	"github.com/convene/convene/workflows"
)

// defaultRsvpPageSize is the ListRsvps page of a request without one.
const defaultRsvpPageSize = 50

var rsvpStatuses = rpc.NewEnum(map[eventsv1.RsvpStatus]string{
	eventsv1.RsvpStatus_RSVP_STATUS_GOING:      enums.RsvpGoing,
	eventsv1.RsvpStatus_RSVP_STATUS_INTERESTED: enums.RsvpInterested,
	eventsv1.RsvpStatus_RSVP_STATUS_NOT_GOING:  enums.RsvpNotGoing,
})

// SetRsvp sets the caller's RSVP; see the package comment above.
func (s *eventServer) SetRsvp(ctx context.Context, req *connect.Request[eventsv1.SetRsvpRequest]) (*connect.Response[eventsv1.SetRsvpResponse], error) {
	userID, eventID := rpc.CallerID(ctx), uuid.MustParse(req.Msg.GetEventId())
	status := rsvpStatuses.Name(req.Msg.GetStatus())
	if status == enums.RsvpGoing {
		r, err := s.rsvpGoing(ctx, eventID, userID)
		if err != nil {
			return nil, err
		}
		return connect.NewResponse(&eventsv1.SetRsvpResponse{Status: req.Msg.GetStatus(), JoinRequest: r}), nil
	}
	ev, live, err := s.rsvpEvent(ctx, eventID, userID)
	if err != nil {
		return nil, err
	}
	if ev.Status != db.EventPublished {
		return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("the event is "+ev.Status+" and takes no RSVPs"))
	}
	if live != nil {
		cancel := workflows.CancelInput{ActorUserID: userID.String(), Reason: "RSVP changed to " + status}
		if err := s.tickets.updateOrder(ctx, live, workflows.UpdateCancel, cancel); err != nil {
			return nil, err
		}
	}
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.StoreRsvp(ctx, tx, eventID, userID, status); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, ev.OrganizationID, "event_rsvp", eventID.String(), "set", map[string]any{"status": status})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.SetRsvpResponse{Status: req.Msg.GetStatus()}), nil
}

// rsvpGoing answers the caller's live request if they have one, else
// admits a new request of one seat as RequestToJoin does (and audits it
// there). Two concurrent calls admit one request: the loser finds it.
func (s *eventServer) rsvpGoing(ctx context.Context, eventID, userID uuid.UUID) (*eventsv1.JoinRequest, error) {
	_, live, err := s.rsvpEvent(ctx, eventID, userID)
	if err != nil {
		return nil, err
	}
	if live != nil {
		return s.tickets.loadRequest(ctx, live.ID)
	}
	ev, err := s.tickets.joinableEvent(ctx, eventID, userID, 1)
	if err != nil {
		return nil, err
	}
	r, err := s.tickets.admit(ctx, ev, orderStart(ev, userID, 1, ""), "")
	if connect.CodeOf(err) == connect.CodeAlreadyExists {
		live, lerr := db.LiveRequestOf(ctx, s.DB, eventID, userID)
		if lerr != nil {
			return nil, err
		}
		return s.tickets.loadRequest(ctx, live.ID)
	}
	return r, err
}

// rsvpEvent loads an event the caller may answer and their live request
// (nil if none). An event they may not see is NotFound, unless they
// already hold a request for it (an invite to a private event).
func (s *eventServer) rsvpEvent(ctx context.Context, eventID, userID uuid.UUID) (*db.Event, *db.Request, error) {
	ev, err := db.EventByID(ctx, s.DB, eventID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, errEventNotFound()
	}
	if err != nil {
		return nil, nil, err
	}
	live, err := db.LiveRequestOf(ctx, s.DB, eventID, userID)
	if errors.Is(err, db.ErrNotFound) {
		live = nil
	} else if err != nil {
		return nil, nil, err
	}
	if live == nil && !s.rsvpVisible(ctx, ev, userID) {
		return nil, nil, errEventNotFound()
	}
	return ev, live, nil
}

// rsvpVisible: what GetEvent shows, plus an organization's activity
// events to its members.
func (s *eventServer) rsvpVisible(ctx context.Context, ev *db.Event, userID uuid.UUID) bool {
	if eventVisible(ev, userID) {
		return true
	}
	if ev.Status == db.EventDraft || ev.Visibility != db.EventVisibilityOrganization || ev.OrganizationID == nil {
		return false
	}
	_, err := rpc.OrgAccess(ctx, s.DB, *ev.OrganizationID, rpc.AnyRole)
	return err == nil
}

// GetMyRsvp returns the caller's RSVP and, when going, their live request.
func (s *eventServer) GetMyRsvp(ctx context.Context, req *connect.Request[eventsv1.GetMyRsvpRequest]) (*connect.Response[eventsv1.GetMyRsvpResponse], error) {
	userID, eventID := rpc.CallerID(ctx), uuid.MustParse(req.Msg.GetEventId())
	_, live, err := s.rsvpEvent(ctx, eventID, userID)
	if err != nil {
		return nil, err
	}
	if live != nil {
		r, err := s.tickets.loadRequest(ctx, live.ID)
		if err != nil {
			return nil, err
		}
		return connect.NewResponse(&eventsv1.GetMyRsvpResponse{Status: eventsv1.RsvpStatus_RSVP_STATUS_GOING, JoinRequest: r}), nil
	}
	status, err := db.RsvpOf(ctx, s.DB, eventID, userID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.GetMyRsvpResponse{Status: rsvpStatuses.Value(status)}), nil
}

// ListRsvps gives everyone who may see the event the counts, and the
// host and its organization's admins (or staff) the people too.
func (s *eventServer) ListRsvps(ctx context.Context, req *connect.Request[eventsv1.ListRsvpsRequest]) (*connect.Response[eventsv1.ListRsvpsResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	page, err := rpc.TimePage("ListRsvps", msg.GetPageToken(), msg.GetPageSize(), defaultRsvpPageSize)
	if err != nil {
		return nil, err
	}
	ev, _, err := s.rsvpEvent(ctx, uuid.MustParse(msg.GetEventId()), userID)
	if err != nil {
		return nil, err
	}
	counts, err := db.CountRsvps(ctx, s.DB, ev.ID)
	if err != nil {
		return nil, err
	}
	out := &eventsv1.ListRsvpsResponse{Counts: &eventsv1.RsvpCounts{Going: counts.Going, Interested: counts.Interested, NotGoing: counts.NotGoing}}
	if !s.managesEvent(ctx, ev, userID) {
		return connect.NewResponse(out), nil
	}
	rows, err := db.ListRsvps(ctx, s.DB, ev.ID, rsvpStatuses.Name(msg.GetStatus()), page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, out.NextPageToken = rpc.NextPage(page, rows, rsvpKey)
	for _, r := range rows {
		out.Rsvps = append(out.Rsvps, &eventsv1.Rsvp{UserId: r.UserID.String(), Status: rsvpStatuses.Value(r.Status), UpdatedAt: timestamppb.New(r.UpdatedAt)})
	}
	return connect.NewResponse(out), nil
}

// managesEvent: the host, or an owner/admin of the event's organization
// (staff pass OrgAccess too).
func (s *eventServer) managesEvent(ctx context.Context, ev *db.Event, userID uuid.UUID) bool {
	if ev.HostUserID == userID {
		return true
	}
	if ev.OrganizationID == nil {
		return false
	}
	_, err := rpc.OrgAccess(ctx, s.DB, *ev.OrganizationID, rpc.ManagerRoles)
	return err == nil
}

// rsvpKey is an RSVP's place in ListRsvps.
func rsvpKey(r *db.RsvpEntry) (time.Time, uuid.UUID) { return r.UpdatedAt, r.UserID }
