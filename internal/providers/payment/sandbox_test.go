package payment_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/providers/payment"
	"github.com/convene/convene/internal/testenv"
)

const sandboxSecret = "sandbox-test-secret"

// receiver stands in for our webhook endpoint: it verifies each delivery
// with the sandbox's ParseWebhook and records the events.
type receiver struct {
	mu     sync.Mutex
	status int
	events []payment.Event
	errs   []error
}

func (rc *receiver) handler(verify func() *payment.Sandbox) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev, err := verify().ParseWebhook(body, r.Header)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if err != nil {
			rc.errs = append(rc.errs, err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if rc.status != 0 {
			w.WriteHeader(rc.status)
			return
		}
		rc.events = append(rc.events, ev)
	}
}

func (rc *receiver) setStatus(code int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.status = code
}

func (rc *receiver) received() ([]payment.Event, []error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]payment.Event(nil), rc.events...), append([]error(nil), rc.errs...)
}

type sandboxBundle struct {
	sb    *payment.Sandbox
	clock *testenv.Clock
	hooks *receiver
	url   string // the checkout pages' server
}

type sandboxOption func(*payment.SandboxConfig)

func setupSandbox(t *testing.T, opts ...sandboxOption) *sandboxBundle {
	t.Helper()
	d := testenv.NewDB(t)
	b := &sandboxBundle{clock: &testenv.Clock{}, hooks: &receiver{}}
	hooks := httptest.NewServer(b.hooks.handler(func() *payment.Sandbox { return b.sb }))
	t.Cleanup(hooks.Close)
	pages := httptest.NewUnstartedServer(nil)
	cfg := payment.SandboxConfig{DB: d.DB, BaseURL: "http://" + pages.Listener.Addr().String(),
		WebhookURL: hooks.URL, Secret: sandboxSecret, Now: b.clock.Now}
	for _, o := range opts {
		o(&cfg)
	}
	b.sb = payment.NewSandbox(cfg)
	pages.Config.Handler = b.sb.Handler()
	pages.Start()
	t.Cleanup(pages.Close)
	b.url = pages.URL
	return b
}

func (b *sandboxBundle) checkout(t *testing.T, amount int64) payment.Checkout {
	t.Helper()
	co, err := b.sb.CreateCheckout(context.Background(), payment.CheckoutInput{OrderID: uuid.NewString(),
		Amount: amount, Currency: "INR", Description: "2 × General admission", ExpiresAt: b.clock.Now().Add(15 * time.Minute)})
	require.NoError(t, err)
	return co
}

func (b *sandboxBundle) status(t *testing.T, id string) payment.Status {
	t.Helper()
	p, err := b.sb.GetPayment(context.Background(), id)
	require.NoError(t, err)
	return p.Status
}

func TestSandbox_CreateCheckoutIsIdempotentByOrderID(t *testing.T) {
	t.Parallel()
	b := setupSandbox(t)
	ctx := context.Background()
	in := payment.CheckoutInput{OrderID: "order-1", Amount: 150050, Currency: "inr", Description: "Ticket",
		ExpiresAt: b.clock.Now().Add(15 * time.Minute)}

	first, err := b.sb.CreateCheckout(ctx, in)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(first.ProviderPaymentID, "sbpay_"), first.ProviderPaymentID)
	require.Equal(t, b.url+"/sandbox/checkout/"+first.ProviderPaymentID, first.CheckoutURL)
	require.WithinDuration(t, in.ExpiresAt, first.ExpiresAt, time.Millisecond)

	again, err := b.sb.CreateCheckout(ctx, in)
	require.NoError(t, err)
	require.Equal(t, first.ProviderPaymentID, again.ProviderPaymentID)
	require.Equal(t, first.CheckoutURL, again.CheckoutURL)

	p, err := b.sb.GetPayment(ctx, first.ProviderPaymentID)
	require.NoError(t, err)
	require.Equal(t, payment.Payment{ProviderPaymentID: first.ProviderPaymentID, OrderID: "order-1", Status: payment.StatusPending,
		Amount: 150050, Currency: "INR", Raw: p.Raw}, p)
	require.Contains(t, string(p.Raw), `"order_id":"order-1"`)
}

