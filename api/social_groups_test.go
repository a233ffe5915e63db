package api_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
	"github.com/convene/convene/proto/convene/social/v1/socialv1connect"
)

// groupWorld is a published free event with its host and the
// GroupService client.
type groupWorld struct {
	a      *testenv.API
	host   testenv.Session
	event  *db.Event
	groups socialv1connect.GroupServiceClient
}

func newGroupWorld(t *testing.T, capacity int32) *groupWorld {
	t.Helper()
	a := setup(t)
	host := a.NewUser(t, newPhone())
	return &groupWorld{a: a, host: host, event: publishedEvent(t, a, host, eventSpec{capacity: capacity}),
		groups: socialv1connect.NewGroupServiceClient(a.HTTP, a.URL)}
}

// going makes a user with a free ticket order to the event: RSVP going.
func (w *groupWorld) going(t *testing.T) testenv.Session {
	t.Helper()
	u := w.a.NewUser(t, newPhone())
	resp, err := w.a.Ticketing.RequestToJoin(context.Background(), testenv.As(u,
		&eventsv1.RequestToJoinRequest{EventId: w.event.ID.String(), Seats: 1}))
	require.NoError(t, err)
	require.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED, resp.Msg.GetRequest().GetStatus())
	return u
}

// createGroup creates a group as the host.
func (w *groupWorld) createGroup(t *testing.T, maxMembers int32, private bool) *socialv1.Group {
	t.Helper()
	resp, err := w.groups.CreateGroup(context.Background(), testenv.As(w.host, &socialv1.CreateGroupRequest{
		EventId: w.event.ID.String(), Name: "Front row", MaxMembers: proto.Int32(maxMembers), IsPrivate: private}))
	require.NoError(t, err)
	return resp.Msg.GetGroup()
}

