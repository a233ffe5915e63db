package engagement

// TeamService: teams and their members (this file), channels
// (teams_channels.go) and challenges (challenges.go).

import (
	"context"
	"errors"
	"slices"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/jobs/workflowstart"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
)

// teamsPageSize is a team list's page when the request has none.
const teamsPageSize = 50

// teamsServer implements convene.engagement.v1.TeamService.
type teamsServer struct {
	Deps
	engagementv1connect.UnimplementedTeamServiceHandler
	// starts makes the challenge workflow's direct start after commit.
	starts *workflowstart.Starter
}

// teamsService mounts TeamService.
func teamsService(d Deps) rpc.Service {
	return rpc.NewService[engagementv1connect.TeamServiceHandler](engagementv1connect.TeamServiceName, &teamsServer{Deps: d, starts: workflowstart.NewStarter(d.Temporal, d.TaskQueue, d.River, d.Log)},
		engagementv1connect.NewTeamServiceHandler)
}

// teamRoles maps the API's team roles to enums.TeamRole*.
var teamRoles = rpc.NewEnum(map[engagementv1.TeamRole]string{
	engagementv1.TeamRole_TEAM_ROLE_MEMBER:    enums.TeamRoleMember,
	engagementv1.TeamRole_TEAM_ROLE_MODERATOR: enums.TeamRoleModerator,
	engagementv1.TeamRole_TEAM_ROLE_LEADER:    enums.TeamRoleLeader,
})

// teamActor is the caller's standing for one team: their role in its
// organization and on the team ("" if not on it).
type teamActor struct {
	id       uuid.UUID
	orgRole  string
	teamRole string
}

// admin reports an owner, admin or platform staff: they may do anything.
func (a teamActor) admin() bool {
	return slices.Contains(rpc.ManagerRoles, a.orgRole) || a.orgRole == rpc.StaffRole
}

// manages reports whether the caller manages the team's members and
// channels: admins, and the team's leaders and moderators.
func (a teamActor) manages() bool {
	return a.admin() || a.teamRole == enums.TeamRoleLeader || a.teamRole == enums.TeamRoleModerator
}

// leads reports whether the caller may make or unmake leaders.
func (a teamActor) leads() bool { return a.admin() || a.teamRole == enums.TeamRoleLeader }

// orgRowRole returns the caller's role for a row of orgID; someone outside
// the organization is told the row (named by what) does not exist.
func orgRowRole(ctx context.Context, idb bun.IDB, orgID uuid.UUID, what string) (string, error) {
	role, err := rpc.OrgAccess(ctx, idb, orgID, rpc.AnyRole)
	if code := connect.CodeOf(err); err != nil && (code == connect.CodePermissionDenied || code == connect.CodeNotFound) {
		return "", connect.NewError(connect.CodeNotFound, errors.New(what+" not found"))
	}
	return role, err
}

// teamAccess loads a team the caller may see, with their standing on it.
func teamAccess(ctx context.Context, idb bun.IDB, teamID uuid.UUID) (*db.Team, teamActor, error) {
	actor := teamActor{id: rpc.CallerID(ctx)}
	t, err := db.TeamByID(ctx, idb, teamID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, actor, connect.NewError(connect.CodeNotFound, errors.New("team not found"))
	}
	if err != nil {
		return nil, actor, err
	}
	if actor.orgRole, err = orgRowRole(ctx, idb, t.OrganizationID, "team"); err != nil {
		return nil, actor, err
	}
	actor.teamRole, err = db.TeamRoleOf(ctx, idb, teamID, actor.id)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return nil, actor, err
	}
	return t, actor, nil
}

// errNotTeamManager is the refusal of a member who does not manage the team.
var errNotTeamManager = connect.NewError(connect.CodePermissionDenied,
	errors.New("only the team's leaders and moderators, owners and admins manage this team"))

