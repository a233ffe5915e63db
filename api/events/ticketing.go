package events

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	"github.com/convene/convene/workflows"
)

// RequestToJoin starts a ticket order. A sold-out event answers with the
// request waitlisted, never an error.
func (s *ticketingServer) RequestToJoin(ctx context.Context, req *connect.Request[eventsv1.RequestToJoinRequest]) (*connect.Response[eventsv1.RequestToJoinResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	ev, err := s.joinableEvent(ctx, uuid.MustParse(msg.GetEventId()), userID, msg.GetSeats())
	if err != nil {
		return nil, err
	}
	r, err := s.admit(ctx, ev, orderStart(ev, userID, msg.GetSeats(), msg.GetMessage()), msg.GetInviteToken())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.RequestToJoinResponse{Request: r}), nil
}

// joinableEvent checks the event takes requests from this person.
func (s *ticketingServer) joinableEvent(ctx context.Context, eventID, userID uuid.UUID, seats int32) (*db.Event, error) {
	ev, err := db.EventByID(ctx, s.DB, eventID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("event not found"))
	}
	if err != nil {
		return nil, err
	}
	switch {
	case ev.Status == db.EventDraft && ev.HostUserID != userID:
		return nil, errEventNotFound() // a draft is invisible to all but its host
	case ev.Status != db.EventPublished:
		return nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the event is %s and takes no requests", ev.Status))
	case !s.Now().Before(ev.StartsAt):
		return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("the event has already started"))
	case ev.HostUserID == userID:
		return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("you host this event"))
	case seats > ev.MaxSeatsPerRequest:
		return nil, rpc.InvalidField("seats", fmt.Sprintf("at most %d seat(s) per request for this event", ev.MaxSeatsPerRequest))
	}
	return ev, s.checkGender(ctx, ev, userID)
}

func (s *ticketingServer) checkGender(ctx context.Context, ev *db.Event, userID uuid.UUID) error {
	if ev.AllowedGenders == gendersAll {
		return nil
	}
	p, err := db.ProfileByUserID(ctx, s.DB, userID)
	if err != nil {
		return err
	}
	if p.Gender == nil || *p.Gender != ev.AllowedGenders {
		return connect.NewError(connect.CodePermissionDenied, fmt.Errorf("this event is for %s guests; set your gender in your profile if it applies", ev.AllowedGenders))
	}
	return nil
}

// orderStart is the start of a new order of userID for ev, with a fresh
// request ID.
func orderStart(ev *db.Event, userID uuid.UUID, seats int32, message string) workflows.TicketOrderStart {
	st := workflows.TicketOrderStart{EventTitle: ev.Title, Input: workflows.TicketOrderInput{
		RequestID: db.NewID().String(), EventID: ev.ID.String(), UserID: userID.String(), Seats: seats, Message: message}}
	if ev.OrganizationID != nil {
		st.OrgID = ev.OrganizationID.String()
	}
	return st
}

// updateWithStart starts the order (or finds it started by its River job)
// and waits on its admit update.
func (s *ticketingServer) updateWithStart(ctx context.Context, st workflows.TicketOrderStart) (workflows.TicketOrderState, error) {
	requestID := st.Input.RequestID
	start := s.Temporal.NewWithStartWorkflowOperation(workflows.TicketOrderStartOptions(s.TaskQueue, st), workflows.TicketOrderWorkflowName, st.Input)
	handle, err := s.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions:          client.UpdateWorkflowOptions{UpdateName: workflows.UpdateAdmit, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		return workflows.TicketOrderState{}, fmt.Errorf("start ticket order %s: %w", requestID, err)
	}
	var state workflows.TicketOrderState
	if err := handle.Get(ctx, &state); err != nil {
		return state, fmt.Errorf("admit ticket order %s: %w", requestID, err)
	}
	return state, nil
}

// GetRequest shows a request to its requester and to the event's host.
func (s *ticketingServer) GetRequest(ctx context.Context, req *connect.Request[eventsv1.GetRequestRequest]) (*connect.Response[eventsv1.GetRequestResponse], error) {
	r, _, err := s.requestFor(ctx, uuid.MustParse(req.Msg.GetRequestId()), true, true)
	if err != nil {
		return nil, err
	}
	out, err := s.loadRequest(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.GetRequestResponse{Request: out}), nil
}

