package api_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/providers/payment"
	"github.com/convene/convene/internal/testenv"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
)

func storedWebhookEvent(t *testing.T, a *testenv.API, eventID string) *db.WebhookEvent {
	t.Helper()
	e := new(db.WebhookEvent)
	require.NoError(t, a.DB.NewSelect().Model(e).Where("event_id = ?", eventID).Scan(context.Background()))
	return e
}

// A signed event about a checkout Convene did not create is recorded and
// acknowledged, so the provider stops retrying it.
func TestWebhook_UnknownCheckoutIsRecordedAndAcknowledged(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	tests := []struct{ name, orderID string }{
		{"foreign order reference", "shop-order-42"},
		{"uuid that is no join request", db.NewID().String()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkout, err := a.Sandbox.CreateCheckout(ctx, payment.CheckoutInput{OrderID: tc.orderID, Amount: 1000,
				Currency: "INR", Description: "not ours", ExpiresAt: time.Now().Add(time.Hour)})
			require.NoError(t, err)

			event, err := a.Sandbox.Pay(ctx, checkout.ProviderPaymentID)
			require.NoError(t, err, "the webhook is answered 2xx")

			stored := storedWebhookEvent(t, a, event.ID)
			assert.NotNil(t, stored.ProcessedAt, "recorded as processed")
			assert.Equal(t, "unknown_payment", stored.Outcome)
			require.NoError(t, a.Sandbox.DeliverWebhook(ctx, event.ID), "a repeat is acknowledged too")
			assert.EqualValues(t, 0, countRows(t, a, (*db.PaymentRefund)(nil), "true"))
		})
	}
}

// When the provider re-fetch fails, the webhook answers 5xx and keeps the
// event unprocessed; the provider's retry processes it: one ticket.
func TestWebhook_RefetchFailingOnceIsRetriedToOneTicket(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	buyer, ev, r := paidOrder(t, a)
	providerID := r.GetCheckoutUrl()[strings.LastIndex(r.GetCheckoutUrl(), "/")+1:]
	var failed atomic.Bool
	a.Sandbox.InjectFaults(func(op string) error {
		if op == "get" && failed.CompareAndSwap(false, true) {
			return errors.New("provider timed out")
		}
		return nil
	})

	event, err := a.Sandbox.Pay(ctx, providerID)
	require.ErrorIs(t, err, payment.ErrWebhookNotDelivered)
	assert.Contains(t, err.Error(), "answered 503")
	stored := storedWebhookEvent(t, a, event.ID)
	assert.Nil(t, stored.ProcessedAt, "not processed yet")
	assert.Nil(t, stored.ClaimedUntil, "released for the retry")
	assert.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_AWAITING_PAYMENT, requestStatus(t, a, buyer, r.GetId()).GetStatus())

	require.NoError(t, a.Sandbox.DeliverWebhook(ctx, event.ID), "the provider's retry")
	awaitStatus(t, a, buyer, r.GetId(), eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED)
	require.NoError(t, a.Sandbox.DeliverWebhook(ctx, event.ID), "a later repeat is acknowledged")
	time.Sleep(300 * time.Millisecond) // let any stray duplicate processing finish before counting

	stored = storedWebhookEvent(t, a, event.ID)
	assert.NotNil(t, stored.ProcessedAt)
	assert.Equal(t, "signalled", stored.Outcome)
	assert.Equal(t, 2, stored.Attempts, "the failed delivery and the retry; the repeat after success claims nothing")
	assert.EqualValues(t, 1, countRows(t, a, (*db.WebhookEvent)(nil), "event_id = ?", event.ID))
	assert.EqualValues(t, 1, countRows(t, a, (*db.PaymentOrder)(nil), "event_id = ? AND status = 'paid'", ev.ID))
	assert.EqualValues(t, 1, countRows(t, a, (*db.Ticket)(nil), "event_id = ?", ev.ID))
}
