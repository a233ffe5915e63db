package payment_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/providers/payment"
)

// fuzzNow is the sandbox clock while fuzzing: fixed, so seeds stay valid.
var fuzzNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// signSandbox signs payload as the sandbox does, independently of its code.
func signSandbox(t int64, payload string) string {
	mac := hmac.New(sha256.New, []byte(sandboxSecret))
	fmt.Fprintf(mac, "%d.%s", t, payload)
	return fmt.Sprintf("t=%d,v1=%s", t, hex.EncodeToString(mac.Sum(nil)))
}

// FuzzSandboxParseWebhook throws arbitrary bodies and signature headers at
// the webhook parser. It must never panic, and it may accept a body only when
// a v1 signature in the header really signs it within the tolerance, and the
// event it returns names a payment.
func FuzzSandboxParseWebhook(f *testing.F) {
	body := `{"id":"evt_1","type":"payment.succeeded","data":{"payment_id":"pay_1","order_id":"ord_1"}}`
	now := fuzzNow.Unix()
	f.Add(body, signSandbox(now, body))
	f.Add(body, signSandbox(now-3600, body))
	f.Add(`{"id":"evt_1"}`, signSandbox(now, `{"id":"evt_1"}`))
	f.Add(body+" ", signSandbox(now, body))
	f.Add(body, "t=1,v1=zz,v1="+signSandbox(now, body)[len("t=0000000000,v1="):])
	f.Add("", "")
	sb := payment.NewSandbox(payment.SandboxConfig{Secret: sandboxSecret, Now: func() time.Time { return fuzzNow }})
	f.Fuzz(func(t *testing.T, payload, signature string) {
		h := http.Header{}
		h.Set(payment.SandboxSignatureHeader, signature)
		ev, err := sb.ParseWebhook([]byte(payload), h)
		if err != nil {
			return
		}
		require.True(t, signedWithinTolerance(payload, signature), "accepted a body its header does not sign: %q / %q", payload, signature)
		require.NotEmpty(t, ev.ID)
		require.NotEmpty(t, ev.ProviderPaymentID)
	})
}

// signedWithinTolerance is an independent oracle: the header's last t is
// within five minutes of fuzzNow and one of its v1 values is the HMAC of
// "<t>.<payload>".
func signedWithinTolerance(payload, header string) bool {
	var (
		ts    int64
		haveT bool
		sigs  [][]byte
	)
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			ts, haveT = n, err == nil
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	if !haveT {
		return false
	}
	if d := fuzzNow.Sub(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, []byte(sandboxSecret))
	fmt.Fprintf(mac, "%d.%s", ts, payload)
	want := mac.Sum(nil)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			return true
		}
	}
	return false
}

// FuzzStripeParseWebhook does the same for the Stripe adapter, whose
// signature check is stripe-go's: bodies not signed with the endpoint
// secret are ErrBadSignature, never an event.
func FuzzStripeParseWebhook(f *testing.F) {
	f.Add(`{"id":"evt_1","object":"event","type":"checkout.session.completed","data":{"object":{"id":"cs_1"}}}`, "t=1,v1=00")
	f.Add("", "")
	f.Add("{}", "garbage")
	st, err := payment.NewStripe(payment.StripeConfig{SecretKey: "sk_test_fuzz", WebhookSecret: "whsec_fuzz", SuccessURL: "https://example.test/ok"})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, payload, signature string) {
		h := http.Header{}
		h.Set("Stripe-Signature", signature)
		_, err := st.ParseWebhook([]byte(payload), h)
		require.Error(t, err, "an unsigned body was accepted")
		require.True(t, errors.Is(err, payment.ErrBadSignature), "unsigned body answered %v, not ErrBadSignature", err)
	})
}
