package social

// GroupService: creating, changing, reading and listing groups (this
// file), joining, leaving and members (groups_membership.go), join
// requests and invites (groups_requests.go).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/jobs"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
	"github.com/convene/convene/proto/convene/social/v1/socialv1connect"
)

const (
	// defaultMaxMembers is a new group's places when the request has none
	// (the schema's default).
	defaultMaxMembers = 10
	groupsPageSize    = 50
	membersPageSize   = 100
)

// groupsServer implements convene.social.v1.GroupService.
type groupsServer struct {
	Deps
	notices *jobs.Notices
	socialv1connect.UnimplementedGroupServiceHandler
}

// groupsService mounts GroupService.
func groupsService(d Deps) rpc.Service {
	return rpc.NewService[socialv1connect.GroupServiceHandler](socialv1connect.GroupServiceName,
		&groupsServer{Deps: d, notices: &jobs.Notices{River: d.River}}, socialv1connect.NewGroupServiceHandler)
}

// errNotModerator refuses a write only the group's moderators may make.
func errNotModerator(what string) error {
	return connect.NewError(connect.CodePermissionDenied,
		fmt.Errorf("only the group's admins, the event's host and organization admins, and staff may %s", what))
}

// CreateGroup creates a group at an event with the caller as its first
// member and admin.
func (s *groupsServer) CreateGroup(ctx context.Context, req *connect.Request[socialv1.CreateGroupRequest]) (*connect.Response[socialv1.CreateGroupResponse], error) {
	m := req.Msg
	name, err := groupName(m.GetName())
	if err != nil {
		return nil, err
	}
	g := &db.Group{EventID: uuid.MustParse(m.GetEventId()), Name: name, Description: m.GetDescription(),
		MaxMembers: defaultMaxMembers, IsPrivate: m.GetIsPrivate()}
	if m.MaxMembers != nil {
		g.MaxMembers = m.GetMaxMembers()
	}
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		a, err := loadEventAccess(ctx, tx, g.EventID)
		if err != nil {
			return err
		}
		if !a.Host && !a.Staff {
			if err := s.refuseOutsider(ctx, tx, a, uuid.Nil); err != nil {
				return err
			}
		}
		g.CreatedBy = &a.Caller
		if err := db.InsertGroup(ctx, tx, g); err != nil {
			return err
		}
		if err := db.AddGroupMember(ctx, tx, g.ID, a.Caller, true); err != nil {
			return err
		}
		g.MemberCount = 1
		return s.audit(ctx, tx, a, g.ID, "create", map[string]any{"name": g.Name, "max_members": g.MaxMembers,
			"is_private": g.IsPrivate})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.CreateGroupResponse{Group: groupToProto(g, &db.GroupMember{IsAdmin: true})}), nil
}

// groupName is the trimmed name; a blank one is refused (protovalidate
// already refuses an empty one).
func groupName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" {
		return "", rpc.InvalidField("name", "must not be blank")
	}
	return name, nil
}

// refuseOutsider refuses someone who may not join the event's groups: no
// RSVP going or interested (FailedPrecondition), or banned from the
// event or the group (PermissionDenied).
func (s *groupsServer) refuseOutsider(ctx context.Context, idb bun.IDB, a eventAccess, groupID uuid.UUID) error {
	rsvp, err := db.RsvpOf(ctx, idb, a.Event.ID, a.Caller)
	if err != nil {
		return err
	}
	if rsvp == "" || rsvp == enums.RsvpNotGoing {
		return connect.NewError(connect.CodeFailedPrecondition,
			errors.New("RSVP going (EventService.RequestToJoin) or interested (EventService.SetRsvp) to the event first"))
	}
	return refuseBanned(ctx, idb, a.Caller, a.Event.ID, groupID, s.Now())
}

// UpdateGroup changes the fields the request sets.
func (s *groupsServer) UpdateGroup(ctx context.Context, req *connect.Request[socialv1.UpdateGroupRequest]) (*connect.Response[socialv1.UpdateGroupResponse], error) {
	m := req.Msg
	groupID := uuid.MustParse(m.GetGroupId())
	var name string
	if m.Name != nil {
		var err error
		if name, err = groupName(m.GetName()); err != nil {
			return nil, err
		}
	}
	var out *socialv1.Group
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		a, err := loadGroupAccess(ctx, tx, groupID)
		if err != nil {
			return err
		}
		if !a.CanModerate() {
			return errNotModerator("update it")
		}
		g, err := db.LockGroup(ctx, tx, groupID)
		if err != nil {
			return err
		}
		if m.Name != nil {
			g.Name = name
		}
		if m.Description != nil {
			g.Description = m.GetDescription()
		}
		if m.IsPrivate != nil {
			g.IsPrivate = m.GetIsPrivate()
		}
		if m.MaxMembers != nil {
			if m.GetMaxMembers() < g.MemberCount {
				return connect.NewError(connect.CodeFailedPrecondition,
					fmt.Errorf("max_members: the group has %d members, more than %d", g.MemberCount, m.GetMaxMembers()))
			}
			g.MaxMembers = m.GetMaxMembers()
		}
		if err := db.UpdateGroupFields(ctx, tx, g); err != nil {
			return err
		}
		out = groupToProto(g, a.membership())
		return s.audit(ctx, tx, a.eventAccess, g.ID, "update", map[string]any{"name": g.Name, "max_members": g.MaxMembers,
			"is_private": g.IsPrivate})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.UpdateGroupResponse{Group: out}), nil
}

