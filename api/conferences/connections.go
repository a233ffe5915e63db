package conferences

// Connections between members (ConnectionService): one row per pair, a
// daily request quota, blocks that work both ways. Every change to a pair
// takes the pair's lock first (db.LockConnectionPair), so two members
// acting on each other at once are serialised and see each other's row.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/jobs"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	"github.com/convene/convene/proto/convene/conferences/v1/conferencesv1connect"
)

// connectionServer implements convene.conferences.v1.ConnectionService.
type connectionServer struct {
	Deps
	notices *jobs.Notices
}

var _ conferencesv1connect.ConnectionServiceHandler = (*connectionServer)(nil)

// connectionService is ConnectionService, ready to mount.
func connectionService(d Deps) rpc.Service {
	return rpc.NewService[conferencesv1connect.ConnectionServiceHandler](conferencesv1connect.ConnectionServiceName,
		&connectionServer{Deps: d, notices: &jobs.Notices{River: d.River}}, conferencesv1connect.NewConnectionServiceHandler)
}

// connectionStatuses maps the API's statuses to enums.Connection*.
var connectionStatuses = rpc.NewEnum(map[conferencesv1.ConnectionStatus]string{
	conferencesv1.ConnectionStatus_CONNECTION_STATUS_PENDING:   enums.ConnectionPending,
	conferencesv1.ConnectionStatus_CONNECTION_STATUS_ACCEPTED:  enums.ConnectionAccepted,
	conferencesv1.ConnectionStatus_CONNECTION_STATUS_DECLINED:  enums.ConnectionDeclined,
	conferencesv1.ConnectionStatus_CONNECTION_STATUS_CANCELLED: enums.ConnectionCancelled,
	conferencesv1.ConnectionStatus_CONNECTION_STATUS_BLOCKED:   enums.ConnectionBlocked,
})

// memberNotFound is the answer about a member the caller may not reach,
// the same whether or not they exist.
func memberNotFound() error {
	return connect.NewError(connect.CodeNotFound, errors.New("user_id: member not found"))
}

// RequestConnection asks a member to connect, or accepts their pending
// request to the caller.
func (s *connectionServer) RequestConnection(ctx context.Context, req *connect.Request[conferencesv1.RequestConnectionRequest]) (*connect.Response[conferencesv1.RequestConnectionResponse], error) {
	callerID, otherID := rpc.CallerID(ctx), uuid.MustParse(req.Msg.GetUserId())
	if callerID == otherID {
		return nil, rpc.InvalidField("user_id", "you cannot connect with yourself")
	}
	conferenceID := rpc.OptionalID(req.Msg.GetConferenceId())
	var c *db.Connection
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkCanAsk(ctx, tx, callerID, otherID, conferenceID); err != nil {
			return err
		}
		if err := db.LockConnectionPair(ctx, tx, callerID, otherID); err != nil {
			return err
		}
		existing, err := db.ConnectionOfPair(ctx, tx, callerID, otherID)
		if errors.Is(err, db.ErrNotFound) {
			c = &db.Connection{ID: db.NewID(), RequesterID: callerID, RecipientID: otherID, ConferenceID: conferenceID,
				Status: enums.ConnectionPending, Message: req.Msg.GetMessage()}
			return s.ask(ctx, tx, c, true)
		}
		if err != nil {
			return err
		}
		c = existing
		return s.askAgain(ctx, tx, c, callerID, otherID, conferenceID, req.Msg.GetMessage())
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.RequestConnectionResponse{Connection: s.view(ctx, c, callerID)}), nil
}

