package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/devstack"
)

// devDatabase is the database `convene dev` creates in its private cluster.
const devDatabase = "convene"

func (a *app) devCmd() *cobra.Command {
	var infraOnly bool
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything on this machine: Postgres, Temporal + UI, migrations, demo data, worker and API",
		Long: `dev starts a private Postgres cluster under the data dir, an in-process Temporal
dev server (SQLite file under the data dir) with its Web UI, applies migrations,
loads demo data, then runs the worker and the API in this process. Data survives
restarts. Set DATABASE_URL or TEMPORAL_ADDRESS to use existing ones instead.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext()
			defer stop()
			return a.runDev(ctx, infraOnly)
		},
	}
	cmd.Flags().BoolVar(&infraOnly, "infra-only", false, "start only Postgres, Temporal and the UI, and print the env for `convene api` / `convene worker`")
	return cmd
}

func (a *app) runDev(ctx context.Context, infraOnly bool) (err error) {
	if err := os.MkdirAll(a.cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	stopPG, err := a.devPostgres(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopPG()) }()
	stopTemporal, uiURL, err := a.devTemporal(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopTemporal()) }()
	if err := a.migrateAndSeed(ctx); err != nil {
		return err
	}
	if infraOnly {
		a.printInfraEnv(uiURL)
		<-ctx.Done()
		return nil
	}
	return a.withDeps(ctx, func(d *deps) error {
		return a.runAll(ctx, d, func() { a.printBanner(uiURL) })
	})
}

// devPostgres starts the private cluster unless DATABASE_URL points elsewhere.
func (a *app) devPostgres(ctx context.Context) (func() error, error) {
	if a.cfg.DatabaseURL != "" {
		return func() error { return nil }, nil
	}
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{
		DataDir: filepath.Join(a.cfg.DataDir, "pg"), Port: a.cfg.PostgresPort, Logger: a.log,
	})
	if err != nil {
		return nil, err
	}
	if err := pg.CreateDatabase(ctx, devDatabase); err != nil {
		return nil, errors.Join(err, pg.Stop())
	}
	a.cfg.DatabaseURL = pg.URL(devDatabase)
	return pg.Stop, nil
}

// devTemporal starts the embedded Temporal server and UI unless
// TEMPORAL_ADDRESS was given.
func (a *app) devTemporal(ctx context.Context) (func() error, string, error) {
	if _, external := os.LookupEnv("TEMPORAL_ADDRESS"); external {
		return func() error { return nil }, "", nil
	}
	t, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
		DBFile: filepath.Join(a.cfg.DataDir, "temporal.db"), Port: a.cfg.TemporalPort, UIPort: a.cfg.TemporalUIPort,
		Namespace: a.cfg.TemporalNamespace, SearchAttributes: devstack.ConveneSearchAttributes(), Logger: a.log,
	})
	if err != nil {
		return nil, "", err
	}
	a.cfg.TemporalAddress = t.FrontendAddress()
	return t.Stop, t.UIAddress(), nil
}

func (a *app) migrateAndSeed(ctx context.Context) error {
	d, err := db.Open(ctx, a.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	applied, err := d.MigrateUp(ctx)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		a.log.Info("migrations applied", "migrations", applied)
	}
	return db.SeedDemo(ctx, d)
}

func (a *app) printInfraEnv(uiURL string) {
	fmt.Printf(`
Convene infrastructure is running (Ctrl-C stops it). Run the API and worker against it with:

  export DATABASE_URL=%q
  export TEMPORAL_ADDRESS=%q
  export TEMPORAL_NAMESPACE=%q
  convene worker &
  convene api

Temporal UI: %s
`, a.cfg.DatabaseURL, a.cfg.TemporalAddress, a.cfg.TemporalNamespace, uiURL)
}

func (a *app) printBanner(uiURL string) {
	fmt.Printf(`
Convene is running (Ctrl-C stops it; data stays in %s)
  API          http://%s
  Temporal UI  %s
  Temporal     %s  (namespace %s)
  Postgres     %s
Sign in as the demo host: phone %s (RequestOtp returns devCode in dev).
`, a.cfg.DataDir, a.cfg.HTTPAddr, uiURL, a.cfg.TemporalAddress, a.cfg.TemporalNamespace, a.cfg.DatabaseURL, db.DemoPhone)
}