// CreateTeam creates a team; owners and admins only.
func (s *teamsServer) CreateTeam(ctx context.Context, req *connect.Request[engagementv1.CreateTeamRequest]) (*connect.Response[engagementv1.CreateTeamResponse], error) {
	m, callerID := req.Msg, rpc.CallerID(ctx)
	t := &db.Team{OrganizationID: uuid.MustParse(m.GetOrganizationId()), Name: m.GetName(), Description: m.GetDescription(), CreatedBy: &callerID}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, t.OrganizationID, rpc.ManagerRoles); err != nil {
			return err
		}
		if err := db.InsertTeam(ctx, tx, t); errors.Is(err, db.ErrTeamNameTaken) {
			return connect.NewError(connect.CodeAlreadyExists, errors.New("name: the organization already has a team of this name"))
		} else if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &t.OrganizationID, "team", t.ID.String(), "create", map[string]any{"name": t.Name})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.CreateTeamResponse{Team: teamToProto(t)}), nil
}

// ListTeams pages through an organization's teams by name.
func (s *teamsServer) ListTeams(ctx context.Context, req *connect.Request[engagementv1.ListTeamsRequest]) (*connect.Response[engagementv1.ListTeamsResponse], error) {
	m := req.Msg
	orgID := uuid.MustParse(m.GetOrganizationId())
	page, err := rpc.NamePage("ListTeams", m.GetPageToken(), m.GetPageSize(), teamsPageSize)
	if err != nil {
		return nil, err
	}
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
		return nil, err
	}
	rows, err := db.TeamsPage(ctx, s.DB, orgID, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(t *db.Team) (string, uuid.UUID) { return t.Name, t.ID })
	out := &engagementv1.ListTeamsResponse{NextPageToken: next}
	for i := range rows {
		out.Teams = append(out.Teams, teamToProto(&rows[i]))
	}
	return connect.NewResponse(out), nil
}

// AddTeamMember puts a member of the organization on a team, records
// team.joined and tells them.
func (s *teamsServer) AddTeamMember(ctx context.Context, req *connect.Request[engagementv1.AddTeamMemberRequest]) (*connect.Response[engagementv1.AddTeamMemberResponse], error) {
	m := req.Msg
	teamID, userID := uuid.MustParse(m.GetTeamId()), uuid.MustParse(m.GetUserId())
	role := teamRoles.NameOr(m.GetRole(), enums.TeamRoleMember)
	ms := &db.TeamMembership{TeamID: teamID, UserID: userID, Role: role}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, actor, err := teamAccess(ctx, tx, teamID)
		if err != nil {
			return err
		}
		if err := checkRoleChange(actor, role); err != nil {
			return err
		}
		if r, err := db.MemberRole(ctx, tx, t.OrganizationID, userID); errors.Is(err, db.ErrNotFound) || err == nil && r == "" {
			return rpc.InvalidField("user_id", "not a member of the team's organization")
		} else if err != nil {
			return err
		}
		ms.OrganizationID = t.OrganizationID
		if err := db.AddTeamMember(ctx, tx, ms); errors.Is(err, db.ErrAlreadyTeamMember) {
			return connect.NewError(connect.CodeAlreadyExists, errors.New("user_id: already on this team"))
		} else if err != nil {
			return err
		}
		return s.recordTeamJoin(ctx, tx, t, ms, actor.id)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.AddTeamMemberResponse{Member: teamMemberToProto(ms)}), nil
}

// checkRoleChange refuses a caller who may not give role: only managers
// manage members, and only admins and leaders make leaders.
func checkRoleChange(actor teamActor, role string) error {
	if !actor.manages() {
		return errNotTeamManager
	}
	if role == enums.TeamRoleLeader && !actor.leads() {
		return rpc.DeniedField("role", "only the team's leaders, owners and admins make leaders")
	}
	return nil
}

// recordTeamJoin writes what follows a join in its transaction: the
// team.joined domain event, the member's notice and the audit row.
func (s *teamsServer) recordTeamJoin(ctx context.Context, tx bun.Tx, t *db.Team, ms *db.TeamMembership, actorID uuid.UUID) error {
	ref, teamID := "team", t.ID.String()
	if err := s.recorder().Emit(ctx, tx, &db.DomainEvent{OrganizationID: t.OrganizationID, Type: enums.EventTeamJoined,
		SubjectUserID: &ms.UserID, ReferenceType: &ref, ReferenceID: &teamID,
		Payload: map[string]any{"team_id": teamID, "role": ms.Role}}); err != nil {
		return err
	}
	if ms.UserID != actorID {
		if err := db.Notify(ctx, tx, &db.Notification{RecipientUserID: ms.UserID, SenderUserID: &actorID, OrganizationID: &t.OrganizationID,
			Type: db.CategoryAnnouncements, Title: "You joined " + t.Name, Message: "You were added to the team " + t.Name + ".",
			ReferenceType: ref, ReferenceID: teamID}); err != nil {
			return err
		}
	}
	return rpc.Audit(ctx, tx, &actorID, &t.OrganizationID, "team", teamID, "add_member",
		map[string]any{"user_id": ms.UserID.String(), "role": ms.Role})
}

