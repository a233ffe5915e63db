package questcheck_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/questcheck"
)

const botToken = "123:secret-bot-token"

func telegramCheck(telegramID string) questcheck.Check {
	return questcheck.Check{Task: questcheck.Task{ID: "t1", Kind: enums.TaskKindTelegramJoin,
		Config: json.RawMessage(`{"chatId":"@convene_hq"}`)}, Accounts: questcheck.Accounts{TelegramID: telegramID}}
}

// fakeBotAPI answers getChatMember for chat @convene_hq from statuses
// (Telegram user id -> ChatMember status; "restricted-in" is restricted
// but still a member, "outage" a 502); an unknown user is "user not
// found", another chat "chat not found".
func fakeBotAPI(t *testing.T, statuses map[string]string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/bot"+botToken+"/getChatMember", r.URL.Path)
		q := r.URL.Query()
		w.Header().Set("Content-Type", "application/json")
		if q.Get("chat_id") != "@convene_hq" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`)
			return
		}
		switch status, ok := statuses[q.Get("user_id")]; {
		case !ok:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"ok":false,"error_code":400,"description":"Bad Request: user not found"}`)
		case status == "outage":
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, `{"ok":false,"error_code":502,"description":"Bad Gateway"}`)
		case status == "restricted-in":
			_, _ = io.WriteString(w, `{"ok":true,"result":{"status":"restricted","is_member":true}}`)
		default:
			_, _ = io.WriteString(w, `{"ok":true,"result":{"status":"`+status+`","is_member":false}}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestTelegramJoin_AsksGetChatMember: members, admins, the creator and a
// restricted member still in the chat pass; left, kicked and unknown users
// do not; no linked account asks to link one; no token, a chat the bot
// cannot see, is review (ErrUnconfigured); an outage is transient.
func TestTelegramJoin_AsksGetChatMember(t *testing.T) {
	t.Parallel()
	srv := fakeBotAPI(t, map[string]string{"1": "member", "2": "administrator", "3": "creator", "4": "restricted-in",
		"5": "left", "6": "kicked", "7": "outage"})
	live := questcheck.NewTelegramJoin(botToken, srv.URL, srv.Client())
	tests := []struct {
		telegramID string
		valid      bool
		reason     string
		wantErr    bool
	}{
		{telegramID: "1", valid: true},
		{telegramID: "2", valid: true},
		{telegramID: "3", valid: true},
		{telegramID: "5", reason: "you have not joined the Telegram chat yet"},
		{telegramID: "6", reason: "you have not joined the Telegram chat yet"},
		{telegramID: "99", reason: "you have not joined the Telegram chat yet"},
		{telegramID: "", reason: "link your Telegram account first"},
		{telegramID: "7", wantErr: true},
	}
	for _, tt := range tests {
		t.Run("user "+tt.telegramID, func(t *testing.T) {
			v, err := live.Verify(context.Background(), telegramCheck(tt.telegramID))
			if tt.wantErr {
				require.Error(t, err)
				assert.NotErrorIs(t, err, questcheck.ErrUnconfigured)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, questcheck.Verdict{Valid: tt.valid, Reason: tt.reason}, v)
		})
	}

	// "restricted" counts only while is_member is true.
	restricted := fakeBotAPI(t, map[string]string{"4": "restricted"})
	v, err := questcheck.NewTelegramJoin(botToken, restricted.URL, restricted.Client()).Verify(context.Background(), telegramCheck("4"))
	require.NoError(t, err)
	assert.False(t, v.Valid)
	v, err = live.Verify(context.Background(), telegramCheck("4"))
	require.NoError(t, err)
	assert.True(t, v.Valid)

	other := telegramCheck("1")
	other.Task.Config = json.RawMessage(`{"chatId":"@not_our_chat"}`)
	_, err = live.Verify(context.Background(), other)
	require.ErrorIs(t, err, questcheck.ErrUnconfigured, "the bot cannot see the chat: a person decides")

	_, err = questcheck.NewTelegramJoin("", srv.URL, srv.Client()).Verify(context.Background(), telegramCheck("1"))
	require.ErrorIs(t, err, questcheck.ErrUnconfigured)
}

// TestTelegramJoin_ErrorsDoNotShowTheToken: a network error names the
// chat, never the URL with the bot's token.
func TestTelegramJoin_ErrorsDoNotShowTheToken(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	_, err := questcheck.NewTelegramJoin(botToken, srv.URL, http.DefaultClient).Verify(context.Background(), telegramCheck("1"))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret-bot-token")
}

// TestTelegramSandbox_AnswersFromMemory: SetMember decides, and taking a
// member out is seen at once.
func TestTelegramSandbox_AnswersFromMemory(t *testing.T) {
	t.Parallel()
	sb := questcheck.NewTelegramSandbox()
	sb.SetMember("@convene_hq", "1", true)
	v, err := sb.Verify(context.Background(), telegramCheck("1"))
	require.NoError(t, err)
	assert.True(t, v.Valid)
	sb.SetMember("@convene_hq", "1", false)
	v, err = sb.Verify(context.Background(), telegramCheck("1"))
	require.NoError(t, err)
	assert.Equal(t, questcheck.Verdict{Reason: "you have not joined the Telegram chat yet"}, v)
	v, err = sb.Verify(context.Background(), telegramCheck(""))
	require.NoError(t, err)
	assert.Equal(t, questcheck.Verdict{Reason: "link your Telegram account first"}, v)
}
