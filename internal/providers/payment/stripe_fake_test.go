package payment_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/providers/payment"
)

const whsec = "whsec_test_secret"

// stripeCall is one request the fake Stripe API received.
type stripeCall struct {
	Method, Path, IdempotencyKey string
	Form                         url.Values
}

// fakeSession is a Checkout Session as the fake API keeps it.
type fakeSession struct {
	ID, Status, PaymentStatus, Currency, OrderID string
	Amount, ExpiresAt                            int64
	PI                                           *fakeIntent
}

type fakeIntent struct {
	ID, Status string
	Refunded   int64
}

type fakeRefund struct {
	ID, PaymentIntent string
	Amount            int64
	Metadata          map[string]string
}

// fakeStripe stands in for api.stripe.com: it keeps sessions and refunds,
// replays idempotent requests as Stripe does (and refuses a reused key with
// other parameters), and records every request.
type fakeStripe struct {
	t     *testing.T
	now   func() time.Time
	mu    sync.Mutex
	calls []stripeCall
	// idem maps an Idempotency-Key to the first request's form and answer.
	idem     map[string]idemEntry
	sessions map[string]*fakeSession
	refunds  []*fakeRefund
	seq      int
}

type idemEntry struct {
	form   string
	status int
	body   []byte
}

func newFakeStripe(t *testing.T, now func() time.Time) (*fakeStripe, *payment.Stripe) {
	t.Helper()
	f := &fakeStripe{t: t, now: now, idem: map[string]idemEntry{}, sessions: map[string]*fakeSession{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	p, err := payment.NewStripe(payment.StripeConfig{SecretKey: "sk_test_123", WebhookSecret: whsec,
		SuccessURL: "https://convene.test/orders/done", CancelURL: "https://convene.test/orders/cancel",
		BackendURL: srv.URL, HTTPClient: srv.Client(), Now: now})
	require.NoError(t, err)
	return f, p
}

func (f *fakeStripe) serve(w http.ResponseWriter, r *http.Request) {
	require.NoError(f.t, r.ParseForm())
	require.Equal(f.t, "Bearer sk_test_123", r.Header.Get("Authorization"))
	f.mu.Lock()
	defer f.mu.Unlock()
	key := r.Header.Get("Idempotency-Key")
	f.calls = append(f.calls, stripeCall{Method: r.Method, Path: r.URL.Path, IdempotencyKey: key, Form: r.Form})
	if r.Method == http.MethodPost && key != "" {
		if prev, ok := f.idem[key]; ok {
			if prev.form != r.PostForm.Encode() {
				writeStripeError(w, http.StatusBadRequest, "idempotency_error", "Keys for idempotent requests can only be used with the same parameters they were first used with.")
				return
			}
			w.WriteHeader(prev.status)
			_, _ = w.Write(prev.body)
			return
		}
	}
	rec := httptest.NewRecorder()
	f.route(rec, r)
	if r.Method == http.MethodPost && key != "" && rec.Code < 500 {
		f.idem[key] = idemEntry{form: r.PostForm.Encode(), status: rec.Code, body: rec.Body.Bytes()}
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (f *fakeStripe) route(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/checkout/sessions":
		f.createSession(w, r)
	case len(parts) >= 4 && parts[1] == "checkout" && parts[2] == "sessions":
		s, ok := f.sessions[parts[3]]
		if !ok {
			writeStripeError(w, http.StatusNotFound, "invalid_request_error", "No such checkout.session: '"+parts[3]+"'")
			return
		}
		if len(parts) == 5 && parts[4] == "expire" {
			if s.Status != "open" {
				writeStripeError(w, http.StatusBadRequest, "invalid_request_error", "Only Checkout Sessions with a status of open can be expired.")
				return
			}
			s.Status = "expired"
		}
		writeJSON(w, s.render(r.Form.Get("expand[0]") == "payment_intent.latest_charge"))
	case r.Method == http.MethodGet && r.URL.Path == "/v1/refunds":
		data := []map[string]any{}
		for _, rf := range f.refunds {
			if rf.PaymentIntent == r.Form.Get("payment_intent") {
				data = append(data, map[string]any{"id": rf.ID, "object": "refund", "amount": rf.Amount,
					"payment_intent": rf.PaymentIntent, "metadata": rf.Metadata, "status": "succeeded"})
			}
		}
		writeJSON(w, map[string]any{"object": "list", "url": "/v1/refunds", "has_more": false, "data": data})
	case r.Method == http.MethodPost && r.URL.Path == "/v1/refunds":
		f.createRefund(w, r)
	default:
		f.t.Errorf("unexpected stripe request %s %s", r.Method, r.URL.Path)
		writeStripeError(w, http.StatusNotFound, "invalid_request_error", "Unrecognized request URL")
	}
}

func (f *fakeStripe) createSession(w http.ResponseWriter, r *http.Request) {
	exp, _ := strconv.ParseInt(r.PostForm.Get("expires_at"), 10, 64)
	if lead := time.Unix(exp, 0).Sub(f.now()); lead < 30*time.Minute || lead > 24*time.Hour {
		writeStripeError(w, http.StatusBadRequest, "invalid_request_error", "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.")
		return
	}
	f.seq++
	amount, _ := strconv.ParseInt(r.PostForm.Get("line_items[0][price_data][unit_amount]"), 10, 64)
	s := &fakeSession{ID: fmt.Sprintf("cs_test_%d", f.seq), Status: "open", PaymentStatus: "unpaid", Amount: amount,
		Currency: r.PostForm.Get("line_items[0][price_data][currency]"), OrderID: r.PostForm.Get("client_reference_id"), ExpiresAt: exp}
	f.sessions[s.ID] = s
	writeJSON(w, s.render(false))
}

func (f *fakeStripe) createRefund(w http.ResponseWriter, r *http.Request) {
	pi := r.PostForm.Get("payment_intent")
	amount, _ := strconv.ParseInt(r.PostForm.Get("amount"), 10, 64)
	for _, s := range f.sessions {
		if s.PI == nil || s.PI.ID != pi {
			continue
		}
		if amount > s.Amount-s.PI.Refunded {
			writeStripeError(w, http.StatusBadRequest, "invalid_request_error", "Refund amount is greater than unrefunded amount on charge")
			return
		}
		s.PI.Refunded += amount
		f.seq++
		rf := &fakeRefund{ID: fmt.Sprintf("re_test_%d", f.seq), PaymentIntent: pi, Amount: amount, Metadata: map[string]string{}}
		for k, v := range r.PostForm {
			if name, ok := strings.CutPrefix(k, "metadata["); ok {
				rf.Metadata[strings.TrimSuffix(name, "]")] = v[0]
			}
		}
		f.refunds = append(f.refunds, rf)
		writeJSON(w, map[string]any{"id": rf.ID, "object": "refund", "amount": amount, "payment_intent": pi, "status": "succeeded", "metadata": rf.Metadata})
		return
	}
	writeStripeError(w, http.StatusNotFound, "invalid_request_error", "No such payment_intent: '"+pi+"'")
}

func (s *fakeSession) render(expand bool) map[string]any {
	m := map[string]any{"id": s.ID, "object": "checkout.session", "url": "https://checkout.stripe.test/c/pay/" + s.ID,
		"status": s.Status, "payment_status": s.PaymentStatus, "amount_total": s.Amount, "currency": s.Currency,
		"client_reference_id": s.OrderID, "expires_at": s.ExpiresAt, "metadata": map[string]string{"order_id": s.OrderID},
		"mode": "payment", "payment_intent": nil}
	if s.PI != nil {
		m["payment_intent"] = s.PI.ID
		if expand {
			m["payment_intent"] = map[string]any{"id": s.PI.ID, "object": "payment_intent", "status": s.PI.Status,
				"latest_charge": map[string]any{"id": "ch_" + s.PI.ID, "object": "charge", "amount_refunded": s.PI.Refunded}}
		}
	}
	return m
}

func (f *fakeStripe) put(s *fakeSession) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions[s.ID] = s
}

func (f *fakeStripe) callsTo(method, path string) []stripeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []stripeCall
	for _, c := range f.calls {
		if c.Method == method && c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeStripeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"type": typ, "message": msg}})
}