func TestSandbox_CreateCheckoutRejects(t *testing.T) {
	t.Parallel()
	b := setupSandbox(t)
	ctx := context.Background()
	exp := b.clock.Now().Add(time.Hour)
	_, err := b.sb.CreateCheckout(ctx, payment.CheckoutInput{OrderID: "taken", Amount: 500, Currency: "USD", ExpiresAt: exp})
	require.NoError(t, err)

	tests := []struct {
		name string
		in   payment.CheckoutInput
	}{
		{"same order, other amount", payment.CheckoutInput{OrderID: "taken", Amount: 600, Currency: "USD", ExpiresAt: exp}},
		{"same order, other currency", payment.CheckoutInput{OrderID: "taken", Amount: 500, Currency: "EUR", ExpiresAt: exp}},
		{"no order", payment.CheckoutInput{Amount: 500, Currency: "USD", ExpiresAt: exp}},
		{"zero amount", payment.CheckoutInput{OrderID: "o", Currency: "USD", ExpiresAt: exp}},
		{"bad currency", payment.CheckoutInput{OrderID: "o", Amount: 500, Currency: "dollars", ExpiresAt: exp}},
		{"no expiry", payment.CheckoutInput{OrderID: "o", Amount: 500, Currency: "USD"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.sb.CreateCheckout(ctx, tc.in)
			require.ErrorIs(t, err, payment.ErrInvalidRequest)
		})
	}
}

func TestSandbox_RetryAfterLostResponseReturnsSameCheckout(t *testing.T) {
	t.Parallel()
	lost := errors.New("connection reset")
	var once sync.Once
	b := setupSandbox(t, func(c *payment.SandboxConfig) {
		c.FailNext = func(op string) error {
			var err error
			if op == "create:after" {
				once.Do(func() { err = lost })
			}
			return err
		}
	})
	ctx := context.Background()
	in := payment.CheckoutInput{OrderID: "order-lost", Amount: 1000, Currency: "USD", ExpiresAt: b.clock.Now().Add(time.Hour)}

	_, err := b.sb.CreateCheckout(ctx, in)
	require.ErrorIs(t, err, lost)
	co, err := b.sb.CreateCheckout(ctx, in)
	require.NoError(t, err)
	p, err := b.sb.GetPayment(ctx, co.ProviderPaymentID)
	require.NoError(t, err)
	require.Equal(t, "order-lost", p.OrderID)
}

func TestSandbox_PayDeliversVerifiedWebhookAndRedeliversSameID(t *testing.T) {
	t.Parallel()
	b := setupSandbox(t)
	ctx := context.Background()
	co := b.checkout(t, 2500)
	p, err := b.sb.GetPayment(ctx, co.ProviderPaymentID)
	require.NoError(t, err)

	ev, err := b.sb.Pay(ctx, co.ProviderPaymentID)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(ev.ID, "sbevt_"), ev.ID)
	want := payment.Event{ID: ev.ID, Type: payment.EventPaymentSucceeded, ProviderPaymentID: co.ProviderPaymentID,
		OrderID: p.OrderID, ProviderType: "payment.succeeded"}
	require.Equal(t, want, ev)
	require.Equal(t, payment.StatusPaid, b.status(t, co.ProviderPaymentID))

	require.NoError(t, b.sb.DeliverWebhook(ctx, ev.ID))
	got, errs := b.hooks.received()
	require.Empty(t, errs)
	require.Equal(t, []payment.Event{want, want}, got, "a redelivery carries the same event ID")

	_, err = b.sb.Pay(ctx, co.ProviderPaymentID)
	require.ErrorIs(t, err, payment.ErrAlreadyPaid)
}

