package api_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/auth"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/internal/testenv/testtemporal"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	"github.com/convene/convene/proto/convene/identity/v1/identityv1connect"
)

// temporalClient is this package's in-process Temporal server's client.
var temporalClient client.Client

func TestMain(m *testing.M) {
	srv, err := testtemporal.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start temporal:", err)
		os.Exit(1)
	}
	temporalClient = srv.Client
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}

func setup(t *testing.T, opts ...testenv.APIOption) *testenv.API {
	t.Helper()
	t.Parallel()
	return testenv.NewAPI(t, temporalClient, opts...)
}

// phoneSeq hands every test its own phone numbers.
var phoneSeq atomic.Int64

func newPhone() string { return fmt.Sprintf("+1415555%04d", phoneSeq.Add(1)%10000) }

func TestLogin_OTPEndToEnd(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	phone := newPhone()

	sent, err := a.Auth.RequestOtp(ctx, connect.NewRequest(&identityv1.RequestOtpRequest{Phone: phone}))
	require.NoError(t, err)
	code := a.LastCode(t, phone)
	assert.Equal(t, code, sent.Msg.GetDevCode(), "dev mode echoes the code that was texted")
	assert.WithinDuration(t, a.Clock.Now().Add(5*time.Minute), sent.Msg.GetExpiresAt().AsTime(), 5*time.Second)

	var stored db.PhoneOTP
	require.NoError(t, a.DB.NewSelect().Model(&stored).Where("phone_number = ?", phone).Scan(ctx))
	assert.NotContains(t, string(stored.OTPHash), code, "the code is stored hashed")
	assert.Len(t, stored.OTPSalt, 16)

	verified, err := a.Auth.VerifyOtp(ctx, connect.NewRequest(&identityv1.VerifyOtpRequest{Phone: phone, Code: code}))
	require.NoError(t, err)
	assert.True(t, verified.Msg.GetNewUser())
	assert.Equal(t, phone, verified.Msg.GetUser().GetPhone())
	assert.True(t, verified.Msg.GetUser().GetProfile().GetIsVerified())
	assert.WithinDuration(t, a.Clock.Now().Add(15*time.Minute), verified.Msg.GetAccessTokenExpiresAt().AsTime(), 5*time.Second)
	assert.WithinDuration(t, a.Clock.Now().Add(30*24*time.Hour), verified.Msg.GetRefreshTokenExpiresAt().AsTime(), 5*time.Second)

	session := testenv.Session{AccessToken: verified.Msg.GetAccessToken()}
	me, err := a.Users.GetMe(ctx, testenv.As(session, &identityv1.GetMeRequest{}))
	require.NoError(t, err)
	assert.Equal(t, verified.Msg.GetUser().GetId(), me.Msg.GetUser().GetId())

	again := a.Login(t, phone)
	assert.Equal(t, me.Msg.GetUser().GetId(), again.UserID, "second login finds the same user")
	var users int64
	users, err = a.DB.NewSelect().Model((*db.User)(nil)).Where("phone = ?", phone).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, users)

	audits, err := db.AuditLogsFor(ctx, a.DB, "user", again.UserID)
	require.NoError(t, err)
	require.Len(t, audits, 2, "each login is audited")
	assert.Equal(t, "login", audits[0].Action)
	assert.Equal(t, true, audits[0].Payload["new_user"])
}

func TestLogin_UsedCodeCannotBeReplayed(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	s := a.Login(t, newPhone())
	_, err := a.Auth.VerifyOtp(ctx, connect.NewRequest(&identityv1.VerifyOtpRequest{Phone: s.Phone, Code: a.LastCode(t, s.Phone)}))
	testenv.RequireCode(t, err, connect.CodeUnauthenticated)
}