// DecideRequest is the host's approve/decline, a Temporal update whose
// validator admits only the host and only while the request is pending.
func (s *ticketingServer) DecideRequest(ctx context.Context, req *connect.Request[eventsv1.DecideRequestRequest]) (*connect.Response[eventsv1.DecideRequestResponse], error) {
	msg := req.Msg
	r, _, err := s.requestFor(ctx, uuid.MustParse(msg.GetRequestId()), false, true)
	if err != nil {
		return nil, err
	}
	err = s.updateOrder(ctx, r, workflows.UpdateDecide, workflows.DecideInput{
		ActorUserID: rpc.CallerID(ctx).String(), Accept: msg.GetAccept(), HostMessage: msg.GetHostMessage()})
	if err != nil {
		return nil, err
	}
	out, err := s.loadRequest(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.DecideRequestResponse{Request: out}), nil
}

// CancelRequest withdraws the caller's request or ticket; the order
// releases the seat and refunds per the event's policy.
func (s *ticketingServer) CancelRequest(ctx context.Context, req *connect.Request[eventsv1.CancelRequestRequest]) (*connect.Response[eventsv1.CancelRequestResponse], error) {
	r, _, err := s.requestFor(ctx, uuid.MustParse(req.Msg.GetRequestId()), true, false)
	if err != nil {
		return nil, err
	}
	err = s.updateOrder(ctx, r, workflows.UpdateCancel, workflows.CancelInput{ActorUserID: rpc.CallerID(ctx).String(), Reason: req.Msg.GetReason()})
	if err != nil {
		return nil, err
	}
	out, err := s.loadRequest(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.CancelRequestResponse{Request: out}), nil
}

// updateOrder sends an update to an order and maps its refusals. An order
// admitted a moment ago may not have its workflow yet: it is started from
// its row and the update sent again.
func (s *ticketingServer) updateOrder(ctx context.Context, r *db.Request, name string, arg any) error {
	err := s.sendUpdate(ctx, r.ID, name, arg)
	if isNotFound(err) {
		if err := s.startOrderOf(ctx, r); err != nil {
			return err
		}
		err = s.sendUpdate(ctx, r.ID, name, arg)
	}
	return orderError(err)
}

func (s *ticketingServer) sendUpdate(ctx context.Context, requestID uuid.UUID, name string, arg any) error {
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.TicketOrderWorkflowID(requestID.String()), UpdateName: name,
		Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	return err
}

// orderError turns a ticket order's refusal into the Connect code it means.
func orderError(err error) error {
	return rpc.UpdateError(err, "this request is closed", "ticket order")
}

// requestFor loads a request the caller may see: as its requester
// (buyer) and/or as the event's host.
func (s *ticketingServer) requestFor(ctx context.Context, id uuid.UUID, buyer, host bool) (*db.Request, *db.Event, error) {
	r, err := db.RequestByID(ctx, s.DB, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, connect.NewError(connect.CodeNotFound, errors.New("request not found"))
	}
	if err != nil {
		return nil, nil, err
	}
	ev, err := db.EventByID(ctx, s.DB, r.EventID)
	if err != nil {
		return nil, nil, err
	}
	caller := rpc.CallerID(ctx)
	if (buyer && r.RequesterUserID == caller) || (host && ev.HostUserID == caller) {
		return r, ev, nil
	}
	who := "the event's host"
	if buyer && !host {
		who = "the person who made the request"
	} else if buyer {
		who = "the requester or the event's host"
	}
	return nil, nil, connect.NewError(connect.CodePermissionDenied, fmt.Errorf("only %s can do this", who))
}

// hostedEvent loads an event the caller hosts.
func (s *ticketingServer) hostedEvent(ctx context.Context, eventID uuid.UUID) (*db.Event, error) {
	ev, err := db.EventByID(ctx, s.DB, eventID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("event not found"))
	}
	if err != nil {
		return nil, err
	}
	if ev.HostUserID != rpc.CallerID(ctx) {
		return nil, connect.NewError(connect.CodePermissionDenied, errors.New("only the event's host can do this"))
	}
	return ev, nil
}
