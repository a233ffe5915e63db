package telegramlogin_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/telegramlogin"
)

const botToken = "123456:test-bot-token"

func TestDataCheckString_SortedLinesWithoutEmptyFieldsOrHash(t *testing.T) {
	t.Parallel()
	l := telegramlogin.Login{ID: 42, FirstName: "Ada", Username: "ada", AuthDate: 1700000000, Hash: "ff"}
	assert.Equal(t, "auth_date=1700000000\nfirst_name=Ada\nid=42\nusername=ada", l.DataCheckString())
}

func TestSign_IsHMACOfTheDataCheckStringKeyedWithTheTokensHash(t *testing.T) {
	t.Parallel()
	l := telegramlogin.Login{ID: 42, FirstName: "Ada", AuthDate: 1700000000}
	key := sha256.Sum256([]byte(botToken))
	mac := hmac.New(sha256.New, key[:])
	mac.Write([]byte("auth_date=1700000000\nfirst_name=Ada\nid=42"))
	assert.Equal(t, hex.EncodeToString(mac.Sum(nil)), telegramlogin.Sign(botToken, l).Hash)
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	signed := func(age time.Duration, edit func(*telegramlogin.Login)) telegramlogin.Login {
		l := telegramlogin.Sign(botToken, telegramlogin.Login{ID: 42, FirstName: "Ada", LastName: "L", Username: "ada",
			PhotoURL: "https://t.me/i/ada.jpg", AuthDate: now.Add(-age).Unix()})
		if edit != nil {
			edit(&l)
		}
		return l
	}
	cases := []struct {
		name  string
		token string
		login telegramlogin.Login
		want  error
	}{
		{"fresh and signed", botToken, signed(time.Minute, nil), nil},
		{"exactly the max age", botToken, signed(time.Hour, nil), nil},
		{"a field changed", botToken, signed(time.Minute, func(l *telegramlogin.Login) { l.ID = 43 }), telegramlogin.ErrBadSignature},
		{"a field added", botToken, signed(time.Minute, func(l *telegramlogin.Login) { l.Username = "" }), telegramlogin.ErrBadSignature},
		{"hash not hex", botToken, signed(time.Minute, func(l *telegramlogin.Login) { l.Hash = "zz" }), telegramlogin.ErrBadSignature},
		{"signed for another bot", "654321:other", signed(time.Minute, nil), telegramlogin.ErrBadSignature},
		{"older than the max age", botToken, signed(time.Hour+time.Second, nil), telegramlogin.ErrExpired},
		{"from the future", botToken, signed(-2*time.Minute, nil), telegramlogin.ErrExpired},
		{"within the clock skew", botToken, signed(-30*time.Second, nil), nil},
		{"no bot token", "", signed(time.Minute, nil), telegramlogin.ErrNoBotToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := telegramlogin.NewVerifier(tc.token, time.Hour).Verify(tc.login, now)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestLoginName_JoinsFirstAndLastName(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "Ada Lovelace", telegramlogin.Login{FirstName: "Ada", LastName: "Lovelace"}.Name())
	assert.Equal(t, "Ada", telegramlogin.Login{FirstName: "Ada"}.Name())
}
