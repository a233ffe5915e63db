package devstack

// Temporal on Postgres: the same shape as a production Temporal (and as
// docker-compose.yml), on the Postgres server Convene already uses. The
// databases are created and their schemas migrated in-process by the
// server's own SQL schema tool (what `temporal-sql-tool create-database`,
// `setup-schema -v 0.0` and `update-schema` do), from the versioned schema
// files embedded in go.temporal.io/server.

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"strings"
	"time"

	"go.temporal.io/server/common/config"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	schematool "go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
)

// Defaults of TemporalPostgres.
const (
	DefaultTemporalPostgresDatabase           = "temporal"
	DefaultTemporalPostgresVisibilityDatabase = "temporal_visibility"
)

// TemporalPostgres puts the dev server's state in two databases of a
// Postgres server: one for persistence, one for visibility (workflow lists
// and search attributes). Both are created if absent and their schemas
// brought to the latest version the server embeds at every start.
type TemporalPostgres struct {
	// ServerURL is a postgres:// URL of the server. Its user, password,
	// host, port and ssl* parameters are used; its database (default
	// "postgres") is the one connected to for CREATE DATABASE.
	ServerURL string
	// Database holds the server's persistence, default "temporal".
	Database string
	// VisibilityDatabase holds visibility, default "temporal_visibility".
	VisibilityDatabase string
}

const (
	// temporalPostgresPlugin is the server's Postgres plugin on pgx, the
	// driver Convene itself uses.
	temporalPostgresPlugin           = postgresql.PluginNamePGX
	temporalPostgresStore            = "postgres"
	temporalPostgresVisibilityStore  = "postgres-visibility"
	temporalPostgresSchema           = "postgresql/v12/temporal"
	temporalPostgresVisibilitySchema = "postgresql/v12/visibility"
	// Each of the four services opens its own pools, so the server holds
	// up to 4 × (20 + 10) connections: within the dev cluster's 300 with
	// room for Convene's own pool.
	temporalPostgresMaxConns           = 20
	temporalPostgresVisibilityMaxConns = 10
	temporalPostgresConnLifetime       = time.Hour
	// temporalPostgresSynchronousCommit is set on the server's own
	// sessions only (Convene's keep the cluster's default). "off" is the
	// durability class of the SQLite store (WAL, synchronous=normal): no
	// corruption, nothing lost when Convene's process dies, the last
	// fraction of a second of commits lost when Postgres or the machine
	// crashes; and no Temporal transaction waits for its own disk flush.
	temporalPostgresSynchronousCommit = "off"
	// temporalPostgresInitialVersion is setup-schema's `-v 0.0`: the
	// version tables only, every table then comes from update-schema.
	temporalPostgresInitialVersion = "0.0"
)

// temporalPostgresDefaults fills the database names.
func temporalPostgresDefaults(pg TemporalPostgres) *TemporalPostgres {
	if pg.Database == "" {
		pg.Database = DefaultTemporalPostgresDatabase
	}
	if pg.VisibilityDatabase == "" {
		pg.VisibilityDatabase = DefaultTemporalPostgresVisibilityDatabase
	}
	return &pg
}

// temporalPostgresPersistence is the server's persistence config: the
// default store and the visibility store in their own databases.
func temporalPostgresPersistence(pg TemporalPostgres) (config.Persistence, error) {
	server, _, err := temporalPostgresServer(pg.ServerURL)
	if err != nil {
		return config.Persistence{}, err
	}
	if pg.Database == pg.VisibilityDatabase {
		return config.Persistence{}, fmt.Errorf("temporal postgres: persistence and visibility need two databases, both are %q", pg.Database)
	}
	return config.Persistence{
		DefaultStore:     temporalPostgresStore,
		VisibilityStore:  temporalPostgresVisibilityStore,
		NumHistoryShards: temporalHistoryShards,
		DataStores: map[string]config.DataStore{
			temporalPostgresStore:           {SQL: temporalPostgresStoreConfig(server, pg.Database, temporalPostgresMaxConns)},
			temporalPostgresVisibilityStore: {SQL: temporalPostgresStoreConfig(server, pg.VisibilityDatabase, temporalPostgresVisibilityMaxConns)},
		},
	}, nil
}

