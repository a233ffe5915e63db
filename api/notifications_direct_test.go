package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/jobs"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
)

// sendNotice sends n the way an activity does: Notices.Send inside a
// transaction of its own.
func sendNotice(t *testing.T, a *testenv.API, n jobs.Notice) {
	t.Helper()
	rc, err := river.NewClient(a.DB.RiverDriver(), &river.Config{})
	require.NoError(t, err)
	notices := &jobs.Notices{River: rc}
	require.NoError(t, a.DB.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error { return notices.Send(ctx, tx, n) }))
}

// reachable gives s a push device and a verified email, and returns both.
func reachable(t *testing.T, a *testenv.API, s testenv.Session) (device, email string) {
	t.Helper()
	ctx := context.Background()
	device, email = "device-"+s.UserID, "buyer-"+s.UserID+"@example.com"
	_, err := a.Notifications.RegisterDevice(ctx, testenv.As(s, &notificationsv1.RegisterDeviceRequest{Token: device,
		Platform: notificationsv1.DevicePlatform_DEVICE_PLATFORM_ANDROID}))
	require.NoError(t, err)
	_, err = a.DB.ExecContext(ctx, `UPDATE users SET email = ?, email_verified_at = now() WHERE id = ?`, email, mustUUID(s.UserID))
	require.NoError(t, err)
	return device, email
}

// noticeItems lists the items of the notice with key by channel.
func noticeItems(t *testing.T, a *testenv.API, key string) map[string]db.NotificationItem {
	t.Helper()
	items, err := db.NoticeItemsOf(context.Background(), a.DB, key)
	require.NoError(t, err)
	out := map[string]db.NotificationItem{}
	for _, it := range items {
		out[it.Channel] = it
	}
	return out
}