// RemoveTeamMember takes a member off a team: managers may remove anyone
// (leaders only by admins and leaders), a member themselves.
func (s *teamsServer) RemoveTeamMember(ctx context.Context, req *connect.Request[engagementv1.RemoveTeamMemberRequest]) (*connect.Response[engagementv1.RemoveTeamMemberResponse], error) {
	teamID, userID := uuid.MustParse(req.Msg.GetTeamId()), uuid.MustParse(req.Msg.GetUserId())
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, actor, err := teamAccess(ctx, tx, teamID)
		if err != nil {
			return err
		}
		if userID != actor.id {
			role, err := db.TeamRoleOf(ctx, tx, teamID, userID)
			if errors.Is(err, db.ErrNotFound) {
				return connect.NewError(connect.CodeNotFound, errors.New("user_id: not on this team"))
			} else if err != nil {
				return err
			}
			if err := checkRoleChange(actor, role); err != nil {
				return err
			}
		}
		removed, err := db.RemoveTeamMember(ctx, tx, t.OrganizationID, teamID, userID)
		if err != nil {
			return err
		}
		if !removed {
			return connect.NewError(connect.CodeNotFound, errors.New("user_id: not on this team"))
		}
		return rpc.Audit(ctx, tx, &actor.id, &t.OrganizationID, "team", t.ID.String(), "remove_member",
			map[string]any{"user_id": userID.String()})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.RemoveTeamMemberResponse{}), nil
}

// SetTeamRole changes a team member's role.
func (s *teamsServer) SetTeamRole(ctx context.Context, req *connect.Request[engagementv1.SetTeamRoleRequest]) (*connect.Response[engagementv1.SetTeamRoleResponse], error) {
	teamID, userID := uuid.MustParse(req.Msg.GetTeamId()), uuid.MustParse(req.Msg.GetUserId())
	role := teamRoles.Name(req.Msg.GetRole())
	var ms *db.TeamMembership
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, actor, err := teamAccess(ctx, tx, teamID)
		if err != nil {
			return err
		}
		current, err := db.TeamRoleOf(ctx, tx, teamID, userID)
		if errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeNotFound, errors.New("user_id: not on this team"))
		} else if err != nil {
			return err
		}
		if err := checkRoleChange(actor, current); err != nil {
			return err
		}
		if err := checkRoleChange(actor, role); err != nil {
			return err
		}
		if ms, err = db.SetTeamRole(ctx, tx, teamID, userID, role); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &actor.id, &t.OrganizationID, "team", t.ID.String(), "set_role",
			map[string]any{"user_id": userID.String(), "from": current, "to": role})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.SetTeamRoleResponse{Member: teamMemberToProto(ms)}), nil
}

// ListTeamMembers pages through a team's members, earliest joined first.
func (s *teamsServer) ListTeamMembers(ctx context.Context, req *connect.Request[engagementv1.ListTeamMembersRequest]) (*connect.Response[engagementv1.ListTeamMembersResponse], error) {
	m := req.Msg
	page, err := rpc.TimePage("ListTeamMembers", m.GetPageToken(), m.GetPageSize(), teamsPageSize)
	if err != nil {
		return nil, err
	}
	t, _, err := teamAccess(ctx, s.DB, uuid.MustParse(m.GetTeamId()))
	if err != nil {
		return nil, err
	}
	rows, err := db.TeamMembersPage(ctx, s.DB, t.ID, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(ms *db.TeamMembership) (time.Time, uuid.UUID) { return ms.CreatedAt, ms.ID })
	out := &engagementv1.ListTeamMembersResponse{NextPageToken: next}
	for i := range rows {
		out.Members = append(out.Members, teamMemberToProto(&rows[i]))
	}
	return connect.NewResponse(out), nil
}