func temporalPostgresStoreConfig(server config.SQL, database string, maxConns int) *config.SQL {
	server.DatabaseName = database
	server.ConnectAttributes = maps.Clone(server.ConnectAttributes)
	server.MaxConns = maxConns
	server.MaxIdleConns = maxConns
	server.MaxConnLifetime = temporalPostgresConnLifetime
	server.ConnectAttributes["synchronous_commit"] = temporalPostgresSynchronousCommit
	return &server
}

// temporalPostgresServer reads a postgres:// URL into the plugin's
// connection settings (no database yet) and returns the URL's database,
// used to create the others. Errors never show the password.
func temporalPostgresServer(serverURL string) (config.SQL, string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return config.SQL{}, "", errors.New("temporal postgres server URL does not parse: want postgres://user[:password]@host[:port][/database]")
	}
	switch {
	case u.Scheme != "postgres" && u.Scheme != "postgresql":
		return config.SQL{}, "", fmt.Errorf("temporal postgres server URL %s: scheme must be postgres://", u.Redacted())
	case u.Hostname() == "":
		return config.SQL{}, "", fmt.Errorf("temporal postgres server URL %s: no host", u.Redacted())
	case u.User.Username() == "":
		return config.SQL{}, "", fmt.Errorf("temporal postgres server URL %s: no user", u.Redacted())
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	password, _ := u.User.Password()
	conf := config.SQL{
		PluginName:        temporalPostgresPlugin,
		ConnectProtocol:   "tcp",
		ConnectAddr:       net.JoinHostPort(u.Hostname(), port),
		User:              u.User.Username(),
		Password:          password,
		ConnectAttributes: map[string]string{},
	}
	// Only the TLS settings carry over: other parameters (pool sizes,
	// application names) belong to the URL's own client, and the plugin
	// passes every attribute to the server as a run-time parameter.
	for key, values := range u.Query() {
		if strings.HasPrefix(key, "ssl") && len(values) > 0 {
			conf.ConnectAttributes[key] = values[0]
		}
	}
	admin := strings.TrimPrefix(u.Path, "/")
	if admin == "" {
		admin = "postgres"
	}
	return conf, admin, nil
}

// temporalPostgresMigrate creates each database unless it exists and
// brings its schema to the latest embedded version. On an up-to-date
// database every step is a no-op, so a restart reuses the state.
func temporalPostgresMigrate(pg TemporalPostgres, persistence config.Persistence, tl tlog.Logger) error {
	_, admin, err := temporalPostgresServer(pg.ServerURL)
	if err != nil {
		return err
	}
	stores := []struct{ store, schema string }{
		{temporalPostgresStore, temporalPostgresSchema},
		{temporalPostgresVisibilityStore, temporalPostgresVisibilitySchema},
	}
	for _, s := range stores {
		sqlConf := *persistence.DataStores[s.store].SQL
		if err := temporalPostgresMigrateOne(sqlConf, admin, s.schema, tl); err != nil {
			return fmt.Errorf("temporal database %s on %s: %w", sqlConf.DatabaseName, sqlConf.ConnectAddr, err)
		}
	}
	return nil
}

func temporalPostgresMigrateOne(sqlConf config.SQL, adminDB, schemaName string, tl tlog.Logger) error {
	create := sqlConf // DoCreateDatabase points its copy at adminDB
	if err := sqltool.DoCreateDatabase(&create, adminDB, tl); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	conn, err := sqltool.NewConnection(&sqlConf, tl)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	setup := &schematool.SetupConfig{InitialVersion: temporalPostgresInitialVersion}
	if err := schematool.NewSetupSchemaTask(conn, setup, tl).Run(); err != nil {
		return fmt.Errorf("setup schema: %w", err)
	}
	update := &schematool.UpdateConfig{DBName: sqlConf.DatabaseName, SchemaName: schemaName}
	if err := schematool.NewUpdateSchemaTask(conn, update, tl).Run(); err != nil {
		return fmt.Errorf("update schema %s: %w", schemaName, err)
	}
	return nil
}
