package payment_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/stripe/stripe-go/v84"
	"github.com/stripe/stripe-go/v84/webhook"

	"github.com/convene/convene/internal/providers/payment"
	"github.com/convene/convene/internal/testenv"
)

func TestNew(t *testing.T) {
	t.Parallel()
	_, err := payment.New("paypal", payment.SandboxConfig{}, payment.StripeConfig{})
	require.ErrorContains(t, err, "use sandbox or stripe")
	_, err = payment.New("stripe", payment.SandboxConfig{}, payment.StripeConfig{SecretKey: "sk_test"})
	require.ErrorContains(t, err, "webhook signing secret")
	p, err := payment.New("sandbox", payment.SandboxConfig{}, payment.StripeConfig{})
	require.NoError(t, err)
	require.Equal(t, "sandbox", p.Name())
}

func TestStripe_CreateCheckout(t *testing.T) {
	t.Parallel()
	clock := &testenv.Clock{}
	f, p := newFakeStripe(t, clock.Now)
	ctx := context.Background()
	in := payment.CheckoutInput{OrderID: "ord-1", Amount: 150050, Currency: "INR", Description: "2 × General admission",
		ExpiresAt: clock.Now().Add(2 * time.Hour)}

	co, err := p.CreateCheckout(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "cs_test_1", co.ProviderPaymentID)
	require.Equal(t, "https://checkout.stripe.test/c/pay/cs_test_1", co.CheckoutURL)
	require.Equal(t, in.ExpiresAt.Unix(), co.ExpiresAt.Unix())

	calls := f.callsTo(http.MethodPost, "/v1/checkout/sessions")
	require.Len(t, calls, 1)
	require.Equal(t, "checkout-ord-1", calls[0].IdempotencyKey)
	for k, want := range map[string]string{
		"mode":                "payment",
		"client_reference_id": "ord-1",
		"metadata[order_id]":  "ord-1",
		"payment_intent_data[metadata][order_id]":       "ord-1",
		"line_items[0][price_data][unit_amount]":        "150050",
		"line_items[0][price_data][currency]":           "inr",
		"line_items[0][price_data][product_data][name]": "2 × General admission",
		"line_items[0][quantity]":                       "1",
		"expires_at":                                    strconv.FormatInt(in.ExpiresAt.Unix(), 10),
		"success_url":                                   "https://convene.test/orders/done",
		"cancel_url":                                    "https://convene.test/orders/cancel",
	} {
		require.Equal(t, want, calls[0].Form.Get(k), k)
	}

	again, err := p.CreateCheckout(ctx, in)
	require.NoError(t, err)
	require.Equal(t, co, again, "a retry replays the same session")

	in.Amount = 99
	_, err = p.CreateCheckout(ctx, in)
	require.ErrorIs(t, err, payment.ErrInvalidRequest, "same order, other amount")
}

func TestStripe_CreateCheckoutExpiry(t *testing.T) {
	t.Parallel()
	clock := &testenv.Clock{}
	now := clock.Now()
	tests := []struct {
		name      string
		expiresIn time.Duration
		wantIn    time.Duration // from now, as sent to Stripe
		wantErr   error
	}{
		{"in range", 2 * time.Hour, 2 * time.Hour, nil},
		{"just far enough", 32 * time.Minute, 32 * time.Minute, nil},
		{"too soon: one step later", 10 * time.Minute, 40 * time.Minute, nil},
		{"already past: two steps later", -5 * time.Minute, 55 * time.Minute, nil},
		{"beyond 24h", 25 * time.Hour, 0, payment.ErrInvalidRequest},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, p := newFakeStripe(t, func() time.Time { return now })
			co, err := p.CreateCheckout(context.Background(), payment.CheckoutInput{OrderID: fmt.Sprintf("ord-%d", i),
				Amount: 100, Currency: "USD", ExpiresAt: now.Add(tc.expiresIn)})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Empty(t, f.callsTo(http.MethodPost, "/v1/checkout/sessions"))
				return
			}
			require.NoError(t, err)
			require.Equal(t, now.Add(tc.wantIn).Unix(), co.ExpiresAt.Unix())
		})
	}
}

