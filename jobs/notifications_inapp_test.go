package jobs_test

import (
	"bytes"
	"context"
	"slices"
	"sync"
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

// inAppPage is a job with n in-app recipients, each with a pending item,
// the recipients in id order, and the one among them who opted out.
type inAppPage struct {
	d        *db.DB
	owner    uuid.UUID
	job      *db.NotificationJob
	users    []uuid.UUID
	items    []uuid.UUID
	optedOut uuid.UUID
}

func newInAppPage(t *testing.T, n int) inAppPage {
	t.Helper()
	ctx := context.Background()
	d := testenv.NewDB(t)
	owner, _, err := db.CreateUserWithPhone(ctx, d, "+14155550160")
	require.NoError(t, err)
	var users []uuid.UUID
	require.NoError(t, d.NewRaw(`INSERT INTO users (id, phone) SELECT gen_random_uuid(), '+1' || (3100000000 + g)::text
		FROM generate_series(1, ?) AS g RETURNING id`, n).Scan(ctx, &users))
	users = sortedIDs(users)
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
	return inAppPage{d: d, owner: owner.ID, job: nj, users: users, items: items, optedOut: optedOut}
}

// sortedIDs sorts ids as Postgres orders uuids (bytewise).
func sortedIDs(ids []uuid.UUID) []uuid.UUID {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// TestDeliverInApp_WholePageOnceWithPreferences delivers a page of 1,500
// in-app items in one job, as a page named by its recipients and as a
// legacy list of item IDs: every recipient gets exactly one rendered inbox
// row, the one who opted out gets none and their item is skipped, and
// running the same job again (a River retry) writes nothing more.
func TestDeliverInApp_WholePageOnceWithPreferences(t *testing.T) {
	t.Parallel()
	const n = 1500
	for name, work := range map[string]func(p inAppPage) error{
		"page of recipients": func(p inAppPage) error {
			w := &jobs.DeliverInAppPageWorker{DB: p.d}
			return w.Work(context.Background(), &river.Job[jobs.DeliverInAppPageArgs]{Args: jobs.DeliverInAppPageArgs{
				JobID: p.job.ID, FirstUserID: p.users[0], LastUserID: p.users[n-1]}})
		},
		"listed items": func(p inAppPage) error {
			w := &jobs.DeliverInAppBatchWorker{DB: p.d, Now: time.Now}
			return w.Work(context.Background(), &river.Job[jobs.DeliverInAppBatchArgs]{Args: jobs.DeliverInAppBatchArgs{
				JobID: p.job.ID, ItemIDs: p.items}})
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			p := newInAppPage(t, n)
			require.NoError(t, work(p))
			require.NoError(t, work(p), "a retried page is harmless")

			rows, recipients := inboxCount(t, p)
			assert.EqualValues(t, n-1, rows, "one inbox row per recipient who did not opt out")
			assert.Equal(t, rows, recipients, "nobody twice")
			progress, err := db.NotificationJobProgress(ctx, p.d, p.job.ID)
			require.NoError(t, err)
			assert.Equal(t, db.JobProgress{Resolved: n, Sent: n - 1, Skipped: 1}, progress)

			inbox, err := db.NotificationsOf(ctx, p.d, p.users[0])
			require.NoError(t, err)
			require.Len(t, inbox, 1)
			assert.Equal(t, "Hello ", inbox[0].Title)
			assert.Equal(t, "Doors open at 7pm", inbox[0].Message)
			assert.Equal(t, &p.owner, inbox[0].SenderUserID)
			assert.Empty(t, mustNotes(t, p.d, p.optedOut), "the opted-out recipient gets nothing")
		})
	}
}

// TestDeliverInAppPage_OnlyItsRecipientsAndOnceUnderConcurrency delivers
// the middle third of a job's recipients from four concurrent runs of the
// same page job (as a rescued job overlapping its first run would): each
// of them gets one inbox row, the recipients outside the page none.
func TestDeliverInAppPage_OnlyItsRecipientsAndOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := newInAppPage(t, 30)
	first, last := p.users[10], p.users[19]
	w := &jobs.DeliverInAppPageWorker{DB: p.d}
	job := &river.Job[jobs.DeliverInAppPageArgs]{Args: jobs.DeliverInAppPageArgs{JobID: p.job.ID, FirstUserID: first, LastUserID: last}}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = w.Work(ctx, job) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}

	rows, recipients := inboxCount(t, p)
	assert.EqualValues(t, 10, rows, "one row per recipient of the page")
	assert.Equal(t, rows, recipients, "nobody twice")
	assert.Len(t, mustNotes(t, p.d, first), 1, "the first recipient is in the page")
	assert.Len(t, mustNotes(t, p.d, last), 1, "the last recipient is in the page")
	assert.Empty(t, mustNotes(t, p.d, p.users[9]), "before the page")
	assert.Empty(t, mustNotes(t, p.d, p.users[20]), "after the page")
	progress, err := db.NotificationJobProgress(ctx, p.d, p.job.ID)
	require.NoError(t, err)
	assert.Equal(t, db.JobProgress{Resolved: 30, Sent: 10, Pending: 20}, progress)
}

func inboxCount(t *testing.T, p inAppPage) (rows, recipients int64) {
	t.Helper()
	require.NoError(t, p.d.NewRaw(`SELECT count(*), count(DISTINCT recipient_user_id) FROM notifications WHERE reference_id = ?`,
		p.job.ID.String()).Scan(context.Background(), &rows, &recipients))
	return rows, recipients
}

func mustNotes(t *testing.T, d *db.DB, user uuid.UUID) []db.Notification {
	t.Helper()
	notes, err := db.NotificationsOf(context.Background(), d, user)
	require.NoError(t, err)
	return notes
}
