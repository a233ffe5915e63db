package questcheck_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/questcheck"
)

var checkSecret = []byte("0123456789abcdef0123456789abcdef")

// receiver is an api_check endpoint on a loopback TLS server: it checks
// each request's signature and body, counts the requests and answers
// with respond.
type receiver struct {
	srv      *httptest.Server
	requests atomic.Int32
}

func newReceiver(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.requests.Add(1)
		body, err := io.ReadAll(r.Body)
		if !assert.NoError(t, err) {
			return
		}
		assert.NoError(t, questcheck.VerifySignature(r.Header.Get(questcheck.SignatureHeader), checkSecret, body,
			time.Now(), time.Minute), "the receiver can trust the request")
		var got map[string]any
		assert.NoError(t, json.Unmarshal(body, &got))
		assert.Equal(t, map[string]any{"userId": "u1", "questId": "q1", "taskId": "t1", "requestId": "r1",
			"accounts":   map[string]any{"telegramId": "42", "walletAddress": "0xabc"},
			"submission": map[string]any{"proof": "order 7"}}, got)
		respond(w, r)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// verifier trusts the receiver's certificate.
func (rc *receiver) verifier(allowPrivate bool, timeout time.Duration) *questcheck.APICheck {
	tlsConfig := rc.srv.Client().Transport.(*http.Transport).TLSClientConfig
	return questcheck.NewAPICheck(questcheck.APICheckOptions{AllowPrivate: allowPrivate, Timeout: timeout, TLS: tlsConfig})
}

func apiCheck(url string) questcheck.Check {
	return questcheck.Check{
		Task: questcheck.Task{ID: "t1", QuestID: "q1", Kind: enums.TaskKindAPICheck,
			Config: json.RawMessage(`{"url":"` + url + `"}`), Secret: checkSecret},
		UserID: "u1", RequestID: "r1",
		Accounts:   questcheck.Accounts{TelegramID: "42", WalletAddress: "0xabc"},
		Submission: questcheck.Submission{Proof: "order 7"},
	}
}

func answer(status int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// TestAPICheck_ReceiverDecides: a signed POST reaches the receiver; a 200
// in either shape or a 400 decides, anything else is a transient error
// for the workflow to retry, and a redirect is not followed.
func TestAPICheck_ReceiverDecides(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		respond func(http.ResponseWriter, *http.Request)
		verdict questcheck.Verdict
		wantErr bool
	}{
		{name: "valid", respond: answer(200, `{"valid":true}`), verdict: questcheck.Verdict{Valid: true}},
		{name: "valid false with reason", respond: answer(200, `{"valid":false,"reason":"no order 7"}`),
			verdict: questcheck.Verdict{Reason: "no order 7"}},
		{name: "result.isValid true", respond: answer(200, `{"result":{"isValid":true}}`), verdict: questcheck.Verdict{Valid: true}},
		{name: "result.isValid false", respond: answer(200, `{"result":{"isValid":false}}`),
			verdict: questcheck.Verdict{Reason: "the check found the task not done"}},
		{name: "400 with error", respond: answer(400, `{"error":"unknown wallet"}`), verdict: questcheck.Verdict{Reason: "unknown wallet"}},
		{name: "400 without body", respond: answer(400, ``), verdict: questcheck.Verdict{Reason: "the check refused the submission"}},
		{name: "500", respond: answer(500, `{"valid":true}`), wantErr: true},
		{name: "200 without a verdict", respond: answer(200, `{"ok":true}`), wantErr: true},
		{name: "200 not JSON", respond: answer(200, `yes`), wantErr: true},
		{name: "302 not followed", respond: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, tt.respond)
			v, err := rc.verifier(true, 5*time.Second).Verify(context.Background(), apiCheck(rc.srv.URL+"/check"))
			assert.Equal(t, int32(1), rc.requests.Load(), "one request, no redirect followed")
			if tt.wantErr {
				require.Error(t, err)
				assert.NotErrorIs(t, err, questcheck.ErrUnconfigured)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.verdict, v)
		})
	}
}

// TestAPICheck_SlowReceiverTimesOut: a receiver that does not answer
// within the timeout is a transient error, not a hang.
func TestAPICheck_SlowReceiverTimesOut(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	_, err := rc.verifier(true, 200*time.Millisecond).Verify(context.Background(), apiCheck(rc.srv.URL))
	require.Error(t, err)
	assert.NotErrorIs(t, err, questcheck.ErrForbiddenAddress)
}

// TestAPICheck_RefusesInternalAddresses: without AllowPrivate, loopback
// (by address or by name), private ranges and plain http are refused
// before any request is sent; the verdict is invalid, not a retry.
func TestAPICheck_RefusesInternalAddresses(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, answer(200, `{"valid":true}`))
	port := rc.srv.URL[strings.LastIndex(rc.srv.URL, ":")+1:]
	check := rc.verifier(false, 2*time.Second)
	for _, url := range []string{
		rc.srv.URL,
		"https://localhost:" + port,
		"https://[::1]:" + port,
		"https://[::ffff:127.0.0.1]:" + port,
		"https://10.0.0.1:" + port,
		"https://192.168.1.10:" + port,
		"https://169.254.169.254/latest/meta-data",
		"http://" + strings.TrimPrefix(rc.srv.URL, "https://"),
		"http://example.com/check",
	} {
		t.Run(url, func(t *testing.T) {
			v, err := check.Verify(context.Background(), apiCheck(url))
			require.NoError(t, err)
			assert.Equal(t, questcheck.Verdict{Reason: "address not allowed"}, v)
		})
	}
	assert.Zero(t, rc.requests.Load(), "no request reached the server")
}

