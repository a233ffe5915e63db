// Package app builds Convene's dependency graph, in this one place: the
// database handle, the Temporal client, metrics, the providers (payments,
// SMS, notification senders, ticket keys, tokens), and from them the API
// handler and the worker. The binary (`convene api`, `worker`, `dev`), the
// test harness (internal/testenv) and the benchmarks (bench/internal/stack)
// all build through New, so a new domain's dependencies are wired once, in
// apiDeps and workerOptions below.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	socialapi "github.com/convene/convene/api/social"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/convene/convene/api"
	"github.com/convene/convene/api/conferences"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/auth"
	"github.com/convene/convene/internal/blob"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/metrics"
	"github.com/convene/convene/internal/oidclogin"
	"github.com/convene/convene/internal/providers/notify"
	"github.com/convene/convene/internal/providers/payment"
	"github.com/convene/convene/internal/providers/sms"
	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/questcheck"
	"github.com/convene/convene/internal/ratelimit"
	"github.com/convene/convene/internal/secretbox"
	"github.com/convene/convene/internal/telegramlogin"
	"github.com/convene/convene/internal/tickets"
	"github.com/convene/convene/worker"
	"github.com/riverqueue/river"
)

// ErrNoTemporal says the worker was asked for without a Temporal client.
var ErrNoTemporal = errors.New("no Temporal client: set TEMPORAL_ADDRESS (or pass Options.Temporal) to run the worker")

// App is the built dependency graph. Its fields are the parts, for callers
// that use one directly (a test reading the SMS sandbox, a benchmark
// minting tokens); Handler and StartWorker assemble the rest from them.
type App struct {
	// Config is the configuration the parts were built from.
	Config config.Config
	// Log is the logger every part writes to.
	Log *slog.Logger
	// Now is the clock every part reads.
	Now func() time.Time
	// DB is the database handle the API and the worker share.
	DB *db.DB
	// Temporal is the Temporal client; nil when none was configured.
	Temporal client.Client
	// River inserts jobs for the API (insert-only: the worker works them).
	River *river.Client[*sql.Tx]
	// Metrics is the Prometheus registry of the API, River and Temporal.
	Metrics *metrics.Registry
	// Payments is the payment provider; Sandbox is also set when that is
	// the sandbox, whose checkout pages the API serves.
	Payments payment.Provider
	Sandbox  *payment.Sandbox
	// Tickets derives the per-event keys that sign ticket codes.
	Tickets *tickets.Keys
	// Tokens issues and verifies access tokens.
	Tokens *auth.Tokens
	// SMS sends login codes and SMS notifications.
	SMS sms.Sender
	// Senders deliver notifications, one per channel.
	Senders map[string]notify.Sender
	// Social are the social platforms accounts can be connected on;
	// SocialSandbox serves them in dev (nil in prod, where no platform
	// adapter exists yet). SocialTokens seals the accounts' tokens.
	Social        *social.Registry
	SocialSandbox *social.Sandbox
	SocialTokens  *secretbox.Box
	// QuestVerifiers check quest task submissions; QuestSandboxes are
	// their in-memory Telegram and X in sandbox mode (nil in live mode).
	QuestVerifiers questcheck.Set
	QuestSandboxes *questcheck.Sandboxes
	// Blob stores uploaded media; Uploads signs the URLs clients upload to.
	Blob    blob.Store
	Uploads *blob.Signer

	opts Options
	// closers release what New opened, last first.
	closers []func()
}

// New builds every part from o. On failure it releases what it had
// opened; on success the caller calls Close when done.
func New(ctx context.Context, o Options) (_ *App, err error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("app options: %w", err)
	}
	a := &App{Config: o.Config, Log: o.Log, Now: o.Now, Metrics: metrics.New(), opts: o}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.DB, err = a.openDB(ctx); err != nil {
		return nil, err
	}
	if a.Temporal, err = a.dialTemporal(); err != nil {
		return nil, err
	}
	if a.River, err = river.NewClient(a.DB.RiverDriver(), &river.Config{Logger: a.Log.With("component", "river")}); err != nil {
		return nil, fmt.Errorf("create river insert client: %w", err)
	}
	if err := a.mediaStore(); err != nil {
		return nil, err
	}
	if err := a.buildProviders(); err != nil {
		return nil, err
	}
	a.Tokens = auth.NewTokens(a.Config.JWTSecret, a.Now)
	return a, nil
}

// Close releases what New opened (the database pool and the Temporal
// connection, unless they were given). Stop the worker and the API first.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// Handler builds the API's root HTTP handler.
func (a *App) Handler() (http.Handler, error) {
	h, err := api.NewHandler(a.apiDeps())
	if err != nil {
		return nil, fmt.Errorf("build api handler: %w", err)
	}
	return h, nil
}

