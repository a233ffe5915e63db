package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
)

// SeriesHorizon is how far ahead of now a series' occurrences exist, so
// members can RSVP to the next few weeks.
const SeriesHorizon = 28 * 24 * time.Hour

// seriesPerRun bounds the series one periodic run materializes; the next
// run takes the rest.
const seriesPerRun = 100

// MaterializeSeriesArgs creates the occurrences of activity series up to
// SeriesHorizon: of one series (scheduled) or of every series that is
// behind (periodic, SeriesID nil).
type MaterializeSeriesArgs struct {
	SeriesID *uuid.UUID `json:"series_id,omitempty"`
}

// Kind names the job in River.
func (MaterializeSeriesArgs) Kind() string { return "engagement.materialize_series" }

// PeriodicMaterializeSeries keeps every series SeriesHorizon ahead.
func PeriodicMaterializeSeries() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return MaterializeSeriesArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// MaterializeSeriesWorker creates series occurrences. Each occurrence is
// unique per (series, start), so a repeated or concurrent run creates
// nothing twice.
type MaterializeSeriesWorker struct {
	river.WorkerDefaults[MaterializeSeriesArgs]
	DB  *db.DB
	Now func() time.Time
}

// Work materializes the job's series, or every series that is behind.
func (w *MaterializeSeriesWorker) Work(ctx context.Context, job *river.Job[MaterializeSeriesArgs]) error {
	horizon := w.Now().Add(SeriesHorizon)
	if job.Args.SeriesID != nil {
		_, err := MaterializeSeries(ctx, w.DB, *job.Args.SeriesID, horizon)
		return err
	}
	due, err := db.SeriesDueBefore(ctx, w.DB, horizon, seriesPerRun)
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range due {
		if _, err := MaterializeSeries(ctx, w.DB, s.ID, horizon); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// MaterializeSeries creates, in one transaction, the occurrences of a
// series that start before horizon and do not exist yet, and returns how
// many it created.
func MaterializeSeries(ctx context.Context, d *db.DB, seriesID uuid.UUID, horizon time.Time) (int, error) {
	created := 0
	err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		created = 0
		s, err := db.ActivitySeriesByID(ctx, tx, seriesID)
		if err != nil {
			return err
		}
		a, err := db.ActivityByID(ctx, tx, s.ActivityID)
		if err != nil {
			return err
		}
		starts, err := s.Occurrences(horizon)
		if err != nil {
			return err
		}
		for _, start := range starts {
			ev := db.ActivityOccurrenceEvent(a, s.HostUserID, start, s.DurationMinutes, s.Timezone)
			ok, err := db.InsertOccurrence(ctx, tx, ev, a, &s.ID)
			if err != nil {
				return err
			}
			if ok {
				created++
			}
		}
		return db.SetSeriesMaterialized(ctx, tx, s.ID, horizon)
	})
	if err != nil {
		return 0, fmt.Errorf("materialize series %s: %w", seriesID, err)
	}
	return created, nil
}

// MarkNoShowsArgs marks the no-shows of every activity event that ended.
type MarkNoShowsArgs struct{}

// Kind names the job in River.
func (MarkNoShowsArgs) Kind() string { return "engagement.mark_no_shows" }

// PeriodicMarkNoShows runs MarkNoShows every 15 minutes, so a no-show is
// marked at most that long after the event's end.
func PeriodicMarkNoShows() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(15*time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return MarkNoShowsArgs{}, nil }, nil)
}

// MarkNoShowsWorker marks as no-shows the members who were going to an
// activity event that ended and did not check in. A member already marked
// is not touched again, so runs may repeat.
type MarkNoShowsWorker struct {
	river.WorkerDefaults[MarkNoShowsArgs]
	DB  *db.DB
	Now func() time.Time
}

// Work marks the no-shows.
func (w *MarkNoShowsWorker) Work(ctx context.Context, _ *river.Job[MarkNoShowsArgs]) error {
	_, err := db.MarkNoShows(ctx, w.DB, w.Now())
	return err
}
