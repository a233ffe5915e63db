package devstack

// An in-process Temporal dev server for `convene dev`: what `temporal server
// start-dev` does, built from go.temporal.io/server (SQLite or Postgres
// persistence, static single-host membership) and
// github.com/temporalio/ui-server/v2 (Web UI with embedded assets).

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Defaults of TemporalOptions, the same as `temporal server start-dev`.
const (
	DefaultTemporalIP        = "127.0.0.1"
	DefaultTemporalPort      = 7233
	DefaultTemporalUIPort    = 8233
	DefaultTemporalNamespace = "default"
)

const (
	temporalClusterName        = "active"
	temporalHistoryShards      = 1 // stored in the database: never change it for an existing file
	temporalNamespaceRetention = 7 * 24 * time.Hour
	temporalLoopback           = "127.0.0.1"
	// temporalNamespaceRefresh is how often each service reloads namespaces
	// (and so search-attribute aliases) from the database.
	temporalNamespaceRefresh = time.Second
	// temporalStartTimeout bounds the wait for the frontend and the UI when
	// the caller's context has no deadline.
	temporalStartTimeout = time.Minute
	// temporalSilent is a log level above every level the server uses.
	temporalSilent = slog.LevelError + 1
)

// TemporalOptions configures the embedded dev server.
type TemporalOptions struct {
	DBFile           string                              // SQLite file path; "" = in-memory; unused with Postgres
	Postgres         *TemporalPostgres                   // when set, the state lives on Postgres instead of SQLite
	IP               string                              // default "127.0.0.1"
	Port             int                                 // frontend gRPC, default 7233
	UIPort           int                                 // Web UI, default 8233; -1 disables the UI
	Namespace        string                              // default "default", created at start (retention 7 days)
	SearchAttributes map[string]enumspb.IndexedValueType // registered on Namespace after start, idempotent
	Logger           *slog.Logger                        // server warnings and errors; nil = slog.Default()
}

// Temporal is a running in-process Temporal dev server (frontend, history,
// matching and worker services in one process) with an optional Web UI.
type Temporal struct {
	server   temporal.Server
	logLevel *slog.LevelVar // of the server's logs; silenced on Stop
	ui       *uiserver.Server
	uiDone   chan struct{}
	frontend string // dialable host:port
	uiAddr   string // "" when the UI is disabled

	stopOnce sync.Once
	stopErr  error
}

// ConveneSearchAttributes returns the custom search attributes Convene
// registers: ConveneOrgId, ConveneEventId, ConveneUserId (Keyword) and
// ConveneStatus (Keyword).
func ConveneSearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		"ConveneOrgId":   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"ConveneEventId": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"ConveneUserId":  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"ConveneStatus":  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// StartTemporal starts the dev server and returns once the frontend answers
// for opts.Namespace, the search attributes are registered and (unless
// disabled) the Web UI answers. With a DBFile or Postgres, the schema is
// created on first start and the state (namespace, search attributes,
// workflows) is reused on the next. ctx bounds the start only; call Stop to
// shut the server down.
func StartTemporal(ctx context.Context, opts TemporalOptions) (*Temporal, error) {
	opts = temporalWithDefaults(opts)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, temporalStartTimeout)
		defer cancel()
	}

	// Fail early and clearly when a port is taken (the UI server would
	// otherwise exit the process on a failed bind).
	if err := temporalCheckPortFree(opts.IP, opts.Port); err != nil {
		return nil, fmt.Errorf("temporal frontend: %w", err)
	}
	if opts.UIPort > 0 {
		if err := temporalCheckPortFree(opts.IP, opts.UIPort); err != nil {
			return nil, fmt.Errorf("temporal ui: %w", err)
		}
	}

	conf, err := temporalServerConfig(opts)
	if err != nil {
		return nil, err
	}
	logLevel := new(slog.LevelVar)
	logLevel.Set(slog.LevelWarn)
	tl := temporalLogger{sl: opts.Logger, min: logLevel}
	if err := temporalPrepareStores(conf.Persistence, opts, tl); err != nil {
		return nil, err
	}
	server, err := temporalNewServer(conf, tl)
	if err != nil {
		return nil, err
	}
	if err := server.Start(); err != nil {
		logLevel.Set(temporalSilent)
		_ = server.Stop()
		return nil, fmt.Errorf("start temporal server: %w", err)
	}
	t := &Temporal{server: server, logLevel: logLevel, frontend: conf.PublicClient.HostPort}

	if err := t.awaitFrontendAndRegister(ctx, opts); err != nil {
		_ = t.Stop()
		return nil, err
	}
	if opts.UIPort > 0 {
		if err := t.startUI(ctx, opts); err != nil {
			_ = t.Stop()
			return nil, err
		}
	}
	return t, nil
}

// FrontendAddress returns the host:port clients dial, e.g. "127.0.0.1:7233".
func (t *Temporal) FrontendAddress() string { return t.frontend }

