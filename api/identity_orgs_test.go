package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

func createOrg(t *testing.T, a *testenv.API, owner testenv.Session, slug string) *identityv1.Organization {
	t.Helper()
	resp, err := a.Organizations.CreateOrganization(context.Background(), testenv.As(owner, &identityv1.CreateOrganizationRequest{
		Name: "Org " + slug, Slug: slug,
	}))
	require.NoError(t, err)
	return resp.Msg.GetOrganization()
}

// addMember invites phone to orgID: they are not a member until they accept.
func addMember(t *testing.T, a *testenv.API, by testenv.Session, orgID, phone string, role identityv1.OrganizationRole) error {
	t.Helper()
	_, err := a.Organizations.AddMember(context.Background(), testenv.As(by, &identityv1.AddMemberRequest{
		OrganizationId: orgID, Contact: &identityv1.AddMemberRequest_Phone{Phone: phone}, Role: role,
	}))
	return err
}

// addAndAccept invites invitee by phone and accepts as them: for tests that
// need members, not invitations.
func addAndAccept(t *testing.T, a *testenv.API, by testenv.Session, orgID string, invitee testenv.Session, role identityv1.OrganizationRole) {
	t.Helper()
	require.NoError(t, addMember(t, a, by, orgID, invitee.Phone, role))
	_, err := a.Organizations.AcceptInvitation(context.Background(), testenv.As(invitee, &identityv1.AcceptInvitationRequest{OrganizationId: orgID}))
	require.NoError(t, err)
}

func TestOrganizations_CreateMakesCallerOwner(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	owner := a.Login(t, newPhone())
	org := createOrg(t, a, owner, "river-runners")
	assert.Equal(t, identityv1.OrganizationRole_ORGANIZATION_ROLE_OWNER, org.GetMyRole())

	members, err := a.Organizations.ListMembers(ctx, testenv.As(owner, &identityv1.ListMembersRequest{OrganizationId: org.GetId()}))
	require.NoError(t, err)
	require.Len(t, members.Msg.GetMembers(), 1)
	assert.Equal(t, owner.UserID, members.Msg.GetMembers()[0].GetUserId())

	_, err = a.Organizations.CreateOrganization(ctx, testenv.As(a.Login(t, newPhone()), &identityv1.CreateOrganizationRequest{Name: "Copy", Slug: "river-runners"}))
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)

	audits, err := db.AuditLogsFor(ctx, a.DB, "organization", org.GetId())
	require.NoError(t, err)
	require.Len(t, audits, 1)
	assert.Equal(t, "create", audits[0].Action)
	assert.Equal(t, owner.UserID, audits[0].ActorUserID.String())
}

