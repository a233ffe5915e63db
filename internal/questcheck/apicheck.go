package questcheck

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries an api_check request's signature.
const SignatureHeader = "Convene-Signature"

// DefaultAPICheckTimeout bounds one api_check call, connect to last byte.
const DefaultAPICheckTimeout = 10 * time.Second

// maxAPICheckAnswer is as much of an answer as is read; a receiver's
// verdict is a few bytes.
const maxAPICheckAnswer = 64 << 10

// maxReasonLen bounds the receiver's reason kept for the member.
const maxReasonLen = 300

// APICheckOptions configure the api_check verifier.
type APICheckOptions struct {
	// AllowPrivate lets checks use http and reach loopback and private
	// addresses: development and tests only (config refuses it in prod).
	AllowPrivate bool
	// Timeout bounds each call (DefaultAPICheckTimeout when zero).
	Timeout time.Duration
	// TLS is the client's TLS config (nil: the system roots); tests trust
	// their httptest server's certificate with it.
	TLS *tls.Config
	// Now is the clock of the signature's timestamp (time.Now when nil).
	Now func() time.Time
}

// APICheck asks the organization's own endpoint whether a member did the
// task: a POST of the member's ids, accounts and submission, signed with
// the task's HMAC secret so the receiver can trust it and refuse replays.
type APICheck struct {
	client       *http.Client
	allowPrivate bool
	now          func() time.Time
}

// NewAPICheck builds the verifier with its own client: it dials public
// addresses only (unless AllowPrivate), through no proxy, and follows no
// redirect.
func NewAPICheck(o APICheckOptions) *APICheck {
	if o.Timeout <= 0 {
		o.Timeout = DefaultAPICheckTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	dialer := safeDialer(o.Timeout)
	if o.AllowPrivate {
		dialer.Control = nil
	}
	transport := &http.Transport{
		DialContext:         dialer.DialContext,
		TLSClientConfig:     o.TLS,
		TLSHandshakeTimeout: o.Timeout,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	client := &http.Client{
		Transport: transport,
		Timeout:   o.Timeout,
		// A redirect could lead anywhere; the receiver must answer itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &APICheck{client: client, allowPrivate: o.AllowPrivate, now: o.Now}
}

// apiCheckRequest is the body POSTed to the receiver.
type apiCheckRequest struct {
	UserID     string     `json:"userId"`
	QuestID    string     `json:"questId"`
	TaskID     string     `json:"taskId"`
	RequestID  string     `json:"requestId"`
	Accounts   Accounts   `json:"accounts"`
	Submission Submission `json:"submission"`
}

// apiCheckAnswer reads both answer shapes, {"valid"} and
// {"result":{"isValid"}}, and a reason if the receiver gives one.
type apiCheckAnswer struct {
	Valid  *bool `json:"valid"`
	Result *struct {
		IsValid *bool `json:"isValid"`
	} `json:"result"`
	Reason string `json:"reason"`
	Error  string `json:"error"`
}

// Verify POSTs the signed check. A 200 with a verdict or a 400 decides;
// an address that is not allowed is an invalid verdict (the task is
// misconfigured, a retry would not help); anything else is a transient
// error for the workflow to retry.
func (a *APICheck) Verify(ctx context.Context, c Check) (Verdict, error) {
	if len(c.Task.Secret) == 0 {
		return Verdict{}, fmt.Errorf("api_check task %s has no secret: %w", c.Task.ID, ErrUnconfigured)
	}
	var cfg urlConfig
	if err := json.Unmarshal(c.Task.Config, &cfg); err != nil {
		return Verdict{}, fmt.Errorf("read api_check config of task %s: %w", c.Task.ID, err)
	}
	if !a.schemeAllowed(cfg.URL) {
		return Verdict{Reason: ErrForbiddenAddress.Error()}, nil
	}
	verdict, err := a.call(ctx, cfg.URL, c)
	if errors.Is(err, ErrForbiddenAddress) {
		return Verdict{Reason: ErrForbiddenAddress.Error()}, nil
	}
	return verdict, err
}

// schemeAllowed: https always; http only where private addresses are.
func (a *APICheck) schemeAllowed(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	return u.Scheme == "https" || (a.allowPrivate && u.Scheme == "http")
}

// call sends one signed request and reads the receiver's verdict.
func (a *APICheck) call(ctx context.Context, target string, c Check) (Verdict, error) {
	body, err := json.Marshal(apiCheckRequest{UserID: c.UserID, QuestID: c.Task.QuestID, TaskID: c.Task.ID,
		RequestID: c.RequestID, Accounts: c.Accounts, Submission: c.Submission})
	if err != nil {
		return Verdict{}, fmt.Errorf("encode api_check body: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return Verdict{}, fmt.Errorf("build api_check request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Convene-Quests/1")
	req.Header.Set(SignatureHeader, Sign(c.Task.Secret, a.now(), body))
	resp, err := a.client.Do(req)
	if err != nil {
		return Verdict{}, fmt.Errorf("api_check task %s: %w", c.Task.ID, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAPICheckAnswer))
	if err != nil {
		return Verdict{}, fmt.Errorf("read api_check answer of task %s: %w", c.Task.ID, err)
	}
	return readAnswer(resp.StatusCode, answer)
}

// readAnswer turns the receiver's status and body into a verdict: 200
// with a verdict decides, 400 is invalid, the rest is transient.
func readAnswer(status int, body []byte) (Verdict, error) {
	var ans apiCheckAnswer
	parseErr := json.Unmarshal(body, &ans)
	reason := ans.Reason
	if reason == "" {
		reason = ans.Error
	}
	reason = truncate(reason, maxReasonLen)
	switch {
	case status == http.StatusBadRequest:
		if reason == "" {
			reason = "the check refused the submission"
		}
		return Verdict{Reason: reason}, nil
	case status != http.StatusOK:
		return Verdict{}, fmt.Errorf("api_check answered %d", status)
	case parseErr != nil:
		return Verdict{}, fmt.Errorf("api_check answer is not JSON: %w", parseErr)
	}
	valid := ans.Valid
	if valid == nil && ans.Result != nil {
		valid = ans.Result.IsValid
	}
	if valid == nil {
		return Verdict{}, errors.New(`api_check answer has neither "valid" nor "result.isValid"`)
	}
	if *valid {
		return Verdict{Valid: true}, nil
	}
	if reason == "" {
		reason = "the check found the task not done"
	}
	return Verdict{Reason: reason}, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// Sign is the Convene-Signature value of body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>". The
// timestamp is inside the MAC, so a receiver that checks it refuses
// replays of old requests.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + signature(secret, ts, body)
}

func signature(secret []byte, ts string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Signature refusals, for receivers checking a request with
// VerifySignature.
var (
	ErrBadSignature       = errors.New("bad signature")
	ErrStaleSignature     = errors.New("signature timestamp outside the tolerance")
	ErrMalformedSignature = errors.New("malformed signature header")
)

// VerifySignature checks a Convene-Signature header against body: a v1
// HMAC that matches (in constant time) and a timestamp within tolerance
// of now, either way. Receivers use it to trust a check and refuse one
// replayed later.
func VerifySignature(header string, secret, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok:
			return ErrMalformedSignature
		case k == "t":
			ts = v
		case k == "v1":
			sigs = append(sigs, v)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrMalformedSignature
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return ErrStaleSignature
	}
	want := []byte(signature(secret, ts, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrBadSignature
}