// askAgain decides a request on a pair that has a connection: a pending
// request of the other member's is accepted, a closed connection asked
// again with the caller as requester; anything else is refused.
func (s *connectionServer) askAgain(ctx context.Context, tx bun.Tx, c *db.Connection, callerID, otherID uuid.UUID, conferenceID *uuid.UUID, message string) error {
	switch {
	case c.Status == enums.ConnectionBlocked && c.BlockedBy != nil && *c.BlockedBy == callerID:
		return connect.NewError(connect.CodePermissionDenied, errors.New("you blocked this member; unblock them first"))
	case c.Status == enums.ConnectionBlocked:
		// Blocked by the other member: the same words whoever blocked.
		return connect.NewError(connect.CodePermissionDenied, errors.New("you cannot connect with this member"))
	case c.Status == enums.ConnectionAccepted:
		return connect.NewError(connect.CodeAlreadyExists, errors.New("you are already connected with this member"))
	case c.Status == enums.ConnectionPending && c.RequesterID == callerID:
		return connect.NewError(connect.CodeAlreadyExists, errors.New("your request to this member is already pending"))
	case c.Status == enums.ConnectionPending:
		// They asked first: asking back is saying yes.
		return s.answer(ctx, tx, c, callerID, true)
	}
	c.RequesterID, c.RecipientID, c.ConferenceID = callerID, otherID, conferenceID
	c.Status, c.Message, c.RespondedAt, c.CreatedAt = enums.ConnectionPending, message, nil, s.Now()
	return s.ask(ctx, tx, c, false)
}

// checkCanAsk admits a request only to someone the caller may reach: a
// fellow member of an organization, or, with a conference, a fellow
// registered attendee. Strangers are NotFound, so requests cannot be
// sprayed at anyone whose ID leaked.
func (s *connectionServer) checkCanAsk(ctx context.Context, tx bun.Tx, callerID, otherID uuid.UUID, conferenceID *uuid.UUID) error {
	if conferenceID == nil {
		return s.checkReachable(ctx, tx, callerID, otherID)
	}
	visible, err := db.ConferenceVisibleTo(ctx, tx, *conferenceID, callerID)
	if err != nil {
		return err
	}
	if !visible {
		return connect.NewError(connect.CodeNotFound, errors.New("conference_id: conference not found"))
	}
	if _, err := db.UserByID(ctx, tx, otherID); errors.Is(err, db.ErrNotFound) {
		return memberNotFound()
	} else if err != nil {
		return err
	}
	for _, who := range []struct {
		id      uuid.UUID
		refusal string
	}{{callerID, "you are not registered for this conference"}, {otherID, "this member is not registered for this conference"}} {
		ok, err := db.IsRegisteredAttendee(ctx, tx, *conferenceID, who.id)
		if err != nil {
			return err
		}
		if !ok {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New(who.refusal))
		}
	}
	return nil
}

// checkReachable admits a member who shares an organization with the
// caller or already has a connection with them (of any state).
func (s *connectionServer) checkReachable(ctx context.Context, tx bun.Tx, callerID, otherID uuid.UUID) error {
	shares, err := db.SharesOrganization(ctx, tx, callerID, otherID)
	if err != nil || shares {
		return err
	}
	if _, err := db.ConnectionOfPair(ctx, tx, callerID, otherID); errors.Is(err, db.ErrNotFound) {
		return memberNotFound()
	} else if err != nil {
		return err
	}
	return nil
}

// ask writes a request (a new row, or a closed one asked again), counts
// it against the caller's daily quota and tells the recipient.
func (s *connectionServer) ask(ctx context.Context, tx bun.Tx, c *db.Connection, isNew bool) error {
	if err := db.CountConnectionRequest(ctx, tx, c.RequesterID, s.Now(), s.ConnectionDailyLimit); errors.Is(err, db.ErrConnectionQuota) {
		return connect.NewError(connect.CodeResourceExhausted,
			fmt.Errorf("daily limit of %d connection requests reached; try again tomorrow (UTC)", s.ConnectionDailyLimit))
	} else if err != nil {
		return err
	}
	var err error
	if isNew {
		err = db.InsertConnection(ctx, tx, c)
	} else {
		err = db.SaveConnection(ctx, tx, c)
	}
	if db.IsUniqueViolation(err, "connections_pair_key") {
		return connect.NewError(connect.CodeAlreadyExists, errors.New("this member and you already have a connection"))
	} else if err != nil {
		return err
	}
	name, err := db.DisplayName(ctx, tx, c.RequesterID)
	if err != nil {
		return err
	}
	if err := s.notices.Send(ctx, tx, jobs.Notice{Key: fmt.Sprintf("connection/%s/request/%d", c.ID, c.CreatedAt.UnixNano()),
		To: c.RecipientID, From: &c.RequesterID, Category: db.CategoryConnections, ReferenceType: "connection", ReferenceID: c.ID.String(),
		Title: "New connection request", Body: requestBody(name, c.Message)}); err != nil {
		return err
	}
	return rpc.Audit(ctx, tx, &c.RequesterID, nil, "connection", c.ID.String(), "request", map[string]any{
		"recipient_id": c.RecipientID.String(), "conference_id": rpc.IDString(c.ConferenceID)})
}