func TestSandbox_FailDeliversPaymentFailed(t *testing.T) {
	t.Parallel()
	b := setupSandbox(t)
	ctx := context.Background()
	co := b.checkout(t, 2500)

	ev, err := b.sb.Fail(ctx, co.ProviderPaymentID)
	require.NoError(t, err)
	require.Equal(t, payment.EventPaymentFailed, ev.Type)
	require.Equal(t, payment.StatusFailed, b.status(t, co.ProviderPaymentID))
	got, _ := b.hooks.received()
	require.Len(t, got, 1)
	require.Equal(t, ev, got[0])

	_, err = b.sb.Pay(ctx, co.ProviderPaymentID)
	require.ErrorIs(t, err, payment.ErrCheckoutClosed)
	require.NoError(t, b.sb.CancelCheckout(ctx, co.ProviderPaymentID), "cancelling a failed checkout is a no-op")
}

func TestSandbox_ParseWebhook(t *testing.T) {
	t.Parallel()
	b := setupSandbox(t, func(c *payment.SandboxConfig) { c.WebhookURL = "" }) // record, don't send
	co := b.checkout(t, 700)
	ev, err := b.sb.Pay(context.Background(), co.ProviderPaymentID)
	require.NoError(t, err)
	payload, header, err := b.sb.SignedWebhook(ev.ID)
	require.NoError(t, err)

	verifier := func(secret string, skew time.Duration) *payment.Sandbox {
		return payment.NewSandbox(payment.SandboxConfig{Secret: secret, Now: func() time.Time { return b.clock.Now().Add(skew) }})
	}
	withHeader := func(v string) http.Header { h := http.Header{}; h.Set(payment.SandboxSignatureHeader, v); return h }
	tests := []struct {
		name     string
		verifier *payment.Sandbox
		payload  []byte
		header   http.Header
		wantErr  error
	}{
		{"valid", b.sb, payload, header, nil},
		{"valid after 4 minutes", verifier(sandboxSecret, 4*time.Minute), payload, header, nil},
		{"stale after 6 minutes", verifier(sandboxSecret, 6*time.Minute), payload, header, payment.ErrBadSignature},
		{"from 6 minutes in the future", verifier(sandboxSecret, -6*time.Minute), payload, header, payment.ErrBadSignature},
		{"wrong secret", verifier("other-secret", 0), payload, header, payment.ErrBadSignature},
		{"tampered body", b.sb, []byte(strings.Replace(string(payload), "payment.succeeded", "payment.refunded", 1)), header, payment.ErrBadSignature},
		{"no header", b.sb, payload, http.Header{}, payment.ErrBadSignature},
		{"no v1", b.sb, payload, withHeader("t=1700000000"), payment.ErrBadSignature},
		{"garbage", b.sb, payload, withHeader("nonsense"), payment.ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.verifier.ParseWebhook(tc.payload, tc.header)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, ev, got)
		})
	}
}

func TestSandbox_PayAfterCancelIsRefused(t *testing.T) {
	t.Parallel()
	b := setupSandbox(t)
	ctx := context.Background()
	co := b.checkout(t, 900)

	require.NoError(t, b.sb.CancelCheckout(ctx, co.ProviderPaymentID))
	require.NoError(t, b.sb.CancelCheckout(ctx, co.ProviderPaymentID), "cancelling twice is a no-op")
	require.Equal(t, payment.StatusExpired, b.status(t, co.ProviderPaymentID))
	_, err := b.sb.Pay(ctx, co.ProviderPaymentID)
	require.ErrorIs(t, err, payment.ErrCheckoutClosed)
	got, _ := b.hooks.received()
	require.Empty(t, got)
}

