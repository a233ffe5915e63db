package social

// GroupService: join requests to private groups and invites into groups.

import (
	"context"
	"errors"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
)

// joinRequestStatuses maps the API's join request statuses to enums.JoinRequest*.
var joinRequestStatuses = rpc.NewEnum(map[socialv1.JoinRequestStatus]string{
	socialv1.JoinRequestStatus_JOIN_REQUEST_STATUS_PENDING:   enums.JoinRequestPending,
	socialv1.JoinRequestStatus_JOIN_REQUEST_STATUS_APPROVED:  enums.JoinRequestApproved,
	socialv1.JoinRequestStatus_JOIN_REQUEST_STATUS_DECLINED:  enums.JoinRequestDeclined,
	socialv1.JoinRequestStatus_JOIN_REQUEST_STATUS_CANCELLED: enums.JoinRequestCancelled,
})

// groupInviteStatuses maps the API's invite statuses to enums.GroupInvite*.
var groupInviteStatuses = rpc.NewEnum(map[socialv1.GroupInviteStatus]string{
	socialv1.GroupInviteStatus_GROUP_INVITE_STATUS_PENDING:   enums.GroupInvitePending,
	socialv1.GroupInviteStatus_GROUP_INVITE_STATUS_ACCEPTED:  enums.GroupInviteAccepted,
	socialv1.GroupInviteStatus_GROUP_INVITE_STATUS_DECLINED:  enums.GroupInviteDeclined,
	socialv1.GroupInviteStatus_GROUP_INVITE_STATUS_CANCELLED: enums.GroupInviteCancelled,
})

// requestToJoin records the caller's pending join request to a private
// group; a second one is AlreadyExists.
func (s *groupsServer) requestToJoin(ctx context.Context, tx bun.Tx, a groupAccess, message string) (*socialv1.JoinRequest, error) {
	r := &db.GroupJoinRequest{GroupID: a.Group.ID, UserID: a.Caller, Message: message}
	if err := db.InsertJoinRequest(ctx, tx, r); errors.Is(err, db.ErrAlreadyPending) {
		return nil, connect.NewError(connect.CodeAlreadyExists, errors.New("your request to join this group is pending already"))
	} else if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, a.eventAccess, a.Group.ID, "request_join", map[string]any{"request_id": r.ID.String()}); err != nil {
		return nil, err
	}
	return joinRequestToProto(&db.NamedJoinRequest{GroupJoinRequest: *r}), nil
}

// ListJoinRequests lists a group's pending join requests (moderators).
func (s *groupsServer) ListJoinRequests(ctx context.Context, req *connect.Request[socialv1.ListJoinRequestsRequest]) (*connect.Response[socialv1.ListJoinRequestsResponse], error) {
	a, err := loadGroupAccess(ctx, s.DB, uuid.MustParse(req.Msg.GetGroupId()))
	if err != nil {
		return nil, err
	}
	if !a.CanModerate() {
		return nil, errNotModerator("see its join requests")
	}
	rows, err := db.PendingJoinRequests(ctx, s.DB, a.Group.ID)
	if err != nil {
		return nil, err
	}
	out := &socialv1.ListJoinRequestsResponse{}
	for i := range rows {
		out.JoinRequests = append(out.JoinRequests, joinRequestToProto(&rows[i]))
	}
	return connect.NewResponse(out), nil
}

// DecideJoinRequest approves (a place for the requester) or declines a
// pending join request, and tells the requester.
func (s *groupsServer) DecideJoinRequest(ctx context.Context, req *connect.Request[socialv1.DecideJoinRequestRequest]) (*connect.Response[socialv1.DecideJoinRequestResponse], error) {
	m := req.Msg
	var out *socialv1.JoinRequest
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := db.LockJoinRequest(ctx, tx, uuid.MustParse(m.GetRequestId()))
		if errors.Is(err, db.ErrNotFound) {
			return errJoinRequestNotFound()
		} else if err != nil {
			return err
		}
		a, err := loadGroupAccess(ctx, tx, r.GroupID)
		if connect.CodeOf(err) == connect.CodeNotFound {
			return errJoinRequestNotFound()
		} else if err != nil {
			return err
		}
		if !a.CanModerate() {
			return errNotModerator("decide its join requests")
		}
		if r.Status != enums.JoinRequestPending {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("request_id: the request is "+r.Status+" already"))
		}
		status, title := enums.JoinRequestDeclined, "Your request to join "+a.Group.Name+" was declined"
		if m.GetApprove() {
			if err := s.approveJoinRequest(ctx, tx, a, r); err != nil {
				return err
			}
			status, title = enums.JoinRequestApproved, "You joined "+a.Group.Name
		}
		if err := db.DecideJoinRequest(ctx, tx, r, status, a.Caller, s.Now()); err != nil {
			return err
		}
		out = joinRequestToProto(&db.NamedJoinRequest{GroupJoinRequest: *r})
		if err := s.notify(ctx, tx, a, r.UserID, "join-request/"+r.ID.String(), title, title+"."); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.eventAccess, a.Group.ID, "decide_join_request",
			map[string]any{"request_id": r.ID.String(), "user_id": r.UserID.String(), "status": status})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.DecideJoinRequestResponse{JoinRequest: out}), nil
}

// approveJoinRequest gives the requester a place unless a ban now bars
// them (FailedPrecondition) or the group is full (ResourceExhausted).
func (s *groupsServer) approveJoinRequest(ctx context.Context, tx bun.Tx, a groupAccess, r *db.GroupJoinRequest) error {
	ban, err := db.ActiveBan(ctx, tx, r.UserID, a.Event.ID, a.Group.ID, s.Now())
	if err != nil {
		return err
	}
	if ban != nil {
		return connect.NewError(connect.CodeFailedPrecondition, errors.New("request_id: the requester is banned from this "+ban.Scope))
	}
	_, err = s.addMember(ctx, tx, a.Group, r.UserID)
	return err
}