func TestLogin_FiveWrongCodesLock(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	phone := newPhone()
	_, err := a.Auth.RequestOtp(ctx, connect.NewRequest(&identityv1.RequestOtpRequest{Phone: phone}))
	require.NoError(t, err)
	right := a.LastCode(t, phone)
	wrong := fmt.Sprintf("%06d", (mustAtoi(right)+1)%1000000)

	for attempt := 1; attempt <= 4; attempt++ {
		_, err := a.Auth.VerifyOtp(ctx, connect.NewRequest(&identityv1.VerifyOtpRequest{Phone: phone, Code: wrong}))
		testenv.RequireCode(t, err, connect.CodeUnauthenticated)
		assert.Contains(t, err.Error(), fmt.Sprintf("%d attempts left", 5-attempt))
	}
	_, err = a.Auth.VerifyOtp(ctx, connect.NewRequest(&identityv1.VerifyOtpRequest{Phone: phone, Code: wrong}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	_, err = a.Auth.VerifyOtp(ctx, connect.NewRequest(&identityv1.VerifyOtpRequest{Phone: phone, Code: right}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	assert.Contains(t, err.Error(), "locked")

	otp, err := db.LatestOTP(ctx, a.DB, phone)
	require.NoError(t, err)
	assert.Equal(t, 5, otp.Attempts)
	assert.False(t, otp.IsVerified)
	users, err := a.DB.NewSelect().Model((*db.User)(nil)).Where("phone = ?", phone).Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, users, "no account is created without a right code")

	s := a.Login(t, phone)
	assert.NotEmpty(t, s.AccessToken, "a new code unlocks login")
}

func TestLogin_ExpiredCode(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	phone := newPhone()
	_, err := a.Auth.RequestOtp(ctx, connect.NewRequest(&identityv1.RequestOtpRequest{Phone: phone}))
	require.NoError(t, err)
	a.Clock.Advance(5*time.Minute + time.Second)
	_, err = a.Auth.VerifyOtp(ctx, connect.NewRequest(&identityv1.VerifyOtpRequest{Phone: phone, Code: a.LastCode(t, phone)}))
	testenv.RequireCode(t, err, connect.CodeUnauthenticated)
	assert.Contains(t, err.Error(), "expired")
}

func TestLogin_OnlyNewestCodeCounts(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	phone := newPhone()
	_, err := a.Auth.RequestOtp(ctx, connect.NewRequest(&identityv1.RequestOtpRequest{Phone: phone}))
	require.NoError(t, err)
	first := a.LastCode(t, phone)
	_, err = a.Auth.RequestOtp(ctx, connect.NewRequest(&identityv1.RequestOtpRequest{Phone: phone}))
	require.NoError(t, err)
	if second := a.LastCode(t, phone); second != first {
		_, err = a.Auth.VerifyOtp(ctx, connect.NewRequest(&identityv1.VerifyOtpRequest{Phone: phone, Code: first}))
		testenv.RequireCode(t, err, connect.CodeUnauthenticated)
	}
	_, err = a.Auth.VerifyOtp(ctx, connect.NewRequest(&identityv1.VerifyOtpRequest{Phone: phone, Code: a.LastCode(t, phone)}))
	require.NoError(t, err)
}

func TestRequestOtp_RateLimits(t *testing.T) {
	tests := []struct {
		name   string
		limits auth.OTPLimits
		phones []string
		// allowed is how many of the requests (in order) succeed.
		allowed int
	}{
		{"cooldown per phone", auth.OTPLimits{PhoneCooldown: time.Minute, PerPhonePerHour: 10, PerIPPerHour: 100}, []string{"+14155557001", "+14155557001"}, 1},
		{"hourly cap per phone", auth.OTPLimits{PerPhonePerHour: 3, PerIPPerHour: 100}, []string{"+14155557002", "+14155557002", "+14155557002", "+14155557002"}, 3},
		{"hourly cap per client ip", auth.OTPLimits{PerPhonePerHour: 10, PerIPPerHour: 2}, []string{"+14155557003", "+14155557004", "+14155557005"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := setup(t, testenv.WithOTPLimits(tc.limits))
			ctx := context.Background()
			for i, phone := range tc.phones {
				_, err := a.Auth.RequestOtp(ctx, connect.NewRequest(&identityv1.RequestOtpRequest{Phone: phone}))
				if i < tc.allowed {
					require.NoError(t, err, "request %d", i)
					continue
				}
				testenv.RequireCode(t, err, connect.CodeResourceExhausted)
			}
			n, err := a.DB.NewSelect().Model((*db.PhoneOTP)(nil)).Count(ctx)
			require.NoError(t, err)
			assert.EqualValues(t, tc.allowed, n, "refused requests store no code")
		})
	}
}

func TestRequestOtp_ConcurrentRequestsRespectCooldown(t *testing.T) {
	a := setup(t, testenv.WithOTPLimits(auth.OTPLimits{PhoneCooldown: time.Minute, PerPhonePerHour: 10, PerIPPerHour: 1000}))
	phone := newPhone()
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			_, err := a.Auth.RequestOtp(context.Background(), connect.NewRequest(&identityv1.RequestOtpRequest{Phone: phone}))
			if err == nil {
				ok.Add(1)
			} else {
				assert.Equal(t, connect.CodeResourceExhausted, connect.CodeOf(err))
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), ok.Load(), "exactly one of 10 simultaneous requests sends a code")
	assert.Len(t, a.SMS.Sent(phone), 1)
}

func TestRefresh_RotationAndReuseDetection(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	s := a.Login(t, newPhone())
	refresh := func(token string) (*connect.Response[identityv1.RefreshResponse], error) {
		return a.Auth.Refresh(ctx, connect.NewRequest(&identityv1.RefreshRequest{RefreshToken: token}))
	}

	second, err := refresh(s.RefreshToken)
	require.NoError(t, err)
	assert.NotEqual(t, s.RefreshToken, second.Msg.GetRefreshToken(), "every use rotates the token")
	_, err = a.Users.GetMe(ctx, testenv.As(testenv.Session{AccessToken: second.Msg.GetAccessToken()}, &identityv1.GetMeRequest{}))
	require.NoError(t, err, "the new access token works")

	third, err := refresh(second.Msg.GetRefreshToken())
	require.NoError(t, err)

	_, err = refresh(s.RefreshToken)
	testenv.RequireCode(t, err, connect.CodeUnauthenticated)
	assert.Contains(t, err.Error(), "already used")

	_, err = refresh(third.Msg.GetRefreshToken())
	testenv.RequireCode(t, err, connect.CodeUnauthenticated)
	assert.Contains(t, err.Error(), "revoked", "reuse revoked the whole family, including the newest token")

	other := a.Login(t, s.Phone)
	_, err = refresh(other.RefreshToken)
	require.NoError(t, err, "a separate login is a separate family and survives")
}

func TestRefresh_ConcurrentUseOfOneToken(t *testing.T) {
	a := setup(t)
	s := a.Login(t, newPhone())
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := a.Auth.Refresh(context.Background(), connect.NewRequest(&identityv1.RefreshRequest{RefreshToken: s.RefreshToken}))
			if err == nil {
				ok.Add(1)
			} else {
				assert.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err))
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), ok.Load(), "a refresh token rotates exactly once")
}

