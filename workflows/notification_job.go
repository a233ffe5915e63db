package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
)

// The notification-job contract: an admin's message fanned out to an
// audience, one item per recipient and channel, delivered by River.
const (
	// NotificationJobWorkflowName is the registered workflow type.
	NotificationJobWorkflowName = "NotificationJob"
	// UpdateCancelJob stops a job: no further pages, pending items cancelled.
	UpdateCancelJob = "cancel-job"

	notificationJobPrefix = "notification-job/"
	// pagesPerRun bounds one run's history; the next run continues from
	// the cursor stored in the job row.
	pagesPerRun = 40
	// pollsPerRun bounds the delivery wait the same way.
	pollsPerRun = 500
	// maxProgressInterval caps the backoff between progress checks, so a
	// finished job is reported within seconds.
	maxProgressInterval = 5 * time.Second
	// firstProgressInterval is the first and shortest wait between progress
	// checks of runs on versionBatchedPaging (before it: a second, then
	// doubling).
	firstProgressInterval = 250 * time.Millisecond
)

// versionBatchedPaging marks runs that resolve several pages per activity
// (ResolvePages) and time their delivery checks by the delivery rate
// (nextProgressInterval); runs recorded before it call ResolvePage once per
// page and wait 1 s, 2 s, 4 s… between checks.
const versionBatchedPaging = "batched-paging"

// Job statuses: notification_jobs.status (package enums).
const (
	JobScheduled = enums.JobScheduled
	JobRunning   = enums.JobRunning
	JobCompleted = enums.JobCompleted
	JobCancelled = enums.JobCancelled
)

// NotificationJobWorkflowID is the workflow ID of a job.
func NotificationJobWorkflowID(jobID string) string { return workflowID(notificationJobPrefix, jobID) }

// JobIDFromNotificationJobWorkflowID inverts NotificationJobWorkflowID.
func JobIDFromNotificationJobWorkflowID(id string) (string, error) {
	return businessIDOf(notificationJobPrefix, id)
}

// Phases of a notification job run: a run continued as new starts in the
// phase its predecessor stopped in.
const (
	// PhaseResolving pages the audience in.
	PhaseResolving = "resolving"
	// PhaseDelivering waits until every item is delivered or given up.
	PhaseDelivering = "delivering"
)

// NotificationJobInput names the job; Phase is set on continued runs.
type NotificationJobInput struct {
	JobID string
	Phase string // "" (start), PhaseResolving or PhaseDelivering
}

// NotificationJobStart is everything a job's start needs: the input plus
// what its search attributes, summary and details show. It is stored in the
// River job that starts the workflow, so it is plain JSON-able data.
type NotificationJobStart struct {
	Input     NotificationJobInput `json:"input"`
	OrgID     string               `json:"org_id,omitempty"` // "" for a platform-wide job
	CreatedBy string               `json:"created_by"`
	Summary   string               `json:"summary"`
	Details   string               `json:"details"`
}

// StartNotificationJob starts the job's workflow on taskQueue, or finds it
// running or closed (see startOnce): REJECT_DUPLICATE means a job never
// runs twice, even when the second start comes after the first run ended.
// The API calls it after commit and the River job
// workflowstart.NotificationJobArgs calls it if the API did not.
func StartNotificationJob(ctx context.Context, c client.Client, taskQueue string, st NotificationJobStart) error {
	attrs := []temporal.SearchAttributeUpdate{SearchUserID.ValueSet(st.CreatedBy), SearchStatus.ValueSet(JobScheduled)}
	if st.OrgID != "" {
		attrs = append(attrs, SearchOrgID.ValueSet(st.OrgID))
	}
	return startOnce(ctx, c, client.StartWorkflowOptions{
		ID:                    NotificationJobWorkflowID(st.Input.JobID),
		TaskQueue:             taskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(attrs...),
		StaticSummary:         st.Summary,
		StaticDetails:         st.Details,
	}, NotificationJobWorkflowName, st.Input)
}

