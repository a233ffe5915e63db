// Package worker runs Convene's background work: the Temporal worker that
// executes workflows and activities, and the River client that works short
// jobs. Both stop gracefully: in-flight activities and jobs finish (or are
// retried elsewhere once their timeouts pass).
package worker

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.temporal.io/sdk/client"
	tworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/blob"
	"github.com/convene/convene/internal/engagement"
	"github.com/convene/convene/internal/metrics"
	"github.com/convene/convene/internal/providers/enrichment"
	"github.com/convene/convene/internal/providers/notify"
	"github.com/convene/convene/internal/providers/payment"
	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/questcheck"
	"github.com/convene/convene/internal/ratelimit"
	"github.com/convene/convene/internal/rules"
	"github.com/convene/convene/internal/secretbox"
	"github.com/convene/convene/internal/tickets"
	"github.com/convene/convene/jobs"
	"github.com/convene/convene/jobs/workflowstart"
	"github.com/convene/convene/workflows"
)

// Options are the worker's dependencies.
type Options struct {
	// DB, Temporal and TaskQueue are required: the database River and the
	// activities use, and the Temporal client and queue the worker polls.
	DB        *db.DB
	Temporal  client.Client
	TaskQueue string
	// Metrics, when set, records River job outcomes.
	Metrics *metrics.Registry
	// Log receives the worker's and River's logs; slog.Default() when nil.
	Log *slog.Logger
	// RiverPollInterval is how often River looks for new jobs; the
	// database/sql driver polls (no LISTEN/NOTIFY), so this bounds latency.
	// 200 ms when zero.
	RiverPollInterval time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Payments and Tickets are the ticketing activities' provider and keys.
	Payments payment.Provider
	Tickets  *tickets.Keys
	// Senders deliver notifications per channel (push, email, sms,
	// telegram); Limits caps each channel's sends per second (no cap when
	// nil).
	Senders map[string]notify.Sender
	Limits  *ratelimit.PerKey
	// NotificationPageSize is how many recipients one resolution step
	// pages in (default 2500).
	NotificationPageSize int
	// Social are the platforms posts are published and measured on (none when nil);
	// SocialTokens opens the accounts' sealed tokens.
	Social       *social.Registry
	SocialTokens *secretbox.Box
	// Blob holds uploaded media, which the media jobs inspect.
	Blob blob.Store
	// QuestVerifiers check quest task submissions (internal/questcheck);
	// a kind without one goes to review.
	QuestVerifiers questcheck.Set
}

// withDefaults returns the options with unset optional fields filled in.
func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RiverPollInterval == 0 {
		o.RiverPollInterval = 200 * time.Millisecond
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Limits == nil {
		o.Limits = ratelimit.NewPerKey(nil, 1)
	}
	if o.Social == nil {
		o.Social, _ = social.NewRegistry()
	}
	return o
}

// validate reports the missing dependencies the worker cannot run without.
func (o Options) validate() error {
	var errs []error
	if o.DB == nil {
		errs = append(errs, errors.New("worker: DB is required"))
	}
	if o.Temporal == nil {
		errs = append(errs, errors.New("worker: Temporal client is required"))
	}
	if o.TaskQueue == "" {
		errs = append(errs, errors.New("worker: TaskQueue is required"))
	}
	return errors.Join(errs...)
}

// Worker is a started Temporal worker plus River client.
type Worker struct {
	temporal tworker.Worker
	river    *river.Client[*sql.Tx]
	log      *slog.Logger
}

// Start registers every workflow, activity and River worker and starts
// polling.
func Start(ctx context.Context, o Options) (*Worker, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	rc, err := newRiver(o)
	if err != nil {
		return nil, err
	}
	if err := rc.Start(ctx); err != nil {
		return nil, fmt.Errorf("start river: %w", err)
	}
	tw := tworker.New(o.Temporal, o.TaskQueue, tworker.Options{MaxConcurrentWorkflowTaskPollers: 8, MaxConcurrentActivityTaskPollers: 8})
	registerTemporal(tw, o, rc)
	if err := tw.Start(); err != nil {
		_ = rc.Stop(context.Background())
		return nil, fmt.Errorf("start temporal worker on %s: %w", o.TaskQueue, err)
	}
	o.Log.Info("worker started", "task_queue", o.TaskQueue)
	return &Worker{temporal: tw, river: rc, log: o.Log}, nil
}

