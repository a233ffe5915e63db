package social

// GroupService: joining, leaving and managing members.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/jobs"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
)

// addMember gives userID a place in the group, in tx, and withdraws their
// pending join request and invite. A full group is ResourceExhausted, a
// member already AlreadyExists (returned, so the transaction rolls back).
func (s *groupsServer) addMember(ctx context.Context, tx bun.Tx, g *db.Group, userID uuid.UUID) (*db.NamedMember, error) {
	err := db.AddGroupMember(ctx, tx, g.ID, userID, false)
	switch {
	case errors.Is(err, db.ErrGroupFull):
		return nil, connect.NewError(connect.CodeResourceExhausted,
			fmt.Errorf("the group is full (%d of %d)", g.MaxMembers, g.MaxMembers))
	case errors.Is(err, db.ErrGroupGone):
		return nil, errGroupNotFound()
	case errors.Is(err, db.ErrAlreadyMember):
		return nil, connect.NewError(connect.CodeAlreadyExists, errors.New("already a member of this group"))
	case err != nil:
		return nil, err
	}
	if err := db.WithdrawPendingFor(ctx, tx, g.ID, userID, s.Now()); err != nil {
		return nil, err
	}
	return db.NamedMembership(ctx, tx, g.ID, userID)
}

// JoinGroup joins a public group, or asks to join a private one.
func (s *groupsServer) JoinGroup(ctx context.Context, req *connect.Request[socialv1.JoinGroupRequest]) (*connect.Response[socialv1.JoinGroupResponse], error) {
	groupID := uuid.MustParse(req.Msg.GetGroupId())
	out := &socialv1.JoinGroupResponse{}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		a, err := loadGroupAccess(ctx, tx, groupID)
		if err != nil {
			return err
		}
		if a.Member {
			return connect.NewError(connect.CodeAlreadyExists, errors.New("already a member of this group"))
		}
		if !a.Host && !a.Staff {
			if err := s.refuseOutsider(ctx, tx, a.eventAccess, groupID); err != nil {
				return err
			}
		}
		if a.Group.IsPrivate && !a.CanModerate() {
			r, err := s.requestToJoin(ctx, tx, a, req.Msg.GetMessage())
			out.Outcome = &socialv1.JoinGroupResponse_JoinRequest{JoinRequest: r}
			return err
		}
		m, err := s.addMember(ctx, tx, a.Group, a.Caller)
		if err != nil {
			return err
		}
		out.Outcome = &socialv1.JoinGroupResponse_Membership{Membership: memberToProto(m)}
		return s.audit(ctx, tx, a.eventAccess, groupID, "join", nil)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(out), nil
}

// LeaveGroup ends the caller's membership; when they were the last admin
// the longest-standing member left becomes admin.
func (s *groupsServer) LeaveGroup(ctx context.Context, req *connect.Request[socialv1.LeaveGroupRequest]) (*connect.Response[socialv1.LeaveGroupResponse], error) {
	groupID := uuid.MustParse(req.Msg.GetGroupId())
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		a, err := loadGroupAccess(ctx, tx, groupID)
		if err != nil {
			return err
		}
		if !a.Member {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("you are not a member of this group"))
		}
		return s.removeMember(ctx, tx, a, a.Caller, "leave")
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.LeaveGroupResponse{}), nil
}

// RemoveMember removes a member of the group (moderators only) and tells
// them.
func (s *groupsServer) RemoveMember(ctx context.Context, req *connect.Request[socialv1.RemoveMemberRequest]) (*connect.Response[socialv1.RemoveMemberResponse], error) {
	groupID, userID := uuid.MustParse(req.Msg.GetGroupId()), uuid.MustParse(req.Msg.GetUserId())
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		a, err := loadGroupAccess(ctx, tx, groupID)
		if err != nil {
			return err
		}
		if !a.CanModerate() {
			return errNotModerator("remove members")
		}
		if err := s.removeMember(ctx, tx, a, userID, "remove_member"); err != nil {
			return err
		}
		if userID == a.Caller {
			return nil
		}
		return s.notify(ctx, tx, a, userID, "removed/"+db.NewID().String(), "Removed from "+a.Group.Name,
			"You were removed from the group "+a.Group.Name+".")
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.RemoveMemberResponse{}), nil
}

