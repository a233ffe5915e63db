package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/app"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/devstack"
)

// devDatabase is the database `convene dev` creates in its private cluster.
const devDatabase = "convene"

func (c *cli) devCmd() *cobra.Command {
	var infraOnly bool
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything on this machine: Postgres, Temporal + UI, migrations, demo data, worker and API",
		Long: `dev starts a private Postgres cluster under the data dir, an in-process Temporal
dev server with its Web UI, applies migrations, loads demo data, then runs the
worker and the API in this process. Temporal keeps its state in the databases
temporal and temporal_visibility on the same Postgres as Convene, or with
--temporal-store sqlite in a SQLite file under the data dir. Data survives restarts.
Set DATABASE_URL or TEMPORAL_ADDRESS to use existing ones instead.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext()
			defer stop()
			return c.runDev(ctx, infraOnly)
		},
	}
	cmd.Flags().BoolVar(&infraOnly, "infra-only", false, "start only Postgres, Temporal and the UI, and print the env for `convene api` / `convene worker`")
	return cmd
}

func (c *cli) runDev(ctx context.Context, infraOnly bool) (err error) {
	if err := os.MkdirAll(c.cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	stopPG, err := c.devPostgres(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopPG()) }()
	stopTemporal, uiURL, err := c.devTemporal(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopTemporal()) }()
	if err := c.migrateAndSeed(ctx); err != nil {
		return err
	}
	if infraOnly {
		c.printInfraEnv(uiURL)
		<-ctx.Done()
		return nil
	}
	return c.withApp(ctx, func(a *app.App) error {
		return c.runAll(ctx, a, func() { c.printBanner(uiURL) })
	})
}

// devPostgres starts the private cluster unless DATABASE_URL points elsewhere.
func (c *cli) devPostgres(ctx context.Context) (func() error, error) {
	if c.cfg.DatabaseURL != "" {
		return func() error { return nil }, nil
	}
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{
		DataDir: filepath.Join(c.cfg.DataDir, "pg"), Port: c.cfg.PostgresPort, Logger: c.log,
	})
	if err != nil {
		return nil, err
	}
	if err := pg.CreateDatabase(ctx, devDatabase); err != nil {
		return nil, errors.Join(err, pg.Stop())
	}
	c.cfg.DatabaseURL = pg.URL(devDatabase)
	return pg.Stop, nil
}

// devTemporal starts the embedded Temporal server and UI, on SQLite or on
// Postgres as CONVENE_TEMPORAL_STORE says, unless TEMPORAL_ADDRESS was given.
func (c *cli) devTemporal(ctx context.Context) (func() error, string, error) {
	if _, external := os.LookupEnv("TEMPORAL_ADDRESS"); external {
		return func() error { return nil }, "", nil
	}
	opts := devstack.TemporalOptions{
		Port: c.cfg.TemporalPort, UIPort: c.cfg.TemporalUIPort,
		Namespace: c.cfg.TemporalNamespace, SearchAttributes: devstack.ConveneSearchAttributes(), Logger: c.log,
	}
	if c.cfg.TemporalStore == config.TemporalStorePostgres {
		// The server of DatabaseURL: the private cluster, or the one
		// DATABASE_URL names.
		opts.Postgres = &devstack.TemporalPostgres{ServerURL: c.cfg.DatabaseURL}
	} else {
		opts.DBFile = filepath.Join(c.cfg.DataDir, "temporal.db")
	}
	t, err := devstack.StartTemporal(ctx, opts)
	if err != nil {
		return nil, "", err
	}
	c.cfg.TemporalAddress = t.FrontendAddress()
	return t.Stop, t.UIAddress(), nil
}

func (c *cli) migrateAndSeed(ctx context.Context) error {
	d, err := db.Open(ctx, c.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	applied, err := d.MigrateUp(ctx)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		c.log.Info("migrations applied", "migrations", applied)
	}
	return db.SeedDemo(ctx, d)
}

func (c *cli) printInfraEnv(uiURL string) {
	fmt.Printf(`
Convene infrastructure is running (Ctrl-C stops it). Run the API and worker against it with:

  export DATABASE_URL=%q
  export TEMPORAL_ADDRESS=%q
  export TEMPORAL_NAMESPACE=%q
  convene worker &
  convene api

Temporal UI: %s
`, c.cfg.DatabaseURL, c.cfg.TemporalAddress, c.cfg.TemporalNamespace, uiURL)
}

func (c *cli) printBanner(uiURL string) {
	fmt.Printf(`
Convene is running (Ctrl-C stops it; data stays in %s)
  API          http://%s
  Temporal UI  %s
  Temporal     %s  (namespace %s)
  Postgres     %s
Sign in as the demo host: phone %s (RequestOtp returns devCode in dev).
`, c.cfg.DataDir, c.cfg.HTTPAddr, uiURL, c.cfg.TemporalAddress, c.cfg.TemporalNamespace, c.cfg.DatabaseURL, db.DemoPhone)
}
