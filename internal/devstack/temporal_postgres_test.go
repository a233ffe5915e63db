package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql/driver"
	"go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql/session"
	"go.temporal.io/server/common/resolver"
	pgschema "go.temporal.io/server/schema/postgresql/v12"
)

func TestTemporalPostgresServerURL(t *testing.T) {
	tests := []struct {
		name      string
		url       string
		wantAddr  string
		wantUser  string
		wantPass  string
		wantAdmin string
		wantAttrs map[string]string
		wantErr   string
	}{
		{
			name: "dev cluster URL", url: "postgres://postgres@127.0.0.1:55432/convene?sslmode=disable",
			wantAddr: "127.0.0.1:55432", wantUser: "postgres", wantAdmin: "convene",
			wantAttrs: map[string]string{"sslmode": "disable"},
		},
		{
			name:     "password, default port and database, pool settings dropped",
			url:      "postgresql://app:s%40cret@db.internal?sslmode=require&pool_max_conns=4",
			wantAddr: "db.internal:5432", wantUser: "app", wantPass: "s@cret", wantAdmin: "postgres",
			wantAttrs: map[string]string{"sslmode": "require"},
		},
		{name: "not postgres", url: "mysql://app:secret@db/x", wantErr: "scheme must be postgres://"},
		{name: "no host", url: "postgres:///convene", wantErr: "no host"},
		{name: "no user", url: "postgres://127.0.0.1:5432/convene", wantErr: "no user"},
		{name: "garbage", url: "postgres://app:secret@[::1/x", wantErr: "does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf, admin, err := temporalPostgresServer(tt.url)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), "secret", "the error shows the password")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "postgres12_pgx", conf.PluginName)
			assert.Equal(t, tt.wantAddr, conf.ConnectAddr)
			assert.Equal(t, tt.wantUser, conf.User)
			assert.Equal(t, tt.wantPass, conf.Password)
			assert.Equal(t, tt.wantAdmin, admin)
			assert.Equal(t, tt.wantAttrs, conf.ConnectAttributes)
		})
	}
}

func TestTemporalPostgresPersistence(t *testing.T) {
	p, err := temporalPostgresPersistence(*temporalPostgresDefaults(TemporalPostgres{
		ServerURL: "postgres://postgres@127.0.0.1:55432/convene?sslmode=disable",
	}))
	require.NoError(t, err)
	stores := map[string]string{}
	for _, name := range []string{p.DefaultStore, p.VisibilityStore} {
		sqlConf := p.DataStores[name].SQL
		require.NotNil(t, sqlConf, "store %s", name)
		stores[name] = sqlConf.DatabaseName
		assert.Equal(t, "127.0.0.1:55432", sqlConf.ConnectAddr)
		assert.Equal(t, map[string]string{"sslmode": "disable", "synchronous_commit": "off"}, sqlConf.ConnectAttributes)
		assert.Positive(t, sqlConf.MaxConns)
	}
	assert.Equal(t, map[string]string{"postgres": "temporal", "postgres-visibility": "temporal_visibility"}, stores)

	_, err = temporalPostgresPersistence(TemporalPostgres{
		ServerURL: "postgres://postgres@127.0.0.1:5432/postgres", Database: "t", VisibilityDatabase: "t",
	})
	require.ErrorContains(t, err, `both are "t"`)
}

// TestTemporalOnPostgres starts the dev server on two new databases of the
// test cluster, runs a workflow, finds it by a Convene search attribute,
// then restarts on the same databases: the schema is reused at the latest
// version and the workflow is still listed.
func TestTemporalOnPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	serverURL := temporalTestPostgresURL(ctx, t)
	suffix := strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	pg := &TemporalPostgres{
		ServerURL:          serverURL,
		Database:           "temporal_test_" + suffix,
		VisibilityDatabase: "temporal_test_" + suffix + "_visibility",
	}
	t.Cleanup(func() { temporalDropTestDatabases(t, serverURL, pg.Database, pg.VisibilityDatabase) })
	port, err := temporalFreePort("127.0.0.1")
	require.NoError(t, err)
	opts := TemporalOptions{
		Postgres: pg, Port: port, UIPort: -1, Namespace: "convene-test",
		SearchAttributes: ConveneSearchAttributes(), Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
	}

	began := time.Now()
	srv, err := StartTemporal(ctx, opts)
	require.NoError(t, err)
	t.Logf("cold start on postgres (create databases, schema, namespace): %v", time.Since(began))
	t.Cleanup(func() { _ = srv.Stop() })
	requireTemporalNamespace(ctx, t, srv.FrontendAddress(), opts.Namespace, ConveneSearchAttributes())
	requireTemporalSchemaVersion(ctx, t, serverURL, pg.Database, pgschema.Version)
	requireTemporalSchemaVersion(ctx, t, serverURL, pg.VisibilityDatabase, pgschema.VisibilityVersion)
	requireTemporalSessionSetting(t, *pg, "synchronous_commit", "off")

	org := "org-" + suffix
	workflowID := runTemporalTestWorkflow(ctx, t, srv.FrontendAddress(), opts.Namespace, org)
	query := fmt.Sprintf(`ConveneOrgId = %q AND ConveneStatus = "done"`, org)
	require.Equal(t, []string{workflowID}, awaitTemporalWorkflowIDs(ctx, t, srv.FrontendAddress(), opts.Namespace, query))
	require.NoError(t, srv.Stop())

	began = time.Now()
	srv, err = StartTemporal(ctx, opts)
	require.NoError(t, err)
	t.Logf("restart on the same databases: %v", time.Since(began))
	requireTemporalSchemaVersion(ctx, t, serverURL, pg.Database, pgschema.Version)
	require.Equal(t, []string{workflowID}, awaitTemporalWorkflowIDs(ctx, t, srv.FrontendAddress(), opts.Namespace, query))
	require.NoError(t, srv.Stop())
}

