// Package stack starts a throwaway copy of `make run` for the benchmarks:
// a private Postgres (fsync on), the embedded Temporal dev server on that
// Postgres or on SQLite (Options.TemporalStore), the real worker and the real
// API on a loopback port, all in one temp dir that Close removes.
package stack

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

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/app"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/devstack"
)

const (
	// secret signs the access tokens the benchmarks mint and the API
	// under test verifies; it also keys sandbox webhooks and ticket codes.
	secret = "convene-bench-secret-0123456789abcdef"
	// database is the database created in the private cluster.
	database = "convene"
	// TaskQueue is the Temporal task queue the worker polls.
	TaskQueue = "convene"
	// shutdownTimeout bounds draining the API and the worker at the end.
	shutdownTimeout = 20 * time.Second
)

// Options adjust the stack a benchmark starts.
type Options struct {
	// App, when set, edits the application's options just before they are
	// built (notification senders, rate limits, page size, …). Config
	// already points at the stack's Postgres, Temporal and API address.
	App func(*app.Options)
	// TemporalStore is where the embedded Temporal keeps its state:
	// config.TemporalStoreSQLite (a file in the temp dir) or
	// config.TemporalStorePostgres (two databases on the stack's cluster).
	// Empty means $CONVENE_TEMPORAL_STORE, else Postgres.
	TemporalStore string
}

// TemporalStoreFromEnv is the store Options.TemporalStore defaults to: the
// environment's CONVENE_TEMPORAL_STORE, else Postgres, as `convene dev` does.
func TemporalStoreFromEnv() string {
	if v := os.Getenv("CONVENE_TEMPORAL_STORE"); v != "" {
		return v
	}
	return config.TemporalStorePostgres
}

// Stack is a throwaway `make run`: Postgres, Temporal, worker and API in
// one temp dir, torn down in reverse order by Close.
type Stack struct {
	opts  Options
	dir   string
	dbURL string
	// pgAdminURL is the cluster's postgres database, where Temporal's
	// databases are created when it runs on Postgres.
	pgAdminURL string
	app        *app.App
	apiURL     string
	// stops run last-first on Close.
	stops []func() error
}

// Start brings everything up; on failure it stops what it started.
func Start(ctx context.Context, o Options) (_ *Stack, err error) {
	if o.TemporalStore == "" {
		o.TemporalStore = TemporalStoreFromEnv()
	}
	if o.TemporalStore != config.TemporalStoreSQLite && o.TemporalStore != config.TemporalStorePostgres {
		return nil, fmt.Errorf("temporal store must be sqlite or postgres, got %q", o.TemporalStore)
	}
	dir, err := os.MkdirTemp("", "convene-bench-")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	s := &Stack{opts: o, dir: dir}
	s.onClose(func() error { return os.RemoveAll(dir) })
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	if err := s.startPostgres(ctx); err != nil {
		return nil, err
	}
	temporalAddr, err := s.startTemporal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.startApp(ctx, temporalAddr); err != nil {
		return nil, err
	}
	return s, nil
}

// DB is the handle on the stack's database (the pool the API and the
// worker share).
func (s *Stack) DB() *db.DB { return s.app.DB }

// Temporal is the client of the stack's Temporal server (the one the API
// and the worker use); benchmarks may run their own workers with it.
func (s *Stack) Temporal() client.Client { return s.app.Temporal }

// DatabaseURL is the connection URL of the stack's database.
func (s *Stack) DatabaseURL() string { return s.dbURL }

// Dir is the stack's temp dir, removed by Close; scratch files may go in it.
func (s *Stack) Dir() string { return s.dir }

// APIURL is the base URL of the API under test.
func (s *Stack) APIURL() string { return s.apiURL }

// Token mints an access token for userID that the API accepts. It expires
// after auth.AccessTokenTTL, so long runs mint a fresh one when needed.
func (s *Stack) Token(userID uuid.UUID) (string, error) {
	tok, _, err := s.app.Tokens.IssueAccess(userID)
	if err != nil {
		return "", fmt.Errorf("access token for %s: %w", userID, err)
	}
	return tok, nil
}

// HTTPClient is a client of the API whose transport keeps one connection
// per concurrent caller.
func (s *Stack) HTTPClient(concurrency int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency},
		Timeout:   2 * time.Minute,
	}
}

// onClose registers a stop step; Close runs them in reverse.
func (s *Stack) onClose(stop func() error) { s.stops = append(s.stops, stop) }

// Close stops the API, the worker, Temporal and Postgres, then removes the
// temp dir.
func (s *Stack) Close() error {
	var errs []error
	for i := len(s.stops) - 1; i >= 0; i-- {
		errs = append(errs, s.stops[i]())
	}
	s.stops = nil
	return errors.Join(errs...)
}

