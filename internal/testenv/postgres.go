// Package testenv gives tests real infrastructure: a PostgreSQL server
// (TEST_DATABASE_URL, or else a private cluster per test binary, stopped and
// removed once the binary exits), a fresh database per test cloned from a
// migrated template, and the real Connect API on httptest, built by
// internal/app as the binary builds it.
package testenv

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for admin statements

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/migrations"
	"github.com/convene/convene/internal/devstack"
)

// server is the Postgres every test of this binary shares: its admin URL
// and the name of the migrated template database.
type server struct {
	adminURL string
	template string
	// cloneClause ends the CREATE DATABASE that clones the template.
	cloneClause string
	// watchdog, for a private cluster, is the pipe end whose closing (when
	// this process ends) makes the cluster's watchdog stop it.
	watchdog *os.File
}

var (
	serverOnce sync.Once
	shared     server
	sharedErr  error
)

// NewDB returns a fresh, migrated database for one test, dropped when the
// test ends.
func NewDB(t testing.TB) *db.DB {
	t.Helper()
	s := sharedServer(t)
	name := "test_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	admin := openAdmin(t, s.adminURL)
	defer admin.Close()
	if _, err := admin.Exec(fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s%s`, name, s.template, s.cloneClause)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	d, err := db.Open(context.Background(), withDatabase(s.adminURL, name))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		d.Close()
		admin := openAdmin(t, s.adminURL)
		defer admin.Close()
		_, _ = admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return d
}

// EmptyDatabaseURL creates an empty database (no migrations) for tests of
// the migrations themselves.
func EmptyDatabaseURL(t testing.TB) string {
	t.Helper()
	s := sharedServer(t)
	name := "empty_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	admin := openAdmin(t, s.adminURL)
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create empty database: %v", err)
	}
	t.Cleanup(func() {
		admin := openAdmin(t, s.adminURL)
		defer admin.Close()
		_, _ = admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return withDatabase(s.adminURL, name)
}

func sharedServer(t testing.TB) server {
	t.Helper()
	serverOnce.Do(func() { shared, sharedErr = startServer() })
	if sharedErr != nil {
		t.Fatalf("test postgres: %v", sharedErr)
	}
	return shared
}

func startServer() (server, error) {
	s := server{adminURL: os.Getenv("TEST_DATABASE_URL")}
	if s.adminURL == "" {
		c, err := startPrivateCluster()
		if err != nil {
			return server{}, err
		}
		s.adminURL, s.watchdog = c.url, c.watchdog
	}
	tpl, err := ensureTemplate(s.adminURL)
	if err != nil {
		return server{}, err
	}
	s.template = tpl
	if s.cloneClause, err = cloneClause(s.adminURL); err != nil {
		return server{}, err
	}
	return s, nil
}

// cloneClause is " STRATEGY FILE_COPY" on Postgres 15 and later, whose
// default clone (WAL_LOG) writes every block of the template through the
// WAL: for a schema of over a thousand relations that is twice the time and
// most of the server's CPU per test. Test clusters run without fsync, so
// the checkpoint a file copy needs is cheap.
func cloneClause(adminURL string) (string, error) {
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return "", fmt.Errorf("open admin connection: %w", err)
	}
	defer admin.Close()
	var version int
	if err := admin.QueryRow(`SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		return "", fmt.Errorf("read server version: %w", err)
	}
	if version < 150000 {
		return "", nil
	}
	return " STRATEGY FILE_COPY", nil
}

// ramDiskMinFree is the free space a RAM disk needs to hold a test cluster.
const ramDiskMinFree = 4 << 30

// clusterParentDir is where a test cluster's files go: /dev/shm when it is
// a RAM disk with room, else the default temp dir. Every test clones its
// database from a template of over a thousand relations; on a disk that
// costs the server about a second of kernel time per test, on tmpfs a few
// tens of milliseconds.
func clusterParentDir() string {
	var fs syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &fs); err != nil || fs.Type != tmpfsMagic {
		return ""
	}
	if fs.Bavail*uint64(fs.Bsize) < ramDiskMinFree || syscall.Access("/dev/shm", 2) != nil {
		return ""
	}
	return "/dev/shm"
}

// tmpfsMagic is statfs's f_type of a tmpfs.
const tmpfsMagic = 0x01021994

// privateCluster is a throwaway cluster of one test binary.
type privateCluster struct {
	url string
	// dir is the temp dir holding the cluster, removed with it.
	dir string
	// watchdog is the test process's end of its watchdog's pipe.
	watchdog *os.File
}

// startPrivateCluster starts a throwaway cluster for this test binary,
// guarded by a watchdog that stops it and removes its files once the
// binary has exited (see watchdog.go). `make test` instead starts one
// cluster for the whole run and passes TEST_DATABASE_URL.
func startPrivateCluster() (privateCluster, error) {
	dir, err := os.MkdirTemp(clusterParentDir(), "convene-test-pg-")
	if err != nil {
		return privateCluster{}, fmt.Errorf("temp dir: %w", err)
	}
	// The watchdog starts first, so the dir goes even if this process dies
	// while the cluster starts.
	c := privateCluster{dir: dir}
	if c.watchdog, err = startWatchdog(dir); err != nil {
		return privateCluster{}, errors.Join(err, os.RemoveAll(dir))
	}
	port, err := freePort()
	if err != nil {
		return privateCluster{}, err
	}
	pg, err := devstack.StartPostgres(context.Background(), devstack.PostgresOptions{
		DataDir: filepath.Join(dir, "pg"), Port: port, Ephemeral: true,
	})
	if err != nil {
		return privateCluster{}, err
	}
	c.url = pg.URL("postgres")
	return c, nil
}

// ensureTemplate builds, once per migration set, a database with every
// migration applied; tests clone it, which is far faster than migrating.
// An advisory lock serialises test binaries sharing one server.
func ensureTemplate(adminURL string) (string, error) {
	name, err := templateName()
	if err != nil {
		return "", err
	}
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return "", fmt.Errorf("open admin connection: %w", err)
	}
	defer admin.Close()
	ctx := context.Background()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("admin connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7262011)`); err != nil {
		return "", fmt.Errorf("lock template: %w", err)
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(7262011)`) //nolint:errcheck
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", fmt.Errorf("look up template: %w", err)
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	_, _ = conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building))
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+building); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	if err := migrateDatabase(withDatabase(adminURL, building)); err != nil {
		return "", err
	}
	// Renamed only once complete, so a crash never leaves a half-built template.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name)); err != nil {
		return "", fmt.Errorf("publish template: %w", err)
	}
	return name, nil
}

func migrateDatabase(url string) error {
	d, err := db.Open(context.Background(), url)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.MigrateUp(context.Background()); err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	return nil
}

// templateName changes whenever a migration file changes.
func templateName() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	return "tpl_" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

func openAdmin(t testing.TB, adminURL string) *sql.DB {
	t.Helper()
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		t.Fatalf("open admin connection: %v", err)
	}
	return admin
}

func withDatabase(rawURL, name string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(fmt.Sprintf("bad database url %q: %v", rawURL, err))
	}
	u.Path = "/" + name
	return u.String()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