// TestAPICheck_NoSecretIsUnconfigured: a task without its secret cannot
// be signed: it goes to review.
func TestAPICheck_NoSecretIsUnconfigured(t *testing.T) {
	t.Parallel()
	c := apiCheck("https://hooks.example.com")
	c.Task.Secret = nil
	_, err := questcheck.NewAPICheck(questcheck.APICheckOptions{}).Verify(context.Background(), c)
	require.ErrorIs(t, err, questcheck.ErrUnconfigured)
}

// TestForbiddenAddress: the ranges a check may not reach, in IPv4, IPv6,
// IPv4-mapped and NAT64 forms; public addresses pass.
func TestForbiddenAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr      string
		forbidden bool
	}{
		{"127.0.0.1", true}, {"::1", true}, {"::ffff:127.0.0.1", true},
		{"10.1.2.3", true}, {"172.16.0.1", true}, {"172.31.255.255", true}, {"192.168.0.1", true}, {"fc00::1", true}, {"fd12::1", true},
		{"169.254.169.254", true}, {"fe80::1", true},
		{"100.64.0.1", true}, {"100.127.255.254", true},
		{"0.0.0.0", true}, {"0.1.2.3", true}, {"::", true},
		{"224.0.0.1", true}, {"ff02::1", true}, {"255.255.255.255", true},
		{"::ffff:10.0.0.1", true}, {"64:ff9b::a00:1", true},
		{"8.8.8.8", false}, {"172.32.0.1", false}, {"100.128.0.1", false}, {"2606:4700:4700::1111", false},
		{"64:ff9b::808:808", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.forbidden, questcheck.ForbiddenAddress(netip.MustParseAddr(tt.addr)), tt.addr)
	}
}

// TestVerifySignature_RefusesTamperingAndReplays: a receiver checking the
// header accepts the request as signed, and refuses another body, another
// secret, an old timestamp and a malformed header.
func TestVerifySignature_RefusesTamperingAndReplays(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	body := []byte(`{"userId":"u1"}`)
	header := questcheck.Sign(checkSecret, at, body)
	assert.Regexp(t, `^t=\d+,v1=[0-9a-f]{64}$`, header)
	tests := []struct {
		name   string
		header string
		secret []byte
		body   []byte
		now    time.Time
		want   error
	}{
		{"as signed", header, checkSecret, body, at.Add(30 * time.Second), nil},
		{"other body", header, checkSecret, []byte(`{"userId":"u2"}`), at, questcheck.ErrBadSignature},
		{"other secret", header, []byte("another secret"), body, at, questcheck.ErrBadSignature},
		{"replayed later", header, checkSecret, body, at.Add(10 * time.Minute), questcheck.ErrStaleSignature},
		{"from the future", header, checkSecret, body, at.Add(-10 * time.Minute), questcheck.ErrStaleSignature},
		{"timestamp moved a second", strings.Replace(header, fmt.Sprint(at.Unix()), fmt.Sprint(at.Unix()+1), 1), checkSecret, body, at,
			questcheck.ErrBadSignature},
		{"no v1", "t=1796551200", checkSecret, body, at, questcheck.ErrMalformedSignature},
		{"garbage", "sig", checkSecret, body, at, questcheck.ErrMalformedSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := questcheck.VerifySignature(tt.header, tt.secret, tt.body, tt.now, 5*time.Minute)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}

// TestAPICheckSandbox_AnswersTheSandboxHostOnly: in sandbox mode an
// api_check to SandboxAPICheckHost is answered from its path with no
// request; any other address still gets the real signed call.
func TestAPICheckSandbox_AnswersTheSandboxHostOnly(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, answer(200, `{"valid":true}`))
	sandbox := questcheck.NewAPICheckSandbox(rc.verifier(true, 5*time.Second))
	sandboxURL := "https://" + questcheck.SandboxAPICheckHost
	tests := []struct {
		url     string
		verdict questcheck.Verdict
		wantErr bool
	}{
		{url: sandboxURL + "/valid", verdict: questcheck.Verdict{Valid: true}},
		{url: sandboxURL + "/invalid", verdict: questcheck.Verdict{Reason: "the sandbox check found the task not done"}},
		{url: sandboxURL + "/down", wantErr: true},
		{url: sandboxURL + "/other", verdict: questcheck.Verdict{Reason: "unknown sandbox check /other"}},
	}
	for _, tt := range tests {
		v, err := sandbox.Verify(context.Background(), apiCheck(tt.url))
		if tt.wantErr {
			require.Error(t, err, tt.url)
			continue
		}
		require.NoError(t, err, tt.url)
		assert.Equal(t, tt.verdict, v, tt.url)
	}
	assert.Zero(t, rc.requests.Load(), "the sandbox host is answered in memory")

	v, err := sandbox.Verify(context.Background(), apiCheck(rc.srv.URL))
	require.NoError(t, err)
	assert.True(t, v.Valid)
	assert.Equal(t, int32(1), rc.requests.Load(), "another address gets the real, signed call")

	set, _ := questcheck.New(questcheck.Options{Mode: questcheck.ModeSandbox})
	v, err = set.Verify(context.Background(), apiCheck(sandboxURL+"/valid"))
	require.NoError(t, err)
	assert.True(t, v.Valid, "New's sandbox mode answers the sandbox host")
	live, _ := questcheck.New(questcheck.Options{Mode: questcheck.ModeLive, APICheckTimeout: time.Second})
	_, err = live.Verify(context.Background(), apiCheck(sandboxURL+"/valid"))
	require.Error(t, err, "live mode has no sandbox: the host does not resolve")
}