// startPostgres starts a private cluster with fsync on (Ephemeral false),
// as `make run` does, so commit latency is what a real deployment on this
// disk pays.
func (s *Stack) startPostgres(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{
		DataDir: filepath.Join(s.dir, "pg"), Port: port, Ephemeral: false, Logger: QuietLogger(),
	})
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.onClose(pg.Stop)
	if err := pg.CreateDatabase(ctx, database); err != nil {
		return err
	}
	s.dbURL = pg.URL(database)
	s.pgAdminURL = pg.URL("postgres")
	return nil
}

// startTemporal starts the embedded dev server (no UI) on a SQLite file in
// the temp dir or on the stack's Postgres cluster, and returns its frontend
// address.
func (s *Stack) startTemporal(ctx context.Context) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	opts := devstack.TemporalOptions{
		Port: port, UIPort: -1, SearchAttributes: devstack.ConveneSearchAttributes(), Logger: temporalLogger(),
	}
	if s.opts.TemporalStore == config.TemporalStorePostgres {
		opts.Postgres = &devstack.TemporalPostgres{ServerURL: s.pgAdminURL}
	} else {
		opts.DBFile = filepath.Join(s.dir, "temporal.db")
	}
	t, err := devstack.StartTemporal(ctx, opts)
	if err != nil {
		return "", fmt.Errorf("start temporal: %w", err)
	}
	s.onClose(t.Stop)
	return t.FrontendAddress(), nil
}

// startApp builds the application through internal/app, as `convene dev`
// does (payment sandbox, ticket keys, tokens), migrates the database, runs
// the real worker and serves the real API on a loopback port.
func (s *Stack) startApp(ctx context.Context, temporalAddr string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for the api: %w", err)
	}
	s.onClose(func() error { _ = ln.Close(); return nil }) // a no-op once served
	s.apiURL = "http://" + ln.Addr().String()
	o := app.Options{Config: s.config(temporalAddr, ln.Addr().String()), Log: QuietLogger()}
	if s.opts.App != nil {
		s.opts.App(&o)
	}
	if s.app, err = app.New(ctx, o); err != nil {
		return err
	}
	s.onClose(func() error { s.app.Close(); return nil })
	if _, err := s.app.DB.MigrateUp(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := s.startWorker(ctx); err != nil {
		return err
	}
	handler, err := s.app.Handler()
	if err != nil {
		return err
	}
	s.serve(ln, handler)
	return nil
}

// StartPeerAPI serves a second API process on the stack's database and
// Temporal (its own handlers, so its own chat hub and LISTEN connection;
// no worker), as a deployment runs several API replicas, and returns its
// base URL. Close stops it with the rest.
func (s *Stack) StartPeerAPI() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen for the peer api: %w", err)
	}
	handler, err := s.app.Handler()
	if err != nil {
		_ = ln.Close()
		return "", err
	}
	s.serve(ln, handler)
	return "http://" + ln.Addr().String(), nil
}

// config is a dev configuration pointing at the stack's Postgres, Temporal
// and API address, with the benchmarks' secret.
func (s *Stack) config(temporalAddr, apiAddr string) config.Config {
	cfg := config.Default()
	cfg.DatabaseURL = s.dbURL
	cfg.TemporalAddress = temporalAddr
	cfg.TemporalNamespace = devstack.DefaultTemporalNamespace
	cfg.TaskQueue = TaskQueue
	cfg.HTTPAddr = apiAddr
	cfg.PublicURL = s.apiURL
	cfg.JWTSecret = secret
	cfg.TicketMasterKey = secret + "/tickets"
	cfg.PaymentWebhookSecret = secret
	cfg.PaymentProvider = "sandbox"
	cfg.SocialTokenKey = config.DevSocialTokenKey
	cfg.BlobDir = filepath.Join(s.dir, "blobs")
	return cfg
}

func (s *Stack) startWorker(ctx context.Context) error {
	w, err := s.app.StartWorker(ctx)
	if err != nil {
		return err
	}
	s.onClose(func() error {
		stopCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		return w.Stop(stopCtx)
	})
	return nil
}

// serve runs the API on ln with the production server settings (limits,
// timeouts, HTTP/1.1 and h2c) until Close drains it.
func (s *Stack) serve(ln net.Listener, handler http.Handler) {
	srv := api.NewServer(ln.Addr().String(), handler)
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

// QuietLogger writes only warnings and errors, to stderr: a benchmark's
// stdout is its report.
func QuietLogger() *slog.Logger { return loggerAt(slog.LevelWarn) }

// temporalLogger writes only errors: under load the Temporal server warns
// about every slow call, which the benchmarks' own figures already report.
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
