package api_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/jobs"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
	"github.com/convene/convene/workflows"
)

// safetyWorld is a published event with two groups that overlap: the
// sender and "both" are in each, m1 and m2 only in the first, m3 only in
// the second. The host hosts the event; the outsider is in neither group.
type safetyWorld struct {
	a                  *testenv.API
	host, outsider     testenv.Session
	sender, both       testenv.Session
	m1, m2, m3         testenv.Session
	eventID            string
	groupOne, groupTwo string
}

func newSafetyWorld(t *testing.T) *safetyWorld {
	t.Helper()
	a := setup(t)
	w := &safetyWorld{a: a}
	for _, s := range []*testenv.Session{&w.host, &w.outsider, &w.sender, &w.both, &w.m1, &w.m2, &w.m3} {
		*s = a.NewUser(t, newPhone())
	}
	w.eventID = publishEvent(t, a, w.host, eventInput(a)).GetId()
	w.groupOne = w.group(t, "Front row", w.sender, w.both, w.m1, w.m2)
	w.groupTwo = w.group(t, "Afterparty", w.sender, w.both, w.m3)
	return w
}

// group creates a group of the event with members (the first its admin)
// straight in the database: the group API is not under test here.
func (w *safetyWorld) group(t *testing.T, name string, members ...testenv.Session) string {
	t.Helper()
	g := &db.Group{ID: db.NewID(), EventID: mustUUID(w.eventID), Name: name, MaxMembers: 30}
	require.NoError(t, w.a.DB.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
			return err
		}
		for i, m := range members {
			if err := db.AddGroupMember(ctx, tx, g.ID, mustUUID(m.UserID), i == 0); err != nil {
				return err
			}
		}
		return nil
	}))
	return g.ID.String()
}

// join adds a member to a group.
func (w *safetyWorld) join(t *testing.T, groupID string, s testenv.Session) {
	t.Helper()
	require.NoError(t, w.a.DB.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		return db.AddGroupMember(ctx, tx, mustUUID(groupID), mustUUID(s.UserID), false)
	}))
}

