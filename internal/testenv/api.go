package testenv

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/app"
	"github.com/convene/convene/internal/auth"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/metrics"
	"github.com/convene/convene/internal/providers/notify"
	"github.com/convene/convene/internal/providers/payment"
	"github.com/convene/convene/internal/providers/sms"
	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/questcheck"
	"github.com/convene/convene/internal/secretbox"
	"github.com/convene/convene/internal/tickets"
	"github.com/convene/convene/proto/convene/conferences/v1/conferencesv1connect"
	"github.com/convene/convene/proto/convene/content/v1/contentv1connect"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
	"github.com/convene/convene/proto/convene/events/v1/eventsv1connect"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	"github.com/convene/convene/proto/convene/identity/v1/identityv1connect"
	"github.com/convene/convene/proto/convene/notifications/v1/notificationsv1connect"
	"github.com/convene/convene/proto/convene/onboarding/v1/onboardingv1connect"
	"github.com/convene/convene/proto/convene/social/v1/socialv1connect"
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
	Events        eventsv1connect.EventServiceClient
	Ticketing     eventsv1connect.TicketingServiceClient
	Notifications notificationsv1connect.NotificationServiceClient
	Campaigns     contentv1connect.CampaignServiceClient
	Content       contentv1connect.ContentServiceClient
	Approvals     contentv1connect.ApprovalServiceClient
	Social        contentv1connect.SocialServiceClient
	EventContent  contentv1connect.EventContentServiceClient
	Learning      engagementv1connect.LearningServiceClient
	Points        engagementv1connect.PointsServiceClient
	Badges        engagementv1connect.BadgeServiceClient
	Recognitions  engagementv1connect.RecognitionServiceClient
	Rules         engagementv1connect.RulesServiceClient
	Teams         engagementv1connect.TeamServiceClient
	Activities    engagementv1connect.ActivityServiceClient
	Onboarding    onboardingv1connect.OnboardingServiceClient
	Connections   conferencesv1connect.ConnectionServiceClient
	Enrichments   conferencesv1connect.EnrichmentServiceClient
	Quests        conferencesv1connect.QuestServiceClient
	Safety        socialv1connect.SafetyServiceClient
	Chat          socialv1connect.ChatServiceClient

	// Sandbox is the payment sandbox the API uses; Tickets its ticket keys.
	Sandbox *payment.Sandbox
	Tickets *tickets.Keys
	// SocialSandbox serves the social platforms accounts are connected on;
	// SocialTokens seals their tokens as the application does.
	SocialSandbox *social.Sandbox
	SocialTokens  *secretbox.Box
	// QuestSandboxes are the in-memory Telegram and X the quest verifiers
	// ask (tests set who is in which chat and who follows whom).
	QuestSandboxes *questcheck.Sandboxes
	// TaskQueue is this test's own Temporal task queue, polled by a real
	// worker (workflows, activities, River) when a Temporal client was given.
	TaskQueue string
	// Server is the API's HTTP server: closing it stops the API process
	// while the worker goes on.
	Server *httptest.Server

	// Push, Email and Telegram are the notification sandboxes the worker
	// delivers to; NotifyRates and NotifyBurst its per-channel rate limits.
	Push, Email, Telegram *notify.Sandbox
	NotifyRates           map[string]float64
	NotifyBurst           int
	pushTimes             *sendTimes
	// tokens signs access tokens as the API does (NewUser).
	tokens *auth.Tokens
}

// apiOptions are what NewAPI options adjust.
type apiOptions struct {
	otpLimits   auth.OTPLimits
	notifyRates map[string]float64
	startFault  bool
	orderFault  bool
	configure   []func(*config.Config)
	questTLS    *tls.Config
}

// APIOption adjusts the API under test.
type APIOption func(*apiOptions)

// WithOTPLimits sets the OTP rate limits (tests default to generous ones).
func WithOTPLimits(l auth.OTPLimits) APIOption { return func(o *apiOptions) { o.otpLimits = l } }

// WithConfig adjusts the configuration the API is built from (trusted
// proxies, session check TTL, ...).
func WithConfig(fn func(*config.Config)) APIOption {
	return func(o *apiOptions) { o.configure = append(o.configure, fn) }
}