func TestStripe_CreateCheckoutRetryAfterStepBoundaryReplays(t *testing.T) {
	t.Parallel()
	clock := &testenv.Clock{}
	f, p := newFakeStripe(t, clock.Now)
	ctx := context.Background()
	in := payment.CheckoutInput{OrderID: "ord-late", Amount: 100, Currency: "USD", ExpiresAt: clock.Now().Add(10 * time.Minute)}
	first, err := p.CreateCheckout(ctx, in)
	require.NoError(t, err)

	// The first answer was lost; the activity retries 25 minutes later, when
	// the same ExpiresAt needs two steps instead of one.
	clock.Advance(25 * time.Minute)
	again, err := p.CreateCheckout(ctx, in)
	require.NoError(t, err)
	require.Equal(t, first, again)

	calls := f.callsTo(http.MethodPost, "/v1/checkout/sessions")
	require.Len(t, calls, 3)
	step := func(n int) string {
		return strconv.FormatInt(in.ExpiresAt.Add(time.Duration(n)*30*time.Minute).Unix(), 10)
	}
	require.Equal(t, []string{step(1), step(2), step(1)},
		[]string{calls[0].Form.Get("expires_at"), calls[1].Form.Get("expires_at"), calls[2].Form.Get("expires_at")})
}

func TestStripe_GetPayment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		session      fakeSession
		wantStatus   payment.Status
		wantRefunded int64
	}{
		{"open", fakeSession{Status: "open", PaymentStatus: "unpaid"}, payment.StatusPending, 0},
		{"paid", fakeSession{Status: "complete", PaymentStatus: "paid", PI: &fakeIntent{Status: "succeeded"}}, payment.StatusPaid, 0},
		{"partly refunded", fakeSession{Status: "complete", PaymentStatus: "paid", PI: &fakeIntent{Status: "succeeded", Refunded: 400}}, payment.StatusPaid, 400},
		{"refunded", fakeSession{Status: "complete", PaymentStatus: "paid", PI: &fakeIntent{Status: "succeeded", Refunded: 1000}}, payment.StatusRefunded, 1000},
		{"expired", fakeSession{Status: "expired", PaymentStatus: "unpaid"}, payment.StatusExpired, 0},
		{"async processing", fakeSession{Status: "complete", PaymentStatus: "unpaid", PI: &fakeIntent{Status: "processing"}}, payment.StatusPending, 0},
		{"async failed", fakeSession{Status: "complete", PaymentStatus: "unpaid", PI: &fakeIntent{Status: "requires_payment_method"}}, payment.StatusFailed, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, p := newFakeStripe(t, time.Now)
			s := tc.session
			s.ID, s.OrderID, s.Amount, s.Currency = "cs_get", "ord-get", 1000, "inr"
			if s.PI != nil {
				s.PI.ID = "pi_get"
			}
			f.put(&s)

			got, err := p.GetPayment(context.Background(), "cs_get")
			require.NoError(t, err)
			require.Equal(t, payment.Payment{ProviderPaymentID: "cs_get", OrderID: "ord-get", Status: tc.wantStatus,
				Amount: 1000, AmountRefunded: tc.wantRefunded, Currency: "INR", Raw: got.Raw}, got)
			require.Contains(t, string(got.Raw), `"id":"cs_get"`)
			calls := f.callsTo(http.MethodGet, "/v1/checkout/sessions/cs_get")
			require.Len(t, calls, 1)
			require.Equal(t, "payment_intent.latest_charge", calls[0].Form.Get("expand[0]"))
		})
	}
	t.Run("unknown", func(t *testing.T) {
		t.Parallel()
		_, p := newFakeStripe(t, time.Now)
		_, err := p.GetPayment(context.Background(), "cs_missing")
		require.ErrorIs(t, err, payment.ErrNotFound)
	})
}

