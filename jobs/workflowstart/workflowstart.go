// Package workflowstart holds the River jobs that start workflows: the
// committed intent of a handler that writes rows and then starts a
// workflow. It is apart from package jobs because workflows imports
// activities, which imports jobs.
//
// The handler inserts one of these jobs in the same transaction as its
// rows, then starts the workflow directly after commit; if the process
// dies in between, the job starts it. Both go through the workflow's Start
// function in workflows/, which uses the fixed business ID and treats an
// existing run as started, so the second start is a no-op.
package workflowstart

import (
	"context"

	"github.com/riverqueue/river"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/workflows"
)

// Args is a start job's arguments: what River stores, and the start.
type Args interface {
	river.JobArgs
	start(ctx context.Context, c client.Client, taskQueue string) error
}

// Worker works the start jobs of one kind.
type Worker[T Args] struct {
	river.WorkerDefaults[T]
	Temporal  client.Client
	TaskQueue string
}

// Work starts the workflow, or finds it already started.
func (w *Worker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	return job.Args.start(ctx, w.Temporal, w.TaskQueue)
}

// AddWorkers registers a worker for every start job.
func AddWorkers(workers *river.Workers, c client.Client, taskQueue string) {
	river.AddWorker(workers, &Worker[EventCancellationArgs]{Temporal: c, TaskQueue: taskQueue})
	river.AddWorker(workers, &Worker[NotificationJobArgs]{Temporal: c, TaskQueue: taskQueue})
	river.AddWorker(workers, &Worker[TicketOrderArgs]{Temporal: c, TaskQueue: taskQueue})
	river.AddWorker(workers, &Worker[ContentPublishArgs]{Temporal: c, TaskQueue: taskQueue})
	river.AddWorker(workers, &Worker[ContentApprovalArgs]{Temporal: c, TaskQueue: taskQueue})
	river.AddWorker(workers, &Worker[TeamChallengeArgs]{Temporal: c, TaskQueue: taskQueue})
}

// startInsertOpts retries a start for about a day (Temporal being down),
// and keeps one job per workflow while one is waiting.
func startInsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// EventCancellationArgs starts an event's cancellation workflow.
type EventCancellationArgs struct {
	Start workflows.EventCancellationStart `json:"start"`
}

// Kind is the job's stable name in river_job.
func (EventCancellationArgs) Kind() string { return "workflows.start_event_cancellation" }

// InsertOpts retries the start until Temporal takes it.
func (EventCancellationArgs) InsertOpts() river.InsertOpts { return startInsertOpts() }

func (a EventCancellationArgs) start(ctx context.Context, c client.Client, taskQueue string) error {
	return workflows.StartEventCancellation(ctx, c, taskQueue, a.Start)
}

// NotificationJobArgs starts a notification job's workflow.
type NotificationJobArgs struct {
	Start workflows.NotificationJobStart `json:"start"`
}

// Kind is the job's stable name in river_job.
func (NotificationJobArgs) Kind() string { return "workflows.start_notification_job" }

// InsertOpts retries the start until Temporal takes it.
func (NotificationJobArgs) InsertOpts() river.InsertOpts { return startInsertOpts() }

func (a NotificationJobArgs) start(ctx context.Context, c client.Client, taskQueue string) error {
	return workflows.StartNotificationJob(ctx, c, taskQueue, a.Start)
}

// TicketOrderArgs starts a ticket order whose invite use was committed.
type TicketOrderArgs struct {
	Start workflows.TicketOrderStart `json:"start"`
}

// Kind is the job's stable name in river_job.
func (TicketOrderArgs) Kind() string { return "workflows.start_ticket_order" }

// InsertOpts retries the start until Temporal takes it.
func (TicketOrderArgs) InsertOpts() river.InsertOpts { return startInsertOpts() }

func (a TicketOrderArgs) start(ctx context.Context, c client.Client, taskQueue string) error {
	return workflows.StartTicketOrder(ctx, c, taskQueue, a.Start)
}

// ContentApprovalArgs starts the approval run of a submitted content version.
type ContentApprovalArgs struct {
	Input workflows.ContentApprovalInput `json:"input"`
}

// Kind is the job's stable name in river_job.
func (ContentApprovalArgs) Kind() string { return "workflows.start_content_approval" }

// InsertOpts retries the start until Temporal takes it.
func (ContentApprovalArgs) InsertOpts() river.InsertOpts { return startInsertOpts() }

func (a ContentApprovalArgs) start(ctx context.Context, c client.Client, taskQueue string) error {
	return workflows.StartContentApproval(ctx, c, taskQueue, a.Input)
}

// TeamChallengeArgs starts the run of a created challenge.
type TeamChallengeArgs struct {
	Input workflows.TeamChallengeInput `json:"input"`
}

// Kind is the job's stable name in river_job.
func (TeamChallengeArgs) Kind() string { return "workflows.start_team_challenge" }

// InsertOpts retries the start until Temporal takes it.
func (TeamChallengeArgs) InsertOpts() river.InsertOpts { return startInsertOpts() }

func (a TeamChallengeArgs) start(ctx context.Context, c client.Client, taskQueue string) error {
	return workflows.StartTeamChallenge(ctx, c, taskQueue, a.Input)
}
