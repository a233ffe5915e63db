package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/convene/convene/api"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/auth"
	"github.com/convene/convene/internal/devstack"
	"github.com/convene/convene/internal/metrics"
	"github.com/convene/convene/internal/providers/payment"
	"github.com/convene/convene/internal/providers/sms"
	"github.com/convene/convene/internal/tickets"
	"github.com/convene/convene/proto/convene/events/v1/eventsv1connect"
	"github.com/convene/convene/worker"
)

const (
	// benchSecret signs the access tokens the benchmark mints and the API
	// under test verifies; it also keys sandbox webhooks and ticket codes.
	benchSecret = "convene-bench-secret-0123456789abcdef"
	// benchDatabase is the database created in the private cluster.
	benchDatabase = "convene"
	// benchTaskQueue is the Temporal task queue the worker polls.
	benchTaskQueue = "convene"
	// shutdownTimeout bounds draining the API and the worker at the end.
	shutdownTimeout = 20 * time.Second
)

// stack is a throwaway `make run`: Postgres, Temporal, worker and API in
// one temp dir, torn down in reverse order by Close.
type stack struct {
	dir    string
	dbURL  string
	db     *db.DB
	apiURL string
	// stops run last-first on Close.
	stops []func() error
}

// startStack brings everything up; on failure it stops what it started.
func startStack(ctx context.Context) (_ *stack, err error) {
	dir, err := os.MkdirTemp("", "convene-bench-")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	s := &stack{dir: dir}
	s.onClose(func() error { return os.RemoveAll(dir) })
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	if err := s.startPostgres(ctx); err != nil {
		return nil, err
	}
	tc, err := s.startTemporal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.startApp(ctx, tc); err != nil {
		return nil, err
	}
	return s, nil
}

// onClose registers a stop step; Close runs them in reverse.
func (s *stack) onClose(stop func() error) { s.stops = append(s.stops, stop) }

// Close stops the API, the worker, Temporal and Postgres, then removes the
// temp dir.
func (s *stack) Close() error {
	var errs []error
	for i := len(s.stops) - 1; i >= 0; i-- {
		errs = append(errs, s.stops[i]())
	}
	s.stops = nil
	return errors.Join(errs...)
}

// startPostgres starts a private cluster with fsync on (Ephemeral false),
// as `make run` does, so commit latency is what a real deployment on this
// disk pays; then migrates it.
func (s *stack) startPostgres(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{
		DataDir: filepath.Join(s.dir, "pg"), Port: port, Ephemeral: false, Logger: quietLogger(),
	})
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.onClose(pg.Stop)
	if err := pg.CreateDatabase(ctx, benchDatabase); err != nil {
		return err
	}
	s.dbURL = pg.URL(benchDatabase)
	if s.db, err = db.Open(ctx, s.dbURL); err != nil {
		return err
	}
	s.onClose(func() error { s.db.Close(); return nil })
	if _, err := s.db.MigrateUp(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// startTemporal starts the embedded dev server (SQLite file, no UI) and
// returns a client of it.
func (s *stack) startTemporal(ctx context.Context) (client.Client, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	t, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
		DBFile: filepath.Join(s.dir, "temporal.db"), Port: port, UIPort: -1,
		SearchAttributes: devstack.ConveneSearchAttributes(), Logger: temporalLogger(),
	})
	if err != nil {
		return nil, fmt.Errorf("start temporal: %w", err)
	}
	s.onClose(t.Stop)
	tc, err := client.Dial(client.Options{
		HostPort: t.FrontendAddress(), Namespace: devstack.DefaultTemporalNamespace,
		Logger: tlog.NewStructuredLogger(temporalLogger()),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to temporal at %s: %w", t.FrontendAddress(), err)
	}
	s.onClose(func() error { tc.Close(); return nil })
	return tc, nil
}

// startApp runs the real worker and serves the real API on a loopback port,
// wired as `convene dev` wires them (payment sandbox, ticket keys, tokens).
func (s *stack) startApp(ctx context.Context, tc client.Client) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for the api: %w", err)
	}
	s.apiURL = "http://" + ln.Addr().String()
	keys, err := tickets.NewKeys([]byte(benchSecret + "/tickets"))
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("ticket keys: %w", err)
	}
	sandbox := payment.NewSandbox(payment.SandboxConfig{DB: s.db.DB, BaseURL: s.apiURL,
		WebhookURL: s.apiURL + "/webhooks/payments/sandbox", Secret: benchSecret, Log: quietLogger()})
	reg := metrics.New()
	if err := s.startWorker(ctx, tc, reg, sandbox, keys); err != nil {
		_ = ln.Close()
		return err
	}
	handler, err := api.NewHandler(api.Deps{
		DB: s.db, Temporal: tc, Metrics: reg, Log: quietLogger(), SMS: sms.NewLogSender(quietLogger()),
		Payments: sandbox, Sandbox: sandbox, Tickets: keys, TaskQueue: benchTaskQueue, PublicURL: s.apiURL,
		Tokens: auth.NewTokens(benchSecret, time.Now), OTP: auth.NewOTPHasher(benchSecret), DevMode: true,
	})
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("build api handler: %w", err)
	}
	s.serve(ln, handler)
	return nil
}

func (s *stack) startWorker(ctx context.Context, tc client.Client, reg *metrics.Registry, p payment.Provider, keys *tickets.Keys) error {
	w, err := worker.Start(ctx, worker.Options{DB: s.db, Temporal: tc, TaskQueue: benchTaskQueue, Metrics: reg,
		Log: quietLogger(), Payments: p, Tickets: keys})
	if err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	s.onClose(func() error {
		stopCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		return w.Stop(stopCtx)
	})
	return nil
}

// serve runs the API on ln (HTTP/1.1 and h2c, as api.Serve does) until
// Close drains it.
func (s *stack) serve(ln net.Listener, handler http.Handler) {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{Handler: handler, Protocols: protocols, ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 2 * time.Minute}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	s.onClose(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			return fmt.Errorf("drain api: %w", err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve api: %w", err)
		}
		return nil
	})
}

// ticketing is a Connect client of the API whose transport keeps one
// connection per concurrent caller.
func (s *stack) ticketing(concurrency int) eventsv1connect.TicketingServiceClient {
	httpClient := &http.Client{
		Transport: &http.Transport{MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency},
		Timeout:   2 * time.Minute,
	}
	return eventsv1connect.NewTicketingServiceClient(httpClient, s.apiURL)
}

// quietLogger writes only warnings and errors, to stderr: the benchmark's
// stdout is the report.
func quietLogger() *slog.Logger { return loggerAt(slog.LevelWarn) }

// temporalLogger writes only errors: under a rush the Temporal server warns
// about every slow call, which the latency percentiles already report.
func temporalLogger() *slog.Logger { return loggerAt(slog.LevelError) }

func loggerAt(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