func TestStripe_CancelCheckout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		session    *fakeSession
		wantErr    error
		wantExpire bool
	}{
		{"open is expired", &fakeSession{Status: "open", PaymentStatus: "unpaid"}, nil, true},
		{"expired is a no-op", &fakeSession{Status: "expired", PaymentStatus: "unpaid"}, nil, false},
		{"paid", &fakeSession{Status: "complete", PaymentStatus: "paid", PI: &fakeIntent{ID: "pi_1", Status: "succeeded"}}, payment.ErrAlreadyPaid, false},
		{"async processing", &fakeSession{Status: "complete", PaymentStatus: "unpaid", PI: &fakeIntent{ID: "pi_1", Status: "processing"}}, payment.ErrPaymentProcessing, false},
		{"async failed is a no-op", &fakeSession{Status: "complete", PaymentStatus: "unpaid", PI: &fakeIntent{ID: "pi_1", Status: "requires_payment_method"}}, nil, false},
		{"unknown", nil, payment.ErrNotFound, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, p := newFakeStripe(t, time.Now)
			if tc.session != nil {
				tc.session.ID, tc.session.Amount = "cs_cancel", 1000
				f.put(tc.session)
			}
			err := p.CancelCheckout(context.Background(), "cs_cancel")
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.wantExpire, len(f.callsTo(http.MethodPost, "/v1/checkout/sessions/cs_cancel/expire")) == 1)
			if tc.wantExpire {
				got, err := p.GetPayment(context.Background(), "cs_cancel")
				require.NoError(t, err)
				require.Equal(t, payment.StatusExpired, got.Status)
				require.NoError(t, p.CancelCheckout(context.Background(), "cs_cancel"), "cancelling twice is a no-op")
			}
		})
	}
}

func TestStripe_RefundIsIdempotentAndBounded(t *testing.T) {
	t.Parallel()
	f, p := newFakeStripe(t, time.Now)
	ctx := context.Background()
	f.put(&fakeSession{ID: "cs_paid", Status: "complete", PaymentStatus: "paid", Amount: 1000, Currency: "inr",
		OrderID: "ord-r", PI: &fakeIntent{ID: "pi_paid", Status: "succeeded"}})
	f.put(&fakeSession{ID: "cs_open", Status: "open", PaymentStatus: "unpaid", Amount: 1000, Currency: "inr"})

	id, err := p.Refund(ctx, "cs_paid", 400, "ref-1")
	require.NoError(t, err)
	creates := f.callsTo(http.MethodPost, "/v1/refunds")
	require.Len(t, creates, 1)
	require.Equal(t, "refund-ref-1", creates[0].IdempotencyKey)
	for k, want := range map[string]string{"payment_intent": "pi_paid", "amount": "400",
		"metadata[idempotency_key]": "ref-1", "metadata[order_id]": "ord-r", "metadata[checkout_session]": "cs_paid"} {
		require.Equal(t, want, creates[0].Form.Get(k), k)
	}

	again, err := p.Refund(ctx, "cs_paid", 400, "ref-1")
	require.NoError(t, err)
	require.Equal(t, id, again)
	require.Len(t, f.callsTo(http.MethodPost, "/v1/refunds"), 1, "found by its metadata, not created again")

	_, err = p.Refund(ctx, "cs_paid", 500, "ref-1")
	require.ErrorIs(t, err, payment.ErrInvalidRequest, "a key is bound to its amount")
	_, err = p.Refund(ctx, "cs_paid", 601, "ref-2")
	require.ErrorIs(t, err, payment.ErrInvalidRequest, "only 600 is left")
	_, err = p.Refund(ctx, "cs_open", 100, "ref-3")
	require.ErrorIs(t, err, payment.ErrInvalidRequest, "an unpaid checkout cannot be refunded")
	_, err = p.Refund(ctx, "cs_paid", 100, "")
	require.ErrorIs(t, err, payment.ErrInvalidRequest)

	_, err = p.Refund(ctx, "cs_paid", 600, "ref-4")
	require.NoError(t, err)
	got, err := p.GetPayment(ctx, "cs_paid")
	require.NoError(t, err)
	require.Equal(t, payment.StatusRefunded, got.Status)
	require.EqualValues(t, 1000, got.AmountRefunded)
}

// stripeEvent is a webhook body as Stripe sends it.
func stripeEvent(id, typ, apiVersion string, object map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"id": id, "object": "event", "api_version": apiVersion, "type": typ,
		"created": time.Now().Unix(), "data": map[string]any{"object": object}})
	return b
}

