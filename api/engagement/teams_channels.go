package engagement

// TeamService's channels: a team's (managed by its leaders and
// moderators) or the organization's (managed by owners and admins).

import (
	"context"
	"errors"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
)

// CreateChannel creates a team or organization channel; its creator joins.
func (s *teamsServer) CreateChannel(ctx context.Context, req *connect.Request[engagementv1.CreateChannelRequest]) (*connect.Response[engagementv1.CreateChannelResponse], error) {
	m, callerID := req.Msg, rpc.CallerID(ctx)
	c := &db.Channel{OrganizationID: uuid.MustParse(m.GetOrganizationId()), TeamID: rpc.OptionalID(m.GetTeamId()),
		Name: m.GetName(), Description: m.GetDescription(), Open: m.GetOpen(), CreatedBy: &callerID}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := checkChannelCreator(ctx, tx, c); err != nil {
			return err
		}
		if err := db.InsertChannel(ctx, tx, c); errors.Is(err, db.ErrChannelNameTaken) {
			return connect.NewError(connect.CodeAlreadyExists, errors.New("name: a channel of this name already exists here"))
		} else if err != nil {
			return err
		}
		if _, err := db.JoinChannel(ctx, tx, &db.ChannelMember{OrganizationID: c.OrganizationID, ChannelID: c.ID, UserID: callerID}); err != nil {
			return err
		}
		c.MemberCount = 1
		return rpc.Audit(ctx, tx, &callerID, &c.OrganizationID, "channel", c.ID.String(), "create",
			map[string]any{"name": c.Name, "team_id": rpc.IDString(c.TeamID)})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.CreateChannelResponse{Channel: channelToProto(c)}), nil
}

// checkChannelCreator admits owners and admins, and for a team channel
// the team's leaders and moderators; a team of another organization is
// InvalidArgument team_id.
func checkChannelCreator(ctx context.Context, tx bun.Tx, c *db.Channel) error {
	if c.TeamID == nil {
		_, err := rpc.OrgAccess(ctx, tx, c.OrganizationID, rpc.ManagerRoles)
		return err
	}
	if _, err := rpc.OrgAccess(ctx, tx, c.OrganizationID, rpc.AnyRole); err != nil {
		return err
	}
	t, actor, err := teamAccess(ctx, tx, *c.TeamID)
	if connect.CodeOf(err) == connect.CodeNotFound || err == nil && t.OrganizationID != c.OrganizationID {
		return rpc.InvalidField("team_id", "no such team in this organization")
	}
	if err != nil {
		return err
	}
	if !actor.manages() {
		return errNotTeamManager
	}
	return nil
}

// channelAccess loads a channel the caller may see: an organization
// channel of their organization, or a channel of one of their teams
// (admins see every channel).
func channelAccess(ctx context.Context, idb bun.IDB, channelID uuid.UUID) (*db.Channel, error) {
	notFound := connect.NewError(connect.CodeNotFound, errors.New("channel not found"))
	c, err := db.ChannelByID(ctx, idb, channelID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if c.TeamID == nil {
		_, err := orgRowRole(ctx, idb, c.OrganizationID, "channel")
		return c, err
	}
	_, actor, err := teamAccess(ctx, idb, *c.TeamID)
	if connect.CodeOf(err) == connect.CodeNotFound || err == nil && !actor.admin() && actor.teamRole == "" {
		return nil, notFound
	}
	return c, err
}

// JoinChannel adds the caller to an open channel they may see and records
// channel.joined the first time.
func (s *teamsServer) JoinChannel(ctx context.Context, req *connect.Request[engagementv1.JoinChannelRequest]) (*connect.Response[engagementv1.JoinChannelResponse], error) {
	callerID := rpc.CallerID(ctx)
	var c *db.Channel
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if c, err = channelAccess(ctx, tx, uuid.MustParse(req.Msg.GetChannelId())); err != nil {
			return err
		}
		if !c.Open {
			return connect.NewError(connect.CodePermissionDenied, errors.New("channel_id: the channel is closed; its managers add members"))
		}
		joined, err := db.JoinChannel(ctx, tx, &db.ChannelMember{OrganizationID: c.OrganizationID, ChannelID: c.ID, UserID: callerID})
		if err != nil || !joined {
			return err
		}
		ref, id := "channel", c.ID.String()
		if err := s.recorder().Emit(ctx, tx, &db.DomainEvent{OrganizationID: c.OrganizationID, Type: enums.EventChannelJoined,
			SubjectUserID: &callerID, ReferenceType: &ref, ReferenceID: &id,
			Payload: map[string]any{"channel_id": id, "team_id": rpc.IDString(c.TeamID)}}); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &c.OrganizationID, "channel", id, "join", nil)
	})
	if err != nil {
		return nil, err
	}
	return channelNow(ctx, s, c, func(ch *engagementv1.Channel) *connect.Response[engagementv1.JoinChannelResponse] {
		return connect.NewResponse(&engagementv1.JoinChannelResponse{Channel: ch})
	})
}

// LeaveChannel takes the caller out of a channel they may see.
func (s *teamsServer) LeaveChannel(ctx context.Context, req *connect.Request[engagementv1.LeaveChannelRequest]) (*connect.Response[engagementv1.LeaveChannelResponse], error) {
	callerID := rpc.CallerID(ctx)
	var c *db.Channel
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if c, err = channelAccess(ctx, tx, uuid.MustParse(req.Msg.GetChannelId())); err != nil {
			return err
		}
		left, err := db.LeaveChannel(ctx, tx, c.ID, callerID)
		if err != nil || !left {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &c.OrganizationID, "channel", c.ID.String(), "leave", nil)
	})
	if err != nil {
		return nil, err
	}
	return channelNow(ctx, s, c, func(ch *engagementv1.Channel) *connect.Response[engagementv1.LeaveChannelResponse] {
		return connect.NewResponse(&engagementv1.LeaveChannelResponse{Channel: ch})
	})
}

// channelNow answers with the channel's member count as committed.
func channelNow[R any](ctx context.Context, s *teamsServer, c *db.Channel, wrap func(*engagementv1.Channel) *connect.Response[R]) (*connect.Response[R], error) {
	n, err := db.ChannelMemberCount(ctx, s.DB, c.ID)
	if err != nil {
		return nil, err
	}
	c.MemberCount = n
	return wrap(channelToProto(c)), nil
}