// UIAddress returns the Web UI's base URL, e.g. "http://127.0.0.1:8233", or ""
// when the UI is disabled.
func (t *Temporal) UIAddress() string { return t.uiAddr }

// Stop shuts down the UI, then the server. It is safe to call more than once.
func (t *Temporal) Stop() error {
	t.stopOnce.Do(func() {
		// Services going down one by one make the others log failed
		// dials, polls and cancelled calls: noise at this point. Connections
		// the server leaves behind keep retrying after Stop, too.
		t.logLevel.Set(temporalSilent)
		if t.ui != nil {
			t.ui.Stop()
			<-t.uiDone
		}
		t.stopErr = t.server.Stop()
	})
	return t.stopErr
}

func temporalWithDefaults(opts TemporalOptions) TemporalOptions {
	if opts.IP == "" {
		opts.IP = DefaultTemporalIP
	}
	if opts.Port == 0 {
		opts.Port = DefaultTemporalPort
	}
	if opts.UIPort == 0 {
		opts.UIPort = DefaultTemporalUIPort
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultTemporalNamespace
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.Logger = opts.Logger.With("component", "temporal")
	if opts.Postgres != nil {
		opts.Postgres = temporalPostgresDefaults(*opts.Postgres)
	}
	return opts
}

// temporalDialHost is the host other processes (and the server's own
// services) dial: the bind IP, or loopback when bound to all interfaces.
func temporalDialHost(ip string) string {
	if parsed := net.ParseIP(ip); parsed != nil && parsed.IsUnspecified() {
		return temporalLoopback
	}
	return ip
}

func temporalServerConfig(opts TemporalOptions) (*config.Config, error) {
	frontend := net.JoinHostPort(temporalDialHost(opts.IP), strconv.Itoa(opts.Port))
	avoid := []int{opts.Port, opts.UIPort, DefaultTemporalPort, DefaultTemporalUIPort}
	httpPort, err := temporalFreePort(opts.IP, avoid...)
	if err != nil {
		return nil, err
	}
	avoid = append(avoid, httpPort)

	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = temporalLoopback
	if conf.Persistence, err = temporalPersistence(opts); err != nil {
		return nil, err
	}
	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        temporalClusterName,
		CurrentClusterName:       temporalClusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			temporalClusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontend,
				HTTPAddress:            net.JoinHostPort(temporalDialHost(opts.IP), strconv.Itoa(httpPort)),
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = frontend

	// The frontend binds where asked; history, matching and worker only talk
	// to each other, so they stay on loopback on free ports.
	conf.Services = map[string]config.Service{
		string(primitives.FrontendService): {RPC: config.RPC{
			GRPCPort: opts.Port,
			HTTPPort: httpPort,
			BindOnIP: opts.IP,
		}},
	}
	for _, svc := range []primitives.ServiceName{
		primitives.HistoryService, primitives.MatchingService, primitives.WorkerService,
	} {
		grpcPort, err := temporalFreePort(temporalLoopback, avoid...)
		if err != nil {
			return nil, err
		}
		avoid = append(avoid, grpcPort)
		conf.Services[string(svc)] = config.Service{RPC: config.RPC{
			GRPCPort: grpcPort,
			BindOnIP: temporalLoopback,
		}}
	}
	return &conf, nil
}

// temporalPersistence is where the server keeps its state and its
// visibility: two databases on Postgres when opts.Postgres is set, else one
// SQLite file (or memory).
func temporalPersistence(opts TemporalOptions) (config.Persistence, error) {
	if opts.Postgres != nil {
		return temporalPostgresPersistence(*opts.Postgres)
	}
	return config.Persistence{
		DefaultStore:     sqliteplugin.PluginName,
		VisibilityStore:  sqliteplugin.PluginName,
		NumHistoryShards: temporalHistoryShards,
		DataStores: map[string]config.DataStore{
			sqliteplugin.PluginName: {SQL: temporalSQLiteConfig(opts.DBFile)},
		},
	}, nil
}

func temporalSQLiteConfig(dbFile string) *config.SQL {
	conf := &config.SQL{PluginName: sqliteplugin.PluginName}
	if dbFile == "" {
		// A shared-cache in-memory database; the plugin creates the schema
		// when it opens it. The name only has to be unique in this process.
		conf.DatabaseName = "convene-dev-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		conf.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
		return conf
	}
	conf.DatabaseName = dbFile
	conf.ConnectAttributes = map[string]string{
		"mode":         "rwc",
		"journal_mode": "wal",    // faster writes, readers don't block the writer
		"synchronous":  "normal", // safe with WAL against a crash of this process
	}
	return conf
}

// temporalPrepareStores creates or migrates the schema, then the namespace
// if it is missing (both before the server starts, as the CLI does, so the
// services load them at start).
func temporalPrepareStores(persistence config.Persistence, opts TemporalOptions, tl tlog.Logger) error {
	if opts.Postgres != nil {
		if err := temporalPostgresMigrate(*opts.Postgres, persistence, tl); err != nil {
			return err
		}
	} else if err := temporalSQLiteSchema(persistence.DataStores[sqliteplugin.PluginName].SQL, opts.DBFile); err != nil {
		return err
	}
	return temporalCreateNamespace(persistence.DataStores[persistence.DefaultStore].SQL, opts)
}

// temporalSQLiteSchema creates the schema in a new database file.
func temporalSQLiteSchema(sqlConf *config.SQL, dbFile string) error {
	if dbFile == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dbFile), 0o755); err != nil {
		return fmt.Errorf("temporal database directory: %w", err)
	}
	fi, err := os.Stat(dbFile)
	switch {
	case errors.Is(err, os.ErrNotExist) || (err == nil && fi.Size() == 0):
		if err := sqliteschema.SetupSchema(sqlConf); err != nil {
			return fmt.Errorf("temporal database schema in %s: %w", dbFile, err)
		}
	case err != nil:
		return fmt.Errorf("temporal database file: %w", err)
	}
	return nil
}

