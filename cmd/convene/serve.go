package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/convene/convene/api"
	"github.com/convene/convene/internal/app"
	"github.com/convene/convene/worker"
)

func (c *cli) apiCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "api",
		Short: "Serve the Connect/gRPC API (scale out by running several)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext()
			defer stop()
			return c.withApp(ctx, func(a *app.App) error { return c.serveAPI(ctx, a) })
		},
	}
}

func (c *cli) workerCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run the Temporal worker and River jobs (scale out by running several)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext()
			defer stop()
			return c.withApp(ctx, func(a *app.App) error { return c.runWorker(ctx, a) })
		},
	}
}

// withApp builds the dependency graph from the configuration (connecting
// to Postgres and Temporal), runs fn, and closes it.
func (c *cli) withApp(ctx context.Context, fn func(*app.App) error) error {
	a, err := app.New(ctx, app.Options{Config: c.cfg, Log: c.log})
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

func (c *cli) serveAPI(ctx context.Context, a *app.App) error {
	handler, err := a.Handler()
	if err != nil {
		return err
	}
	return api.Serve(ctx, c.cfg.HTTPAddr, handler, c.cfg.ShutdownTimeout, c.log)
}

func (c *cli) runWorker(ctx context.Context, a *app.App) error {
	w, err := a.StartWorker(ctx)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return c.stopWorker(w)
}

func (c *cli) stopWorker(w *worker.Worker) error {
	stopCtx, cancel := context.WithTimeout(context.Background(), c.cfg.ShutdownTimeout)
	defer cancel()
	return w.Stop(stopCtx)
}

// runAll serves the API and runs the worker in one process until ctx ends
// (the `dev` command).
func (c *cli) runAll(ctx context.Context, a *app.App, ready func()) error {
	w, err := a.StartWorker(ctx)
	if err != nil {
		return err
	}
	apiErr := make(chan error, 1)
	go func() { apiErr <- c.serveAPI(ctx, a) }()
	ready()
	select {
	case err = <-apiErr:
	case <-ctx.Done():
		err = <-apiErr
	}
	return errors.Join(err, c.stopWorker(w))
}