// WithQuestCheckTLS makes api_check quest tasks trust cfg's roots, e.g. an
// httptest TLS server's: `WithQuestCheckTLS(srv.Client().Transport.(*http.Transport).TLSClientConfig)`.
func WithQuestCheckTLS(cfg *tls.Config) APIOption { return func(o *apiOptions) { o.questTLS = cfg } }

// WithNotifyRate limits one notification channel to perSecond sends.
func WithNotifyRate(channel string, perSecond float64) APIOption {
	return func(o *apiOptions) { o.notifyRates[channel] = perSecond }
}

// WithStartFault makes the API's direct workflow starts after commit fail,
// as if the process died between commit and start: a workflow then runs
// only if the River job committed with its rows starts it.
func WithStartFault() APIOption { return func(o *apiOptions) { o.startFault = true } }

// WithOrderStartFault makes every start of a ticket order by the API fail,
// as if the process died right after committing the order's admission: the
// order then runs only if the River job committed with it starts it.
func WithOrderStartFault() APIOption { return func(o *apiOptions) { o.orderFault = true } }

// NewAPI serves the real handlers for one test, built by internal/app as
// the binary builds them. temporal may be nil for tests that start no
// workflow; when given, a real worker polls this test's own task queue.
func NewAPI(t testing.TB, temporal client.Client, opts ...APIOption) *API {
	t.Helper()
	o := apiOptions{
		// Many tests sign in many users from 127.0.0.1; the rate-limit
		// test sets its own limits.
		otpLimits:   auth.OTPLimits{PhoneCooldown: 0, PerPhonePerHour: 1000, PerIPPerHour: 100000},
		notifyRates: map[string]float64{},
	}
	for _, opt := range opts {
		opt(&o)
	}
	a := &API{DB: NewDB(t), SMS: sms.NewLogSender(discardLogger()), Clock: &Clock{}, Temporal: temporal,
		TaskQueue: "test-" + uuid.NewString(), NotifyRates: o.notifyRates, NotifyBurst: 5}
	a.Push, a.Email, a.Telegram = notify.NewSandbox(enums.ChannelPush), notify.NewSandbox(enums.ChannelEmail), notify.NewSandbox(enums.ChannelTelegram)
	a.pushTimes = &sendTimes{Sender: a.Push}
	// The server starts first so the payment sandbox knows its URL; the
	// handler is swapped in below.
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	a.URL, a.HTTP, a.Server = srv.URL, srv.Client(), srv

	built := a.build(t, o)
	h, err := built.Handler()
	require.NoError(t, err)
	handler = h
	if temporal != nil {
		a.startWorker(t, built)
	}
	a.connectClients()
	return a
}

// build wires the application for this test: its database, clock, SMS and
// notification sandboxes and Temporal client, everything else from a dev
// configuration, as `convene dev` would.
func (a *API) build(t testing.TB, o apiOptions) *app.App {
	t.Helper()
	cfg := config.Default()
	cfg.JWTSecret = TestSecret
	cfg.TicketMasterKey = TestSecret + "/tickets"
	cfg.PaymentWebhookSecret = TestSecret
	cfg.PaymentProvider = "sandbox"
	cfg.PublicURL = a.URL
	cfg.TaskQueue = a.TaskQueue
	cfg.NotifyRateLimits = a.NotifyRates
	cfg.TemporalAddress = "" // the given client, or none
	cfg.SocialTokenKey = config.DevSocialTokenKey
	cfg.BlobDir = t.TempDir()
	// Quest checks run against the verifier sandbox and TLS test servers
	// on loopback.
	cfg.QuestVerifiers = config.QuestVerifiersSandbox
	cfg.QuestChecksAllowPrivate = true
	for _, fn := range o.configure {
		fn(&cfg)
	}
	built, err := app.New(context.Background(), app.Options{
		Config: cfg, Log: discardLogger(), Now: a.Clock.Now, DB: a.DB, Temporal: a.Temporal, SMS: a.SMS,
		Senders: map[string]notify.Sender{enums.ChannelPush: a.pushTimes, enums.ChannelEmail: a.Email,
			enums.ChannelTelegram: a.Telegram},
		NotifyBurst: a.NotifyBurst, OTPLimits: o.otpLimits, RiverPollInterval: 100 * time.Millisecond,
		SkipDirectWorkflowStarts: o.startFault, SkipDirectOrderStarts: o.orderFault, QuestCheckTLS: o.questTLS,
	})
	require.NoError(t, err)
	t.Cleanup(built.Close)
	a.Metrics, a.Sandbox, a.Tickets, a.tokens = built.Metrics, built.Sandbox, built.Tickets, built.Tokens
	a.SocialSandbox, a.SocialTokens = built.SocialSandbox, built.SocialTokens
	a.QuestSandboxes = built.QuestSandboxes
	return built
}