// StartWorker registers every workflow, activity and River worker and
// starts polling; the caller stops the returned worker.
func (a *App) StartWorker(ctx context.Context) (*worker.Worker, error) {
	if a.Temporal == nil {
		return nil, ErrNoTemporal
	}
	w, err := worker.Start(ctx, a.workerOptions())
	if err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	return w, nil
}

// apiDeps are the API's dependencies. A new domain that needs a new part
// adds it here.
func (a *App) apiDeps() api.Deps {
	return api.Deps{
		DB: a.DB, Temporal: a.Temporal, River: a.River, Metrics: a.Metrics, Log: a.Log, Now: a.Now,
		Tokens: a.Tokens, OTP: auth.NewOTPHasher(a.Config.JWTSecret), OTPLimits: a.otpLimits(), SMS: a.SMS,
		Email:    a.Senders[enums.ChannelEmail],
		Payments: a.Payments, Sandbox: a.Sandbox, Tickets: a.Tickets,
		TaskQueue: a.Config.TaskQueue, PublicURL: a.Config.PublicURL, DevMode: a.Config.IsDev(),
		CORSOrigins: a.Config.CORSOrigins, TrustedProxies: a.Config.TrustedProxies, SessionCheckTTL: a.Config.SessionCheckTTL,
		SkipDirectWorkflowStarts: a.opts.SkipDirectWorkflowStarts, SkipDirectOrderStarts: a.opts.SkipDirectOrderStarts,
		NotifyDailyQuota: a.Config.NotifyDailyQuota, ConnectionDailyLimit: a.Config.ConnectionDailyLimit,
		Safety: socialapi.SafetyEscalation{HostAfter: a.Config.SafetyHostAfter, StaffAfter: a.Config.SafetyStaffAfter,
			StaffRepeat: a.Config.SafetyStaffRepeat},
		QuestLinkKey: conferences.LinkKey(a.Config.JWTSecret),
		Social:       a.Social, SocialSandbox: a.SocialSandbox, SocialTokens: a.SocialTokens, Blob: a.Blob, Uploads: a.Uploads,
		TelegramLogin: telegramlogin.NewVerifier(a.Config.TelegramBotToken, a.Config.TelegramLoginMaxAge),
		OIDCLogin:     oidclogin.NewVerifier(a.Config.OIDCIssuer, a.Config.OIDCClientID, a.Now, nil),
	}
}

// otpLimits are the login limits: the options' when set (tests), else the
// configuration's (CONVENE_AUTH_LIMITS).
func (a *App) otpLimits() auth.OTPLimits {
	if a.opts.OTPLimits != (auth.OTPLimits{}) {
		return a.opts.OTPLimits
	}
	return a.Config.AuthLimits
}

// workerOptions are the worker's dependencies. A new domain that needs a
// new part adds it here.
func (a *App) workerOptions() worker.Options {
	return worker.Options{
		DB: a.DB, Temporal: a.Temporal, TaskQueue: a.Config.TaskQueue, Metrics: a.Metrics, Log: a.Log, Now: a.Now,
		RiverPollInterval: a.opts.RiverPollInterval,
		Payments:          a.Payments, Tickets: a.Tickets,
		Senders: a.Senders, Limits: ratelimit.NewPerKey(a.Config.NotifyRateLimits, a.opts.NotifyBurst),
		NotificationPageSize: a.opts.NotificationPageSize,
		Social:               a.Social, SocialTokens: a.SocialTokens, Blob: a.Blob,
		QuestVerifiers: a.QuestVerifiers,
	}
}

// openDB returns the given database handle, or opens Config.DatabaseURL.
func (a *App) openDB(ctx context.Context) (*db.DB, error) {
	if a.opts.DB != nil {
		return a.opts.DB, nil
	}
	d, err := db.Open(ctx, a.Config.DatabaseURL)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, d.Close)
	return d, nil
}

// dialTemporal returns the given Temporal client, dials
// Config.TemporalAddress, or returns nil when neither is set.
func (a *App) dialTemporal() (client.Client, error) {
	if a.opts.Temporal != nil {
		return a.opts.Temporal, nil
	}
	if a.Config.TemporalAddress == "" {
		return nil, nil
	}
	tc, err := client.Dial(client.Options{
		HostPort:       a.Config.TemporalAddress,
		Namespace:      a.Config.TemporalNamespace,
		Logger:         tlog.NewStructuredLogger(a.Log.With("component", "temporal")),
		MetricsHandler: a.Metrics.TemporalHandler(),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to temporal at %s: %w", a.Config.TemporalAddress, err)
	}
	a.closers = append(a.closers, tc.Close)
	return tc, nil
}