func TestRefresh_ExpiredAndLoggedOut(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	s := a.Login(t, newPhone())

	_, err := a.Auth.Logout(ctx, connect.NewRequest(&identityv1.LogoutRequest{RefreshToken: s.RefreshToken}))
	require.NoError(t, err)
	_, err = a.Auth.Logout(ctx, connect.NewRequest(&identityv1.LogoutRequest{RefreshToken: s.RefreshToken}))
	require.NoError(t, err, "logging out twice is fine")
	_, err = a.Auth.Refresh(ctx, connect.NewRequest(&identityv1.RefreshRequest{RefreshToken: s.RefreshToken}))
	testenv.RequireCode(t, err, connect.CodeUnauthenticated)

	s2 := a.Login(t, s.Phone)
	a.Clock.Advance(31 * 24 * time.Hour)
	_, err = a.Auth.Refresh(ctx, connect.NewRequest(&identityv1.RefreshRequest{RefreshToken: s2.RefreshToken}))
	testenv.RequireCode(t, err, connect.CodeUnauthenticated)
	assert.Contains(t, err.Error(), "expired")
	_, err = a.Users.GetMe(ctx, testenv.As(s2, &identityv1.GetMeRequest{}))
	testenv.RequireCode(t, err, connect.CodeUnauthenticated)
}

