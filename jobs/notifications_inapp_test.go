package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/jobs"
)

// TestDeliverInAppBatch_WholePageOnceWithPreferences delivers a page of
// 1,500 in-app items in one job: every recipient gets exactly one rendered
// inbox row, the one who opted out gets none and their item is skipped,
// and running the same job again (a River retry) writes nothing more.
func TestDeliverInAppBatch_WholePageOnceWithPreferences(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	const n = 1500
	owner, _, err := db.CreateUserWithPhone(ctx, d, "+14155550160")
	require.NoError(t, err)
	var users []uuid.UUID
	require.NoError(t, d.NewRaw(`INSERT INTO users (id, phone) SELECT gen_random_uuid(), '+1' || (3100000000 + g)::text
		FROM generate_series(1, ?) AS g RETURNING id`, n).Scan(ctx, &users))
	optedOut := users[7]
	require.NoError(t, db.UpsertPreferences(ctx, d, []db.Preference{{UserID: optedOut, Category: "announcements", Channel: enums.ChannelInApp, Enabled: false}}))

	nj := &db.NotificationJob{ID: db.NewID(), CreatedBy: owner.ID, Criteria: db.Criteria{}, Channels: []string{enums.ChannelInApp},
		Category: "announcements", TitleTemplate: "Hello {{name}}", BodyTemplate: "Doors open at {{time}}",
		Variables: map[string]string{"time": "7pm"}, ScheduledAt: time.Now(), Status: enums.JobRunning}
	require.NoError(t, db.InsertNotificationJob(ctx, d, nj))
	var items []uuid.UUID
	require.NoError(t, d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		created, err := db.InsertItems(ctx, tx, nj.ID, users, nj.Channels)
		for _, it := range created {
			items = append(items, it.ID)
		}
		return err
	}))
	require.Len(t, items, n)

	w := &jobs.DeliverInAppBatchWorker{DB: d, Now: time.Now}
	job := &river.Job[jobs.DeliverInAppBatchArgs]{Args: jobs.DeliverInAppBatchArgs{JobID: nj.ID, ItemIDs: items}}
	require.NoError(t, w.Work(ctx, job))
	require.NoError(t, w.Work(ctx, job), "a retried page is harmless")

	var rows, recipients int64
	require.NoError(t, d.NewRaw(`SELECT count(*), count(DISTINCT recipient_user_id) FROM notifications WHERE reference_id = ?`,
		nj.ID.String()).Scan(ctx, &rows, &recipients))
	assert.EqualValues(t, n-1, rows, "one inbox row per recipient who did not opt out")
	assert.Equal(t, rows, recipients, "nobody twice")
	p, err := db.NotificationJobProgress(ctx, d, nj.ID)
	require.NoError(t, err)
	assert.Equal(t, db.JobProgress{Resolved: n, Sent: n - 1, Skipped: 1}, p)

	inbox, err := db.NotificationsOf(ctx, d, users[0])
	require.NoError(t, err)
	require.Len(t, inbox, 1)
	assert.Equal(t, "Hello ", inbox[0].Title)
	assert.Equal(t, "Doors open at 7pm", inbox[0].Message)
	assert.Equal(t, &owner.ID, inbox[0].SenderUserID)
	assert.Empty(t, mustNotes(t, d, optedOut), "the opted-out recipient gets nothing")
}

func mustNotes(t *testing.T, d *db.DB, user uuid.UUID) []db.Notification {
	t.Helper()
	notes, err := db.NotificationsOf(context.Background(), d, user)
	require.NoError(t, err)
	return notes
}