// NotificationJobState is what the state query and cancel update return.
type NotificationJobState struct {
	JobID    string
	Status   string
	Phase    string
	Pages    int
	Resolved int64
	Progress activities.JobProgress
}

// CancelJobInput is who cancels.
type CancelJobInput struct {
	ActorUserID string
}

// NotificationJob is the notification-job workflow:
//  1. wait until the scheduled time (cancellable);
//  2. resolve the audience page by page — each page inserts its items and
//     enqueues their deliveries in one transaction, continuing as new
//     every few dozen pages for very large audiences;
//  3. wait until every item is sent, failed, skipped or cancelled;
//  4. record the outcome and send the creator a report.
func NotificationJob(ctx workflow.Context, in NotificationJobInput) (NotificationJobState, error) {
	j := &notificationJob{in: in, state: NotificationJobState{JobID: in.JobID, Status: JobScheduled, Phase: in.Phase}}
	if err := j.registerHandlers(ctx); err != nil {
		return j.state, err
	}
	err := j.run(ctx)
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return j.state, err
}

type notificationJob struct {
	in        NotificationJobInput
	state     NotificationJobState
	cancelled bool
	// batched is versionBatchedPaging.
	batched bool
	acts    *activities.Notifications
}

func (j *notificationJob) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (NotificationJobState, error) { return j.state, nil }); err != nil {
		return fmt.Errorf("register state query: %w", err)
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateCancelJob,
		func(ctx workflow.Context, _ CancelJobInput) (NotificationJobState, error) {
			j.cancelled = true
			err := workflow.Await(ctx, func() bool { return j.state.Status == JobCancelled || j.state.Status == JobCompleted })
			return j.state, err
		},
		workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, _ CancelJobInput) error {
			if j.cancelled || j.state.Status == JobCompleted || j.state.Status == JobCancelled {
				return refuseWrongState("the job is already %s", j.state.Status)
			}
			return nil
		}})
}

func (j *notificationJob) run(ctx workflow.Context) error {
	j.batched = workflow.GetVersion(ctx, versionBatchedPaging, workflow.DefaultVersion, 1) == 1
	actx := activityOptions(ctx)
	if j.in.Phase == "" {
		if err := j.awaitSchedule(ctx); err != nil {
			return err
		}
		j.in.Phase = PhaseResolving
	}
	if !j.cancelled && j.in.Phase == PhaseResolving {
		if err := j.setStatus(actx, JobRunning); err != nil {
			return err
		}
		if more, err := j.resolve(actx); err != nil || more {
			if err == nil {
				err = workflow.NewContinueAsNewError(ctx, NotificationJobWorkflowName, NotificationJobInput{JobID: j.in.JobID, Phase: PhaseResolving})
			}
			return err
		}
		j.in.Phase = PhaseDelivering
	}
	if !j.cancelled {
		if done, err := j.awaitDelivery(ctx); err != nil || !done {
			if err == nil {
				err = workflow.NewContinueAsNewError(ctx, NotificationJobWorkflowName, NotificationJobInput{JobID: j.in.JobID, Phase: PhaseDelivering})
			}
			return err
		}
	}
	return j.finish(actx)
}

func (j *notificationJob) awaitSchedule(ctx workflow.Context) error {
	var info activities.JobInfo
	if err := workflow.ExecuteActivity(activityOptions(ctx), j.acts.LoadJob, j.in.JobID).Get(ctx, &info); err != nil {
		return fmt.Errorf("load job: %w", err)
	}
	if wait := info.ScheduledAt.Sub(workflow.Now(ctx)); wait > 0 {
		_, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return j.cancelled })
		return err
	}
	return nil
}