// requestBody is the notice's text for a request from name.
func requestBody(name, message string) string {
	if name == "" {
		name = "A member"
	}
	if message == "" {
		return name + " would like to connect with you."
	}
	return fmt.Sprintf("%s would like to connect with you: %q", name, message)
}

// RespondConnection accepts or declines a request to the caller.
func (s *connectionServer) RespondConnection(ctx context.Context, req *connect.Request[conferencesv1.RespondConnectionRequest]) (*connect.Response[conferencesv1.RespondConnectionResponse], error) {
	callerID := rpc.CallerID(ctx)
	var c *db.Connection
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if c, err = lockedConnection(ctx, tx, uuid.MustParse(req.Msg.GetConnectionId()), callerID); err != nil {
			return err
		}
		if c.RecipientID != callerID {
			return connect.NewError(connect.CodePermissionDenied, errors.New("only the member asked may answer this request"))
		}
		if c.Status != enums.ConnectionPending {
			return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("this request is %s, not pending", c.Status))
		}
		return s.answer(ctx, tx, c, callerID, req.Msg.GetAccept())
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.RespondConnectionResponse{Connection: s.view(ctx, c, callerID)}), nil
}

// answer closes a pending request by its recipient; an acceptance is
// told to the requester (a decline is not: nobody needs that notice).
func (s *connectionServer) answer(ctx context.Context, tx bun.Tx, c *db.Connection, callerID uuid.UUID, accept bool) error {
	now := s.Now()
	c.Status, c.RespondedAt = enums.ConnectionDeclined, &now
	if accept {
		c.Status = enums.ConnectionAccepted
	}
	if err := db.SaveConnection(ctx, tx, c); err != nil {
		return err
	}
	if accept {
		name, err := db.DisplayName(ctx, tx, callerID)
		if err != nil {
			return err
		}
		if name == "" {
			name = "A member"
		}
		if err := s.notices.Send(ctx, tx, jobs.Notice{Key: fmt.Sprintf("connection/%s/accepted/%d", c.ID, now.UnixNano()),
			To: c.RequesterID, From: &callerID, Category: db.CategoryConnections, ReferenceType: "connection", ReferenceID: c.ID.String(),
			Title: "Connection accepted", Body: name + " accepted your connection request."}); err != nil {
			return err
		}
	}
	return rpc.Audit(ctx, tx, &callerID, nil, "connection", c.ID.String(), c.Status, nil)
}

// CancelConnection withdraws the caller's pending request.
func (s *connectionServer) CancelConnection(ctx context.Context, req *connect.Request[conferencesv1.CancelConnectionRequest]) (*connect.Response[conferencesv1.CancelConnectionResponse], error) {
	callerID := rpc.CallerID(ctx)
	var c *db.Connection
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if c, err = lockedConnection(ctx, tx, uuid.MustParse(req.Msg.GetConnectionId()), callerID); err != nil {
			return err
		}
		if c.RequesterID != callerID {
			return connect.NewError(connect.CodePermissionDenied, errors.New("only the member who asked may withdraw this request"))
		}
		if c.Status != enums.ConnectionPending {
			return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("this request is %s, not pending", c.Status))
		}
		return s.close(ctx, tx, c, callerID, "cancel")
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.CancelConnectionResponse{Connection: s.view(ctx, c, callerID)}), nil
}

