package engagement

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
)

func teamToProto(t *db.Team) *engagementv1.Team {
	return &engagementv1.Team{Id: t.ID.String(), OrganizationId: t.OrganizationID.String(), Name: t.Name,
		Description: t.Description, MemberCount: int32(t.MemberCount), CreatedAt: timestamppb.New(t.CreatedAt)}
}

func teamMemberToProto(m *db.TeamMembership) *engagementv1.TeamMember {
	return &engagementv1.TeamMember{TeamId: m.TeamID.String(), UserId: m.UserID.String(), Role: teamRoles.Value(m.Role),
		JoinedAt: timestamppb.New(m.CreatedAt)}
}

func channelToProto(c *db.Channel) *engagementv1.Channel {
	return &engagementv1.Channel{Id: c.ID.String(), OrganizationId: c.OrganizationID.String(), TeamId: rpc.IDString(c.TeamID),
		Name: c.Name, Description: c.Description, Open: c.Open, MemberCount: int32(c.MemberCount)}
}