func (w *safetyWorld) trigger(as testenv.Session, requestID string, groupIDs ...string) (*socialv1.Alert, error) {
	resp, err := w.a.Safety.TriggerAlert(context.Background(), testenv.As(as, &socialv1.TriggerAlertRequest{GroupIds: groupIDs,
		AlertType: socialv1.AlertType_ALERT_TYPE_HARASSMENT, Message: "Someone is following me near the bar",
		Latitude: proto.Float64(12.9716), Longitude: proto.Float64(77.5946), ClientRequestId: requestID}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetAlert(), nil
}

func (w *safetyWorld) resolve(as testenv.Session, alertID string, outcome socialv1.AlertOutcome) (*socialv1.Alert, error) {
	resp, err := w.a.Safety.ResolveAlert(context.Background(), testenv.As(as, &socialv1.ResolveAlertRequest{AlertId: alertID,
		Outcome: outcome, Note: "all good"}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetAlert(), nil
}

func (w *safetyWorld) getAlert(t *testing.T, as testenv.Session, alertID string) *socialv1.Alert {
	t.Helper()
	resp, err := w.a.Safety.GetAlert(context.Background(), testenv.As(as, &socialv1.GetAlertRequest{AlertId: alertID}))
	require.NoError(t, err)
	return resp.Msg.GetAlert()
}

// safetyInbox lists s's inbox rows of category safety.
func safetyInbox(t *testing.T, a *testenv.API, s testenv.Session) []db.Notification {
	t.Helper()
	rows, err := db.NotificationsOf(context.Background(), a.DB, mustUUID(s.UserID))
	require.NoError(t, err)
	var out []db.Notification
	for _, n := range rows {
		if n.Type == db.CategorySafety {
			out = append(out, n)
		}
	}
	return out
}

// riverJobs counts the River jobs matching where.
func riverJobs(t *testing.T, a *testenv.API, where string, args ...any) int64 {
	t.Helper()
	n, err := a.DB.NewSelect().TableExpr("river_job").Where(where, args...).Count(context.Background())
	require.NoError(t, err)
	return n
}

// TestSafetyAlert_OverlappingGroupsTellEachMemberOnce raises an alert to
// two overlapping groups and stops the API the moment it answers: every
// member but the sender still gets exactly one inbox notice, the one in
// quiet hours gets the push now, the one who opted out of safety gets it
// anyway, and the pushes ride the safety queue.
func TestSafetyAlert_OverlappingGroupsTellEachMemberOnce(t *testing.T) {
	w := newSafetyWorld(t)
	ctx := context.Background()
	quietDevice, _ := reachable(t, w.a, w.m1)
	now := time.Now().UTC()
	start, end := now.Add(-time.Hour).Format("15:04"), now.Add(2*time.Hour).Format("15:04")
	require.NoError(t, db.SaveSettings(ctx, w.a.DB, &db.NotificationSettings{UserID: mustUUID(w.m1.UserID), QuietStart: &start,
		QuietEnd: &end, Timezone: "UTC"}))
	optedOut := mustUUID(w.m2.UserID)
	require.NoError(t, db.UpsertPreferences(ctx, w.a.DB, []db.Preference{
		{UserID: optedOut, Category: db.CategorySafety, Channel: enums.ChannelInApp, Enabled: false},
		{UserID: optedOut, Category: db.CategorySafety, Channel: enums.ChannelPush, Enabled: false}}))

	alert, err := w.trigger(w.sender, "req-1", w.groupOne, w.groupTwo)
	require.NoError(t, err)
	w.a.Server.Close() // the API process dies right after answering; the worker goes on

	assert.Equal(t, workflows.SafetyAlertBatchID(w.sender.UserID, "req-1"), alert.GetId())
	assert.ElementsMatch(t, []string{w.groupOne, w.groupTwo}, alert.GetGroupIds())
	assert.Equal(t, []string{w.eventID}, alert.GetEventIds())
	told := []testenv.Session{w.both, w.m1, w.m2, w.m3}
	testenv.Eventually(t, 30*time.Second, func() bool {
		for _, s := range told {
			if len(safetyInbox(t, w.a, s)) == 0 {
				return false
			}
		}
		return len(w.a.Push.SentTo(quietDevice)) == 1
	}, "not every member was told, or the quiet member's push was held")
	for _, s := range told {
		assert.Len(t, safetyInbox(t, w.a, s), 1, "member %s is told once", s.UserID)
	}
	assert.Empty(t, safetyInbox(t, w.a, w.sender), "the sender is not told of their own alert")
	assert.Empty(t, safetyInbox(t, w.a, w.outsider))
	assert.Equal(t, enums.ItemSent, noticeItems(t, w.a, db.SafetyNoticePrefix(mustUUID(alert.GetId()))+w.m2.UserID)[enums.ChannelInApp].Status,
		"an opt-out does not hold a safety notice")
	assert.Positive(t, riverJobs(t, w.a, "queue = ? AND kind = ?", jobs.SafetyQueue, jobs.DeliverNotificationArgs{}.Kind()),
		"safety deliveries ride their own queue")
	assert.Zero(t, riverJobs(t, w.a, "queue = ? AND args->>'item_id' IN (SELECT id::text FROM notification_job_items WHERE user_id = ?)",
		jobs.NotificationsQueue, mustUUID(w.m1.UserID)), "none on the notifications queue")
	testenv.Eventually(t, 10*time.Second, func() bool {
		b, err := db.AlertBatchByID(ctx, w.a.DB, mustUUID(alert.GetId()))
		return err == nil && b.NotifiedCount == int32(len(told))
	}, "the alert does not count %d members told", len(told))
}

// TestSafetyAlert_RetriedTriggerAnswersTheSameAlert sends the same
// request twice: one batch, one row per group, the same ID.
func TestSafetyAlert_RetriedTriggerAnswersTheSameAlert(t *testing.T) {
	w := newSafetyWorld(t)
	first, err := w.trigger(w.sender, "retry-me", w.groupOne, w.groupTwo)
	require.NoError(t, err)
	second, err := w.trigger(w.sender, "retry-me", w.groupOne, w.groupTwo)
	require.NoError(t, err)
	assert.Equal(t, first.GetId(), second.GetId())
	assert.EqualValues(t, 1, countRows(t, w.a, (*db.SafetyAlertBatch)(nil), "sender_id = ?", mustUUID(w.sender.UserID)))
	assert.EqualValues(t, 2, countRows(t, w.a, (*db.SafetyAlert)(nil), "batch_id = ?", mustUUID(first.GetId())))
	assert.EqualValues(t, 1, countRows(t, w.a, (*db.AuditLog)(nil), "object_type = 'safety_alert' AND object_id = ? AND action = ?",
		first.GetId(), "safety_alert.trigger"))
	assert.Equal(t, socialv1.AlertStatus_ALERT_STATUS_OPEN, first.GetStatus())
}

// TestSafetyAlert_RefusedTriggerRecordsNothing: a group the caller is not
// in, half a location, no groups.
func TestSafetyAlert_RefusedTriggerRecordsNothing(t *testing.T) {
	w := newSafetyWorld(t)
	ctx := context.Background()
	_, err := w.trigger(w.m3, "not-mine", w.groupTwo, w.groupOne)
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	assert.Contains(t, err.Error(), w.groupOne)
	_, err = w.trigger(w.outsider, "no-such", uuid.NewString())
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	_, err = w.a.Safety.TriggerAlert(ctx, testenv.As(w.sender, &socialv1.TriggerAlertRequest{GroupIds: []string{w.groupOne},
		AlertType: socialv1.AlertType_ALERT_TYPE_HELP, Latitude: proto.Float64(1), ClientRequestId: "half"}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	assert.Contains(t, err.Error(), "longitude")
	_, err = w.a.Safety.TriggerAlert(ctx, testenv.As(w.sender, &socialv1.TriggerAlertRequest{
		AlertType: socialv1.AlertType_ALERT_TYPE_HELP, ClientRequestId: "none"}))
	testenv.RequireCode(t, err, connect.CodeInvalidArgument)
	assert.Zero(t, countRows(t, w.a, (*db.SafetyAlertBatch)(nil), "true"))
}

// TestSafetyAlert_AcknowledgeAndResolve: only the alert's people answer
// it; the sender may not acknowledge and resolves only "safe"; the status
// shows in GetAlert and ListAlerts, and a resolved alert refuses more.
func TestSafetyAlert_AcknowledgeAndResolve(t *testing.T) {
	w := newSafetyWorld(t)
	ctx := context.Background()
	alert, err := w.trigger(w.sender, "ack", w.groupOne)
	require.NoError(t, err)
	ack := func(as testenv.Session) error {
		_, err := w.a.Safety.AcknowledgeAlert(ctx, testenv.As(as, &socialv1.AcknowledgeAlertRequest{AlertId: alert.GetId()}))
		return err
	}
	testenv.RequireCode(t, ack(w.outsider), connect.CodePermissionDenied)
	testenv.RequireCode(t, ack(w.m3), connect.CodePermissionDenied) // only in the other group
	testenv.RequireCode(t, ack(w.sender), connect.CodePermissionDenied)
	_, err = w.a.Safety.GetAlert(ctx, testenv.As(w.outsider, &socialv1.GetAlertRequest{AlertId: alert.GetId()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	require.NoError(t, ack(w.m1))
	got := w.getAlert(t, w.host, alert.GetId())
	assert.Equal(t, socialv1.AlertStatus_ALERT_STATUS_ACKNOWLEDGED, got.GetStatus())
	assert.Equal(t, w.m1.UserID, got.GetAcknowledgedBy())

	_, err = w.resolve(w.sender, alert.GetId(), socialv1.AlertOutcome_ALERT_OUTCOME_ASSISTED)
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	resolved, err := w.resolve(w.sender, alert.GetId(), socialv1.AlertOutcome_ALERT_OUTCOME_SAFE)
	require.NoError(t, err)
	assert.Equal(t, socialv1.AlertStatus_ALERT_STATUS_RESOLVED, resolved.GetStatus())
	got = w.getAlert(t, w.m2, alert.GetId())
	assert.Equal(t, socialv1.AlertStatus_ALERT_STATUS_RESOLVED, got.GetStatus())
	assert.Equal(t, socialv1.AlertOutcome_ALERT_OUTCOME_SAFE, got.GetOutcome())
	assert.Equal(t, w.sender.UserID, got.GetResolvedBy())
	testenv.RequireCode(t, ack(w.m2), connect.CodeFailedPrecondition)

	list, err := w.a.Safety.ListAlerts(ctx, testenv.As(w.m1, &socialv1.ListAlertsRequest{Status: socialv1.AlertStatus_ALERT_STATUS_RESOLVED}))
	require.NoError(t, err)
	require.Len(t, list.Msg.GetAlerts(), 1)
	assert.Equal(t, alert.GetId(), list.Msg.GetAlerts()[0].GetId())
	list, err = w.a.Safety.ListAlerts(ctx, testenv.As(w.outsider, &socialv1.ListAlertsRequest{}))
	require.NoError(t, err)
	assert.Empty(t, list.Msg.GetAlerts())
	testenv.Eventually(t, 10*time.Second, func() bool { return len(safetyInbox(t, w.a, w.m1)) == 2 },
		"the acknowledger was not told of the resolution")
}

// TestSafetyAlert_ConcurrentResolvesRecordOne: 20 members resolve at once;
// one succeeds, the others are told the alert is resolved.
func TestSafetyAlert_ConcurrentResolvesRecordOne(t *testing.T) {
	w := newSafetyWorld(t)
	resolvers := make([]testenv.Session, 20)
	for i := range resolvers {
		resolvers[i] = w.a.NewUser(t, newPhone())
		w.join(t, w.groupOne, resolvers[i])
	}
	alert, err := w.trigger(w.sender, "race", w.groupOne)
	require.NoError(t, err)
	errs := make([]error, len(resolvers))
	var wg sync.WaitGroup
	for i, s := range resolvers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = w.resolve(s, alert.GetId(), socialv1.AlertOutcome_ALERT_OUTCOME_ASSISTED)
		}()
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case connect.CodeOf(err) == connect.CodeFailedPrecondition:
			refused++
		}
	}
	assert.Equal(t, 1, ok, "errors: %v", errs)
	assert.Equal(t, len(resolvers)-1, refused, "errors: %v", errs)
	assert.EqualValues(t, 1, countRows(t, w.a, (*db.AuditLog)(nil), "object_type = 'safety_alert' AND object_id = ? AND action = ?",
		alert.GetId(), "safety_alert.resolve"))
	assert.Equal(t, socialv1.AlertStatus_ALERT_STATUS_RESOLVED, w.getAlert(t, w.sender, alert.GetId()).GetStatus())
}

// TestSafetyActivities_EscalationsTellEachOnce runs the escalation
// activities as the run does, each twice (a retry): the host is told
// once, each staff round once per staff member, and a sender outside a
// group is refused for good.
func TestSafetyActivities_EscalationsTellEachOnce(t *testing.T) {
	w := newSafetyWorld(t)
	ctx := context.Background()
	staff := w.a.NewUser(t, newPhone())
	_, err := w.a.DB.ExecContext(ctx, `UPDATE users SET is_staff = true WHERE id = ?`, mustUUID(staff.UserID))
	require.NoError(t, err)
	rc, err := river.NewClient(w.a.DB.RiverDriver(), &river.Config{})
	require.NoError(t, err)
	act := &activities.Safety{DB: w.a.DB, Notices: &jobs.Notices{River: rc}, Now: time.Now}
	in := activities.RecordAlertInput{BatchID: uuid.NewString(), SenderID: w.sender.UserID, ClientRequestID: "direct",
		GroupIDs: []string{w.groupOne}, AlertType: enums.AlertTypeMedical, Message: "fainted"}

	first, err := act.RecordAlert(ctx, in)
	require.NoError(t, err)
	again, err := act.RecordAlert(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, first, again, "a retried record answers the first")
	assert.Equal(t, []string{w.eventID}, first.EventIDs)
	for range 2 {
		require.NoError(t, act.EscalateAlertToHosts(ctx, in.BatchID))
		require.NoError(t, act.EscalateAlertToStaff(ctx, in.BatchID, 1))
	}
	require.NoError(t, act.EscalateAlertToStaff(ctx, in.BatchID, 2))
	assert.Len(t, safetyInbox(t, w.a, w.host), 1)
	assert.Len(t, safetyInbox(t, w.a, staff), 2, "one notice per staff round")
	b, err := db.AlertBatchByID(ctx, w.a.DB, mustUUID(in.BatchID))
	require.NoError(t, err)
	assert.Equal(t, enums.AlertEscalatedStaff, b.Status)

	outside := in
	outside.BatchID, outside.SenderID, outside.ClientRequestID = uuid.NewString(), w.m3.UserID, "outside"
	_, err = act.RecordAlert(ctx, outside)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.True(t, appErr.NonRetryable())
	assert.Equal(t, workflows.ErrTypeNotAllowed, appErr.Type())
	assert.Zero(t, countRows(t, w.a, (*db.SafetyAlertBatch)(nil), "id = ?", mustUUID(outside.BatchID)), "a refusal records nothing")
}