func TestAuth_MissingOrBadAccessToken(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		header string
	}{
		{"no header", ""},
		{"not bearer", "Basic abc"},
		{"garbage", "Bearer not-a-token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := connect.NewRequest(&identityv1.GetMeRequest{})
			if tc.header != "" {
				req.Header().Set("Authorization", tc.header)
			}
			_, err := a.Users.GetMe(ctx, req)
			testenv.RequireCode(t, err, connect.CodeUnauthenticated)
		})
	}
}

func TestUpdateProfile(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	require.NoError(t, db.SeedDemo(ctx, a.DB))
	s := a.Login(t, newPhone())

	name, gender, birth := "Ada", "female", "1990-05-17"
	resp, err := a.Users.UpdateProfile(ctx, testenv.As(s, &identityv1.UpdateProfileRequest{
		Name: &name, Gender: &gender, BirthDate: &birth,
		SetProfilePictures: true, ProfilePictures: []string{"https://img.example.com/1.jpg"},
		SetInterests: true, InterestSlugs: []string{"music", "travel", "music"},
	}))
	require.NoError(t, err)
	u := resp.Msg.GetUser()
	assert.Equal(t, "Ada", u.GetProfile().GetName())
	assert.Equal(t, "1990-05-17", u.GetProfile().GetBirthDate())
	assert.Equal(t, []string{"https://img.example.com/1.jpg"}, u.GetProfile().GetProfilePictures())
	require.Len(t, u.GetInterests(), 2)

	bio := "only the bio changes"
	resp, err = a.Users.UpdateProfile(ctx, testenv.As(s, &identityv1.UpdateProfileRequest{Bio: &bio}))
	require.NoError(t, err)
	assert.Equal(t, "Ada", resp.Msg.GetUser().GetProfile().GetName(), "absent fields are kept")
	assert.Len(t, resp.Msg.GetUser().GetInterests(), 2)

	interests, err := a.Users.ListInterests(ctx, testenv.As(s, &identityv1.ListInterestsRequest{}))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(interests.Msg.GetInterests()), 8)
}