// TestOrganizations_TenantIsolation: a member of one organization can
// neither read nor change another organization's data.
func TestOrganizations_TenantIsolation(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	alice, bob := a.Login(t, newPhone()), a.Login(t, newPhone())
	orgA := createOrg(t, a, alice, "alpha-org")
	orgB := createOrg(t, a, bob, "bravo-org")
	before := auditCount(t, a)

	tests := []struct {
		name string
		call func() error
	}{
		{"read other org", func() error {
			_, err := a.Organizations.GetOrganization(ctx, testenv.As(bob, &identityv1.GetOrganizationRequest{OrganizationId: orgA.GetId()}))
			return err
		}},
		{"list other org's members", func() error {
			_, err := a.Organizations.ListMembers(ctx, testenv.As(bob, &identityv1.ListMembersRequest{OrganizationId: orgA.GetId()}))
			return err
		}},
		{"add self to other org", func() error {
			return addMember(t, a, bob, orgA.GetId(), bob.Phone, identityv1.OrganizationRole_ORGANIZATION_ROLE_OWNER)
		}},
		{"remove other org's owner", func() error {
			_, err := a.Organizations.RemoveMember(ctx, testenv.As(bob, &identityv1.RemoveMemberRequest{OrganizationId: orgA.GetId(), UserId: alice.UserID}))
			return err
		}},
		{"alice reads bob's org", func() error {
			_, err := a.Organizations.GetOrganization(ctx, testenv.As(alice, &identityv1.GetOrganizationRequest{OrganizationId: orgB.GetId()}))
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testenv.RequireCode(t, tc.call(), connect.CodePermissionDenied)
		})
	}
	assert.Equal(t, before, auditCount(t, a), "refused calls change nothing")
	role, err := db.MemberRole(ctx, a.DB, mustUUID(orgA.GetId()), mustUUID(bob.UserID))
	assert.ErrorIs(t, err, db.ErrNotFound, "bob did not become a member: %q", role)

	_, err = a.Organizations.GetOrganization(ctx, testenv.As(bob, &identityv1.GetOrganizationRequest{OrganizationId: "0192f0a0-0000-7000-8000-000000000000"}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
}

func TestOrganizations_RolesGovernMembership(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	owner := a.Login(t, newPhone())
	org := createOrg(t, a, owner, "roles-org")
	admin, approver, member := a.Login(t, newPhone()), a.Login(t, newPhone()), a.Login(t, newPhone())
	addAndAccept(t, a, owner, org.GetId(), admin, identityv1.OrganizationRole_ORGANIZATION_ROLE_ADMIN)
	addAndAccept(t, a, admin, org.GetId(), approver, identityv1.OrganizationRole_ORGANIZATION_ROLE_APPROVER)
	addAndAccept(t, a, admin, org.GetId(), member, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)

	newcomer := newPhone()
	tests := []struct {
		name string
		by   testenv.Session
		role identityv1.OrganizationRole
		want connect.Code
	}{
		{"member cannot add", member, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER, connect.CodePermissionDenied},
		{"approver cannot add", approver, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER, connect.CodePermissionDenied},
		{"admin cannot make an owner", admin, identityv1.OrganizationRole_ORGANIZATION_ROLE_OWNER, connect.CodePermissionDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testenv.RequireCode(t, addMember(t, a, tc.by, org.GetId(), newcomer, tc.role), tc.want)
		})
	}
	testenv.RequireCode(t, addMember(t, a, owner, org.GetId(), member.Phone, identityv1.OrganizationRole_ORGANIZATION_ROLE_ADMIN), connect.CodeAlreadyExists)

	// A person without an account is invited by phone, signs in later and
	// becomes a member by accepting.
	require.NoError(t, addMember(t, a, owner, org.GetId(), newcomer, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER))
	later := a.Login(t, newcomer)
	_, err := a.Organizations.GetOrganization(ctx, testenv.As(later, &identityv1.GetOrganizationRequest{OrganizationId: org.GetId()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	accepted, err := a.Organizations.AcceptInvitation(ctx, testenv.As(later, &identityv1.AcceptInvitationRequest{OrganizationId: org.GetId()}))
	require.NoError(t, err)
	assert.Equal(t, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER, accepted.Msg.GetOrganization().GetMyRole())

	remove := func(by testenv.Session, userID string) error {
		_, err := a.Organizations.RemoveMember(ctx, testenv.As(by, &identityv1.RemoveMemberRequest{OrganizationId: org.GetId(), UserId: userID}))
		return err
	}
	testenv.RequireCode(t, remove(member, approver.UserID), connect.CodePermissionDenied)
	testenv.RequireCode(t, remove(admin, owner.UserID), connect.CodePermissionDenied)
	testenv.RequireCode(t, remove(owner, owner.UserID), connect.CodeFailedPrecondition)
	require.NoError(t, remove(member, member.UserID), "anyone may leave")
	require.NoError(t, remove(admin, approver.UserID))

	audits, err := a.DB.NewSelect().Model((*db.AuditLog)(nil)).
		Where("organization_id = ? AND object_type = 'organization_member'", mustUUID(org.GetId())).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 6, audits, "4 accepted invitations and 2 removals are audited")
}

func TestOrganizations_ListMembersShowsPhonesOnlyToManagers(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	owner := a.Login(t, newPhone())
	org := createOrg(t, a, owner, "contacts-org")
	member, admin := a.Login(t, newPhone()), a.Login(t, newPhone())
	addAndAccept(t, a, owner, org.GetId(), member, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	addAndAccept(t, a, owner, org.GetId(), admin, identityv1.OrganizationRole_ORGANIZATION_ROLE_ADMIN)

	for _, tc := range []struct {
		name       string
		caller     testenv.Session
		seesPhones bool
	}{
		{"owner", owner, true},
		{"admin", admin, true},
		{"member", member, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := a.Organizations.ListMembers(ctx, testenv.As(tc.caller, &identityv1.ListMembersRequest{OrganizationId: org.GetId()}))
			require.NoError(t, err)
			require.Len(t, resp.Msg.GetMembers(), 3)
			for _, m := range resp.Msg.GetMembers() {
				assert.Equal(t, tc.seesPhones, m.GetPhone() != "", "member %s phone %q", m.GetUserId(), m.GetPhone())
			}
		})
	}
}

func TestOrganizations_ListMembersPages(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	owner := a.Login(t, newPhone())
	org := createOrg(t, a, owner, "paged-org")
	for i := range 6 {
		if i%2 == 0 {
			addAndAccept(t, a, owner, org.GetId(), a.NewUser(t, newPhone()), identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
		} else { // invitations page with the members
			require.NoError(t, addMember(t, a, owner, org.GetId(), newPhone(), identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER))
		}
	}
	seen := map[string]bool{}
	token, pages := "", 0
	for {
		resp, err := a.Organizations.ListMembers(ctx, testenv.As(owner, &identityv1.ListMembersRequest{OrganizationId: org.GetId(), PageSize: 3, PageToken: token}))
		require.NoError(t, err)
		pages++
		for _, m := range resp.Msg.GetMembers() {
			assert.False(t, seen[m.GetUserId()], "no member appears twice")
			seen[m.GetUserId()] = true
		}
		if token = resp.Msg.GetNextPageToken(); token == "" {
			break
		}
	}
	assert.Len(t, seen, 7)
	assert.Equal(t, 3, pages)
}

func TestHealthAndMetrics(t *testing.T) {
	a := setup(t)
	a.Login(t, newPhone())
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := a.HTTP.Get(a.URL + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
		var parsed map[string]any
		require.NoError(t, json.Unmarshal(body, &parsed))
	}
	health := connect.NewClient[healthpb.HealthCheckRequest, healthpb.HealthCheckResponse](
		testenv.H2CClient(), a.URL+"/grpc.health.v1.Health/Check", connect.WithGRPC())
	resp, err := health.CallUnary(context.Background(), connect.NewRequest(&healthpb.HealthCheckRequest{}))
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.Msg.GetStatus())

	metrics, err := a.HTTP.Get(a.URL + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(metrics.Body)
	metrics.Body.Close()
	assert.Contains(t, string(body), `convene_rpc_requests_total{code="ok",procedure="/convene.identity.v1.AuthService/VerifyOtp"} 1`)
}