func TestSandbox_PayAfterExpiryIsRefused(t *testing.T) {
	t.Parallel()
	b := setupSandbox(t)
	ctx := context.Background()
	co := b.checkout(t, 900)

	b.clock.Advance(16 * time.Minute)
	require.Equal(t, payment.StatusExpired, b.status(t, co.ProviderPaymentID))
	_, err := b.sb.Pay(ctx, co.ProviderPaymentID)
	require.ErrorIs(t, err, payment.ErrCheckoutClosed)
	require.NoError(t, b.sb.CancelCheckout(ctx, co.ProviderPaymentID))
}

func TestSandbox_CancelAfterPayIsAlreadyPaid(t *testing.T) {
	t.Parallel()
	b := setupSandbox(t)
	ctx := context.Background()
	co := b.checkout(t, 900)
	_, err := b.sb.Pay(ctx, co.ProviderPaymentID)
	require.NoError(t, err)

	require.ErrorIs(t, b.sb.CancelCheckout(ctx, co.ProviderPaymentID), payment.ErrAlreadyPaid)
	require.Equal(t, payment.StatusPaid, b.status(t, co.ProviderPaymentID))
}

func TestSandbox_RefundIsIdempotentAndBounded(t *testing.T) {
	t.Parallel()
	b := setupSandbox(t)
	ctx := context.Background()
	co := b.checkout(t, 1000)
	id := co.ProviderPaymentID

	_, err := b.sb.Refund(ctx, id, 100, "before-paying")
	require.ErrorIs(t, err, payment.ErrInvalidRequest, "an unpaid checkout cannot be refunded")
	_, err = b.sb.Pay(ctx, id)
	require.NoError(t, err)

	first, err := b.sb.Refund(ctx, id, 400, "refund-a")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(first, "sbre_"), first)
	again, err := b.sb.Refund(ctx, id, 400, "refund-a")
	require.NoError(t, err)
	require.Equal(t, first, again, "same key, same refund")

	_, err = b.sb.Refund(ctx, id, 500, "refund-a")
	require.ErrorIs(t, err, payment.ErrInvalidRequest, "a key is bound to its amount")
	_, err = b.sb.Refund(ctx, id, 601, "refund-b")
	require.ErrorIs(t, err, payment.ErrInvalidRequest, "only 600 is left")

	p, err := b.sb.GetPayment(ctx, id)
	require.NoError(t, err)
	require.Equal(t, payment.StatusPaid, p.Status)
	require.EqualValues(t, 400, p.AmountRefunded)

	second, err := b.sb.Refund(ctx, id, 600, "refund-b")
	require.NoError(t, err)
	require.NotEqual(t, first, second)
	p, err = b.sb.GetPayment(ctx, id)
	require.NoError(t, err)
	require.Equal(t, payment.StatusRefunded, p.Status)
	require.EqualValues(t, 1000, p.AmountRefunded)

	again, err = b.sb.Refund(ctx, id, 600, "refund-b")
	require.NoError(t, err, "a retry after the full refund still answers")
	require.Equal(t, second, again)
	_, err = b.sb.Refund(ctx, id, 1, "refund-c")
	require.ErrorIs(t, err, payment.ErrInvalidRequest)

	got, _ := b.hooks.received()
	var refunds int
	for _, ev := range got {
		if ev.Type == payment.EventPaymentRefunded {
			refunds++
		}
	}
	require.Equal(t, 2, refunds, "one payment.refunded event per refund, none for retries")
}

func TestSandbox_WebhookReceiverDown(t *testing.T) {
	t.Parallel()
	b := setupSandbox(t)
	ctx := context.Background()
	co := b.checkout(t, 900)
	b.hooks.setStatus(http.StatusServiceUnavailable)

	ev, err := b.sb.Pay(ctx, co.ProviderPaymentID)
	require.ErrorIs(t, err, payment.ErrWebhookNotDelivered)
	require.NotEmpty(t, ev.ID, "the event is recorded even though delivery failed")
	require.Equal(t, payment.StatusPaid, b.status(t, co.ProviderPaymentID))

	b.hooks.setStatus(0)
	require.NoError(t, b.sb.DeliverWebhook(ctx, ev.ID))
	got, _ := b.hooks.received()
	require.Len(t, got, 1)
	require.Equal(t, ev.ID, got[0].ID)
}

