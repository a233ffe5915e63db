package api_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
)

func myInvitations(t *testing.T, a *testenv.API, s testenv.Session) []*identityv1.Invitation {
	t.Helper()
	resp, err := a.Organizations.ListMyInvitations(context.Background(), testenv.As(s, &identityv1.ListMyInvitationsRequest{}))
	require.NoError(t, err)
	return resp.Msg.GetInvitations()
}

func accept(a *testenv.API, s testenv.Session, orgID string) (*identityv1.Organization, error) {
	resp, err := a.Organizations.AcceptInvitation(context.Background(), testenv.As(s, &identityv1.AcceptInvitationRequest{OrganizationId: orgID}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetOrganization(), nil
}

func decline(a *testenv.API, s testenv.Session, orgID string) error {
	_, err := a.Organizations.DeclineInvitation(context.Background(), testenv.As(s, &identityv1.DeclineInvitationRequest{OrganizationId: orgID}))
	return err
}

// memberStatuses maps user IDs to their ListMembers status as the owner sees it.
func memberStatuses(t *testing.T, a *testenv.API, owner testenv.Session, orgID string) map[string]identityv1.MemberStatus {
	t.Helper()
	resp, err := a.Organizations.ListMembers(context.Background(), testenv.As(owner, &identityv1.ListMembersRequest{OrganizationId: orgID}))
	require.NoError(t, err)
	out := map[string]identityv1.MemberStatus{}
	for _, m := range resp.Msg.GetMembers() {
		out[m.GetUserId()] = m.GetStatus()
	}
	return out
}

func inboxTypes(t *testing.T, a *testenv.API, s testenv.Session) []string {
	t.Helper()
	notes, err := db.NotificationsOf(context.Background(), a.DB, mustUUID(s.UserID))
	require.NoError(t, err)
	var types []string
	for _, n := range notes {
		types = append(types, n.Type)
	}
	return types
}

// TestInvitations_NotAMemberUntilAccepted: an invited person can neither
// read the organization nor receive its notification jobs until they accept.
func TestInvitations_NotAMemberUntilAccepted(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	owner, member, invitee := a.NewUser(t, newPhone()), a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	org := createOrg(t, a, owner, "consent-org")
	addAndAccept(t, a, owner, org.GetId(), member, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)

	resp, err := a.Organizations.AddMember(ctx, testenv.As(owner, &identityv1.AddMemberRequest{OrganizationId: org.GetId(),
		Contact: &identityv1.AddMemberRequest_Phone{Phone: invitee.Phone}, Role: identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER}))
	require.NoError(t, err)
	assert.Equal(t, identityv1.MemberStatus_MEMBER_STATUS_INVITED, resp.Msg.GetMember().GetStatus())
	assert.Equal(t, invitee.UserID, resp.Msg.GetMember().GetUserId())
	require.Len(t, a.SMS.Sent(invitee.Phone), 1, "one SMS invitation")
	assert.Contains(t, a.SMS.Sent(invitee.Phone)[0].Body, "Org consent-org")
	assert.Equal(t, []string{"organization_invitation"}, inboxTypes(t, a, invitee), "one in-app invitation")

	_, err = a.Organizations.GetOrganization(ctx, testenv.As(invitee, &identityv1.GetOrganizationRequest{OrganizationId: org.GetId()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = a.Organizations.ListMembers(ctx, testenv.As(invitee, &identityv1.ListMembersRequest{OrganizationId: org.GetId()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	assert.Equal(t, map[string]identityv1.MemberStatus{
		owner.UserID: identityv1.MemberStatus_MEMBER_STATUS_ACTIVE, member.UserID: identityv1.MemberStatus_MEMBER_STATUS_ACTIVE,
		invitee.UserID: identityv1.MemberStatus_MEMBER_STATUS_INVITED,
	}, memberStatuses(t, a, owner, org.GetId()))

	// A job to the organization's members reaches the member, not the invitee.
	created, err := a.Notifications.CreateNotificationJob(ctx, testenv.As(owner, jobRequest(org.GetId(), membersOf(org.GetId(), "member"))))
	require.NoError(t, err)
	job := awaitJob(t, a, owner, created.Msg.GetJob().GetId(), notificationsv1.JobStatus_JOB_STATUS_COMPLETED, 30*time.Second)
	assert.EqualValues(t, 1, job.GetProgress().GetSent())
	assert.Contains(t, inboxTitles(t, a, member, &notificationsv1.ListMyNotificationsRequest{}), "Doors open at seven")
	assert.Equal(t, []string{"organization_invitation"}, inboxTypes(t, a, invitee), "the job never reached the invitee")

	// Re-inviting is idempotent: still one invitation, one SMS.
	require.NoError(t, addMember(t, a, owner, org.GetId(), invitee.Phone, identityv1.OrganizationRole_ORGANIZATION_ROLE_ADMIN))
	assert.Len(t, a.SMS.Sent(invitee.Phone), 1, "no second SMS within a day")
	assert.EqualValues(t, 1, countRows(t, a, (*db.Invitation)(nil), "invitee_user_id = ?", mustUUID(invitee.UserID)))
	assert.Len(t, inboxTypes(t, a, invitee), 1, "no second in-app invitation")

	invs := myInvitations(t, a, invitee)
	require.Len(t, invs, 1)
	assert.Equal(t, org.GetId(), invs[0].GetOrganizationId())
	assert.Equal(t, "Org consent-org", invs[0].GetOrganizationName())
	assert.Equal(t, identityv1.OrganizationRole_ORGANIZATION_ROLE_ADMIN, invs[0].GetRole(), "the newest role counts")

	joined, err := accept(a, invitee, org.GetId())
	require.NoError(t, err)
	assert.Equal(t, identityv1.OrganizationRole_ORGANIZATION_ROLE_ADMIN, joined.GetMyRole())
	_, err = a.Organizations.GetOrganization(ctx, testenv.As(invitee, &identityv1.GetOrganizationRequest{OrganizationId: org.GetId()}))
	require.NoError(t, err)
	assert.Equal(t, identityv1.MemberStatus_MEMBER_STATUS_ACTIVE, memberStatuses(t, a, owner, org.GetId())[invitee.UserID])
	assert.Empty(t, myInvitations(t, a, invitee))
	audits, err := a.DB.NewSelect().Model((*db.AuditLog)(nil)).
		Where("organization_id = ? AND object_type = 'organization_member' AND actor_user_id = ?", mustUUID(org.GetId()), mustUUID(invitee.UserID)).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, audits, "joining is audited")

	_, err = accept(a, invitee, org.GetId())
	testenv.RequireCode(t, err, connect.CodeNotFound)
	testenv.RequireCode(t, addMember(t, a, owner, org.GetId(), invitee.Phone, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER),
		connect.CodeAlreadyExists)
}

// TestInvitations_Decline: declining closes the invitation and changes
// nothing else; re-inviting after a decline texts again only after a day.
func TestInvitations_Decline(t *testing.T) {
	a := setup(t)
	owner, invitee, stranger := a.NewUser(t, newPhone()), a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	org := createOrg(t, a, owner, "decline-org")
	require.NoError(t, addMember(t, a, owner, org.GetId(), invitee.Phone, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER))

	testenv.RequireCode(t, decline(a, stranger, org.GetId()), connect.CodeNotFound)
	require.NoError(t, decline(a, invitee, org.GetId()))
	assert.Empty(t, myInvitations(t, a, invitee))
	_, err := accept(a, invitee, org.GetId())
	testenv.RequireCode(t, err, connect.CodeNotFound)
	testenv.RequireCode(t, decline(a, invitee, org.GetId()), connect.CodeNotFound)
	assert.NotContains(t, memberStatuses(t, a, owner, org.GetId()), invitee.UserID)
	_, err = db.MemberRole(context.Background(), a.DB, mustUUID(org.GetId()), mustUUID(invitee.UserID))
	require.ErrorIs(t, err, db.ErrNotFound)

	require.NoError(t, addMember(t, a, owner, org.GetId(), invitee.Phone, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER))
	assert.Len(t, myInvitations(t, a, invitee), 1, "invited again")
	assert.Len(t, a.SMS.Sent(invitee.Phone), 1, "but not texted again the same day")
	a.Clock.Advance(25 * time.Hour)
	owner = a.NewUser(t, owner.Phone) // a fresh token: the old one expired
	require.NoError(t, addMember(t, a, owner, org.GetId(), invitee.Phone, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER))
	assert.Len(t, a.SMS.Sent(invitee.Phone), 2, "a day later the reminder goes out")
}

// TestInvitations_BadInput: malformed or missing organization IDs are
// invalid_argument naming the field and change nothing.
func TestInvitations_BadInput(t *testing.T) {
	a := setup(t)
	s := a.NewUser(t, newPhone())
	before := auditCount(t, a)
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"accept without organization", func() error { _, err := accept(a, s, ""); return err }},
		{"accept with a bad uuid", func() error { _, err := accept(a, s, "nope"); return err }},
		{"decline with a bad uuid", func() error { return decline(a, s, "0192f0a0") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			testenv.RequireCode(t, err, connect.CodeInvalidArgument)
			assert.Contains(t, err.Error(), "organization_id")
		})
	}
	_, err := a.Organizations.ListMyInvitations(context.Background(), connect.NewRequest(&identityv1.ListMyInvitationsRequest{}))
	testenv.RequireCode(t, err, connect.CodeUnauthenticated)
	assert.Equal(t, before, auditCount(t, a))
}