// DeleteGroup ends every membership (so the members' chat streams end)
// and deletes the group.
func (s *groupsServer) DeleteGroup(ctx context.Context, req *connect.Request[socialv1.DeleteGroupRequest]) (*connect.Response[socialv1.DeleteGroupResponse], error) {
	groupID := uuid.MustParse(req.Msg.GetGroupId())
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		a, err := loadGroupAccess(ctx, tx, groupID)
		if err != nil {
			return err
		}
		if !a.CanModerate() {
			return errNotModerator("delete it")
		}
		if _, err := db.LockGroup(ctx, tx, groupID); err != nil {
			return err
		}
		members, err := db.GroupMemberIDs(ctx, tx, groupID)
		if err != nil {
			return err
		}
		for _, userID := range members {
			if _, err := db.RemoveGroupMember(ctx, tx, groupID, userID); err != nil {
				return err
			}
		}
		if err := db.MarkGroupDeleted(ctx, tx, groupID, s.Now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.eventAccess, groupID, "delete", map[string]any{"name": a.Group.Name, "members": len(members)})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.DeleteGroupResponse{}), nil
}

// GetGroup reads a group the caller may see.
func (s *groupsServer) GetGroup(ctx context.Context, req *connect.Request[socialv1.GetGroupRequest]) (*connect.Response[socialv1.GetGroupResponse], error) {
	a, err := loadGroupAccess(ctx, s.DB, uuid.MustParse(req.Msg.GetGroupId()))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.GetGroupResponse{Group: groupToProto(a.Group, a.membership())}), nil
}

// ListGroups pages through the groups of an event the caller may see.
func (s *groupsServer) ListGroups(ctx context.Context, req *connect.Request[socialv1.ListGroupsRequest]) (*connect.Response[socialv1.ListGroupsResponse], error) {
	m := req.Msg
	page, err := rpc.TimePage("ListGroups", m.GetPageToken(), m.GetPageSize(), groupsPageSize)
	if err != nil {
		return nil, err
	}
	a, err := loadEventAccess(ctx, s.DB, uuid.MustParse(m.GetEventId()))
	if err != nil {
		return nil, err
	}
	rows, err := db.EventGroupsPage(ctx, s.DB, a.Event.ID, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(g *db.Group) (time.Time, uuid.UUID) { return g.CreatedAt, g.ID })
	ids := make([]uuid.UUID, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	mine, err := db.MembershipsIn(ctx, s.DB, a.Caller, ids)
	if err != nil {
		return nil, err
	}
	out := &socialv1.ListGroupsResponse{NextPageToken: next}
	for i := range rows {
		var ms *db.GroupMember
		if m, ok := mine[rows[i].ID]; ok {
			ms = &m
		}
		out.Groups = append(out.Groups, groupToProto(&rows[i], ms))
	}
	return connect.NewResponse(out), nil
}

// ListMyGroups pages through the caller's groups by the time they joined.
func (s *groupsServer) ListMyGroups(ctx context.Context, req *connect.Request[socialv1.ListMyGroupsRequest]) (*connect.Response[socialv1.ListMyGroupsResponse], error) {
	m := req.Msg
	page, err := rpc.TimePage("ListMyGroups", m.GetPageToken(), m.GetPageSize(), groupsPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.UserGroupsPage(ctx, s.DB, rpc.CallerID(ctx), page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(g *db.MyGroup) (time.Time, uuid.UUID) { return g.JoinedAt, g.ID })
	out := &socialv1.ListMyGroupsResponse{NextPageToken: next}
	for i := range rows {
		out.Groups = append(out.Groups, groupToProto(&rows[i].Group, &db.GroupMember{IsAdmin: rows[i].IsAdmin}))
	}
	return connect.NewResponse(out), nil
}

// audit writes the audit row of a change to a group, under the event's
// organization.
func (s *groupsServer) audit(ctx context.Context, tx bun.Tx, a eventAccess, groupID uuid.UUID, action string, payload map[string]any) error {
	return rpc.Audit(ctx, tx, &a.Caller, a.Event.OrganizationID, "group", groupID.String(), action, payload)
}

// membership is the caller's membership, nil when not a member.
func (a groupAccess) membership() *db.GroupMember {
	if !a.Member {
		return nil
	}
	return &db.GroupMember{IsAdmin: a.Admin}
}

// groupToProto converts a group; mine is the caller's membership (nil:
// not a member).
func groupToProto(g *db.Group, mine *db.GroupMember) *socialv1.Group {
	out := &socialv1.Group{Id: g.ID.String(), EventId: g.EventID.String(), Name: g.Name, Description: g.Description,
		MaxMembers: g.MaxMembers, MemberCount: g.MemberCount, IsPrivate: g.IsPrivate, CreatedAt: timestamppb.New(g.CreatedAt),
		MyMembership: &socialv1.MyMembership{}}
	if mine != nil {
		out.MyMembership.IsMember, out.MyMembership.IsAdmin = true, mine.IsAdmin
	}
	return out
}

// memberToProto converts a member.
func memberToProto(m *db.NamedMember) *socialv1.GroupMember {
	return &socialv1.GroupMember{UserId: m.UserID.String(), Name: m.Name, IsAdmin: m.IsAdmin, JoinedAt: timestamppb.New(m.JoinedAt)}
}
