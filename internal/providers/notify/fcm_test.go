package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/providers/notify"
)

// fcmErrorBody is a google.rpc.Status error as FCM sends it.
func fcmErrorBody(code int, status, fcmCode string) string {
	details := ""
	if fcmCode != "" {
		details = `,"details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"` + fcmCode + `"}]`
	}
	b, _ := json.Marshal(code)
	return `{"error":{"code":` + string(b) + `,"message":"refused","status":"` + status + `"` + details + `}}`
}

func TestFCM_Send(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		status        int
		retryAfter    string
		body          string
		wantID        string
		wantCode      string
		wantPermanent bool
		wantRetry     time.Duration
	}{
		{"delivered", 200, "", `{"name":"projects/convene-test/messages/0:123"}`, "projects/convene-test/messages/0:123", "", false, 0},
		{"unregistered token", 404, "", fcmErrorBody(404, "NOT_FOUND", "UNREGISTERED"), "", "UNREGISTERED", true, 0},
		{"not found without detail", 404, "", fcmErrorBody(404, "NOT_FOUND", ""), "", "NOT_FOUND", true, 0},
		{"invalid argument", 400, "", fcmErrorBody(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"), "", "INVALID_ARGUMENT", true, 0},
		{"sender id mismatch", 403, "", fcmErrorBody(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH"), "", "SENDER_ID_MISMATCH", true, 0},
		{"permission denied is our config", 403, "", fcmErrorBody(403, "PERMISSION_DENIED", ""), "", "PERMISSION_DENIED", false, 0},
		{"bad credentials are our config", 401, "", fcmErrorBody(401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR"), "", "THIRD_PARTY_AUTH_ERROR", false, 0},
		{"quota exceeded", 429, "30", fcmErrorBody(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"), "", "QUOTA_EXCEEDED", false, 30 * time.Second},
		{"unavailable", 503, "", fcmErrorBody(503, "UNAVAILABLE", "UNAVAILABLE"), "", "UNAVAILABLE", false, 0},
		{"html error page", 502, "", `<html>bad gateway</html>`, "", "", false, 0},
		{"success without name", 200, "", `{}`, "", "", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, http.MethodPost, r.Method)
				assert.Equal(t, "/v1/projects/convene-test/messages:send", r.URL.Path)
				assert.Equal(t, "Bearer ya29.token", r.Header.Get("Authorization"))
				var req map[string]any
				assert.NoError(t, json.NewDecoder(r.Body).Decode(&req))
				assert.Equal(t, map[string]any{"message": map[string]any{
					"token":        "device-token",
					"notification": map[string]any{"title": "Doors open", "body": "See you at 19:00"},
					"data":         map[string]any{"event": "e1"},
				}}, req)
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			fcm, err := notify.NewFCM(notify.FCMConfig{ProjectID: "convene-test", TokenSource: notify.StaticToken("ya29.token"), BaseURL: srv.URL})
			require.NoError(t, err)
			assert.Equal(t, enums.ChannelPush, fcm.Channel())

			id, err := fcm.Send(context.Background(), msg("item-1", "device-token"))
			if tc.wantID != "" {
				require.NoError(t, err)
				assert.Equal(t, tc.wantID, id)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.wantPermanent, errors.Is(err, notify.ErrPermanent), err.Error())
			var perr *notify.Error
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, tc.status, perr.StatusCode)
			assert.Equal(t, tc.wantCode, perr.Code)
			assert.Equal(t, tc.wantRetry, perr.RetryAfter)
		})
	}
}

func TestFCM_TokenSourceErrorIsRetryable(t *testing.T) {
	t.Parallel()
	var called atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called.Store(true) }))
	defer srv.Close()
	failing := func(context.Context) (string, error) { return "", errors.New("metadata server unreachable") }
	fcm, err := notify.NewFCM(notify.FCMConfig{ProjectID: "p", TokenSource: failing, BaseURL: srv.URL})
	require.NoError(t, err)

	_, err = fcm.Send(context.Background(), msg("item-1", "device-token"))
	require.ErrorContains(t, err, "metadata server unreachable")
	assert.False(t, errors.Is(err, notify.ErrPermanent))
	assert.False(t, called.Load(), "no request without a token")
}

func TestFCM_Config(t *testing.T) {
	t.Parallel()
	_, err := notify.NewFCM(notify.FCMConfig{ProjectID: "p"})
	require.ErrorContains(t, err, "TokenSource")
	_, err = notify.NewFCM(notify.FCMConfig{TokenSource: notify.StaticToken("t")})
	require.ErrorContains(t, err, "ProjectID")
	assert.Equal(t, "https://fcm.googleapis.com", notify.FCMConfig{}.WithDefaults().BaseURL)
}