// startWorker runs the real worker for this test's task queue.
func (a *API) startWorker(t testing.TB, built *app.App) {
	t.Helper()
	w, err := built.StartWorker(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = w.Stop(ctx)
	})
}

// connectClients points the typed clients at the server.
func (a *API) connectClients() {
	a.Auth = identityv1connect.NewAuthServiceClient(a.HTTP, a.URL)
	a.Users = identityv1connect.NewUserServiceClient(a.HTTP, a.URL)
	a.Organizations = identityv1connect.NewOrganizationServiceClient(a.HTTP, a.URL)
	a.Events = eventsv1connect.NewEventServiceClient(a.HTTP, a.URL)
	a.Ticketing = eventsv1connect.NewTicketingServiceClient(a.HTTP, a.URL)
	a.Notifications = notificationsv1connect.NewNotificationServiceClient(a.HTTP, a.URL)
	a.Campaigns = contentv1connect.NewCampaignServiceClient(a.HTTP, a.URL)
	a.Content = contentv1connect.NewContentServiceClient(a.HTTP, a.URL)
	a.Approvals = contentv1connect.NewApprovalServiceClient(a.HTTP, a.URL)
	a.Social = contentv1connect.NewSocialServiceClient(a.HTTP, a.URL)
	a.Teams = engagementv1connect.NewTeamServiceClient(a.HTTP, a.URL)
	a.EventContent = contentv1connect.NewEventContentServiceClient(a.HTTP, a.URL)
	a.Learning = engagementv1connect.NewLearningServiceClient(a.HTTP, a.URL)
	a.Points = engagementv1connect.NewPointsServiceClient(a.HTTP, a.URL)
	a.Badges = engagementv1connect.NewBadgeServiceClient(a.HTTP, a.URL)
	a.Recognitions = engagementv1connect.NewRecognitionServiceClient(a.HTTP, a.URL)
	a.Rules = engagementv1connect.NewRulesServiceClient(a.HTTP, a.URL)
	a.Activities = engagementv1connect.NewActivityServiceClient(a.HTTP, a.URL)
	a.Onboarding = onboardingv1connect.NewOnboardingServiceClient(a.HTTP, a.URL)
	a.Connections = conferencesv1connect.NewConnectionServiceClient(a.HTTP, a.URL)
	a.Enrichments = conferencesv1connect.NewEnrichmentServiceClient(a.HTTP, a.URL)
	a.Quests = conferencesv1connect.NewQuestServiceClient(a.HTTP, a.URL)
	a.Safety = socialv1connect.NewSafetyServiceClient(a.HTTP, a.URL)
	a.Chat = socialv1connect.NewChatServiceClient(a.HTTP, a.URL)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

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

// NewUser creates a user straight in the database and signs an access
// token for it: for tests that need many users and are not about login.
func (a *API) NewUser(t testing.TB, phone string) Session {
	t.Helper()
	u, _, err := db.CreateUserWithPhone(context.Background(), a.DB, phone)
	require.NoError(t, err)
	token, _, err := a.tokens.IssueAccess(u.ID)
	require.NoError(t, err)
	return Session{UserID: u.ID.String(), Phone: phone, AccessToken: token}
}

// Eventually polls cond every 20ms until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: "+msg, append([]any{timeout}, args...)...)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// PushTimes are the moments each push was handed to the sandbox, in order.
func (a *API) PushTimes() []time.Time {
	a.pushTimes.mu.Lock()
	defer a.pushTimes.mu.Unlock()
	return append([]time.Time(nil), a.pushTimes.times...)
}

// sendTimes records when each message was sent through the wrapped sender.
type sendTimes struct {
	notify.Sender
	mu    sync.Mutex
	times []time.Time
}

func (s *sendTimes) Send(ctx context.Context, m notify.Message) (string, error) {
	at := time.Now() // as close to the rate limiter's grant as we can see
	id, err := s.Sender.Send(ctx, m)
	if err == nil {
		s.mu.Lock()
		s.times = append(s.times, at)
		s.mu.Unlock()
	}
	return id, err
}