// RemoveConnection ends the caller's accepted connection with a member.
func (s *connectionServer) RemoveConnection(ctx context.Context, req *connect.Request[conferencesv1.RemoveConnectionRequest]) (*connect.Response[conferencesv1.RemoveConnectionResponse], error) {
	callerID, otherID := rpc.CallerID(ctx), uuid.MustParse(req.Msg.GetUserId())
	var c *db.Connection
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if c, err = lockedPair(ctx, tx, callerID, otherID); err != nil && !errors.Is(err, db.ErrNotFound) {
			return err
		}
		if c == nil || c.Status != enums.ConnectionAccepted {
			return connect.NewError(connect.CodeNotFound, errors.New("user_id: you are not connected with this member"))
		}
		return s.close(ctx, tx, c, callerID, "remove")
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.RemoveConnectionResponse{Connection: s.view(ctx, c, callerID)}), nil
}

// BlockUser blocks a member both ways.
func (s *connectionServer) BlockUser(ctx context.Context, req *connect.Request[conferencesv1.BlockUserRequest]) (*connect.Response[conferencesv1.BlockUserResponse], error) {
	callerID, otherID := rpc.CallerID(ctx), uuid.MustParse(req.Msg.GetUserId())
	if callerID == otherID {
		return nil, rpc.InvalidField("user_id", "you cannot block yourself")
	}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkReachable(ctx, tx, callerID, otherID); err != nil {
			return err
		}
		c, err := lockedPair(ctx, tx, callerID, otherID)
		switch {
		case errors.Is(err, db.ErrNotFound):
			c = &db.Connection{ID: db.NewID(), RequesterID: callerID, RecipientID: otherID, Status: enums.ConnectionBlocked, BlockedBy: &callerID}
			err = db.InsertConnection(ctx, tx, c)
		case err != nil:
			return err
		case c.Status == enums.ConnectionBlocked:
			// Blocked already, by either: nothing to change, and nothing
			// to tell about who blocked first.
			return nil
		default:
			c.Status, c.BlockedBy = enums.ConnectionBlocked, &callerID
			err = db.SaveConnection(ctx, tx, c)
		}
		if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, nil, "connection", c.ID.String(), "block", map[string]any{"user_id": otherID.String()})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.BlockUserResponse{}), nil
}

// UnblockUser lifts the caller's own block.
func (s *connectionServer) UnblockUser(ctx context.Context, req *connect.Request[conferencesv1.UnblockUserRequest]) (*connect.Response[conferencesv1.UnblockUserResponse], error) {
	callerID, otherID := rpc.CallerID(ctx), uuid.MustParse(req.Msg.GetUserId())
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := lockedPair(ctx, tx, callerID, otherID)
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return err
		}
		if c == nil || c.Status != enums.ConnectionBlocked || *c.BlockedBy != callerID {
			return connect.NewError(connect.CodeNotFound, errors.New("user_id: you have not blocked this member"))
		}
		return s.close(ctx, tx, c, callerID, "unblock")
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.UnblockUserResponse{}), nil
}

// close cancels a connection (a withdrawn request, an ended connection,
// a lifted block) and records why.
func (s *connectionServer) close(ctx context.Context, tx bun.Tx, c *db.Connection, callerID uuid.UUID, action string) error {
	c.Status, c.BlockedBy = enums.ConnectionCancelled, nil
	if err := db.SaveConnection(ctx, tx, c); err != nil {
		return err
	}
	return rpc.Audit(ctx, tx, &callerID, nil, "connection", c.ID.String(), action, nil)
}

