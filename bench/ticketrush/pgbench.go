package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/internal/devstack"
)

// hotRowScript is the whole pgbench transaction: one committed update of
// one row, the shape of every seat claim on an event.
const hotRowScript = "UPDATE bench_hot SET n = n + 1 WHERE id = 1;\n"

var tpsLine = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)

// hotRowCeiling runs pgbench against the stack's Postgres with clients
// connections all updating one row, and returns the committed updates per
// second: the most single-row transactions per second this machine's
// Postgres serialises on a hot row.
func hotRowCeiling(ctx context.Context, s *stack.Stack, clients, seconds int) (float64, error) {
	bin, err := pgbenchPath()
	if err != nil {
		return 0, err
	}
	for _, stmt := range []string{`CREATE TABLE bench_hot (id int PRIMARY KEY, n bigint NOT NULL)`, `INSERT INTO bench_hot VALUES (1, 0)`} {
		if _, err := s.DB().ExecContext(ctx, stmt); err != nil {
			return 0, fmt.Errorf("create the hot row: %w", err)
		}
	}
	script := filepath.Join(s.Dir(), "hot_row.sql")
	if err := os.WriteFile(script, []byte(hotRowScript), 0o644); err != nil {
		return 0, fmt.Errorf("write pgbench script: %w", err)
	}
	// pgbench is only a client over TCP, so unlike the server it may run
	// as root.
	cmd := exec.CommandContext(ctx, bin, "-n", "-f", script, "-c", strconv.Itoa(clients),
		"-j", strconv.Itoa(min(2, clients)), "-T", strconv.Itoa(seconds), s.DatabaseURL())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %w: %s", err, out)
	}
	return parseTPS(out)
}

// pgbenchPath finds pgbench next to the server binaries, else on PATH.
func pgbenchPath() (string, error) {
	if dir, err := devstack.PostgresBinDir(); err == nil {
		if p := filepath.Join(dir, "pgbench"); isFile(p) {
			return p, nil
		}
	}
	p, err := exec.LookPath("pgbench")
	if err != nil {
		return "", fmt.Errorf("pgbench not found next to pg_ctl or on PATH (it ships with the postgresql package): %w", err)
	}
	return p, nil
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// parseTPS reads the "tps = 1234.5 (without initial connection time)" line.
func parseTPS(out []byte) (float64, error) {
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no tps line in pgbench output: %s", out)
	}
	tps, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return 0, fmt.Errorf("parse pgbench tps %q: %w", m[1], err)
	}
	return tps, nil
}
