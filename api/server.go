// Package api is Convene's edge. It mounts one package per domain
// (api/identity, api/events, api/notifications; domains.go lists them),
// each built with only the dependencies it uses, behind the interceptors
// that authenticate, validate and log each call; it serves health and
// readiness, and runs the HTTP server that speaks Connect, gRPC and
// gRPC-Web over HTTP/1.1 and h2c. What the domains share is in api/rpc.
package api

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	socialapi "github.com/convene/convene/api/social"

	"connectrpc.com/connect"
	connectcors "connectrpc.com/cors"
	"connectrpc.com/grpcreflect"
	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/rs/cors"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/auth"
	"github.com/convene/convene/internal/blob"
	"github.com/convene/convene/internal/metrics"
	"github.com/convene/convene/internal/oidclogin"
	"github.com/convene/convene/internal/providers/notify"
	"github.com/convene/convene/internal/providers/payment"
	"github.com/convene/convene/internal/providers/sms"
	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/secretbox"
	"github.com/convene/convene/internal/sessions"
	"github.com/convene/convene/internal/telegramlogin"
	"github.com/convene/convene/internal/tickets"
)

// Deps is everything the API needs. Build it once at start-up; NewHandler
// hands each domain the part of it that domain uses.
type Deps struct {
	DB       *db.DB
	Temporal client.Client
	// River inserts, in a handler's transaction, the jobs that start its
	// workflows if the direct start after commit does not happen.
	River   *river.Client[*sql.Tx]
	Tokens  *auth.Tokens
	OTP     *auth.OTPHasher
	SMS     sms.Sender
	Metrics *metrics.Registry
	Log     *slog.Logger
	// DevMode echoes OTP codes in RequestOtp responses; never set in prod.
	DevMode bool
	// OTPLimits bounds how often codes can be requested.
	OTPLimits auth.OTPLimits
	// Email sends email verification codes and email invitations; nil
	// when no email provider is configured.
	Email notify.Sender
	// CORSOrigins are the browser origins allowed to call the API.
	CORSOrigins []string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For the API
	// reads (see clientIP); none means the direct peer is the client.
	TrustedProxies []netip.Prefix
	// SessionCheckTTL is how long a look at a caller's account and session
	// is trusted (see sessionCheck); 5 s when zero.
	SessionCheckTTL time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Payments is the payment provider; Sandbox is also set when that is
	// the sandbox, whose checkout pages the API serves.
	Payments payment.Provider
	Sandbox  *payment.Sandbox
	// Tickets derives the per-event keys that sign ticket codes.
	Tickets *tickets.Keys
	// Social are the platforms accounts can be connected on; SocialSandbox
	// (dev only) also serves its consent pages; SocialTokens seals tokens.
	Social        *social.Registry
	SocialSandbox *social.Sandbox
	SocialTokens  *secretbox.Box
	// TaskQueue is where workflows started by the API run.
	TaskQueue string
	// PublicURL is the API's base URL as clients reach it.
	PublicURL string
	// NotifyDailyQuota caps each organization's SMS and email sends per day.
	NotifyDailyQuota int
	// ConnectionDailyLimit caps each member's connection requests per day.
	ConnectionDailyLimit int
	// Safety is when unacknowledged safety alerts escalate.
	Safety socialapi.SafetyEscalation
	// QuestLinkKey signs the members' tracked links of url_visit tasks.
	QuestLinkKey []byte
	// TelegramLogin checks Telegram login widget answers.
	TelegramLogin *telegramlogin.Verifier
	// OIDCLogin checks tokens of the OIDC provider (LoginWithOidc, LinkOidc).
	OIDCLogin *oidclogin.Verifier
	// Blob stores uploaded media; Uploads signs the URLs clients upload to.
	Blob    blob.Store
	Uploads *blob.Signer
	// SkipDirectWorkflowStarts is for tests only: every direct workflow
	// start after commit fails, as if the process died between commit and
	// start, so only the River job committed with the rows starts the
	// workflow.
	SkipDirectWorkflowStarts bool
	// SkipDirectOrderStarts is for tests only: every start of a ticket
	// order fails, as if the process died after committing the admission,
	// so only the River job committed with it starts the order.
	SkipDirectOrderStarts bool

	// sessions answers whether a caller's login may still act (built by
	// withDefaults from DB, SessionCheckTTL and Now).
	sessions *sessions.Checker
}

