package payment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/providers/payment"
)

// stripeMockVersion is the stripe-mock scripts/test.sh builds into .bin.
const stripeMockVersion = "v0.203.0"

// startStripeMock runs Stripe's API mock (github.com/stripe/stripe-mock) on
// loopback for one test and returns its URL. It validates every request
// against Stripe's OpenAPI spec, so a wrong parameter name or shape fails.
// The binary is $STRIPE_MOCK_BIN or .bin/stripe-mock at the module root;
// without it the test is skipped, saying how to build it.
func startStripeMock(t *testing.T) string {
	t.Helper()
	bin := stripeMockBinary(t)
	// stripe-mock serves HTTPS too, by default on every interface: keep
	// both on loopback, on ports of their own so tests can run in parallel.
	addr, httpsAddr := freeLoopbackAddr(t), freeLoopbackAddr(t)
	cmd := exec.Command(bin, "-http-addr", addr, "-https-addr", httpsAddr)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return "http://" + addr
		}
		require.True(t, time.Now().Before(deadline), "stripe-mock did not listen on %s: %v", addr, err)
		time.Sleep(50 * time.Millisecond)
	}
}

// freeLoopbackAddr is a 127.0.0.1 address with a port free just now.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

func stripeMockBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("STRIPE_MOCK_BIN"); bin != "" {
		return bin
	}
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the test's directory")
		dir = parent
	}
	bin := filepath.Join(dir, ".bin", "stripe-mock")
	if _, err := os.Stat(bin); errors.Is(err, os.ErrNotExist) {
		t.Skipf("stripe-mock is not built: `make test` builds it into .bin, or run "+
			"`GOBIN=$PWD/.bin go install github.com/stripe/stripe-mock@%s` at the repository root", stripeMockVersion)
	}
	return bin
}

// paidSessions sits between the adapter and stripe-mock, whose fixture
// Checkout Session is never paid: it shows every retrieved session paid,
// with its PaymentIntent expanded, so Refund goes on to list and create
// refunds, which stripe-mock validates as it does every other request.
func paidSessions(t *testing.T, mockURL string) string {
	t.Helper()
	target, err := url.Parse(mockURL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method != http.MethodGet || !strings.HasPrefix(resp.Request.URL.Path, "/v1/checkout/sessions/") ||
			resp.StatusCode != http.StatusOK {
			return nil
		}
		var sess map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&sess); err != nil {
			return err
		}
		resp.Body.Close()
		sess["status"], sess["payment_status"] = "complete", "paid"
		if _, expanded := sess["payment_intent"].(map[string]any); !expanded {
			sess["payment_intent"] = map[string]any{"id": "pi_mock", "object": "payment_intent", "status": "succeeded"}
		}
		body, err := json.Marshal(sess)
		if err != nil {
			return err
		}
		resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return srv.URL
}

func stripeOn(t *testing.T, backendURL string, now time.Time) *payment.Stripe {
	t.Helper()
	p, err := payment.NewStripe(payment.StripeConfig{SecretKey: "sk_test_123", WebhookSecret: whsec,
		SuccessURL: "https://convene.test/orders/done", CancelURL: "https://convene.test/orders/cancel",
		BackendURL: backendURL, Now: func() time.Time { return now }})
	require.NoError(t, err)
	return p
}

// TestStripe_AgainstStripeMock runs every adapter call against Stripe's
// own API mock: a parameter Stripe does not know, or of the wrong shape,
// is refused there and fails here.
func TestStripe_AgainstStripeMock(t *testing.T) {
	t.Parallel()
	mock := startStripeMock(t)
	now := time.Now()
	ctx := context.Background()
	p := stripeOn(t, mock, now)

	checkout, err := p.CreateCheckout(ctx, payment.CheckoutInput{OrderID: "order-1", Amount: 118000, Currency: "INR",
		Description: "Rooftop Jazz × 2", ExpiresAt: now.Add(10 * time.Minute)})
	require.NoError(t, err, "create checkout session")
	require.True(t, strings.HasPrefix(checkout.ProviderPaymentID, "cs_"), checkout.ProviderPaymentID)
	require.NotEmpty(t, checkout.CheckoutURL)

	pay, err := p.GetPayment(ctx, checkout.ProviderPaymentID)
	require.NoError(t, err, "retrieve with payment_intent.latest_charge expanded")
	require.Equal(t, checkout.ProviderPaymentID, pay.ProviderPaymentID)
	require.NoError(t, p.CancelCheckout(ctx, checkout.ProviderPaymentID), "expire an open session")

	paid := stripeOn(t, paidSessions(t, mock), now)
	refundID, err := paid.Refund(ctx, checkout.ProviderPaymentID, 1000, "refund:order-1")
	require.NoError(t, err, "list refunds of the payment intent, then create one")
	require.True(t, strings.HasPrefix(refundID, "re_"), refundID)
}
