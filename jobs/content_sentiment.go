package jobs

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/sentiment"
)

// SentimentArgs asks for a post's comments since the last analysed one to
// be read and analysed, once per metrics slot.
type SentimentArgs struct {
	PublishedPostID uuid.UUID `json:"published_post_id"`
	Slot            time.Time `json:"slot"`
}

// Kind is the job's stable name in river_job.
func (SentimentArgs) Kind() string { return "content.sentiment" }

// InsertOpts make a post's run unique per slot.
func (SentimentArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// SentimentWorker analyses a post's new comments with the offline
// Analyzer and stores one row per comment; a comment stored before is
// skipped, so a retried run adds nothing twice.
type SentimentWorker struct {
	river.WorkerDefaults[SentimentArgs]
	Platform PlatformAccess
}

// Work reads the new comments and stores their analyses.
func (w *SentimentWorker) Work(ctx context.Context, job *river.Job[SentimentArgs]) error {
	post, platform, token, err := w.Platform.open(ctx, job.Args.PublishedPostID)
	if err != nil || post == nil {
		return err
	}
	after, err := db.LastAnalyzedComment(ctx, w.Platform.DB, post.Post.ID)
	if err != nil {
		return err
	}
	comments, err := platform.Comments(ctx, token, *post.Post.PlatformPostID, after)
	if err != nil {
		return platformOutcome(err)
	}
	now := w.Platform.Now()
	rows := make([]db.SentimentAnalysis, len(comments))
	for i, c := range comments {
		r := sentiment.Analyzer{}.Analyze(c.Text)
		rows[i] = db.SentimentAnalysis{ID: db.NewID(), OrganizationID: post.Post.OrganizationID, PublishedPostID: &post.Post.ID,
			EventID: post.EventID, Platform: post.Post.Platform, PlatformCommentID: c.ID, TextContent: c.Text,
			Sentiment: string(r.Label), ScoreBps: r.ScoreBps, Entities: toAny(r.Entities.All()),
			Keywords: append([]string{}, r.Keywords...), CommentedAt: c.At, AnalyzedAt: now}
	}
	_, err = db.InsertSentiments(ctx, w.Platform.DB, rows)
	return err
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
