package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/providers/notify"
)

func TestTelegram_Send(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		status        int
		body          string
		wantID        string
		wantErr       string
		wantPermanent bool
		wantRetry     time.Duration
	}{
		{"delivered", 200, `{"ok":true,"result":{"message_id":123,"chat":{"id":42}}}`, "123", "", false, 0},
		{"chat not found", 400, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`, "", "chat not found", true, 0},
		{"bot blocked", 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`, "", "blocked", true, 0},
		{"rate limited", 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`, "", "Too Many Requests", false, 7 * time.Second},
		{"server error", 502, `{"ok":false,"error_code":502,"description":"Bad Gateway"}`, "", "Bad Gateway", false, 0},
		{"bad token is our config", 401, `{"ok":false,"error_code":401,"description":"Unauthorized"}`, "", "Unauthorized", false, 0},
		{"not JSON", 503, `<html>down</html>`, "", "unreadable response", false, 0},
		{"ok without id", 200, `{"ok":true,"result":{}}`, "", "no message_id", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, http.MethodPost, r.Method)
				assert.Equal(t, "/botTOKEN:abc/sendMessage", r.URL.Path)
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
				var req map[string]string
				assert.NoError(t, json.NewDecoder(r.Body).Decode(&req))
				assert.Equal(t, map[string]string{"chat_id": "42", "text": "Doors open\nSee you at 19:00"}, req)
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			tg, err := notify.NewTelegram(notify.TelegramConfig{Token: "TOKEN:abc", BaseURL: srv.URL})
			require.NoError(t, err)
			assert.Equal(t, enums.ChannelTelegram, tg.Channel())

			id, err := tg.Send(context.Background(), msg("item-1", "42"))
			if tc.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.wantID, id)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
			assert.Equal(t, tc.wantPermanent, errors.Is(err, notify.ErrPermanent))
			var perr *notify.Error
			if errors.As(err, &perr) {
				assert.Equal(t, tc.status, perr.StatusCode)
				assert.Equal(t, tc.wantRetry, perr.RetryAfter)
			}
		})
	}
}

func TestTelegram_NetworkErrorIsRetryableAndHidesToken(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens any more
	tg, err := notify.NewTelegram(notify.TelegramConfig{Token: "SECRET-TOKEN", BaseURL: srv.URL})
	require.NoError(t, err)

	_, err = tg.Send(context.Background(), msg("item-1", "42"))
	require.Error(t, err)
	assert.False(t, errors.Is(err, notify.ErrPermanent))
	assert.NotContains(t, err.Error(), "SECRET-TOKEN")
}

func TestTelegram_Config(t *testing.T) {
	t.Parallel()
	_, err := notify.NewTelegram(notify.TelegramConfig{})
	require.ErrorContains(t, err, "bot token")
	cfg := notify.TelegramConfig{Token: "t"}.WithDefaults()
	assert.Equal(t, "https://api.telegram.org", cfg.BaseURL)
	assert.NotNil(t, cfg.HTTPClient)
}