// NewHandler returns the API's root HTTP handler: every domain's Connect
// services behind the interceptors, their plain HTTP routes, gRPC
// reflection, health and readiness, and metrics.
func NewHandler(d Deps) (http.Handler, error) {
	d = d.withDefaults()
	served := domains(d)
	opts, err := interceptors(d, publicProcedures(served))
	if err != nil {
		return nil, err
	}
	limits := readLimits(readMaxBytes)
	mux := http.NewServeMux()
	names := mountDomains(mux, served, connect.WithHandlerOptions(opts, limits))
	reflector := grpcreflect.NewStaticReflector(append(names, healthServiceName)...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector, limits))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector, limits))
	h := &health{db: d.DB, temporal: d.Temporal, log: d.Log}
	mux.Handle(h.grpcHandler(limits))
	mux.HandleFunc("GET /healthz", h.live)
	mux.HandleFunc("GET /readyz", h.ready)
	if d.Metrics != nil {
		mux.Handle("GET /metrics", d.Metrics.Handler())
	}
	handler := withRequestContext(withCORS(mux, d.CORSOrigins), d.TrustedProxies)
	return withLimits(handler, streamingProcedures(names)), nil
}

// defaultSessionCheckTTL is how long a look at a caller's account and
// session is trusted when Deps.SessionCheckTTL is zero.
const defaultSessionCheckTTL = 5 * time.Second

// withDefaults fills the optional fields.
func (d Deps) withDefaults() Deps {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.SkipDirectWorkflowStarts {
		d.Temporal = noDirectStarts{d.Temporal}
	}
	if d.SkipDirectOrderStarts {
		d.Temporal = noOrderStarts{d.Temporal}
	}
	if d.SessionCheckTTL <= 0 {
		d.SessionCheckTTL = defaultSessionCheckTTL
	}
	d.sessions = sessions.NewChecker(func(ctx context.Context, keys []db.SessionKey) (map[db.SessionKey]bool, error) {
		return db.LiveSessions(ctx, d.DB, keys)
	}, d.SessionCheckTTL, d.Now)
	if d.OTPLimits == (auth.OTPLimits{}) {
		d.OTPLimits = auth.DefaultOTPLimits()
	}
	return d
}

// mountDomains mounts every service and route of each domain on mux and
// returns the names of the Connect services, for reflection. opts carries
// the interceptors and the read limits.
func mountDomains(mux *http.ServeMux, served []rpc.Domain, opts connect.HandlerOption) []string {
	var names []string
	for _, dom := range served {
		for _, svc := range dom.Services {
			mux.Handle(svc.Handler(opts))
			names = append(names, svc.Name)
		}
		for _, r := range dom.Routes {
			mux.Handle(r.Pattern, r.Handler)
		}
	}
	return names
}

// publicProcedures are the procedures of every domain that need no access token.
func publicProcedures(served []rpc.Domain) map[string]bool {
	public := map[string]bool{}
	for _, dom := range served {
		for _, svc := range dom.Services {
			for _, p := range svc.Public {
				public[p] = true
			}
		}
	}
	return public
}

// NewServer is the HTTP server for handler on addr: HTTP/1.1 and
// unencrypted HTTP/2 (h2c), so gRPC clients work without TLS, with read
// and idle timeouts. It sets no WriteTimeout, which would end every
// long-lived stream: NewHandler's handler sets a write deadline per
// request instead, for everything but streaming procedures.
func NewServer(addr string, handler http.Handler) *http.Server {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Server{
		Addr:              addr,
		Handler:           handler,
		Protocols:         protocols,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    1 << 20,
	}
}

// Serve runs handler on addr (see NewServer) until ctx ends, then drains
// in-flight requests for at most shutdownTimeout.
func Serve(ctx context.Context, addr string, handler http.Handler, shutdownTimeout time.Duration, log *slog.Logger) error {
	srv := NewServer(addr, handler)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	log.Info("api listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve api: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("drain api: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve api: %w", err)
	}
	return nil
}

func withCORS(h http.Handler, origins []string) http.Handler {
	if len(origins) == 0 {
		return h
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: connectcors.AllowedMethods(),
		AllowedHeaders: append(connectcors.AllowedHeaders(), "Authorization"),
		ExposedHeaders: connectcors.ExposedHeaders(),
		MaxAge:         7200,
	}).Handler(h)
}

// withRequestContext tags each request with an ID (the caller's
// X-Request-Id if sane, else a new one) and the client's IP.
func withRequestContext(next http.Handler, trustedProxies []netip.Prefix) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			id = uuid.NewString()
		}
		w.Header().Set("X-Request-Id", id)
		info := rpc.RequestInfo{ID: id, IP: clientIP(r, trustedProxies), UserAgent: r.UserAgent()}
		next.ServeHTTP(w, r.WithContext(rpc.WithRequestInfo(r.Context(), info)))
	})
}
