package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// organizationServer implements convene.identity.v1.OrganizationService.
// Every method resolves the caller's role in the organization first
// (rpc.OrgAccess) and refuses callers who are not members.
type organizationServer struct{ Deps }

// defaultMemberPageSize is the ListMembers page size when the request has none.
const defaultMemberPageSize = 50

// CreateOrganization creates a tenant with the caller as its owner.
func (s *organizationServer) CreateOrganization(ctx context.Context, req *connect.Request[identityv1.CreateOrganizationRequest]) (*connect.Response[identityv1.CreateOrganizationResponse], error) {
	userID, msg := rpc.CallerID(ctx), req.Msg
	org := &db.Organization{ID: db.NewID(), Name: msg.GetName(), Slug: msg.GetSlug(), Description: msg.GetDescription(),
		CountryCode: msg.CountryCode, Settings: map[string]any{}, Status: "active", CreatedBy: &userID}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.InsertOrganization(ctx, tx, org); err != nil {
			if db.IsUniqueViolation(err, "organizations_slug_key") {
				return connect.NewError(connect.CodeAlreadyExists, fmt.Errorf("slug: %q is taken; choose another", msg.GetSlug()))
			}
			return err
		}
		owner := &db.Member{ID: db.NewID(), OrganizationID: org.ID, UserID: userID, Role: db.RoleOwner, AddedBy: &userID}
		if err := db.InsertMember(ctx, tx, owner); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &org.ID, "organization", org.ID.String(), "create", map[string]any{"name": org.Name, "slug": org.Slug})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&identityv1.CreateOrganizationResponse{Organization: orgToProto(org, db.RoleOwner)}), nil
}

// GetOrganization returns an organization to its members.
func (s *organizationServer) GetOrganization(ctx context.Context, req *connect.Request[identityv1.GetOrganizationRequest]) (*connect.Response[identityv1.GetOrganizationResponse], error) {
	orgID := uuid.MustParse(req.Msg.GetOrganizationId())
	role, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole)
	if err != nil {
		return nil, err
	}
	org, err := db.OrganizationByID(ctx, s.DB, orgID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&identityv1.GetOrganizationResponse{Organization: orgToProto(org, role)}), nil
}

// ListMembers pages through an organization's members and open
// invitations, oldest first.
func (s *organizationServer) ListMembers(ctx context.Context, req *connect.Request[identityv1.ListMembersRequest]) (*connect.Response[identityv1.ListMembersResponse], error) {
	msg := req.Msg
	orgID := uuid.MustParse(msg.GetOrganizationId())
	role, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole)
	if err != nil {
		return nil, err
	}
	// Members see who is in the organization; only those who manage it see
	// how to reach them.
	showContacts := slices.Contains(rpc.ManagerRoles, role)
	page, err := rpc.TimePage("ListMembers", msg.GetPageToken(), msg.GetPageSize(), defaultMemberPageSize)
	if err != nil {
		return nil, err
	}
	members, err := db.ListMembers(ctx, s.DB, orgID, db.MemberPage{AfterCreatedAt: page.LastKey, AfterID: page.LastID, Limit: page.Limit()})
	if err != nil {
		return nil, err
	}
	resp := &identityv1.ListMembersResponse{}
	members, resp.NextPageToken = rpc.NextPage(page, members, func(m *db.Member) (time.Time, uuid.UUID) { return m.CreatedAt, m.ID })
	for i := range members {
		m := memberToProto(&members[i])
		if !showContacts {
			m.Phone, m.Email = "", ""
		}
		resp.Members = append(resp.Members, m)
	}
	return connect.NewResponse(resp), nil
}

// RemoveMember removes a member. Owners and admins remove others (admins
// cannot remove owners); anyone may leave; the last owner cannot go.
func (s *organizationServer) RemoveMember(ctx context.Context, req *connect.Request[identityv1.RemoveMemberRequest]) (*connect.Response[identityv1.RemoveMemberResponse], error) {
	callerUser := rpc.CallerID(ctx)
	orgID := uuid.MustParse(req.Msg.GetOrganizationId())
	targetID := uuid.MustParse(req.Msg.GetUserId())
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.LockOrganization(ctx, tx, orgID); err != nil {
			return err
		}
		allowed := rpc.ManagerRoles
		if targetID == callerUser {
			allowed = rpc.AnyRole
		}
		callerRole, err := rpc.OrgAccess(ctx, tx, orgID, allowed)
		if err != nil {
			return err
		}
		target, err := db.MemberForUpdate(ctx, tx, orgID, targetID)
		if errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeNotFound, errors.New("user_id: not a member of this organization"))
		}
		if err != nil {
			return err
		}
		if err := checkRemovable(ctx, tx, callerRole, target, targetID == callerUser); err != nil {
			return err
		}
		if err := db.DeleteMember(ctx, tx, target.ID); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerUser, &orgID, "organization_member", target.ID.String(), "delete",
			map[string]any{"user_id": targetID.String(), "role": target.Role})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&identityv1.RemoveMemberResponse{}), nil
}

func checkRemovable(ctx context.Context, tx bun.Tx, callerRole string, target *db.Member, self bool) error {
	if target.Role != db.RoleOwner {
		return nil
	}
	if !self && callerRole == db.RoleAdmin {
		return connect.NewError(connect.CodePermissionDenied, errors.New("an admin cannot remove an owner"))
	}
	owners, err := db.CountOwners(ctx, tx, target.OrganizationID)
	if err != nil {
		return err
	}
	if owners <= 1 {
		return connect.NewError(connect.CodeFailedPrecondition, errors.New("cannot remove the last owner; add another owner first"))
	}
	return nil
}
