package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/devstack"
)

// writeResults are the write rates, per second.
type writeResults struct {
	randomLedger, hotLedger   float64
	pgbenchInsert, pgbenchHot float64
	errors                    int64
	firstErr                  error
}

// measureWrites runs the ledger writers on random members, then on one
// hot member, then pgbench's insert and hot-row update scripts.
func measureWrites(ctx context.Context, s *stack.Stack, w *world, o options) (writeResults, error) {
	var r writeResults
	progress("%d ledger writers on random members for %d s", o.writers, o.writeSeconds)
	r.randomLedger = ledgerRate(ctx, s.DB(), w, o, func() int { return rand.IntN(len(w.members)) }, &r)
	progress("%d ledger writers on one member for %d s", o.writers, o.writeSeconds)
	r.hotLedger = ledgerRate(ctx, s.DB(), w, o, func() int { return len(w.members) / 3 }, &r)
	var err error
	progress("pgbench: %d clients inserting for %d s", o.writers, o.writeSeconds)
	if r.pgbenchInsert, err = pgbench(ctx, s, "insert", []string{`CREATE TABLE bench_insert (id bigserial PRIMARY KEY, n bigint NOT NULL)`},
		"INSERT INTO bench_insert (n) VALUES (1);\n", o); err != nil {
		return r, err
	}
	progress("pgbench: %d clients updating one row for %d s", o.writers, o.writeSeconds)
	r.pgbenchHot, err = pgbench(ctx, s, "hot_row", []string{`CREATE TABLE bench_hot (id int PRIMARY KEY, n bigint NOT NULL)`,
		`INSERT INTO bench_hot VALUES (1, 0)`}, "UPDATE bench_hot SET n = n + 1 WHERE id = 1;\n", o)
	return r, err
}

// ledgerRate has o.writers goroutines append +1 entries, each in its own
// transaction through db.PointsLedger.Award, to the member pick chooses,
// for o.writeSeconds; it returns the committed entries per second.
func ledgerRate(ctx context.Context, d *db.DB, w *world, o options, pick func() int, r *writeResults) float64 {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(o.writeSeconds)*time.Second)
	defer cancel()
	var done atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range o.writers {
		wg.Go(func() {
			for ctx.Err() == nil {
				user := w.members[pick()]
				err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
					_, err := db.PointsLedger{}.Award(ctx, tx, db.LedgerEntry{OrganizationID: w.orgID, UserID: user, Amount: 1,
						Type: enums.LedgerManual, Reason: "bench", IdempotencyKey: "bench-write:" + db.NewID().String()})
					return err
				})
				switch {
				case err == nil:
					done.Add(1)
				case ctx.Err() == nil:
					// Errors once the phase's time is up are the deadline
					// cutting a transaction short, not failures.
					mu.Lock()
					r.errors++
					if r.firstErr == nil {
						r.firstErr = err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(start).Seconds()
}

var (
	tpsLine       = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)
	processedLine = regexp.MustCompile(`(?m)^number of transactions actually processed: ([0-9]+)`)
)

// pgbench creates its table with setup and runs script with o.writers
// clients for o.writeSeconds, returning the transactions per second.
func pgbench(ctx context.Context, s *stack.Stack, name string, setup []string, script string, o options) (float64, error) {
	bin, err := pgbenchPath()
	if err != nil {
		return 0, err
	}
	for _, stmt := range setup {
		if _, err := s.DB().ExecContext(ctx, stmt); err != nil {
			return 0, fmt.Errorf("pgbench %s setup: %w", name, err)
		}
	}
	path := filepath.Join(s.Dir(), name+".sql")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		return 0, fmt.Errorf("write pgbench script: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "-n", "-f", path, "-c", strconv.Itoa(o.writers),
		"-j", strconv.Itoa(min(2, o.writers)), "-T", strconv.Itoa(o.writeSeconds), s.DatabaseURL())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench %s: %w: %s", name, err, out)
	}
	return parseTPS(out, o.writeSeconds)
}

// parseTPS reads pgbench's "tps = …" line; a run that committed nothing
// (its clients still connecting when time ran out, on a loaded machine)
// prints none and counts as 0.
func parseTPS(out []byte, seconds int) (float64, error) {
	if m := tpsLine.FindSubmatch(out); m != nil {
		return strconv.ParseFloat(string(m[1]), 64)
	}
	if m := processedLine.FindSubmatch(out); m != nil && string(m[1]) == "0" {
		progress("pgbench committed nothing in %d s (still connecting?); counted as 0", seconds)
		return 0, nil
	}
	return 0, fmt.Errorf("no tps line in pgbench output: %s", out)
}

// pgbenchPath finds pgbench next to the server binaries, else on PATH (as
// bench/ticketrush does).
func pgbenchPath() (string, error) {
	if dir, err := devstack.PostgresBinDir(); err == nil {
		if p := filepath.Join(dir, "pgbench"); fileExists(p) {
			return p, nil
		}
	}
	p, err := exec.LookPath("pgbench")
	if err != nil {
		return "", fmt.Errorf("pgbench not found next to pg_ctl or on PATH: %w", err)
	}
	return p, nil
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