// TestDirectNotice_TicketOrderReachesTheBuyerOncePerChannel runs a free and
// a paid order to the ticket: the buyer gets exactly one inbox row, one
// push and one email about it, and sending the same notice again (what a
// retried activity does) sends nothing more.
func TestDirectNotice_TicketOrderReachesTheBuyerOncePerChannel(t *testing.T) {
	t.Parallel()
	t.Run("free", func(t *testing.T) {
		a := setup(t)
		host, buyer := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
		device, email := reachable(t, a, buyer)
		ev := publishedEvent(t, a, host, eventSpec{capacity: 5})
		joined, err := a.Ticketing.RequestToJoin(context.Background(), testenv.As(buyer, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
		require.NoError(t, err)
		requestID := joined.Msg.GetRequest().GetId()
		awaitBuyerNotice(t, a, buyer, requestID, device, email)

		hostItems := noticeItems(t, a, "new-attendee/"+requestID)
		assert.Equal(t, enums.ItemSent, hostItems[enums.ChannelInApp].Status, "the host gets the new attendee in the inbox")
		assert.Equal(t, "no email address", hostItems[enums.ChannelEmail].SkipReason)
	})
	t.Run("paid", func(t *testing.T) {
		a := setup(t)
		buyer, _, r := paidOrder(t, a)
		device, email := reachable(t, a, buyer)
		payOnCheckoutPage(t, a, r.GetCheckoutUrl())
		awaitBuyerNotice(t, a, buyer, r.GetId(), device, email)
	})
}

// awaitBuyerNotice waits for the ticket-issued notice of requestID to be
// delivered on every channel, checks each went out once, then sends it
// again with the same key and checks nothing more is written or queued.
func awaitBuyerNotice(t *testing.T, a *testenv.API, buyer testenv.Session, requestID, device, email string) {
	t.Helper()
	key := "ticket-issued/" + requestID
	awaitStatus(t, a, buyer, requestID, eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED)
	testenv.Eventually(t, 20*time.Second, func() bool {
		items := noticeItems(t, a, key)
		return len(items) == 3 && items[enums.ChannelPush].Status == enums.ItemSent && items[enums.ChannelEmail].Status == enums.ItemSent
	}, "the ticket notice was not delivered on push and email: %v", func() any { return noticeItems(t, a, key) })
	require.Len(t, a.Push.SentTo(device), 1)
	require.Len(t, a.Email.SentTo(email), 1)
	assert.Contains(t, a.Push.SentTo(device)[0].Title, "You're going to")
	inbox := countRows(t, a, (*db.Notification)(nil), "recipient_user_id = ? AND type = ?", mustUUID(buyer.UserID), db.CategoryTicketing)
	assert.EqualValues(t, 1, inbox)

	deliveries := countRows(t, a, (*db.NotificationItem)(nil), "TRUE")
	sendNotice(t, a, jobs.Notice{Key: key, To: mustUUID(buyer.UserID), Category: db.CategoryTicketing, Title: "again", Body: "again"})
	assert.Equal(t, deliveries, countRows(t, a, (*db.NotificationItem)(nil), "TRUE"), "a repeated key creates no item")
	assert.EqualValues(t, inbox, countRows(t, a, (*db.Notification)(nil), "recipient_user_id = ? AND type = ?", mustUUID(buyer.UserID), db.CategoryTicketing),
		"nor an inbox row")
	var deliveryJobs int64
	require.NoError(t, a.DB.NewRaw(`SELECT count(*) FROM river_job WHERE kind = 'notifications.deliver' AND args->>'item_id' IN
		(SELECT ni.id::text FROM notification_job_items ni JOIN notification_notices nn ON nn.id = ni.notice_id WHERE nn.dedupe_key = ?)`, key).
		Scan(context.Background(), &deliveryJobs))
	assert.EqualValues(t, 2, deliveryJobs, "one delivery job per channel (push, email), none queued again")
	assert.Len(t, a.Push.SentTo(device), 1)
	assert.Len(t, a.Email.SentTo(email), 1)
}

// TestDirectNotice_UnverifiedChannelsGetTheInboxOnly sends a notice on SMS
// and email to a user whose phone is not verified and who has no email:
// the inbox row is written, the other items are skipped with the reason,
// and no SMS goes out. A muted mutable category skips its channel; a
// stored opt-out of a transactional one is ignored.
func TestDirectNotice_UnverifiedChannelsGetTheInboxOnly(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	user := a.NewUser(t, newPhone())
	userID := mustUUID(user.UserID)
	sendNotice(t, a, jobs.Notice{Key: "test-unverified/" + user.UserID, To: userID, Category: db.CategoryAccount,
		Title: "Welcome", Body: "Your account is ready", Channels: []string{enums.ChannelSMS, enums.ChannelEmail}})

	items := noticeItems(t, a, "test-unverified/"+user.UserID)
	require.Len(t, items, 3)
	assert.Equal(t, enums.ItemSent, items[enums.ChannelInApp].Status)
	assert.Equal(t, enums.ItemSkipped, items[enums.ChannelSMS].Status)
	assert.Equal(t, "phone number not verified", items[enums.ChannelSMS].SkipReason)
	assert.Equal(t, "no email address", items[enums.ChannelEmail].SkipReason)
	inbox, err := db.NotificationsOf(ctx, a.DB, userID)
	require.NoError(t, err)
	require.Len(t, inbox, 1)
	assert.Equal(t, "Welcome", inbox[0].Title)
	assert.Empty(t, a.SMS.Sent(user.Phone), "no SMS to an unverified phone")

	require.NoError(t, db.UpsertPreferences(ctx, a.DB, []db.Preference{
		{UserID: userID, Category: db.CategoryMarketing, Channel: enums.ChannelInApp, Enabled: false},
		{UserID: userID, Category: db.CategorySafety, Channel: enums.ChannelInApp, Enabled: false}}))
	sendNotice(t, a, jobs.Notice{Key: "test-muted/" + user.UserID, To: userID, Category: db.CategoryMarketing, Title: "Sale", Body: "50% off", Channels: []string{}})
	sendNotice(t, a, jobs.Notice{Key: "test-safety/" + user.UserID, To: userID, Category: db.CategorySafety, Title: "Storm", Body: "Stay inside", Channels: []string{}})
	assert.Equal(t, "opted out of marketing on in_app", noticeItems(t, a, "test-muted/"+user.UserID)[enums.ChannelInApp].SkipReason)
	assert.Equal(t, enums.ItemSent, noticeItems(t, a, "test-safety/"+user.UserID)[enums.ChannelInApp].Status)
	inbox, err = db.NotificationsOf(ctx, a.DB, userID)
	require.NoError(t, err)
	assert.Len(t, inbox, 2, "the welcome and the safety alert; not the muted sale")
}

// TestDirectNotice_QuietHoursDelayANonUrgentNotice sends a reminder and a
// ticketing notice during the recipient's quiet hours: the reminder's push
// waits for the window's end, the ticketing one (transactional) goes now.
func TestDirectNotice_QuietHoursDelayANonUrgentNotice(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	user := a.NewUser(t, newPhone())
	device, _ := reachable(t, a, user)
	now := time.Now().UTC()
	start, end := now.Add(-time.Hour).Format("15:04"), now.Add(2*time.Hour).Format("15:04")
	require.NoError(t, db.SaveSettings(ctx, a.DB, &db.NotificationSettings{UserID: mustUUID(user.UserID), QuietStart: &start, QuietEnd: &end, Timezone: "UTC"}))

	sendNotice(t, a, jobs.Notice{Key: "test-reminder/" + user.UserID, To: mustUUID(user.UserID), Category: db.CategoryReminders,
		Title: "Tomorrow", Body: "Rooftop Jazz starts at 7pm", Channels: []string{enums.ChannelPush}})
	sendNotice(t, a, jobs.Notice{Key: "test-ticket/" + user.UserID, To: mustUUID(user.UserID), Category: db.CategoryTicketing,
		Title: "Your ticket", Body: "1 seat confirmed", Channels: []string{enums.ChannelPush}})

	var reminder db.NotificationItem
	testenv.Eventually(t, 20*time.Second, func() bool {
		reminder = noticeItems(t, a, "test-reminder/"+user.UserID)[enums.ChannelPush]
		return reminder.DeliverAfter != nil && noticeItems(t, a, "test-ticket/"+user.UserID)[enums.ChannelPush].Status == enums.ItemSent
	}, "the reminder was not deferred or the ticket notice not sent")
	assert.Equal(t, enums.ItemPending, reminder.Status, "quiet hours defer the reminder instead of dropping it")
	assert.WithinDuration(t, now.Add(2*time.Hour).Truncate(time.Minute), *reminder.DeliverAfter, time.Minute)
	sent := a.Push.SentTo(device)
	require.Len(t, sent, 1, "only the transactional notice went out")
	assert.Equal(t, "Your ticket", sent[0].Title)
}