// removeMember ends userID's membership under the group's row lock (so
// two admins leaving at once leave one admin), promotes an admin if none
// is left, and audits it.
func (s *groupsServer) removeMember(ctx context.Context, tx bun.Tx, a groupAccess, userID uuid.UUID, action string) error {
	if _, err := db.LockGroup(ctx, tx, a.Group.ID); errors.Is(err, db.ErrNotFound) {
		return errGroupNotFound()
	} else if err != nil {
		return err
	}
	removed, err := db.RemoveGroupMember(ctx, tx, a.Group.ID, userID)
	if err != nil {
		return err
	}
	if !removed {
		return connect.NewError(connect.CodeNotFound, errors.New("user_id: not a member of this group"))
	}
	promoted, err := db.PromoteIfNoAdmin(ctx, tx, a.Group.ID)
	if err != nil {
		return err
	}
	payload := map[string]any{"user_id": userID.String()}
	if promoted != uuid.Nil {
		payload["promoted_admin"] = promoted.String()
	}
	return s.audit(ctx, tx, a.eventAccess, a.Group.ID, action, payload)
}

// SetMemberAdmin makes a member an admin of the group or not (moderators
// only); the last admin of a group is not demoted.
func (s *groupsServer) SetMemberAdmin(ctx context.Context, req *connect.Request[socialv1.SetMemberAdminRequest]) (*connect.Response[socialv1.SetMemberAdminResponse], error) {
	m := req.Msg
	groupID, userID := uuid.MustParse(m.GetGroupId()), uuid.MustParse(m.GetUserId())
	var out *socialv1.GroupMember
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		a, err := loadGroupAccess(ctx, tx, groupID)
		if err != nil {
			return err
		}
		if !a.CanModerate() {
			return errNotModerator("choose its admins")
		}
		if _, err := db.LockGroup(ctx, tx, groupID); err != nil {
			return err
		}
		member, err := db.NamedMembership(ctx, tx, groupID, userID)
		if errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeNotFound, errors.New("user_id: not a member of this group"))
		} else if err != nil {
			return err
		}
		if member.IsAdmin && !m.GetIsAdmin() {
			if err := refuseLastAdmin(ctx, tx, groupID); err != nil {
				return err
			}
		}
		if _, err := db.SetGroupAdmin(ctx, tx, groupID, userID, m.GetIsAdmin()); err != nil {
			return err
		}
		member.IsAdmin = m.GetIsAdmin()
		out = memberToProto(member)
		return s.audit(ctx, tx, a.eventAccess, groupID, "set_admin", map[string]any{"user_id": userID.String(), "is_admin": m.GetIsAdmin()})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.SetMemberAdminResponse{Member: out}), nil
}

// refuseLastAdmin keeps an admin in every group: demoting the last one
// is FailedPrecondition.
func refuseLastAdmin(ctx context.Context, idb bun.IDB, groupID uuid.UUID) error {
	n, err := db.GroupAdminCount(ctx, idb, groupID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return connect.NewError(connect.CodeFailedPrecondition,
			errors.New("is_admin: the group's last admin stays one; make another member admin first"))
	}
	return nil
}

// ListMembers pages through a group's members: for its members and
// moderators, and for anyone who sees a public group.
func (s *groupsServer) ListMembers(ctx context.Context, req *connect.Request[socialv1.ListMembersRequest]) (*connect.Response[socialv1.ListMembersResponse], error) {
	m := req.Msg
	page, err := rpc.TimePage("ListMembers", m.GetPageToken(), m.GetPageSize(), membersPageSize)
	if err != nil {
		return nil, err
	}
	a, err := loadGroupAccess(ctx, s.DB, uuid.MustParse(m.GetGroupId()))
	if err != nil {
		return nil, err
	}
	if a.Group.IsPrivate && !a.CanRead() {
		return nil, connect.NewError(connect.CodePermissionDenied, errors.New("only members see a private group's members"))
	}
	rows, err := db.GroupMembersPage(ctx, s.DB, a.Group.ID, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(m *db.NamedMember) (time.Time, uuid.UUID) { return m.JoinedAt, m.UserID })
	out := &socialv1.ListMembersResponse{NextPageToken: next}
	for i := range rows {
		out.Members = append(out.Members, memberToProto(&rows[i]))
	}
	return connect.NewResponse(out), nil
}

// notify sends a group notice, keyed group/<id>/<key>, in tx.
func (s *groupsServer) notify(ctx context.Context, tx bun.Tx, a groupAccess, to uuid.UUID, key, title, body string) error {
	return s.notices.Send(ctx, tx, jobs.Notice{Key: "group/" + a.Group.ID.String() + "/" + key, To: to,
		Category: db.CategoryEventUpdates, Title: title, Body: body, OrganizationID: a.Event.OrganizationID, From: &a.Caller,
		ReferenceType: "group", ReferenceID: a.Group.ID.String()})
}
