package app

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/auth"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/providers/notify"
	"github.com/convene/convene/internal/providers/sms"
)

// defaultNotifyBurst is how many sends a rate-limited notification channel
// may make at once before its per-second rate applies.
const defaultNotifyBurst = 10

// Options are what New builds the application from: the process
// configuration, plus the few parts a test or a benchmark supplies itself
// instead of having them built from the configuration. The zero value of
// every field but Config means "build it from Config" or "use the default".
type Options struct {
	// Config is the process configuration (see internal/config): database
	// and Temporal addresses, task queue, secrets, provider choices, rate
	// limits. New validates it.
	Config config.Config

	// Log receives the logs of every part (API, worker, providers, the
	// Temporal client). slog.Default() when nil.
	Log *slog.Logger

	// Now is the clock of the API, the worker, tokens and the payment
	// sandbox. time.Now when nil; tests pass a clock they can advance.
	Now func() time.Time

	// DB, when set, is used instead of opening Config.DatabaseURL, and
	// Close leaves it open (its owner closes it).
	DB *db.DB

	// Temporal, when set, is used instead of dialing
	// Config.TemporalAddress, and Close leaves it open. When it is nil and
	// Config.TemporalAddress is empty the application has no Temporal:
	// the API still serves calls that start no workflow, and StartWorker
	// fails.
	Temporal client.Client

	// SMS, when set, replaces the sender Config.SMSProvider selects (tests
	// read login codes from an sms.LogSender).
	SMS sms.Sender

	// Senders, when set, replace the configured notification sender of
	// each channel they name (tests and benchmarks deliver to sandboxes
	// they inspect). Channels they do not name keep the configured sender.
	Senders map[string]notify.Sender

	// NotifyBurst is how many sends a channel may make at once above its
	// Config.NotifyRateLimits rate. 10 when zero.
	NotifyBurst int

	// OTPLimits bound how often login codes can be requested and lock a
	// phone after wrong codes. Config.AuthLimits when zero.
	OTPLimits auth.OTPLimits

	// RiverPollInterval is how often the worker's River client looks for
	// new jobs (it polls: no LISTEN/NOTIFY). The worker's default when zero.
	RiverPollInterval time.Duration

	// NotificationPageSize is how many recipients one step of a
	// notification job resolves. The worker's default when zero.
	NotificationPageSize int

	// SkipDirectWorkflowStarts is for tests only: the API's direct
	// workflow starts after commit fail, as if the process died between
	// commit and start, so only the River job written with the rows can
	// start the workflow (see api.Deps).
	SkipDirectWorkflowStarts bool
	// SkipDirectOrderStarts is for tests only: the API's start of a ticket
	// order fails (see api.Deps).
	SkipDirectOrderStarts bool
	// QuestCheckTLS is for tests only: the TLS configuration api_check
	// quest tasks call with, trusting a test server's certificate.
	QuestCheckTLS *tls.Config
}

// withDefaults returns the options with unset defaults filled in.
func (o Options) withDefaults() Options {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NotifyBurst == 0 {
		o.NotifyBurst = defaultNotifyBurst
	}
	return o
}

// validate reports every problem at once, saying what to set.
func (o Options) validate() error {
	var errs []error
	if err := o.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	if o.DB == nil {
		if err := o.Config.RequireDatabase(); err != nil {
			errs = append(errs, err)
		}
	}
	if o.NotifyBurst < 0 {
		errs = append(errs, fmt.Errorf("NotifyBurst must not be negative, got %d", o.NotifyBurst))
	}
	if o.RiverPollInterval < 0 {
		errs = append(errs, fmt.Errorf("RiverPollInterval must not be negative, got %s", o.RiverPollInterval))
	}
	return errors.Join(errs...)
}