// lockedConnection loads a connection of the caller's under its pair's
// lock. Another pair's connection, or a block of the caller by the other
// member, is NotFound.
func lockedConnection(ctx context.Context, tx bun.Tx, id, callerID uuid.UUID) (*db.Connection, error) {
	notFound := connect.NewError(connect.CodeNotFound, errors.New("connection_id: connection not found"))
	c, err := db.ConnectionByID(ctx, tx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if c.RequesterID != callerID && c.RecipientID != callerID {
		return nil, notFound
	}
	other := c.RequesterID
	if other == callerID {
		other = c.RecipientID
	}
	if c, err = lockedPair(ctx, tx, callerID, other); err != nil {
		return nil, err
	}
	if c.Status == enums.ConnectionBlocked && *c.BlockedBy != callerID {
		return nil, notFound
	}
	return c, nil
}

// lockedPair takes the pair's lock and loads its connection (ErrNotFound
// when none).
func lockedPair(ctx context.Context, tx bun.Tx, a, b uuid.UUID) (*db.Connection, error) {
	if err := db.LockConnectionPair(ctx, tx, a, b); err != nil {
		return nil, err
	}
	return db.ConnectionOfPair(ctx, tx, a, b)
}

// ListConnections pages through the caller's connections.
func (s *connectionServer) ListConnections(ctx context.Context, req *connect.Request[conferencesv1.ListConnectionsRequest]) (*connect.Response[conferencesv1.ListConnectionsResponse], error) {
	m, callerID := req.Msg, rpc.CallerID(ctx)
	page, err := rpc.TimePage("ListConnections", m.GetPageToken(), m.GetPageSize(), 50)
	if err != nil {
		return nil, err
	}
	f := db.ConnectionFilter{UserID: callerID, Status: connectionStatuses.Name(m.GetStatus()),
		AfterCreated: page.LastKey, AfterID: page.LastID, Limit: page.Limit()}
	switch m.GetDirection() {
	case conferencesv1.ConnectionDirection_CONNECTION_DIRECTION_INCOMING:
		f.Direction = db.ConnectionsIncoming
	case conferencesv1.ConnectionDirection_CONNECTION_DIRECTION_OUTGOING:
		f.Direction = db.ConnectionsOutgoing
	}
	rows, err := db.ListConnections(ctx, s.DB, f)
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(r *db.ConnectionView) (time.Time, uuid.UUID) { return r.CreatedAt, r.ID })
	out := &conferencesv1.ListConnectionsResponse{NextPageToken: next}
	for i := range rows {
		out.Connections = append(out.Connections, connectionToProto(&rows[i].Connection, callerID, rows[i].OtherName))
	}
	return connect.NewResponse(out), nil
}

// view is c as the caller sees it, with the other member's name (left
// empty if it cannot be read: the change is committed either way).
func (s *connectionServer) view(ctx context.Context, c *db.Connection, callerID uuid.UUID) *conferencesv1.Connection {
	other := c.RequesterID
	if other == callerID {
		other = c.RecipientID
	}
	name, err := db.DisplayName(ctx, s.DB, other)
	if err != nil {
		s.Log.WarnContext(ctx, "read connection's other name", "connection_id", c.ID, "error", err)
	}
	return connectionToProto(c, callerID, name)
}

func connectionToProto(c *db.Connection, callerID uuid.UUID, otherName string) *conferencesv1.Connection {
	out := &conferencesv1.Connection{Id: c.ID.String(), RequesterId: c.RequesterID.String(), RecipientId: c.RecipientID.String(),
		OtherUserId: c.RequesterID.String(), OtherName: otherName, ConferenceId: rpc.IDString(c.ConferenceID),
		Status: connectionStatuses.Value(c.Status), Direction: conferencesv1.ConnectionDirection_CONNECTION_DIRECTION_INCOMING,
		Message: c.Message, CreatedAt: timestamppb.New(c.CreatedAt)}
	if c.RequesterID == callerID {
		out.OtherUserId, out.Direction = c.RecipientID.String(), conferencesv1.ConnectionDirection_CONNECTION_DIRECTION_OUTGOING
	}
	if c.RespondedAt != nil {
		out.RespondedAt = timestamppb.New(*c.RespondedAt)
	}
	return out
}
