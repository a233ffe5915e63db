package testenv

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/auth"
	"github.com/convene/convene/internal/metrics"
	"github.com/convene/convene/internal/providers/sms"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	"github.com/convene/convene/proto/convene/identity/v1/identityv1connect"
)

// TestSecret signs tokens in tests.
const TestSecret = "convene-test-secret-0123456789abcdef"

// Clock is a settable clock shared by the API under test and the test.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the real time plus every Advance so far.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// API is the real Connect API on an httptest server over a fresh database,
// with typed clients. Its HTTP client speaks HTTP/1.1 and h2c.
type API struct {
	DB       *db.DB
	URL      string
	HTTP     *http.Client
	SMS      *sms.LogSender
	Clock    *Clock
	Metrics  *metrics.Registry
	Temporal client.Client

	Auth          identityv1connect.AuthServiceClient
	Users         identityv1connect.UserServiceClient
	Organizations identityv1connect.OrganizationServiceClient
}

// APIOption adjusts the API under test.
type APIOption func(*api.Deps)

// WithOTPLimits sets the OTP rate limits (tests default to generous ones).
func WithOTPLimits(l api.OTPLimits) APIOption { return func(d *api.Deps) { d.OTPLimits = l } }

// NewAPI serves the real handlers for one test. temporal may be nil for
// tests that start no workflow.
func NewAPI(t testing.TB, temporal client.Client, opts ...APIOption) *API {
	t.Helper()
	a := &API{DB: NewDB(t), SMS: sms.NewLogSender(slog.New(slog.NewTextHandler(io.Discard, nil))),
		Clock: &Clock{}, Metrics: metrics.New(), Temporal: temporal}
	deps := api.Deps{
		DB: a.DB, Temporal: temporal, SMS: a.SMS, Metrics: a.Metrics, Now: a.Clock.Now,
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Tokens:  auth.NewTokens(TestSecret, a.Clock.Now),
		OTP:     auth.NewOTPHasher(TestSecret),
		DevMode: true,
		// Many tests sign in many users from 127.0.0.1; the rate-limit
		// test sets its own limits.
		OTPLimits: api.OTPLimits{PhoneCooldown: 0, PerPhonePerHour: 1000, PerIPPerHour: 100000},
	}
	for _, o := range opts {
		o(&deps)
	}
	h, err := api.NewHandler(deps)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	a.HTTP = srv.Client()
	a.Auth = identityv1connect.NewAuthServiceClient(a.HTTP, a.URL)
	a.Users = identityv1connect.NewUserServiceClient(a.HTTP, a.URL)
	a.Organizations = identityv1connect.NewOrganizationServiceClient(a.HTTP, a.URL)
	return a
}

// H2CClient is an HTTP client that speaks HTTP/2 without TLS, as gRPC
// clients do.
func H2CClient() *http.Client {
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: protocols}}
}

// Session is a signed-in user.
type Session struct {
	UserID       string
	Phone        string
	AccessToken  string
	RefreshToken string
}

var codeInSMS = regexp.MustCompile(`\b(\d{6})\b`)

// Login signs phone in through RequestOtp and VerifyOtp, reading the code
// from the SMS sandbox as the user would from their phone.
func (a *API) Login(t testing.TB, phone string) Session {
	t.Helper()
	ctx := context.Background()
	_, err := a.Auth.RequestOtp(ctx, connect.NewRequest(&identityv1.RequestOtpRequest{Phone: phone}))
	require.NoError(t, err)
	code := a.LastCode(t, phone)
	resp, err := a.Auth.VerifyOtp(ctx, connect.NewRequest(&identityv1.VerifyOtpRequest{Phone: phone, Code: code}))
	require.NoError(t, err)
	return Session{UserID: resp.Msg.GetUser().GetId(), Phone: phone,
		AccessToken: resp.Msg.GetAccessToken(), RefreshToken: resp.Msg.GetRefreshToken()}
}

// LastCode is the code in the newest SMS sent to phone.
func (a *API) LastCode(t testing.TB, phone string) string {
	t.Helper()
	sent := a.SMS.Sent(phone)
	require.NotEmpty(t, sent, "no SMS sent to %s", phone)
	m := codeInSMS.FindStringSubmatch(sent[len(sent)-1].Body)
	require.Len(t, m, 2, "no code in %q", sent[len(sent)-1].Body)
	return m[1]
}

// As returns a request carrying s's access token.
func As[T any](s Session, msg *T) *connect.Request[T] {
	req := connect.NewRequest(msg)
	req.Header().Set("Authorization", "Bearer "+s.AccessToken)
	return req
}

// RequireCode asserts err is a Connect error with code.
func RequireCode(t testing.TB, err error, code connect.Code) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code.String(), connect.CodeOf(err).String(), "error: %v", err)
}
