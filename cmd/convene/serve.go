package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/convene/convene/api"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/auth"
	"github.com/convene/convene/internal/metrics"
	"github.com/convene/convene/internal/providers/notify"
	"github.com/convene/convene/internal/providers/payment"
	"github.com/convene/convene/internal/providers/sms"
	"github.com/convene/convene/internal/ratelimit"
	"github.com/convene/convene/internal/tickets"
	"github.com/convene/convene/worker"
)

func (a *app) apiCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "api",
		Short: "Serve the Connect/gRPC API (scale out by running several)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext()
			defer stop()
			return a.withDeps(ctx, func(d *deps) error { return a.serveAPI(ctx, d) })
		},
	}
}

func (a *app) workerCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run the Temporal worker and River jobs (scale out by running several)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext()
			defer stop()
			return a.withDeps(ctx, func(d *deps) error { return a.runWorker(ctx, d) })
		},
	}
}

// deps are the connections the api and worker processes share.
type deps struct {
	db       *db.DB
	temporal client.Client
	metrics  *metrics.Registry
	payments payment.Provider
	tickets  *tickets.Keys
	sms      sms.Sender
	senders  map[string]notify.Sender
}

// withDeps connects to Postgres and Temporal, runs fn, and closes both.
func (a *app) withDeps(ctx context.Context, fn func(*deps) error) error {
	if err := a.cfg.RequireDatabase(); err != nil {
		return err
	}
	database, err := db.Open(ctx, a.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer database.Close()
	reg := metrics.New()
	tc, err := client.Dial(client.Options{
		HostPort:       a.cfg.TemporalAddress,
		Namespace:      a.cfg.TemporalNamespace,
		Logger:         tlog.NewStructuredLogger(a.log.With("component", "temporal")),
		MetricsHandler: reg.TemporalHandler(),
	})
	if err != nil {
		return fmt.Errorf("connect to temporal at %s: %w", a.cfg.TemporalAddress, err)
	}
	defer tc.Close()
	d := &deps{db: database, temporal: tc, metrics: reg}
	if d.payments, err = a.paymentProvider(database); err != nil {
		return err
	}
	if d.tickets, err = tickets.NewKeys([]byte(a.cfg.TicketMasterKey)); err != nil {
		return fmt.Errorf("CONVENE_TICKET_MASTER_KEY: %w", err)
	}
	if d.sms, err = sms.New(a.cfg.SMSProvider, a.log, sms.TwilioConfig{
		AccountSID: a.cfg.TwilioAccountSID, AuthToken: a.cfg.TwilioAuthToken, From: a.cfg.TwilioFrom}); err != nil {
		return err
	}
	if d.senders, err = a.notificationSenders(d.sms); err != nil {
		return err
	}
	return fn(d)
}

func (a *app) paymentProvider(database *db.DB) (payment.Provider, error) {
	base := strings.TrimRight(a.cfg.PublicURL, "/")
	return payment.New(a.cfg.PaymentProvider,
		payment.SandboxConfig{DB: database.DB, BaseURL: base, WebhookURL: base + "/webhooks/payments/sandbox",
			Secret: a.cfg.PaymentWebhookSecret, Log: a.log},
		payment.StripeConfig{SecretKey: a.cfg.StripeSecretKey, WebhookSecret: a.cfg.StripeWebhookSecret,
			SuccessURL: base + "/checkout/success", CancelURL: base + "/checkout/cancelled"})
}

func (a *app) serveAPI(ctx context.Context, d *deps) error {
	sandbox, _ := d.payments.(*payment.Sandbox)
	handler, err := api.NewHandler(api.Deps{
		DB: d.db, Temporal: d.temporal, Metrics: d.metrics, Log: a.log, SMS: d.sms,
		Payments: d.payments, Sandbox: sandbox, Tickets: d.tickets, TaskQueue: a.cfg.TaskQueue, PublicURL: a.cfg.PublicURL,
		Tokens: auth.NewTokens(a.cfg.JWTSecret, time.Now), OTP: auth.NewOTPHasher(a.cfg.JWTSecret),
		DevMode: a.cfg.IsDev(), CORSOrigins: a.cfg.CORSOrigins, TrustForwardedFor: a.cfg.TrustForwardedFor,
	})
	if err != nil {
		return err
	}
	return api.Serve(ctx, a.cfg.HTTPAddr, handler, a.cfg.ShutdownTimeout, a.log)
}

func (a *app) runWorker(ctx context.Context, d *deps) error {
	w, err := worker.Start(ctx, a.workerOptions(d))
	if err != nil {
		return err
	}
	<-ctx.Done()
	return a.stopWorker(w)
}

func (a *app) workerOptions(d *deps) worker.Options {
	return worker.Options{DB: d.db, Temporal: d.temporal, TaskQueue: a.cfg.TaskQueue, Metrics: d.metrics, Log: a.log,
		Payments: d.payments, Tickets: d.tickets, Senders: d.senders, Limits: ratelimit.NewPerKey(a.cfg.NotifyRateLimits, 10)}
}

func (a *app) stopWorker(w *worker.Worker) error {
	stopCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	return w.Stop(stopCtx)
}

// runAll serves the API and runs the worker in one process until ctx ends
// (the `dev` command).
func (a *app) runAll(ctx context.Context, d *deps, ready func()) error {
	w, err := worker.Start(ctx, a.workerOptions(d))
	if err != nil {
		return err
	}
	apiErr := make(chan error, 1)
	go func() { apiErr <- a.serveAPI(ctx, d) }()
	ready()
	select {
	case err = <-apiErr:
	case <-ctx.Done():
		err = <-apiErr
	}
	return errors.Join(err, a.stopWorker(w))
}