// Stop stops polling and waits for in-flight work, up to ctx's deadline.
func (w *Worker) Stop(ctx context.Context) error {
	w.temporal.Stop()
	if err := w.river.Stop(ctx); err != nil {
		return fmt.Errorf("stop river: %w", err)
	}
	w.log.Info("worker stopped")
	return nil
}

// River returns the River client (for enqueueing from the same process).
func (w *Worker) River() *river.Client[*sql.Tx] { return w.river }

func newRiver(o Options) (*river.Client[*sql.Tx], error) {
	// Jobs that enqueue jobs (the metrics poll) insert through their own
	// insert-only client: the working client is built from the workers.
	inserter, err := river.NewClient(o.DB.RiverDriver(), &river.Config{Logger: o.Log.With("component", "river")})
	if err != nil {
		return nil, fmt.Errorf("create river insert client: %w", err)
	}
	workers := river.NewWorkers()
	registerJobs(workers, o, inserter)
	cfg := &river.Config{
		Queues: map[string]river.QueueConfig{
			river.QueueDefault:      {MaxWorkers: 20},
			jobs.NotificationsQueue: {MaxWorkers: 100},
			jobs.SafetyQueue:        {MaxWorkers: 20},
		},
		Workers: workers,
		PeriodicJobs: []*river.PeriodicJob{jobs.PeriodicPurgeCredentials(), jobs.PeriodicPurgeContent(),
			jobs.PeriodicMetricsPoll(), jobs.PeriodicContentPartitions(), jobs.PeriodicExpireRecognitions(), jobs.PeriodicReconcile(),
			jobs.PeriodicMaterializeSeries(), jobs.PeriodicMarkNoShows(),
			jobs.PeriodicRatingPrompt()},
		FetchPollInterval: o.RiverPollInterval,
		// A fetch takes at most MaxWorkers jobs and waits FetchCooldown
		// before the next; River's 100 ms default caps a queue near
		// 10 × MaxWorkers jobs/s, too low for notification fan-outs.
		FetchCooldown: 20 * time.Millisecond,
		Logger:        o.Log.With("component", "river"),
	}
	if o.Metrics != nil {
		cfg.Middleware = []rivertype.Middleware{o.Metrics.RiverMiddleware()}
	}
	rc, err := river.NewClient(o.DB.RiverDriver(), cfg)
	if err != nil {
		return nil, fmt.Errorf("create river client: %w", err)
	}
	return rc, nil
}

// registerJobs adds every River worker, one line per job kind.
func registerJobs(w *river.Workers, o Options, inserter *river.Client[*sql.Tx]) {
	river.AddWorker(w, &jobs.PurgeCredentialsWorker{DB: o.DB, Now: o.Now})
	river.AddWorker(w, &jobs.DeliverNotificationWorker{DB: o.DB, Senders: o.Senders, Limits: o.Limits, Now: o.Now})
	river.AddWorker(w, &jobs.DeliverInAppBatchWorker{DB: o.DB, Now: o.Now})
	river.AddWorker(w, &jobs.DeliverInAppPageWorker{DB: o.DB})
	river.AddWorker(w, &jobs.ProcessMediaWorker{DB: o.DB, Blob: o.Blob})
	river.AddWorker(w, &jobs.PurgeContentWorker{DB: o.DB, Now: o.Now})
	river.AddWorker(w, &jobs.ChatPushWorker{DB: o.DB, Notices: &jobs.Notices{River: inserter}, Now: o.Now})
	workflowstart.AddWorkers(w, o.Temporal, o.TaskQueue)
	platforms := jobs.PlatformAccess{DB: o.DB, Platforms: o.Social, Tokens: o.SocialTokens, Now: o.Now}
	river.AddWorker(w, &jobs.MetricsPollWorker{DB: o.DB, River: inserter, Now: o.Now})
	river.AddWorker(w, &jobs.MetricsFetchWorker{Platform: platforms})
	river.AddWorker(w, &jobs.SentimentWorker{Platform: platforms})
	river.AddWorker(w, &jobs.ContentPartitionsWorker{DB: o.DB, Now: o.Now})
	river.AddWorker(w, &jobs.EvaluateRulesWorker{DB: o.DB, Recorder: engagement.Recorder{River: inserter}, Rules: rules.New()})
	river.AddWorker(w, &jobs.ReconcileWorker{DB: o.DB, Metrics: jobs.NewDriftMetrics(o.Metrics), Log: o.Log})
	river.AddWorker(w, &jobs.ExpireRecognitionsWorker{DB: o.DB, Now: o.Now})
	river.AddWorker(w, &jobs.MaterializeSeriesWorker{DB: o.DB, Now: o.Now})
	river.AddWorker(w, &jobs.MarkNoShowsWorker{DB: o.DB, Now: o.Now})
	river.AddWorker(w, &jobs.RatingPromptWorker{DB: o.DB, Notices: &jobs.Notices{River: inserter}, Now: o.Now})
	river.AddWorker(w, &jobs.EnrichProfileWorker{DB: o.DB, Provider: enrichment.Offline{}, Now: o.Now})
}

