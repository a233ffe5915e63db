package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
)

// ratingPromptWindow is how long after an event's end its attendees are
// still prompted: a run that was down for a while catches up, and an
// event that ended long ago is left alone.
const ratingPromptWindow = 48 * time.Hour

// ratingPromptEventsPerRun bounds the events one run prompts for; the
// next run takes the rest (the notice key makes a repeat send nothing).
const ratingPromptEventsPerRun = 200

// RatingPromptArgs prompts the attendees of every event that ended in the
// last ratingPromptWindow to rate the people they met.
//
// A periodic sweep rather than a job scheduled per attendee at the end:
// an event's end can move (UpdateEvent) after its tickets are issued, and
// the sweep reads the end as it is. Each attendee's notice is keyed
// rating-prompt/<event>/<user>, so every run after the first sends
// nothing again.
type RatingPromptArgs struct{}

// Kind names the job in River.
func (RatingPromptArgs) Kind() string { return "social.rating_prompt" }

// PeriodicRatingPrompt runs the sweep every 5 minutes: a prompt arrives
// at most that long after the event's end.
func PeriodicRatingPrompt() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(5*time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return RatingPromptArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// RatingPromptWorker sends the rating prompts.
type RatingPromptWorker struct {
	river.WorkerDefaults[RatingPromptArgs]
	DB *db.DB
	// Notices sends each prompt in its own transaction.
	Notices *Notices
	Now     func() time.Time
}

// Work prompts the attendees of each event that just ended.
func (w *RatingPromptWorker) Work(ctx context.Context, _ *river.Job[RatingPromptArgs]) error {
	now := w.Now()
	events, err := db.EventsToPrompt(ctx, w.DB, now.Add(-ratingPromptWindow), now, ratingPromptEventsPerRun)
	if err != nil {
		return err
	}
	var errs []error
	for i := range events {
		if err := w.prompt(ctx, &events[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// prompt sends the prompt to each attendee of ev not prompted yet, in
// one transaction.
func (w *RatingPromptWorker) prompt(ctx context.Context, ev *db.Event) error {
	err := w.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		attendees, err := db.AttendeesToPrompt(ctx, tx, ev.ID)
		if err != nil {
			return err
		}
		for _, userID := range attendees {
			if err := w.Notices.Send(ctx, tx, Notice{Key: "rating-prompt/" + ev.ID.String() + "/" + userID.String(), To: userID,
				Category: db.CategoryEventUpdates, Title: "Rate the people you met at " + ev.Title,
				Body:           "How was it? Rate the people you met; only co-attendees can rate each other.",
				OrganizationID: ev.OrganizationID, ReferenceType: "event", ReferenceID: ev.ID.String()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rating prompts of event %s: %w", ev.ID, err)
	}
	return nil
}