// resolve pages the audience in; it reports whether pages remain for the
// next run. A run makes at most pagesPerRun resolution steps (activities),
// each of one page or, on versionBatchedPaging, of several.
func (j *notificationJob) resolve(ctx workflow.Context) (bool, error) {
	step := j.acts.ResolvePage
	if j.batched {
		step = j.acts.ResolvePages
	}
	for range pagesPerRun {
		if j.cancelled {
			return false, nil
		}
		var res activities.PageResult
		if err := workflow.ExecuteActivity(ctx, step, j.in.JobID).Get(ctx, &res); err != nil {
			return false, fmt.Errorf("resolve audience: %w", err)
		}
		// Results recorded before PageResult.Pages existed carry 0: one page.
		j.state.Pages += max(res.Pages, 1)
		j.state.Resolved += int64(res.Users)
		if res.Done {
			return false, nil
		}
	}
	return true, nil
}

// awaitDelivery polls progress until nothing is pending; it reports false
// when the run should continue as new. Runs on versionBatchedPaging wait
// about as long as the pending items should take at the rate they went
// since the last check (see nextProgressInterval); older runs double the
// wait from a second.
func (j *notificationJob) awaitDelivery(ctx workflow.Context) (bool, error) {
	interval := time.Second
	if j.batched {
		interval = firstProgressInterval
	}
	var prevPending int64
	var prevAt time.Time
	for poll := 0; poll < pollsPerRun; poll++ {
		if err := workflow.ExecuteActivity(activityOptions(ctx), j.acts.Progress, j.in.JobID).Get(ctx, &j.state.Progress); err != nil {
			return false, fmt.Errorf("read progress: %w", err)
		}
		pending, now := j.state.Progress.Pending, workflow.Now(ctx)
		if pending == 0 {
			return true, nil
		}
		if j.batched && poll > 0 {
			interval = nextProgressInterval(interval, prevPending, pending, now.Sub(prevAt))
		}
		prevPending, prevAt = pending, now
		if _, err := workflow.AwaitWithTimeout(ctx, interval, func() bool { return j.cancelled }); err != nil {
			return false, err
		}
		if j.cancelled {
			return true, nil
		}
		if !j.batched {
			interval = min(interval*2, maxProgressInterval)
		}
	}
	return false, nil
}

// nextProgressInterval is the wait before the next progress check: the
// time the pending items take at the rate the last elapsed time delivered
// prevPending-pending of them, between firstProgressInterval and
// maxProgressInterval; twice the last wait when none went. A fan-out's
// tail is then seen within about a quarter second of its end, while a
// rate-limited job is still checked only every few seconds.
func nextProgressInterval(last time.Duration, prevPending, pending int64, elapsed time.Duration) time.Duration {
	delivered := prevPending - pending
	if delivered <= 0 {
		return min(last*2, maxProgressInterval)
	}
	eta := time.Duration(float64(elapsed) * float64(pending) / float64(delivered))
	return min(max(eta, firstProgressInterval), maxProgressInterval)
}

func (j *notificationJob) finish(ctx workflow.Context) error {
	status := JobCompleted
	if j.cancelled {
		status = JobCancelled
		if err := workflow.ExecuteActivity(ctx, j.acts.CancelPending, j.in.JobID).Get(ctx, nil); err != nil {
			return fmt.Errorf("cancel pending items: %w", err)
		}
	}
	err := workflow.ExecuteActivity(ctx, j.acts.FinishJob, j.in.JobID, status).Get(ctx, &j.state.Progress)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return err
	}
	if err != nil {
		return fmt.Errorf("finish job: %w", err)
	}
	j.state.Status = status
	return j.upsertStatus(ctx)
}

func (j *notificationJob) setStatus(ctx workflow.Context, status string) error {
	if err := workflow.ExecuteActivity(ctx, j.acts.SetJobStatus, j.in.JobID, status).Get(ctx, nil); err != nil {
		return fmt.Errorf("set job status: %w", err)
	}
	j.state.Status = status
	return j.upsertStatus(ctx)
}

func (j *notificationJob) upsertStatus(ctx workflow.Context) error {
	j.state.Phase = j.in.Phase
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchStatus.ValueSet(j.state.Status)); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes", "error", err)
	}
	return nil
}
