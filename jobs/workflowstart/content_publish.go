package workflowstart

import (
	"context"

	"github.com/riverqueue/river"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/workflows"
)

// ContentPublishArgs starts a RetryPublish run of a content version.
type ContentPublishArgs struct {
	Start workflows.ContentPublishStart `json:"start"`
}

// Kind is the job's stable name in river_job.
func (ContentPublishArgs) Kind() string { return "workflows.start_content_publish" }

// InsertOpts retries the start until Temporal takes it.
func (ContentPublishArgs) InsertOpts() river.InsertOpts { return startInsertOpts() }

func (a ContentPublishArgs) start(ctx context.Context, c client.Client, taskQueue string) error {
	return workflows.StartContentPublish(ctx, c, taskQueue, a.Start)
}