func TestStripe_ParseWebhook(t *testing.T) {
	t.Parallel()
	_, p := newFakeStripe(t, time.Now)
	session := func(paymentStatus string) map[string]any {
		return map[string]any{"id": "cs_1", "object": "checkout.session", "client_reference_id": "ord-1",
			"payment_status": paymentStatus, "metadata": map[string]string{"order_id": "ord-1"}}
	}
	charge := map[string]any{"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount_refunded": 400,
		"metadata": map[string]string{"order_id": "ord-1"}}
	sign := func(payload []byte, secret string, at time.Time) http.Header {
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at})
		h := http.Header{}
		h.Set("Stripe-Signature", signed.Header)
		return h
	}
	sessionEvent := func(typ string, want string) payment.Event {
		return payment.Event{ID: "evt_1", Type: want, ProviderPaymentID: "cs_1", OrderID: "ord-1", ProviderType: typ}
	}

	tests := []struct {
		name    string
		payload []byte
		header  http.Header // nil: signed now with the right secret
		want    payment.Event
		wantErr error
	}{
		{"completed, paid", stripeEvent("evt_1", "checkout.session.completed", stripe.APIVersion, session("paid")), nil,
			sessionEvent("checkout.session.completed", payment.EventPaymentSucceeded), nil},
		{"completed, payment settling", stripeEvent("evt_1", "checkout.session.completed", stripe.APIVersion, session("unpaid")), nil,
			sessionEvent("checkout.session.completed", payment.EventPaymentProcessing), nil},
		{"async succeeded", stripeEvent("evt_1", "checkout.session.async_payment_succeeded", stripe.APIVersion, session("paid")), nil,
			sessionEvent("checkout.session.async_payment_succeeded", payment.EventPaymentSucceeded), nil},
		{"async failed", stripeEvent("evt_1", "checkout.session.async_payment_failed", stripe.APIVersion, session("unpaid")), nil,
			sessionEvent("checkout.session.async_payment_failed", payment.EventPaymentFailed), nil},
		{"expired, older API version", stripeEvent("evt_1", "checkout.session.expired", "2024-06-20", session("unpaid")), nil,
			sessionEvent("checkout.session.expired", payment.EventCheckoutExpired), nil},
		{"charge refunded", stripeEvent("evt_1", "charge.refunded", stripe.APIVersion, charge), nil,
			payment.Event{ID: "evt_1", Type: payment.EventPaymentRefunded, OrderID: "ord-1", ProviderType: "charge.refunded"}, nil},
		{"not acted on", stripeEvent("evt_1", "customer.created", stripe.APIVersion, map[string]any{"id": "cus_1", "object": "customer"}), nil,
			payment.Event{ID: "evt_1", ProviderType: "customer.created"}, nil},
		{"wrong secret", stripeEvent("evt_1", "checkout.session.completed", stripe.APIVersion, session("paid")),
			sign(stripeEvent("evt_1", "checkout.session.completed", stripe.APIVersion, session("paid")), "whsec_other", time.Now()),
			payment.Event{}, payment.ErrBadSignature},
		{"stale", stripeEvent("evt_1", "checkout.session.completed", stripe.APIVersion, session("paid")),
			sign(stripeEvent("evt_1", "checkout.session.completed", stripe.APIVersion, session("paid")), whsec, time.Now().Add(-6*time.Minute)),
			payment.Event{}, payment.ErrBadSignature},
		{"unsigned", stripeEvent("evt_1", "checkout.session.completed", stripe.APIVersion, session("paid")), http.Header{},
			payment.Event{}, payment.ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			header := tc.header
			if header == nil {
				header = sign(tc.payload, whsec, time.Now())
			}
			got, err := p.ParseWebhook(tc.payload, header)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}

	t.Run("tampered", func(t *testing.T) {
		payload := stripeEvent("evt_1", "checkout.session.completed", stripe.APIVersion, session("unpaid"))
		header := sign(payload, whsec, time.Now())
		tampered := []byte(strings.Replace(string(payload), `"unpaid"`, `"paid"`, 1))
		require.NotEqual(t, payload, tampered)
		_, err := p.ParseWebhook(tampered, header)
		require.ErrorIs(t, err, payment.ErrBadSignature)
	})
}
