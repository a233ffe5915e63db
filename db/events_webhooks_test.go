package db_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
)

// TestClaimWebhookEvent_ProcessesEachEventUntilFinishedOnce walks one event
// through the deliveries a provider makes: a repeat while the first is
// processing waits, a repeat after a failure processes again, a repeat
// after success changes nothing.
func TestClaimWebhookEvent_ProcessesEachEventUntilFinishedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	ev := &db.WebhookEvent{Provider: "sandbox", EventID: "evt_1", EventType: "payment.succeeded", Payload: json.RawMessage(`{"id":"evt_1"}`)}
	claim := func() db.WebhookClaim {
		c, err := db.ClaimWebhookEvent(ctx, d, ev, time.Minute)
		require.NoError(t, err)
		return c
	}

	require.Equal(t, db.WebhookClaimed, claim(), "first delivery")
	require.Equal(t, db.WebhookInProgress, claim(), "a repeat while the first holds the lease")
	require.NoError(t, db.ReleaseWebhookEvent(ctx, d, "sandbox", "evt_1"))
	require.Equal(t, db.WebhookClaimed, claim(), "a repeat after a failed attempt")
	require.NoError(t, db.FinishWebhookEvent(ctx, d, "sandbox", "evt_1", "signalled"))
	require.Equal(t, db.WebhookAlreadyProcessed, claim(), "a repeat after success")

	stored := new(db.WebhookEvent)
	require.NoError(t, d.NewSelect().Model(stored).Where("event_id = ?", "evt_1").Scan(ctx))
	require.NotNil(t, stored.ProcessedAt)
	require.Nil(t, stored.ClaimedUntil)
	require.Equal(t, "signalled", stored.Outcome)
	require.Equal(t, 2, stored.Attempts)
	require.JSONEq(t, `{"id":"evt_1"}`, string(stored.Payload))
}

func TestClaimWebhookEvent_ExpiredLeaseIsTakenOver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	ev := &db.WebhookEvent{Provider: "sandbox", EventID: "evt_2", EventType: "payment.succeeded", Payload: json.RawMessage(`{}`)}

	c, err := db.ClaimWebhookEvent(ctx, d, ev, time.Millisecond) // a delivery whose process died
	require.NoError(t, err)
	require.Equal(t, db.WebhookClaimed, c)
	time.Sleep(20 * time.Millisecond)
	c, err = db.ClaimWebhookEvent(ctx, d, ev, time.Minute)
	require.NoError(t, err)
	require.Equal(t, db.WebhookClaimed, c, "the next delivery takes over once the lease ended")
}