func errJoinRequestNotFound() error {
	return connect.NewError(connect.CodeNotFound, errors.New("join request not found"))
}

func errInviteNotFound() error {
	return connect.NewError(connect.CodeNotFound, errors.New("invite not found"))
}

// InviteToGroup invites a user who may see the event into the group
// (members and moderators may invite) and tells them.
func (s *groupsServer) InviteToGroup(ctx context.Context, req *connect.Request[socialv1.InviteToGroupRequest]) (*connect.Response[socialv1.InviteToGroupResponse], error) {
	m := req.Msg
	groupID, userID := uuid.MustParse(m.GetGroupId()), uuid.MustParse(m.GetUserId())
	var out *socialv1.GroupInvite
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		a, err := loadGroupAccess(ctx, tx, groupID)
		if err != nil {
			return err
		}
		if !a.Member && !a.CanModerate() {
			return connect.NewError(connect.CodePermissionDenied, errors.New("only the group's members and moderators may invite"))
		}
		if err := refuseInvitee(ctx, tx, a, userID); err != nil {
			return err
		}
		inv := &db.GroupInvite{GroupID: groupID, UserID: userID, InvitedBy: &a.Caller}
		if err := db.InsertGroupInvite(ctx, tx, inv); errors.Is(err, db.ErrAlreadyPending) {
			return connect.NewError(connect.CodeAlreadyExists, errors.New("user_id: already invited to this group"))
		} else if err != nil {
			return err
		}
		out = inviteToProto(inv)
		if err := s.notify(ctx, tx, a, userID, "invite/"+inv.ID.String(), "Invitation to "+a.Group.Name,
			"You are invited to join the group "+a.Group.Name+"."); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.eventAccess, groupID, "invite", map[string]any{"invite_id": inv.ID.String(), "user_id": userID.String()})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.InviteToGroupResponse{Invite: out}), nil
}

// refuseInvitee refuses inviting oneself, a member, or someone who may
// not see the event (an unknown user looks the same).
func refuseInvitee(ctx context.Context, idb bun.IDB, a groupAccess, userID uuid.UUID) error {
	if userID == a.Caller {
		return rpc.InvalidField("user_id", "you cannot invite yourself")
	}
	member, err := db.GroupMembership(ctx, idb, a.Group.ID, userID)
	if err != nil {
		return err
	}
	if member != nil {
		return connect.NewError(connect.CodeAlreadyExists, errors.New("user_id: already a member of this group"))
	}
	visible, err := eventVisibleTo(ctx, idb, a.Event, userID)
	if err != nil {
		return err
	}
	if !visible {
		return connect.NewError(connect.CodeNotFound, errors.New("user_id: no such user at this event"))
	}
	return nil
}

// RespondToGroupInvite accepts (a place, if the invitee has an RSVP and
// no ban) or declines the caller's pending invite.
func (s *groupsServer) RespondToGroupInvite(ctx context.Context, req *connect.Request[socialv1.RespondToGroupInviteRequest]) (*connect.Response[socialv1.RespondToGroupInviteResponse], error) {
	m := req.Msg
	var out *socialv1.GroupInvite
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		inv, err := db.LockGroupInvite(ctx, tx, uuid.MustParse(m.GetInviteId()))
		if errors.Is(err, db.ErrNotFound) || err == nil && inv.UserID != rpc.CallerID(ctx) {
			return errInviteNotFound()
		} else if err != nil {
			return err
		}
		a, err := loadGroupAccess(ctx, tx, inv.GroupID)
		if connect.CodeOf(err) == connect.CodeNotFound {
			return errInviteNotFound()
		} else if err != nil {
			return err
		}
		if inv.Status != enums.GroupInvitePending {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("invite_id: the invite is "+inv.Status+" already"))
		}
		status := enums.GroupInviteDeclined
		if m.GetAccept() {
			if err := s.refuseOutsider(ctx, tx, a.eventAccess, a.Group.ID); err != nil {
				return err
			}
			if _, err := s.addMember(ctx, tx, a.Group, a.Caller); err != nil {
				return err
			}
			status = enums.GroupInviteAccepted
		}
		if err := db.RespondToGroupInvite(ctx, tx, inv, status, s.Now()); err != nil {
			return err
		}
		out = inviteToProto(inv)
		return s.audit(ctx, tx, a.eventAccess, a.Group.ID, "respond_invite", map[string]any{"invite_id": inv.ID.String(), "status": status})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.RespondToGroupInviteResponse{Invite: out}), nil
}

func joinRequestToProto(r *db.NamedJoinRequest) *socialv1.JoinRequest {
	return &socialv1.JoinRequest{Id: r.ID.String(), GroupId: r.GroupID.String(), UserId: r.UserID.String(), UserName: r.UserName,
		Message: r.Message, Status: joinRequestStatuses.Value(r.Status), CreatedAt: timestamppb.New(r.CreatedAt)}
}

func inviteToProto(inv *db.GroupInvite) *socialv1.GroupInvite {
	return &socialv1.GroupInvite{Id: inv.ID.String(), GroupId: inv.GroupID.String(), UserId: inv.UserID.String(),
		InvitedBy: rpc.IDString(inv.InvitedBy), Status: groupInviteStatuses.Value(inv.Status), CreatedAt: timestamppb.New(inv.CreatedAt)}
}