// registerTemporal adds every workflow and activity, a few lines per domain.
func registerTemporal(w tworker.Worker, o Options, rc *river.Client[*sql.Tx]) {
	w.RegisterWorkflowWithOptions(workflows.TicketOrder, workflow.RegisterOptions{Name: workflows.TicketOrderWorkflowName})
	w.RegisterWorkflowWithOptions(workflows.EventCancellation, workflow.RegisterOptions{Name: workflows.EventCancellationWorkflowName})
	w.RegisterActivity(&activities.Events{DB: o.DB, Payments: o.Payments, Keys: o.Tickets, Notices: &jobs.Notices{River: rc}, Now: o.Now})
	w.RegisterWorkflowWithOptions(workflows.NotificationJob, workflow.RegisterOptions{Name: workflows.NotificationJobWorkflowName})
	w.RegisterActivity(&activities.Notifications{DB: o.DB, River: rc, PageSize: o.NotificationPageSize})
	w.RegisterWorkflowWithOptions(workflows.ContentPublish, workflow.RegisterOptions{Name: workflows.ContentPublishWorkflowName})
	w.RegisterActivity(&activities.Publishing{DB: o.DB, Platforms: o.Social, Tokens: o.SocialTokens, Now: o.Now})
	w.RegisterWorkflowWithOptions(workflows.ContentApproval, workflow.RegisterOptions{Name: workflows.ContentApprovalWorkflowName})
	w.RegisterActivity(&activities.ContentApprovals{DB: o.DB, Notices: &jobs.Notices{River: rc}, Now: o.Now})
	w.RegisterWorkflowWithOptions(workflows.TeamChallenge, workflow.RegisterOptions{Name: workflows.TeamChallengeWorkflowName})
	w.RegisterActivity(&activities.EngagementChallenges{DB: o.DB, Recorder: engagement.Recorder{River: rc}})
	w.RegisterWorkflowWithOptions(workflows.Onboarding, workflow.RegisterOptions{Name: workflows.OnboardingWorkflowName})
	w.RegisterActivity(&activities.Onboarding{DB: o.DB, Notices: &jobs.Notices{River: rc}, Recorder: engagement.Recorder{River: rc}, Now: o.Now})
	w.RegisterWorkflowWithOptions(workflows.QuestRun, workflow.RegisterOptions{Name: workflows.QuestRunWorkflowName})
	w.RegisterActivity(&activities.Quests{DB: o.DB, Notices: &jobs.Notices{River: rc}, Recorder: engagement.Recorder{River: rc},
		Verifiers: o.QuestVerifiers, Secrets: o.SocialTokens, Now: o.Now})
	w.RegisterWorkflowWithOptions(workflows.SafetyAlert, workflow.RegisterOptions{Name: workflows.SafetyAlertWorkflowName})
	w.RegisterActivity(&activities.Safety{DB: o.DB, Notices: &jobs.Notices{River: rc}, Now: o.Now})
}
