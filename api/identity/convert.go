package identity

import (
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// roles maps the proto organization roles to organization_members.role.
var roles = rpc.NewEnum(map[identityv1.OrganizationRole]string{
	identityv1.OrganizationRole_ORGANIZATION_ROLE_OWNER:    db.RoleOwner,
	identityv1.OrganizationRole_ORGANIZATION_ROLE_ADMIN:    db.RoleAdmin,
	identityv1.OrganizationRole_ORGANIZATION_ROLE_APPROVER: db.RoleApprover,
	identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER:   db.RoleMember,
})

func userToProto(u *db.User, p *db.Profile, interests []db.Interest, pendingEmail string) *identityv1.User {
	out := &identityv1.User{
		Id: u.ID.String(), Phone: rpc.Deref(u.Phone), Email: rpc.Deref(u.Email), IsStaff: u.IsStaff,
		EmailVerified: u.EmailVerifiedAt != nil, PendingEmail: pendingEmail, TelegramId: rpc.Deref(u.TelegramID),
		Interests: interestsToProto(interests), CreatedAt: timestamppb.New(u.CreatedAt),
		Profile: &identityv1.Profile{
			Name: p.Name, Bio: p.Bio, Location: p.Location, Gender: rpc.Deref(p.Gender),
			ProfilePictures: p.ProfilePictures, IsVerified: p.IsVerified,
		},
	}
	if p.BirthDate != nil {
		out.Profile.BirthDate = p.BirthDate.Format(time.DateOnly)
	}
	return out
}

func interestsToProto(in []db.Interest) []*identityv1.Interest {
	out := make([]*identityv1.Interest, 0, len(in))
	for _, i := range in {
		out = append(out, &identityv1.Interest{Id: i.ID.String(), Name: i.Name, Slug: i.Slug, Description: i.Description})
	}
	return out
}

// orgToProto converts an organization as seen by a caller of role myRole
// (rpc.StaffRole converts to UNSPECIFIED).
func orgToProto(o *db.Organization, myRole string) *identityv1.Organization {
	return &identityv1.Organization{Id: o.ID.String(), Name: o.Name, Slug: o.Slug, Description: o.Description,
		CountryCode: rpc.Deref(o.CountryCode), Status: o.Status, CreatedAt: timestamppb.New(o.CreatedAt), MyRole: roles.Value(myRole)}
}

// memberStatuses maps ListMembers row statuses to the proto.
var memberStatuses = map[string]identityv1.MemberStatus{
	db.MemberActive:  identityv1.MemberStatus_MEMBER_STATUS_ACTIVE,
	db.MemberInvited: identityv1.MemberStatus_MEMBER_STATUS_INVITED,
}

// memberToProto converts a ListMembers row: a member, or an open invitation
// (whose user_id is empty when it was sent to an email address).
func memberToProto(m *db.Member) *identityv1.Member {
	out := &identityv1.Member{OrganizationId: m.OrganizationID.String(),
		Role: roles.Value(m.Role), Phone: rpc.Deref(m.Phone), Name: m.Name, CreatedAt: timestamppb.New(m.CreatedAt),
		Status: memberStatuses[m.Status], Email: rpc.Deref(m.Email)}
	if m.UserID != uuid.Nil {
		out.UserId = m.UserID.String()
	}
	return out
}

// invitationToMember is how AddMember answers: the invited person, INVITED.
func invitationToMember(inv *db.Invitation) *identityv1.Member {
	out := &identityv1.Member{OrganizationId: inv.OrganizationID.String(), Role: roles.Value(inv.Role),
		CreatedAt: timestamppb.New(inv.CreatedAt), Status: identityv1.MemberStatus_MEMBER_STATUS_INVITED,
		Email: rpc.Deref(inv.InviteeEmail)}
	if inv.InviteeUserID != nil {
		out.UserId = inv.InviteeUserID.String()
	}
	return out
}

// invitationToProto converts one of the caller's open invitations.
func invitationToProto(inv *db.Invitation) *identityv1.Invitation {
	return &identityv1.Invitation{OrganizationId: inv.OrganizationID.String(), OrganizationName: inv.OrganizationName,
		Role: roles.Value(inv.Role), InvitedByName: inv.InvitedByName, CreatedAt: timestamppb.New(inv.CreatedAt)}
}
