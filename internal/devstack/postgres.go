// Package devstack runs the infrastructure Convene needs on one machine
// without Docker: a private PostgreSQL cluster from the system's server
// binaries and an in-process Temporal dev server with its Web UI. `convene
// dev` and the test harness both use it.
package devstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrPostgresMissing says the PostgreSQL server binaries are not installed.
var ErrPostgresMissing = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found: install them with `apt-get install postgresql` (or run `make run`, which does)")

// PostgresOptions configures a private cluster.
type PostgresOptions struct {
	// DataDir is the cluster directory; it is created with initdb when empty.
	DataDir string
	// Port is the TCP port on 127.0.0.1.
	Port int
	// Ephemeral trades durability for speed (fsync off): for test clusters only.
	Ephemeral bool
	Logger    *slog.Logger
}

// Postgres is a running private cluster, reachable as the `postgres`
// superuser over loopback TCP (trust auth: it listens on 127.0.0.1 only).
type Postgres struct {
	opts   PostgresOptions
	bin    string
	runAs  *user.User
	reused bool
}

// StartPostgres initialises the cluster if needed and starts it, waiting
// until it accepts connections. A cluster already running in DataDir (left
// by a killed process) is reused.
func StartPostgres(ctx context.Context, opts PostgresOptions) (*Postgres, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	bin, err := PostgresBinDir()
	if err != nil {
		return nil, err
	}
	p := &Postgres{opts: opts, bin: bin}
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root.
		if p.runAs, err = user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("running as root needs the `postgres` system user (created by `apt-get install postgresql`): %w", err)
		}
	}
	if err := p.prepareDataDir(ctx); err != nil {
		return nil, err
	}
	if p.running(ctx) {
		opts.Logger.Info("reusing running postgres", "data_dir", opts.DataDir)
		p.reused = true
		return p, nil
	}
	if err := p.start(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// URL is the connection string for database name on this cluster.
func (p *Postgres) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.opts.Port, database)
}

// Stop shuts the cluster down, letting open transactions roll back.
func (p *Postgres) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if !p.running(ctx) {
		return nil
	}
	if out, err := p.run(ctx, "pg_ctl", "stop", "-D", p.opts.DataDir, "-m", "fast", "-w"); err != nil {
		return fmt.Errorf("stop postgres: %w: %s", err, out)
	}
	return nil
}

// PostgresBinDir finds the directory holding initdb and pg_ctl: PATH first,
// then Debian's /usr/lib/postgresql/<version>/bin, newest version first.
func PostgresBinDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrPostgresMissing
}

func pgVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func (p *Postgres) prepareDataDir(ctx context.Context) error {
	dir, err := filepath.Abs(p.opts.DataDir)
	if err != nil {
		return fmt.Errorf("resolve postgres data dir: %w", err)
	}
	p.opts.DataDir = dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create postgres data dir: %w", err)
	}
	if err := p.chownForServer(dir); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
		return nil
	}
	p.opts.Logger.Info("initialising postgres cluster", "data_dir", dir)
	out, err := p.run(ctx, "initdb", "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
	if err != nil {
		return fmt.Errorf("initdb: %w: %s", err, out)
	}
	return nil
}

// chownForServer hands the data dir to the postgres user and makes sure it
// can reach it through the parent directories.
func (p *Postgres) chownForServer(dir string) error {
	if p.runAs == nil {
		return nil
	}
	uid, _ := strconv.Atoi(p.runAs.Uid)
	gid, _ := strconv.Atoi(p.runAs.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("chown postgres data dir: %w", err)
	}
	for parent := filepath.Dir(dir); parent != "/"; parent = filepath.Dir(parent) {
		st, err := os.Stat(parent)
		if err != nil {
			return fmt.Errorf("stat %s: %w", parent, err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(parent, st.Mode().Perm()|0o011); err != nil {
				return fmt.Errorf("let postgres traverse %s: %w", parent, err)
			}
		}
	}
	return nil
}

func (p *Postgres) start(ctx context.Context) error {
	settings := []string{
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port=" + strconv.Itoa(p.opts.Port),
		"-c", "unix_socket_directories=",
		"-c", "max_connections=300",
		"-c", "shared_buffers=256MB",
	}
	if p.opts.Ephemeral {
		settings = append(settings, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	logFile := filepath.Join(p.opts.DataDir, "server.log")
	args := []string{"start", "-D", p.opts.DataDir, "-w", "-t", "60", "-l", logFile, "-o", strings.Join(settings, " ")}
	if out, err := p.run(ctx, "pg_ctl", args...); err != nil {
		tail, _ := os.ReadFile(logFile)
		return fmt.Errorf("start postgres on port %d: %w: %s\n%s", p.opts.Port, err, out, lastLines(tail, 10))
	}
	return nil
}

func (p *Postgres) running(ctx context.Context) bool {
	_, err := p.run(ctx, "pg_ctl", "status", "-D", p.opts.DataDir)
	return err == nil
}

// run executes a server binary, as the postgres user when we are root.
func (p *Postgres) run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = "/"
	// Own process group: Ctrl-C in the terminal reaches us, and we stop the
	// server in order instead of it dying mid-write.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if p.runAs != nil {
		uid, _ := strconv.Atoi(p.runAs.Uid)
		gid, _ := strconv.Atoi(p.runAs.Gid)
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		cmd.Env = append(os.Environ(), "HOME="+p.runAs.HomeDir)
	}
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// CreateDatabase creates database name unless it exists.
func (p *Postgres) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}