// temporalTestPostgresURL is TEST_DATABASE_URL, or else a private throwaway
// cluster, so the test runs with `go test` alone too.
func temporalTestPostgresURL(ctx context.Context, t *testing.T) string {
	t.Helper()
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	port, err := temporalFreePort("127.0.0.1")
	require.NoError(t, err)
	pg, err := StartPostgres(ctx, PostgresOptions{DataDir: filepath.Join(t.TempDir(), "pg"), Port: port, Ephemeral: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = pg.Stop() })
	return pg.URL("postgres")
}

func temporalDropTestDatabases(t *testing.T, serverURL string, names ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Errorf("drop test databases: %v", err)
		return
	}
	defer conn.Close(ctx)
	for _, name := range names {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	}
}

func requireTemporalSchemaVersion(ctx context.Context, t *testing.T, serverURL, database, want string) {
	t.Helper()
	cfg, err := pgx.ParseConfig(serverURL)
	require.NoError(t, err)
	cfg.Database = database
	conn, err := pgx.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var got string
	require.NoError(t, conn.QueryRow(ctx,
		`SELECT curr_version FROM schema_version WHERE version_partition = 0 AND db_name = $1`, database).Scan(&got))
	require.Equal(t, want, got, "schema version of %s", database)
}

// requireTemporalSessionSetting checks a setting as the server's own
// sessions see it: opened by the plugin from the config StartTemporal uses.
func requireTemporalSessionSetting(t *testing.T, pg TemporalPostgres, name, want string) {
	t.Helper()
	persistence, err := temporalPostgresPersistence(pg)
	require.NoError(t, err)
	for _, store := range persistence.DataStores {
		s, err := session.NewSession(store.SQL, &driver.PGXDriver{}, resolver.NewNoopResolver())
		require.NoError(t, err)
		var got string
		err = s.Get(&got, "SELECT current_setting($1)", name)
		s.Close()
		require.NoError(t, err)
		require.Equal(t, want, got, "%s of the sessions on %s", name, store.SQL.DatabaseName)
	}
}

// temporalTestWorkflow marks itself done through a search attribute, so
// finding it by that attribute proves visibility took both the start's
// attributes and the workflow's own upsert.
func temporalTestWorkflow(ctx workflow.Context) error {
	return workflow.UpsertTypedSearchAttributes(ctx, temporal.NewSearchAttributeKeyKeyword("ConveneStatus").ValueSet("done"))
}

// runTemporalTestWorkflow runs temporalTestWorkflow for org on a worker of
// its own and returns the workflow's ID once it has completed.
func runTemporalTestWorkflow(ctx context.Context, t *testing.T, addr, namespace, org string) string {
	t.Helper()
	c := temporalTestClient(t, addr, namespace)
	defer c.Close()
	const taskQueue = "devstack-test"
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(temporalTestWorkflow)
	require.NoError(t, w.Start())
	defer w.Stop()

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "devstack-test/" + org, TaskQueue: taskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword("ConveneOrgId").ValueSet(org),
			temporal.NewSearchAttributeKeyKeyword("ConveneStatus").ValueSet("started"),
		),
	}, temporalTestWorkflow)
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))
	return run.GetID()
}

// awaitTemporalWorkflowIDs lists the workflows matching query, waiting (up
// to 30 s) for visibility to show at least one.
func awaitTemporalWorkflowIDs(ctx context.Context, t *testing.T, addr, namespace, query string) []string {
	t.Helper()
	c := temporalTestClient(t, addr, namespace)
	defer c.Close()
	var ids []string
	require.Eventually(t, func() bool {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: namespace, Query: query})
		if err != nil {
			t.Logf("list workflows: %v", err)
			return false
		}
		ids = ids[:0]
		for _, e := range resp.GetExecutions() {
			ids = append(ids, e.GetExecution().GetWorkflowId())
		}
		return len(ids) > 0
	}, 30*time.Second, 100*time.Millisecond, "no workflow matches %s", query)
	return ids
}

// temporalTestClient is an SDK client that logs only warnings and errors.
func temporalTestClient(t *testing.T, addr, namespace string) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort: addr, Namespace: namespace,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
	})
	require.NoError(t, err)
	return c
}
