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

// EventCancellationWorker works EventCancellationArgs.
type EventCancellationWorker struct {
	river.WorkerDefaults[EventCancellationArgs]
	Temporal  client.Client
	TaskQueue string
}

// Work starts the workflow, or finds it already started.
func (w *EventCancellationWorker) Work(ctx context.Context, job *river.Job[EventCancellationArgs]) error {
	return workflows.StartEventCancellation(ctx, w.Temporal, w.TaskQueue, job.Args.Start)
}

// NotificationJobArgs starts a notification job's workflow.
type NotificationJobArgs struct {
	Start workflows.NotificationJobStart `json:"start"`
}

// Kind is the job's stable name in river_job.
func (NotificationJobArgs) Kind() string { return "workflows.start_notification_job" }

// InsertOpts retries the start until Temporal takes it.
func (NotificationJobArgs) InsertOpts() river.InsertOpts { return startInsertOpts() }

// NotificationJobWorker works NotificationJobArgs.
type NotificationJobWorker struct {
	river.WorkerDefaults[NotificationJobArgs]
	Temporal  client.Client
	TaskQueue string
}

// Work starts the workflow, or finds it already started.
func (w *NotificationJobWorker) Work(ctx context.Context, job *river.Job[NotificationJobArgs]) error {
	return workflows.StartNotificationJob(ctx, w.Temporal, w.TaskQueue, job.Args.Start)
}

// TicketOrderArgs starts a ticket order whose invite use was committed.
type TicketOrderArgs struct {
	Start workflows.TicketOrderStart `json:"start"`
}

// Kind is the job's stable name in river_job.
func (TicketOrderArgs) Kind() string { return "workflows.start_ticket_order" }

// InsertOpts retries the start until Temporal takes it.
func (TicketOrderArgs) InsertOpts() river.InsertOpts { return startInsertOpts() }

// TicketOrderWorker works TicketOrderArgs.
type TicketOrderWorker struct {
	river.WorkerDefaults[TicketOrderArgs]
	Temporal  client.Client
	TaskQueue string
}

// Work starts the workflow, or finds it already started.
func (w *TicketOrderWorker) Work(ctx context.Context, job *river.Job[TicketOrderArgs]) error {
	return workflows.StartTicketOrder(ctx, w.Temporal, w.TaskQueue, job.Args.Start)
}