// TestValidation_NamesTheFieldAndChangesNothing sends malformed requests
// and checks the error names the field and no row was written.
func TestValidation_NamesTheFieldAndChangesNothing(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	s := a.Login(t, newPhone())
	org := createOrg(t, a, s, "valid-org")
	badDate, badGender, futureDate := "2020-13-01", "robot", "2999-01-01"
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"empty phone", func() error {
			_, err := a.Auth.RequestOtp(ctx, connect.NewRequest(&identityv1.RequestOtpRequest{}))
			return err
		}, "phone"},
		{"malformed phone", func() error {
			_, err := a.Auth.RequestOtp(ctx, connect.NewRequest(&identityv1.RequestOtpRequest{Phone: "12-34"}))
			return err
		}, "phone"},
		{"short code", func() error {
			_, err := a.Auth.VerifyOtp(ctx, connect.NewRequest(&identityv1.VerifyOtpRequest{Phone: s.Phone, Code: "12"}))
			return err
		}, "code"},
		{"bad slug", func() error {
			_, err := a.Organizations.CreateOrganization(ctx, testenv.As(s, &identityv1.CreateOrganizationRequest{Name: "X", Slug: "Bad Slug"}))
			return err
		}, "slug"},
		{"missing org name", func() error {
			_, err := a.Organizations.CreateOrganization(ctx, testenv.As(s, &identityv1.CreateOrganizationRequest{Slug: "fine-slug"}))
			return err
		}, "name"},
		{"unspecified role", func() error {
			_, err := a.Organizations.AddMember(ctx, testenv.As(s, &identityv1.AddMemberRequest{
				OrganizationId: org.GetId(), Contact: &identityv1.AddMemberRequest_Phone{Phone: "+14155559999"}}))
			return err
		}, "role"},
		{"not a uuid", func() error {
			_, err := a.Organizations.GetOrganization(ctx, testenv.As(s, &identityv1.GetOrganizationRequest{OrganizationId: "nope"}))
			return err
		}, "organization_id"},
		{"impossible birth date", func() error {
			_, err := a.Users.UpdateProfile(ctx, testenv.As(s, &identityv1.UpdateProfileRequest{BirthDate: &badDate}))
			return err
		}, "birth_date"},
		{"future birth date", func() error {
			_, err := a.Users.UpdateProfile(ctx, testenv.As(s, &identityv1.UpdateProfileRequest{BirthDate: &futureDate}))
			return err
		}, "birth_date"},
		{"unknown gender", func() error {
			_, err := a.Users.UpdateProfile(ctx, testenv.As(s, &identityv1.UpdateProfileRequest{Gender: &badGender}))
			return err
		}, "gender"},
		{"unknown interest", func() error {
			_, err := a.Users.UpdateProfile(ctx, testenv.As(s, &identityv1.UpdateProfileRequest{SetInterests: true, InterestSlugs: []string{"knitting-in-space"}}))
			return err
		}, "interest_slugs"},
		{"too many pictures", func() error {
			pics := []string{"https://a/1", "https://a/2", "https://a/3", "https://a/4", "https://a/5", "https://a/6", "https://a/7"}
			_, err := a.Users.UpdateProfile(ctx, testenv.As(s, &identityv1.UpdateProfileRequest{SetProfilePictures: true, ProfilePictures: pics}))
			return err
		}, "profile_pictures"},
		{"bad page token", func() error {
			_, err := a.Organizations.ListMembers(ctx, testenv.As(s, &identityv1.ListMembersRequest{OrganizationId: org.GetId(), PageToken: "zzz"}))
			return err
		}, "page_token"},
		{"phone longer than E.164 allows (found by FuzzNormalizePhone)", func() error {
			_, err := a.Auth.RequestOtp(ctx, connect.NewRequest(&identityv1.RequestOtpRequest{Phone: "+4. 90 201000000 AAA0 00"}))
			return err
		}, "phone"},
	}
	before := auditCount(t, a)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			testenv.RequireCode(t, err, connect.CodeInvalidArgument)
			assert.Contains(t, connect.NewError(connect.CodeOf(err), err).Message(), tc.field)
			assert.NotEmpty(t, err.(*connect.Error).Details(), "field violations travel as error details")
		})
	}
	assert.Equal(t, before, auditCount(t, a), "bad input changes nothing")
	me, err := a.Users.GetMe(ctx, testenv.As(s, &identityv1.GetMeRequest{}))
	require.NoError(t, err)
	assert.Empty(t, me.Msg.GetUser().GetProfile().GetBirthDate())
	assert.Empty(t, me.Msg.GetUser().GetProfile().GetGender())
}

func TestProtocols_ConnectGRPCAndGRPCWeb(t *testing.T) {
	a := setup(t)
	s := a.Login(t, newPhone())
	tests := []struct {
		name   string
		client *http.Client
		opts   []connect.ClientOption
	}{
		{"connect json over http/1.1", a.HTTP, []connect.ClientOption{connect.WithProtoJSON()}},
		{"grpc over h2c", testenv.H2CClient(), []connect.ClientOption{connect.WithGRPC()}},
		{"grpc-web", a.HTTP, []connect.ClientOption{connect.WithGRPCWeb()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			users := identityv1connect.NewUserServiceClient(tc.client, a.URL, tc.opts...)
			me, err := users.GetMe(context.Background(), testenv.As(s, &identityv1.GetMeRequest{}))
			require.NoError(t, err)
			assert.Equal(t, s.UserID, me.Msg.GetUser().GetId())
			_, err = users.GetMe(context.Background(), connect.NewRequest(&identityv1.GetMeRequest{}))
			testenv.RequireCode(t, err, connect.CodeUnauthenticated)
		})
	}
}

func mustUUID(s string) uuid.UUID { return uuid.MustParse(s) }

func mustAtoi(s string) int {
	var n int
	_, _ = fmt.Sscanf(s, "%d", &n)
	return n
}

func auditCount(t *testing.T, a *testenv.API) int64 {
	t.Helper()
	n, err := a.DB.NewSelect().Model((*db.AuditLog)(nil)).Count(context.Background())
	require.NoError(t, err)
	return n
}