func temporalNewServer(conf *config.Config, tl temporalLogger) (temporal.Server, error) {
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("temporal authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, tl)
	if err != nil {
		return nil, fmt.Errorf("temporal claim mapper: %w", err)
	}
	hosts := make(map[primitives.ServiceName]static.Hosts, len(conf.Services))
	for name, svc := range conf.Services {
		host := temporalLoopback
		if primitives.ServiceName(name) == primitives.FrontendService {
			host = temporalDialHost(svc.RPC.BindOnIP)
		}
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(
			net.JoinHostPort(host, strconv.Itoa(svc.RPC.GRPCPort)))
	}
	server, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(tl),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(temporalDynamicConfig()),
	)
	if err != nil {
		return nil, fmt.Errorf("new temporal server: %w", err)
	}
	return server, nil
}

// temporalDynamicConfig holds the settings for a single-host dev server.
func temporalDynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// Fewer cached workflows than a production host needs.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8096,
		// The UI and `convene` list workflows a lot; the default is 10 RPS.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		dynamicconfig.NamespaceCacheRefreshInterval.Key():                temporalNamespaceRefresh,
		// Server.Stop in v1.30 does not stop the SDK workers of the scanners
		// and of the parent-close-policy processor: they would keep polling
		// (and logging) after Stop. A dev server needs neither; history
		// applies parent close policies itself when the processor is off.
		dynamicconfig.TaskQueueScannerEnabled.Key():       false,
		dynamicconfig.HistoryScannerEnabled.Key():         false,
		dynamicconfig.EnableParentClosePolicyWorker.Key(): false,
		// One host: task-queue partitions only add forwarding hops.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
	}
}

// awaitFrontendAndRegister waits until the frontend serves the namespace,
// then registers the missing search attributes.
func (t *Temporal) awaitFrontendAndRegister(ctx context.Context, opts TemporalOptions) error {
	conn, err := grpc.NewClient(t.frontend, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("temporal frontend client: %w", err)
	}
	defer func() { _ = conn.Close() }()
	wf := workflowservice.NewWorkflowServiceClient(conn)
	op := operatorservice.NewOperatorServiceClient(conn)

	err = temporalRetry(ctx, func(ctx context.Context) error {
		_, err := wf.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: opts.Namespace})
		return err
	})
	if err != nil {
		return fmt.Errorf("temporal frontend %s not ready: %w", t.frontend, err)
	}
	return temporalRegisterSearchAttributes(ctx, wf, op, opts.Namespace, opts.SearchAttributes)
}

// startUI runs the Web UI in a goroutine and waits until it answers.
func (t *Temporal) startUI(ctx context.Context, opts TemporalOptions) error {
	t.ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
		Host:                opts.IP,
		Port:                opts.UIPort,
		TemporalGRPCAddress: t.frontend,
		EnableUI:            true,
		DefaultNamespace:    opts.Namespace,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		HideLogs:            true,
	}))
	t.uiDone = make(chan struct{})
	go func() {
		defer close(t.uiDone)
		if err := t.ui.Start(); err != nil {
			opts.Logger.Error("temporal ui stopped", "error", err)
		}
	}()

	base := "http://" + net.JoinHostPort(temporalDialHost(opts.IP), strconv.Itoa(opts.UIPort))
	httpClient := &http.Client{Timeout: 2 * time.Second}
	err := temporalRetry(ctx, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /healthz: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("temporal ui on %s not ready: %w", base, err)
	}
	t.uiAddr = base
	return nil
}

// temporalRetry calls fn until it succeeds or ctx ends, returning fn's last
// error in that case.
func temporalRetry(ctx context.Context, fn func(context.Context) error) error {
	const pause = 50 * time.Millisecond
	for {
		callCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := fn(callCtx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(pause):
		}
	}
}
