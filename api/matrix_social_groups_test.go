package api_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
	"github.com/convene/convene/proto/convene/social/v1/socialv1connect"
)

// GroupService's lines of both matrices. A's rows: an event only A's
// members see, hosted by A's owner, with a public group and a private one
// (both with A's owner as their only member and admin), A's member's
// pending request to join the private group and A's member's pending
// invite into the public one. A's member has no RSVP, so the input
// matrix's writes all fail for a business reason: joining and creating
// need an RSVP, moderating needs an admin, the invite is pending already.
const (
	fxGroupEventA   = "@groupEventA"
	fxGroupA        = "@groupA"
	fxPrivateGroupA = "@privateGroupA"
	fxJoinRequestA  = "@joinRequestA"
	fxGroupInviteA  = "@groupInviteA"
	fxGroupOwnerA   = "@groupOwnerA"
)

func init() {
	matrixTopics = append(matrixTopics, matrixTopic{
		name:  "social groups",
		build: buildGroupsTopic,
		tenant: []tenantCase{
			{socialv1connect.GroupServiceCreateGroupProcedure, notFound, &socialv1.CreateGroupRequest{EventId: fxGroupEventA, Name: "Foreign"}},
			{socialv1connect.GroupServiceUpdateGroupProcedure, notFound, &socialv1.UpdateGroupRequest{GroupId: fxGroupA, Name: proto.String("Foreign")}},
			{socialv1connect.GroupServiceDeleteGroupProcedure, notFound, &socialv1.DeleteGroupRequest{GroupId: fxGroupA}},
			{socialv1connect.GroupServiceGetGroupProcedure, notFound, &socialv1.GetGroupRequest{GroupId: fxGroupA}},
			{socialv1connect.GroupServiceListGroupsProcedure, notFound, &socialv1.ListGroupsRequest{EventId: fxGroupEventA}},
			{socialv1connect.GroupServiceJoinGroupProcedure, notFound, &socialv1.JoinGroupRequest{GroupId: fxGroupA}},
			{socialv1connect.GroupServiceListJoinRequestsProcedure, notFound, &socialv1.ListJoinRequestsRequest{GroupId: fxPrivateGroupA}},
			{socialv1connect.GroupServiceDecideJoinRequestProcedure, notFound, &socialv1.DecideJoinRequestRequest{RequestId: fxJoinRequestA, Approve: true}},
			{socialv1connect.GroupServiceInviteToGroupProcedure, notFound, &socialv1.InviteToGroupRequest{GroupId: fxGroupA, UserId: fxUserB}},
			{socialv1connect.GroupServiceRespondToGroupInviteProcedure, notFound, &socialv1.RespondToGroupInviteRequest{InviteId: fxGroupInviteA, Accept: true}},
			{socialv1connect.GroupServiceLeaveGroupProcedure, notFound, &socialv1.LeaveGroupRequest{GroupId: fxGroupA}},
			{socialv1connect.GroupServiceRemoveMemberProcedure, notFound, &socialv1.RemoveMemberRequest{GroupId: fxGroupA, UserId: fxGroupOwnerA}},
			{socialv1connect.GroupServiceSetMemberAdminProcedure, notFound, &socialv1.SetMemberAdminRequest{GroupId: fxGroupA, UserId: fxGroupOwnerA}},
			{socialv1connect.GroupServiceListMembersProcedure, notFound, &socialv1.ListMembersRequest{GroupId: fxGroupA}},
		},
		input: []inputCase{
			{socialv1connect.GroupServiceCreateGroupProcedure, asMemberA, &socialv1.CreateGroupRequest{EventId: fxGroupEventA, Name: "Matrix",
				Description: "d", MaxMembers: proto.Int32(5), IsPrivate: true}},
			{socialv1connect.GroupServiceUpdateGroupProcedure, asMemberA, &socialv1.UpdateGroupRequest{GroupId: fxGroupA, Name: proto.String("Renamed"),
				Description: proto.String("d"), MaxMembers: proto.Int32(5), IsPrivate: proto.Bool(true)}},
			{socialv1connect.GroupServiceDeleteGroupProcedure, asMemberA, &socialv1.DeleteGroupRequest{GroupId: fxGroupA}},
			{socialv1connect.GroupServiceGetGroupProcedure, asMemberA, &socialv1.GetGroupRequest{GroupId: fxGroupA}},
			{socialv1connect.GroupServiceListGroupsProcedure, asMemberA, &socialv1.ListGroupsRequest{EventId: fxGroupEventA, PageSize: 10}},
			{socialv1connect.GroupServiceListMyGroupsProcedure, asMemberA, &socialv1.ListMyGroupsRequest{PageSize: 10}},
			{socialv1connect.GroupServiceJoinGroupProcedure, asMemberA, &socialv1.JoinGroupRequest{GroupId: fxGroupA, Message: "hi"}},
			{socialv1connect.GroupServiceListJoinRequestsProcedure, asOwnerA, &socialv1.ListJoinRequestsRequest{GroupId: fxPrivateGroupA}},
			{socialv1connect.GroupServiceDecideJoinRequestProcedure, asMemberA, &socialv1.DecideJoinRequestRequest{RequestId: fxJoinRequestA, Approve: true}},
			{socialv1connect.GroupServiceInviteToGroupProcedure, asOwnerA, &socialv1.InviteToGroupRequest{GroupId: fxGroupA, UserId: fxMemberA}},
			{socialv1connect.GroupServiceRespondToGroupInviteProcedure, asOwnerA, &socialv1.RespondToGroupInviteRequest{InviteId: fxGroupInviteA, Accept: true}},
			{socialv1connect.GroupServiceLeaveGroupProcedure, asMemberA, &socialv1.LeaveGroupRequest{GroupId: fxGroupA}},
			{socialv1connect.GroupServiceRemoveMemberProcedure, asMemberA, &socialv1.RemoveMemberRequest{GroupId: fxGroupA, UserId: fxGroupOwnerA}},
			{socialv1connect.GroupServiceSetMemberAdminProcedure, asMemberA, &socialv1.SetMemberAdminRequest{GroupId: fxGroupA, UserId: fxGroupOwnerA, IsAdmin: true}},
			{socialv1connect.GroupServiceListMembersProcedure, asMemberA, &socialv1.ListMembersRequest{GroupId: fxGroupA, PageSize: 10}},
		},
		free: map[string]string{
			socialv1connect.GroupServiceListMyGroupsProcedure: "lists the caller's own memberships",
		},
	})
}