func (w *groupWorld) join(s testenv.Session, groupID string) (*socialv1.JoinGroupResponse, error) {
	resp, err := w.groups.JoinGroup(context.Background(), testenv.As(s, &socialv1.JoinGroupRequest{GroupId: groupID}))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

func (w *groupWorld) membership(t *testing.T, s testenv.Session, groupID string) *socialv1.MyMembership {
	t.Helper()
	resp, err := w.groups.GetGroup(context.Background(), testenv.As(s, &socialv1.GetGroupRequest{GroupId: groupID}))
	require.NoError(t, err)
	return resp.Msg.GetGroup().GetMyMembership()
}

func (w *groupWorld) count(t *testing.T, model any, where string, args ...any) int {
	t.Helper()
	n, err := w.a.DB.NewSelect().Model(model).Where(where, args...).Count(context.Background())
	require.NoError(t, err)
	return int(n)
}

func TestGroups_FiftyConcurrentJoinsTakeExactlyTenPlaces(t *testing.T) {
	w := newGroupWorld(t, 60)
	ctx := context.Background()
	g := w.createGroup(t, 10, false)
	// The creator leaves so that all ten places are free.
	_, err := w.groups.LeaveGroup(ctx, testenv.As(w.host, &socialv1.LeaveGroupRequest{GroupId: g.GetId()}))
	require.NoError(t, err)
	members := make([]testenv.Session, 50)
	for i := range members {
		members[i] = w.going(t)
	}

	var joined, full atomic.Int32
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Go(func() {
			_, err := w.join(m, g.GetId())
			switch {
			case err == nil:
				joined.Add(1)
			case connect.CodeOf(err) == connect.CodeResourceExhausted:
				full.Add(1)
				assert.Contains(t, err.Error(), "the group is full (10 of 10)")
			default:
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()

	assert.EqualValues(t, 10, joined.Load())
	assert.EqualValues(t, 40, full.Load())
	stored, err := db.GroupByID(ctx, w.a.DB, mustUUID(g.GetId()))
	require.NoError(t, err)
	assert.EqualValues(t, 10, stored.MemberCount)
	assert.Equal(t, 10, w.count(t, (*db.GroupMember)(nil), "group_id = ?", g.GetId()))
}

func TestGroups_JoinNeedsAnRsvpAndNoBan(t *testing.T) {
	w := newGroupWorld(t, 10)
	ctx := context.Background()
	g := w.createGroup(t, 10, false)

	stranger := w.a.NewUser(t, newPhone())
	_, err := w.join(stranger, g.GetId())
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Contains(t, err.Error(), "SetRsvp")

	interested := w.a.NewUser(t, newPhone())
	_, err = w.a.DB.NewInsert().Model(&db.EventRsvp{EventID: w.event.ID, UserID: mustUUID(interested.UserID),
		Status: enums.RsvpInterested}).Exec(ctx)
	require.NoError(t, err)
	joined, err := w.join(interested, g.GetId())
	require.NoError(t, err)
	assert.Equal(t, interested.UserID, joined.GetMembership().GetUserId())
	_, err = w.join(interested, g.GetId())
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)

	banned := w.going(t)
	eventID := w.event.ID
	_, err = w.a.DB.NewInsert().Model(&db.UserBan{ID: db.NewID(), UserID: mustUUID(banned.UserID), Scope: enums.BanScopeEvent,
		EventID: &eventID}).Exec(ctx)
	require.NoError(t, err)
	_, err = w.join(banned, g.GetId())
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	assert.Contains(t, err.Error(), "banned from this event until lifted")

	assert.Equal(t, 2, w.count(t, (*db.GroupMember)(nil), "group_id = ?", g.GetId()), "the host and the interested user")
}

func TestGroups_PrivateGroupJoinsByRequestOrInvite(t *testing.T) {
	w := newGroupWorld(t, 10)
	ctx := context.Background()
	g := w.createGroup(t, 10, true)
	approved, declined, invited := w.going(t), w.going(t), w.going(t)

	decide := func(s testenv.Session, approve bool) {
		t.Helper()
		out, err := w.join(s, g.GetId())
		require.NoError(t, err)
		r := out.GetJoinRequest()
		require.Equal(t, socialv1.JoinRequestStatus_JOIN_REQUEST_STATUS_PENDING, r.GetStatus(), "a private group answers with a request")
		_, err = w.join(s, g.GetId())
		testenv.RequireCode(t, err, connect.CodeAlreadyExists)
		_, err = w.groups.DecideJoinRequest(ctx, testenv.As(s, &socialv1.DecideJoinRequestRequest{RequestId: r.GetId(), Approve: true}))
		testenv.RequireCode(t, err, connect.CodePermissionDenied)
		_, err = w.groups.DecideJoinRequest(ctx, testenv.As(w.host, &socialv1.DecideJoinRequestRequest{RequestId: r.GetId(), Approve: approve}))
		require.NoError(t, err)
	}
	decide(approved, true)
	decide(declined, false)
	assert.True(t, w.membership(t, approved, g.GetId()).GetIsMember())
	assert.False(t, w.membership(t, declined, g.GetId()).GetIsMember())

	inv, err := w.groups.InviteToGroup(ctx, testenv.As(approved, &socialv1.InviteToGroupRequest{GroupId: g.GetId(), UserId: invited.UserID}))
	require.NoError(t, err, "a member may invite")
	_, err = w.groups.InviteToGroup(ctx, testenv.As(w.host, &socialv1.InviteToGroupRequest{GroupId: g.GetId(), UserId: invited.UserID}))
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)
	assert.Equal(t, 1, w.count(t, (*db.NotificationNotice)(nil), "dedupe_key = ?", "group/"+g.GetId()+"/invite/"+inv.Msg.GetInvite().GetId()),
		"the invitee got one notice")
	_, err = w.groups.RespondToGroupInvite(ctx, testenv.As(approved, &socialv1.RespondToGroupInviteRequest{InviteId: inv.Msg.GetInvite().GetId(), Accept: true}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	resp, err := w.groups.RespondToGroupInvite(ctx, testenv.As(invited, &socialv1.RespondToGroupInviteRequest{InviteId: inv.Msg.GetInvite().GetId(), Accept: true}))
	require.NoError(t, err)
	assert.Equal(t, socialv1.GroupInviteStatus_GROUP_INVITE_STATUS_ACCEPTED, resp.Msg.GetInvite().GetStatus())
	assert.True(t, w.membership(t, invited, g.GetId()).GetIsMember())

	stored, err := db.GroupByID(ctx, w.a.DB, mustUUID(g.GetId()))
	require.NoError(t, err)
	assert.EqualValues(t, 3, stored.MemberCount, "the host, the approved and the invited")
}

func TestGroups_LastAdminLeavingHandsOverToTheLongestStandingMember(t *testing.T) {
	w := newGroupWorld(t, 10)
	ctx := context.Background()
	g := w.createGroup(t, 10, false)
	first, second := w.going(t), w.going(t)
	for _, s := range []testenv.Session{first, second} {
		_, err := w.join(s, g.GetId())
		require.NoError(t, err)
	}
	_, err := w.groups.SetMemberAdmin(ctx, testenv.As(w.host, &socialv1.SetMemberAdminRequest{GroupId: g.GetId(), UserId: w.host.UserID}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)

	_, err = w.groups.LeaveGroup(ctx, testenv.As(w.host, &socialv1.LeaveGroupRequest{GroupId: g.GetId()}))
	require.NoError(t, err)
	assert.True(t, w.membership(t, first, g.GetId()).GetIsAdmin())
	assert.False(t, w.membership(t, second, g.GetId()).GetIsAdmin())

	_, err = w.groups.RemoveMember(ctx, testenv.As(second, &socialv1.RemoveMemberRequest{GroupId: g.GetId(), UserId: first.UserID}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = w.groups.RemoveMember(ctx, testenv.As(first, &socialv1.RemoveMemberRequest{GroupId: g.GetId(), UserId: second.UserID}))
	require.NoError(t, err)
	members, err := w.groups.ListMembers(ctx, testenv.As(first, &socialv1.ListMembersRequest{GroupId: g.GetId()}))
	require.NoError(t, err)
	require.Len(t, members.Msg.GetMembers(), 1)
	assert.Equal(t, first.UserID, members.Msg.GetMembers()[0].GetUserId())

	_, err = w.groups.DeleteGroup(ctx, testenv.As(first, &socialv1.DeleteGroupRequest{GroupId: g.GetId()}))
	require.NoError(t, err)
	_, err = w.groups.GetGroup(ctx, testenv.As(w.host, &socialv1.GetGroupRequest{GroupId: g.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	assert.Zero(t, w.count(t, (*db.GroupMember)(nil), "group_id = ?", g.GetId()))
	assert.Equal(t, 1, w.count(t, (*db.AuditLog)(nil), "object_type = 'group' AND object_id = ? AND action = 'delete'", g.GetId()))
}

func TestGroups_AnotherOrganizationSeesNothing(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	owner, outsider := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	org := createOrg(t, a, owner, "groups-"+uuid.NewString()[:8]).GetId()
	createOrg(t, a, outsider, "groups-"+uuid.NewString()[:8])
	ev := orgOnlyEvent(t, a, owner, org)
	groups := socialv1connect.NewGroupServiceClient(a.HTTP, a.URL)
	created, err := groups.CreateGroup(ctx, testenv.As(owner, &socialv1.CreateGroupRequest{EventId: ev.ID.String(), Name: "Staff night"}))
	require.NoError(t, err)
	g := created.Msg.GetGroup()
	assert.EqualValues(t, 10, g.GetMaxMembers(), "the default")

	_, err = groups.GetGroup(ctx, testenv.As(outsider, &socialv1.GetGroupRequest{GroupId: g.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = groups.ListGroups(ctx, testenv.As(outsider, &socialv1.ListGroupsRequest{EventId: ev.ID.String()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = groups.JoinGroup(ctx, testenv.As(outsider, &socialv1.JoinGroupRequest{GroupId: g.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = groups.ListMembers(ctx, testenv.As(outsider, &socialv1.ListMembersRequest{GroupId: g.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	listed, err := groups.ListGroups(ctx, testenv.As(owner, &socialv1.ListGroupsRequest{EventId: ev.ID.String()}))
	require.NoError(t, err)
	require.Len(t, listed.Msg.GetGroups(), 1)
	assert.True(t, listed.Msg.GetGroups()[0].GetMyMembership().GetIsAdmin())
}

// orgOnlyEvent inserts a published event only orgID's members see, hosted
// by host.
func orgOnlyEvent(t *testing.T, a *testenv.API, host testenv.Session, orgID string) *db.Event {
	t.Helper()
	org := mustUUID(orgID)
	ev := &db.Event{ID: db.NewID(), HostUserID: mustUUID(host.UserID), OrganizationID: &org, Title: "Team social",
		StartsAt: time.Now().Add(72 * time.Hour), Timezone: "Asia/Kolkata", Capacity: 20, MaxSeatsPerRequest: 1,
		AllowedGenders: "all", Currency: "INR", FeeMode: "absorbed", Visibility: db.EventVisibilityOrganization,
		Status: db.EventPublished, HoldMinutes: 15, RefundCutoffHours: 24, CoverImages: []string{}, DoorOpensMinutesBefore: 240}
	ev.EndsAt = ev.StartsAt.Add(3 * time.Hour)
	ev.Slug = "team-social-" + ev.ID.String()[24:]
	require.NoError(t, db.InsertEvent(context.Background(), a.DB, ev))
	return ev
}

func TestGroups_BadInputNamesTheFieldAndWritesNothing(t *testing.T) {
	w := newGroupWorld(t, 10)
	ctx := context.Background()
	eventID := w.event.ID.String()
	cases := []struct {
		name  string
		req   *socialv1.CreateGroupRequest
		field string
	}{
		{"empty name", &socialv1.CreateGroupRequest{EventId: eventID}, "name"},
		{"blank name", &socialv1.CreateGroupRequest{EventId: eventID, Name: " \t "}, "name"},
		{"no places", &socialv1.CreateGroupRequest{EventId: eventID, Name: "x", MaxMembers: proto.Int32(0)}, "max_members"},
		{"too many places", &socialv1.CreateGroupRequest{EventId: eventID, Name: "x", MaxMembers: proto.Int32(1001)}, "max_members"},
		{"bad event id", &socialv1.CreateGroupRequest{EventId: "not-a-uuid", Name: "x"}, "event_id"},
		{"long description", &socialv1.CreateGroupRequest{EventId: eventID, Name: "x", Description: strings.Repeat("d", 2001)}, "description"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.groups.CreateGroup(ctx, testenv.As(w.host, tc.req))
			testenv.RequireCode(t, err, connect.CodeInvalidArgument)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
	g := w.createGroup(t, 2, false)
	badIDs := []struct {
		name string
		call func() error
	}{
		{"UpdateGroup", func() error {
			_, err := w.groups.UpdateGroup(ctx, testenv.As(w.host, &socialv1.UpdateGroupRequest{GroupId: "x", Name: proto.String("y")}))
			return err
		}},
		{"JoinGroup", func() error {
			_, err := w.groups.JoinGroup(ctx, testenv.As(w.host, &socialv1.JoinGroupRequest{GroupId: "x"}))
			return err
		}},
		{"InviteToGroup", func() error {
			_, err := w.groups.InviteToGroup(ctx, testenv.As(w.host, &socialv1.InviteToGroupRequest{GroupId: g.GetId(), UserId: "x"}))
			return err
		}},
		{"DecideJoinRequest", func() error {
			_, err := w.groups.DecideJoinRequest(ctx, testenv.As(w.host, &socialv1.DecideJoinRequestRequest{RequestId: "x"}))
			return err
		}},
	}
	for _, tc := range badIDs {
		t.Run(tc.name, func(t *testing.T) {
			testenv.RequireCode(t, tc.call(), connect.CodeInvalidArgument)
		})
	}
	_, err := w.groups.UpdateGroup(ctx, testenv.As(w.host, &socialv1.UpdateGroupRequest{GroupId: g.GetId(), Name: proto.String("  ")}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	member := w.going(t)
	_, err = w.join(member, g.GetId())
	require.NoError(t, err)
	_, err = w.groups.UpdateGroup(ctx, testenv.As(w.host, &socialv1.UpdateGroupRequest{GroupId: g.GetId(), MaxMembers: proto.Int32(1)}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)

	assert.Equal(t, 1, w.count(t, (*db.Group)(nil), "event_id = ?", w.event.ID))
	stored, err := db.GroupByID(ctx, w.a.DB, mustUUID(g.GetId()))
	require.NoError(t, err)
	assert.Equal(t, "Front row", stored.Name)
	assert.EqualValues(t, 2, stored.MaxMembers)
	assert.Zero(t, w.count(t, (*db.AuditLog)(nil), "object_type = 'group' AND object_id = ? AND action = 'update'", g.GetId()))
}

func TestGroups_ListsPageThroughEveryGroupOnce(t *testing.T) {
	w := newGroupWorld(t, 10)
	ctx := context.Background()
	var want []string
	for range 3 {
		want = append(want, w.createGroup(t, 5, false).GetId())
	}
	var got, mine []string
	token := ""
	for {
		resp, err := w.groups.ListGroups(ctx, testenv.As(w.host, &socialv1.ListGroupsRequest{EventId: w.event.ID.String(), PageSize: 2, PageToken: token}))
		require.NoError(t, err)
		for _, g := range resp.Msg.GetGroups() {
			got = append(got, g.GetId())
		}
		if token = resp.Msg.GetNextPageToken(); token == "" {
			break
		}
	}
	for {
		resp, err := w.groups.ListMyGroups(ctx, testenv.As(w.host, &socialv1.ListMyGroupsRequest{PageSize: 2, PageToken: token}))
		require.NoError(t, err)
		for _, g := range resp.Msg.GetGroups() {
			mine = append(mine, g.GetId())
			assert.True(t, g.GetMyMembership().GetIsAdmin())
		}
		if token = resp.Msg.GetNextPageToken(); token == "" {
			break
		}
	}
	assert.Equal(t, want, got, "oldest first")
	assert.Equal(t, want, mine, "by the time the host joined")
	_, err := w.groups.ListGroups(ctx, testenv.As(w.host, &socialv1.ListGroupsRequest{EventId: w.event.ID.String(), PageToken: "junk"}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
}
