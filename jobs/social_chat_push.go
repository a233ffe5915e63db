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

// chatPushPeriod is the window of messages one push sums up.
const chatPushPeriod = time.Minute

// ChatPushArgs tells the members of a group who do not watch its chat
// about the messages of one minute: SendMessage enqueues it in its
// transaction, and River keeps one per group per minute (the first send's).
type ChatPushArgs struct {
	GroupID uuid.UUID `json:"group_id" river:"unique"`
	// FromSeq is the first message of the window; Before its end, when
	// the job runs.
	FromSeq int64     `json:"from_seq"`
	Before  time.Time `json:"before"`
}

// NewChatPushArgs is the push of the window holding a message sent at
// sentAt with seq.
func NewChatPushArgs(groupID uuid.UUID, seq int64, sentAt time.Time) ChatPushArgs {
	return ChatPushArgs{GroupID: groupID, FromSeq: seq, Before: sentAt.Truncate(chatPushPeriod).Add(chatPushPeriod)}
}

// Kind names the job in River.
func (ChatPushArgs) Kind() string { return "social.chat_push" }

// InsertOpts coalesce a group's pushes per minute.
func (ChatPushArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: chatPushPeriod}}
}

// ChatPushWorker works ChatPushArgs: one notice per member without a live
// stream on the group ("3 new messages in <group>"), keyed by the window,
// so a retried job sends nothing twice.
type ChatPushWorker struct {
	river.WorkerDefaults[ChatPushArgs]
	DB      *db.DB
	Notices *Notices
	Now     func() time.Time
}

// Work sends the window's notices.
func (w *ChatPushWorker) Work(ctx context.Context, job *river.Job[ChatPushArgs]) error {
	a := job.Args
	return w.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		g, err := db.GroupByID(ctx, tx, a.GroupID)
		if errors.Is(err, db.ErrNotFound) {
			return nil // deleted since
		}
		if err != nil {
			return err
		}
		counts, err := db.ChatPushCounts(ctx, tx, g.ID, a.FromSeq, a.Before, w.Now())
		if err != nil {
			return err
		}
		for _, c := range counts {
			if err := w.Notices.Send(ctx, tx, Notice{Key: fmt.Sprintf("chat/%s/%d/%s", g.ID, a.FromSeq, c.UserID), To: c.UserID,
				Category: db.CategoryEventUpdates, Title: g.Name, Body: chatPushBody(c.Count, g.Name),
				ReferenceType: "group", ReferenceID: g.ID.String()}); err != nil {
				return fmt.Errorf("chat push of group %s: %w", g.ID, err)
			}
		}
		return nil
	})
}

func chatPushBody(n int, group string) string {
	if n == 1 {
		return "1 new message in " + group
	}
	return fmt.Sprintf("%d new messages in %s", n, group)
}
