package api_test

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/testenv"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

var codeInEmail = regexp.MustCompile(`code is (\d{6})\b`)

func requestEmailCode(a *testenv.API, s testenv.Session, email string) error {
	_, err := a.Users.RequestEmailVerification(context.Background(), testenv.As(s, &identityv1.RequestEmailVerificationRequest{Email: email}))
	return err
}

func verifyEmail(a *testenv.API, s testenv.Session, code string) (*identityv1.User, error) {
	resp, err := a.Users.VerifyEmail(context.Background(), testenv.As(s, &identityv1.VerifyEmailRequest{Code: code}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetUser(), nil
}

// lastEmailCode is the code in the newest code email to address, as its
// owner reads it in their mailbox.
func lastEmailCode(t *testing.T, a *testenv.API, address string) string {
	t.Helper()
	sent := a.Email.SentTo(address)
	for i := len(sent) - 1; i >= 0; i-- {
		if m := codeInEmail.FindStringSubmatch(sent[i].Body); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no code email to %s", address)
	return ""
}

// wrongCode is a six-digit code that is not code.
func wrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

// verifiedUser signs up a user who proved address.
func verifiedUser(t *testing.T, a *testenv.API, address string) testenv.Session {
	t.Helper()
	s := a.NewUser(t, newPhone())
	require.NoError(t, requestEmailCode(a, s, address))
	_, err := verifyEmail(a, s, lastEmailCode(t, a, address))
	require.NoError(t, err)
	return s
}

func getMe(t *testing.T, a *testenv.API, s testenv.Session) *identityv1.User {
	t.Helper()
	resp, err := a.Users.GetMe(context.Background(), testenv.As(s, &identityv1.GetMeRequest{}))
	require.NoError(t, err)
	return resp.Msg.GetUser()
}

// TestEmail_SquattingAnAddressGainsNothing is the attack of issue 8 item 3:
// someone types the CFO's address before the owner invites the CFO by email.
// Only the person who can read that mailbox gets the seat.
func TestEmail_SquattingAnAddressGainsNothing(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	const cfoEmail = "cfo@corp.example"
	owner, attacker := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	org := createOrg(t, a, owner, "corp")

	// The old way to claim an address is gone.
	squat := cfoEmail
	_, err := a.Users.UpdateProfile(ctx, testenv.As(attacker, &identityv1.UpdateProfileRequest{Email: &squat}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	// Asking for a code works, but the code goes to the CFO's mailbox.
	require.NoError(t, requestEmailCode(a, attacker, cfoEmail))
	assert.Equal(t, cfoEmail, getMe(t, a, attacker).GetPendingEmail())
	_, err = verifyEmail(a, attacker, wrongCode(lastEmailCode(t, a, cfoEmail)))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	me := getMe(t, a, attacker)
	assert.Empty(t, me.GetEmail())
	assert.False(t, me.GetEmailVerified())

	resp, err := a.Organizations.AddMember(ctx, testenv.As(owner, &identityv1.AddMemberRequest{OrganizationId: org.GetId(),
		Contact: &identityv1.AddMemberRequest_Email{Email: cfoEmail}, Role: identityv1.OrganizationRole_ORGANIZATION_ROLE_ADMIN}))
	require.NoError(t, err)
	assert.Empty(t, resp.Msg.GetMember().GetUserId(), "an email invitation names no account")
	assert.Equal(t, cfoEmail, resp.Msg.GetMember().GetEmail())
	assert.Equal(t, identityv1.MemberStatus_MEMBER_STATUS_INVITED, resp.Msg.GetMember().GetStatus())

	assert.Empty(t, myInvitations(t, a, attacker))
	_, err = accept(a, attacker, org.GetId())
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = a.Organizations.GetOrganization(ctx, testenv.As(attacker, &identityv1.GetOrganizationRequest{OrganizationId: org.GetId()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	// The CFO, who reads the mailbox, verifies it and takes the seat.
	cfo := verifiedUser(t, a, cfoEmail)
	invs := myInvitations(t, a, cfo)
	require.Len(t, invs, 1)
	joined, err := accept(a, cfo, org.GetId())
	require.NoError(t, err)
	assert.Equal(t, identityv1.OrganizationRole_ORGANIZATION_ROLE_ADMIN, joined.GetMyRole())
	assert.Equal(t, identityv1.MemberStatus_MEMBER_STATUS_ACTIVE, memberStatuses(t, a, owner, org.GetId())[cfo.UserID])
	assert.NotContains(t, memberStatuses(t, a, owner, org.GetId()), attacker.UserID)
}

// TestEmail_InvitationsDoNotRevealRegisteredAddresses: inviting a known and
// an unknown address answers alike, and asking to verify a taken address
// answers like a free one.
func TestEmail_InvitationsDoNotRevealRegisteredAddresses(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	owner := a.NewUser(t, newPhone())
	org := createOrg(t, a, owner, "quiet-org")
	known := verifiedUser(t, a, "known@corp.example")

	invite := func(email string) *identityv1.Member {
		resp, err := a.Organizations.AddMember(ctx, testenv.As(owner, &identityv1.AddMemberRequest{OrganizationId: org.GetId(),
			Contact: &identityv1.AddMemberRequest_Email{Email: email}, Role: identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER}))
		require.NoError(t, err)
		return resp.Msg.GetMember()
	}
	k, u := invite("Known@Corp.example"), invite("nobody@corp.example")
	assert.Equal(t, k.GetUserId(), u.GetUserId(), "both empty")
	assert.Equal(t, k.GetStatus(), u.GetStatus())
	assert.Len(t, a.Email.SentTo("known@corp.example"), 2, "the code, then the invitation")
	assert.Len(t, a.Email.SentTo("nobody@corp.example"), 1, "the invitation")
	assert.Len(t, myInvitations(t, a, known), 1, "the verified owner of the address sees it")
	assert.Equal(t, []string{"organization_invitation"}, inboxTypes(t, a, known))
	invite("known@corp.example")
	assert.Len(t, a.Email.SentTo("known@corp.example"), 2, "re-inviting sends nothing more")

	// Another user asking for the taken address gets the same answer; the
	// code reaches the owner's mailbox, and even with it the address stays taken.
	other := a.NewUser(t, newPhone())
	require.NoError(t, requestEmailCode(a, other, "known@corp.example"))
	_, err := verifyEmail(a, other, lastEmailCode(t, a, "known@corp.example"))
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)
	assert.Equal(t, "known@corp.example", getMe(t, a, known).GetEmail())
	assert.Empty(t, getMe(t, a, other).GetEmail())

	_, err = accept(a, known, org.GetId())
	require.NoError(t, err)
	testenv.RequireCode(t, func() error {
		_, err := a.Organizations.AddMember(ctx, testenv.As(owner, &identityv1.AddMemberRequest{OrganizationId: org.GetId(),
			Contact: &identityv1.AddMemberRequest_Email{Email: "known@corp.example"}, Role: identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER}))
		return err
	}(), connect.CodeAlreadyExists)
}

// TestVerifyEmail_CodeRules: a code is wrong, expires, locks after five
// wrong tries, is used once; requests are rate-limited; GetMe shows it all.
func TestVerifyEmail_CodeRules(t *testing.T) {
	a := setup(t)
	s := a.NewUser(t, newPhone())
	const addr = "ada@example.com"

	_, err := verifyEmail(a, s, "123456")
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)

	require.NoError(t, requestEmailCode(a, s, addr))
	testenv.RequireCode(t, requestEmailCode(a, s, addr), connect.CodeResourceExhausted)
	me := getMe(t, a, s)
	assert.Equal(t, addr, me.GetPendingEmail())
	assert.Empty(t, me.GetEmail())

	code := lastEmailCode(t, a, addr)
	_, err = verifyEmail(a, s, wrongCode(code))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	assert.Contains(t, err.Error(), "4 attempts left")

	a.Clock.Advance(16 * time.Minute)
	s = a.NewUser(t, s.Phone)
	_, err = verifyEmail(a, s, code)
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Contains(t, err.Error(), "expired")

	require.NoError(t, requestEmailCode(a, s, addr))
	code = lastEmailCode(t, a, addr)
	for range 5 {
		_, err = verifyEmail(a, s, wrongCode(code))
	}
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	_, err = verifyEmail(a, s, code)
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition) // locked: even the right code is refused
	assert.Contains(t, err.Error(), "locked")
	assert.Empty(t, getMe(t, a, s).GetPendingEmail(), "a locked code is no longer pending")

	a.Clock.Advance(time.Minute)
	require.NoError(t, requestEmailCode(a, s, "Ada@Example.com"))
	user, err := verifyEmail(a, s, lastEmailCode(t, a, addr))
	require.NoError(t, err)
	assert.Equal(t, addr, user.GetEmail())
	assert.True(t, user.GetEmailVerified())
	assert.Empty(t, user.GetPendingEmail())
	_, err = verifyEmail(a, s, lastEmailCode(t, a, addr))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)

	for range 2 { // 5 an hour: 3 so far, then 2 more
		a.Clock.Advance(time.Minute)
		require.NoError(t, requestEmailCode(a, s, addr))
	}
	a.Clock.Advance(time.Minute)
	testenv.RequireCode(t, requestEmailCode(a, s, addr), connect.CodeResourceExhausted)

	empty := ""
	resp, err := a.Users.UpdateProfile(context.Background(), testenv.As(s, &identityv1.UpdateProfileRequest{Email: &empty}))
	require.NoError(t, err)
	assert.Empty(t, resp.Msg.GetUser().GetEmail(), "the email can be removed")
	assert.False(t, resp.Msg.GetUser().GetEmailVerified())
}

// TestVerifyEmail_BadInput: malformed requests name the field and change nothing.
func TestVerifyEmail_BadInput(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	s := a.NewUser(t, newPhone())
	before := auditCount(t, a)
	squat := "someone@corp.example"
	for _, tc := range []struct {
		name, field string
		call        func() error
	}{
		{"no email", "email", func() error { return requestEmailCode(a, s, "") }},
		{"not an email", "email", func() error { return requestEmailCode(a, s, "not-an-email") }},
		{"short code", "code", func() error { _, err := verifyEmail(a, s, "12"); return err }},
		{"letters in code", "code", func() error { _, err := verifyEmail(a, s, "12345a"); return err }},
		{"email through UpdateProfile", "email", func() error {
			_, err := a.Users.UpdateProfile(ctx, testenv.As(s, &identityv1.UpdateProfileRequest{Email: &squat}))
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			testenv.RequireCode(t, err, connect.CodeInvalidArgument)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
	assert.Equal(t, before, auditCount(t, a))
	assert.Zero(t, a.Email.Count())
}

// TestEmail_FailedInvitationEmailIsRetriedOnReinvite: an invitation email
// the provider refused does not count as sent, so inviting again sends it.
func TestEmail_FailedInvitationEmailIsRetriedOnReinvite(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	owner := a.NewUser(t, newPhone())
	org := createOrg(t, a, owner, "flaky-mail")
	const addr = "later@corp.example"
	invite := func() error {
		_, err := a.Organizations.AddMember(ctx, testenv.As(owner, &identityv1.AddMemberRequest{OrganizationId: org.GetId(),
			Contact: &identityv1.AddMemberRequest_Email{Email: addr}, Role: identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER}))
		return err
	}
	a.Email.FailFor(addr, errors.New("mailbox unavailable"))
	require.NoError(t, invite(), "the invitation stands even if its email fails")
	assert.Empty(t, a.Email.SentTo(addr))
	a.Email.FailFor(addr, nil)
	require.NoError(t, invite())
	assert.Len(t, a.Email.SentTo(addr), 1)
	require.NoError(t, invite())
	assert.Len(t, a.Email.SentTo(addr), 1, "once sent, not again the same day")
}
