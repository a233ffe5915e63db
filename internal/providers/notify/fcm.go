package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/convene/convene/db/enums"
)

// FCMConfig configures the Firebase Cloud Messaging (HTTP v1) push sender.
type FCMConfig struct {
	// ProjectID is the Firebase project. Required.
	ProjectID string
	// TokenSource returns an OAuth 2 access token for the FCM scope; it is
	// called for every message, so it should cache. ServiceAccountToken
	// signs in with a service-account key and refreshes; StaticToken wraps
	// a fixed token (tests). Required.
	TokenSource func(ctx context.Context) (string, error)
	// BaseURL is the FCM server. Defaults to https://fcm.googleapis.com;
	// tests point it at httptest.
	BaseURL string
	// HTTPClient makes the calls. Defaults to a client with a 10s timeout.
	HTTPClient *http.Client
}

// StaticToken returns a TokenSource that always returns token (tests, or a
// token refreshed by something outside the process).
func StaticToken(token string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return token, nil }
}

// WithDefaults returns the config with unset optional fields filled in.
func (c FCMConfig) WithDefaults() FCMConfig {
	if c.BaseURL == "" {
		c.BaseURL = "https://fcm.googleapis.com"
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	return c
}

// FCM sends push notifications through FCM HTTP v1; To is the device's
// registration token. FCM has no idempotency key.
type FCM struct {
	cfg FCMConfig
}

// NewFCM checks the config and returns the sender.
func NewFCM(cfg FCMConfig) (*FCM, error) {
	if cfg.ProjectID == "" || cfg.TokenSource == nil {
		return nil, errors.New("FCM push needs FCMConfig.ProjectID and a TokenSource (ServiceAccountToken with the service account's JSON key)")
	}
	return &FCM{cfg: cfg.WithDefaults()}, nil
}

// Channel returns "push".
func (f *FCM) Channel() string { return enums.ChannelPush }

// fcmRequest is the body of messages:send.
type fcmRequest struct {
	Message struct {
		Token        string            `json:"token"`
		Notification fcmNotification   `json:"notification"`
		Data         map[string]string `json:"data,omitempty"`
	} `json:"message"`
}

// fcmNotification is the visible part of a push.
type fcmNotification struct {
	Title string `json:"title,omitempty"`
	Body  string `json:"body,omitempty"`
}

// fcmResponse is a success ("name") or a google.rpc.Status error.
type fcmResponse struct {
	Name  string `json:"name"`
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type      string `json:"@type"`
			ErrorCode string `json:"errorCode"`
		} `json:"details"`
	} `json:"error"`
}

// fcmPermanent are the FCM error codes a retry cannot fix: the token is
// stale or malformed, belongs to another project, or the message is invalid.
var fcmPermanent = map[string]bool{"UNREGISTERED": true, "INVALID_ARGUMENT": true, "SENDER_ID_MISMATCH": true}

// Send posts the notification and returns FCM's message name
// ("projects/p/messages/123"). UNREGISTERED/404, INVALID_ARGUMENT/400 and
// SENDER_ID_MISMATCH are permanent; QUOTA_EXCEEDED/429, UNAVAILABLE,
// INTERNAL and auth failures (our configuration) are retryable.
func (f *FCM) Send(ctx context.Context, m Message) (string, error) {
	if err := m.validate(enums.ChannelPush); err != nil {
		return "", err
	}
	token, err := f.cfg.TokenSource(ctx)
	if err != nil {
		return "", fmt.Errorf("fcm access token: %w", err)
	}
	var body fcmRequest
	body.Message.Token = m.To
	body.Message.Notification = fcmNotification{Title: m.Title, Body: m.Body}
	body.Message.Data = m.Data
	endpoint := fmt.Sprintf("%s/v1/projects/%s/messages:send", f.cfg.BaseURL, url.PathEscape(f.cfg.ProjectID))
	header := http.Header{"Authorization": {"Bearer " + token}}
	resp, raw, err := postJSON(ctx, f.cfg.HTTPClient, endpoint, header, body)
	if err != nil {
		return "", fmt.Errorf("fcm send: %w", err)
	}
	var out fcmResponse
	jsonErr := json.Unmarshal(raw, &out)
	if resp.StatusCode < 300 && jsonErr == nil && out.Name != "" {
		return out.Name, nil
	}
	return "", fcmError(resp, out)
}

// fcmError classifies a failed messages:send.
func fcmError(resp *http.Response, out fcmResponse) *Error {
	code := out.Error.Status
	for _, d := range out.Error.Details {
		if d.ErrorCode != "" {
			code = d.ErrorCode
		}
	}
	status := resp.StatusCode
	permanent := fcmPermanent[code]
	if code == "" || code == out.Error.Status { // no FCM detail: go by HTTP status
		permanent = status == http.StatusBadRequest || status == http.StatusNotFound
	}
	if status < 300 {
		// 2xx without a message name: we cannot tell whether it was sent.
		permanent, out.Error.Message = false, "response has no message name"
	}
	return &Error{Channel: enums.ChannelPush, StatusCode: status, Code: code, Message: out.Error.Message,
		Permanent: permanent && !retryableStatus(status), RetryAfter: retryAfter(resp.Header, time.Now())}
}