func TestSandbox_UnknownPaymentIsNotFound(t *testing.T) {
	t.Parallel()
	b := setupSandbox(t)
	ctx := context.Background()
	_, err := b.sb.GetPayment(ctx, "sbpay_missing")
	require.ErrorIs(t, err, payment.ErrNotFound)
	require.ErrorIs(t, b.sb.CancelCheckout(ctx, "sbpay_missing"), payment.ErrNotFound)
	_, err = b.sb.Refund(ctx, "sbpay_missing", 1, "k")
	require.ErrorIs(t, err, payment.ErrNotFound)
	_, err = b.sb.Pay(ctx, "sbpay_missing")
	require.ErrorIs(t, err, payment.ErrNotFound)
}

func TestSandbox_CheckoutPage(t *testing.T) {
	t.Parallel()
	b := setupSandbox(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(t *testing.T, url string) (int, string) {
		t.Helper()
		resp, err := client.Get(url)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}
	post := func(t *testing.T, url string) (*http.Response, string) {
		t.Helper()
		resp, err := client.Post(url, "application/x-www-form-urlencoded", nil)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(body)
	}

	t.Run("pay", func(t *testing.T) {
		co := b.checkout(t, 150050)
		code, page := get(t, co.CheckoutURL)
		require.Equal(t, http.StatusOK, code)
		for _, want := range []string{"1500.50", "INR", "2 × General admission", ">pending<", co.CheckoutURL[len(b.url):] + "/pay"} {
			require.Contains(t, page, want)
		}

		resp, _ := post(t, co.CheckoutURL+"/pay")
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Equal(t, "/sandbox/checkout/"+co.ProviderPaymentID, resp.Header.Get("Location"))
		require.Equal(t, payment.StatusPaid, b.status(t, co.ProviderPaymentID))
		_, page = get(t, co.CheckoutURL)
		require.Contains(t, page, ">paid<")
		require.NotContains(t, page, "/pay\"")

		resp, page = post(t, co.CheckoutURL+"/pay")
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		require.Contains(t, page, "already paid")
	})
	t.Run("pay after cancel", func(t *testing.T) {
		co := b.checkout(t, 900)
		require.NoError(t, b.sb.CancelCheckout(context.Background(), co.ProviderPaymentID))
		resp, page := post(t, co.CheckoutURL+"/pay")
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		require.Contains(t, page, "Payment refused")
		require.Contains(t, page, "expired")
	})
	t.Run("fail", func(t *testing.T) {
		co := b.checkout(t, 900)
		resp, _ := post(t, co.CheckoutURL+"/fail")
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Equal(t, payment.StatusFailed, b.status(t, co.ProviderPaymentID))
	})
	t.Run("unknown checkout", func(t *testing.T) {
		code, _ := get(t, b.url+"/sandbox/checkout/sbpay_missing")
		require.Equal(t, http.StatusNotFound, code)
		resp, _ := post(t, b.url+"/sandbox/checkout/sbpay_missing/pay")
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
	})
	t.Run("receiver down", func(t *testing.T) {
		co := b.checkout(t, 900)
		b.hooks.setStatus(http.StatusInternalServerError)
		defer b.hooks.setStatus(0)
		resp, _ := post(t, co.CheckoutURL+"/pay")
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Equal(t, "/sandbox/checkout/"+co.ProviderPaymentID+"?webhook=failed", resp.Header.Get("Location"))
		_, page := get(t, b.url+resp.Header.Get("Location"))
		require.Contains(t, page, "could not be delivered")
	})
}