// buildGroupsTopic creates A's groups through the API, and the pending
// join request and invite directly (no notice jobs left running).
func buildGroupsTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	ctx := context.Background()
	ev := orgOnlyEvent(t, f.a, f.ownerA, f.orgA)
	groups := socialv1connect.NewGroupServiceClient(f.a.HTTP, f.a.URL)
	create := func(name string, private bool) string {
		resp, err := groups.CreateGroup(ctx, testenv.As(f.ownerA, &socialv1.CreateGroupRequest{EventId: ev.ID.String(), Name: name, IsPrivate: private}))
		require.NoError(t, err)
		return resp.Msg.GetGroup().GetId()
	}
	public, private := create("Matrix public", false), create("Matrix private", true)
	owner, member := mustUUID(f.ownerA.UserID), mustUUID(f.memberA.UserID)
	request := &db.GroupJoinRequest{GroupID: mustUUID(private), UserID: member, Message: "let me in"}
	invite := &db.GroupInvite{GroupID: mustUUID(public), UserID: member, InvitedBy: &owner}
	require.NoError(t, f.a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.InsertJoinRequest(ctx, tx, request); err != nil {
			return err
		}
		return db.InsertGroupInvite(ctx, tx, invite)
	}))
	return map[string]string{fxGroupEventA: ev.ID.String(), fxGroupA: public, fxPrivateGroupA: private,
		fxJoinRequestA: request.ID.String(), fxGroupInviteA: invite.ID.String(), fxGroupOwnerA: f.ownerA.UserID}
}
