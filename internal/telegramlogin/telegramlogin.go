// Package telegramlogin checks what Telegram's login widget hands a page:
// the account's fields and Telegram's signature of them
// (https://core.telegram.org/widgets/login#checking-authorization). The
// signature is hex HMAC-SHA256 of the data-check-string — every field but
// the hash, as "key=value" lines sorted by key, joined with "\n" — keyed
// with SHA-256 of the bot token; only Telegram and the bot's owner can
// make it.
package telegramlogin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// FutureSkew is how far ahead of the server's clock an auth_date may be:
// clocks drift, but a login from the future is forged.
const FutureSkew = time.Minute

// Outcomes a caller branches on.
var (
	// ErrNoBotToken: the server has no bot token, so it can check nothing.
	ErrNoBotToken = errors.New("telegram login is not configured on this server (CONVENE_TELEGRAM_BOT_TOKEN)")
	// ErrBadSignature: the hash is not Telegram's signature of the fields.
	ErrBadSignature = errors.New("telegram login data is not signed by Telegram for this bot")
	// ErrExpired: the widget's login is older than the allowed age (or
	// dated in the future).
	ErrExpired = errors.New("telegram login expired; sign in with Telegram again")
)

// Login is the widget's answer. Empty strings (and a zero ID) are fields
// the widget did not send; they are left out of the data-check-string.
type Login struct {
	ID        int64
	FirstName string
	LastName  string
	Username  string
	PhotoURL  string
	AuthDate  int64
	Hash      string
}

// AuthTime is when the user signed in to the widget.
func (l Login) AuthTime() time.Time { return time.Unix(l.AuthDate, 0) }

// Name is the display name the login carries: first and last name.
func (l Login) Name() string {
	return strings.TrimSpace(l.FirstName + " " + l.LastName)
}

// DataCheckString is what Telegram signs: the fields but the hash, as
// "key=value" lines sorted by key.
func (l Login) DataCheckString() string {
	fields := map[string]string{
		"id":         formatInt(l.ID),
		"first_name": l.FirstName,
		"last_name":  l.LastName,
		"username":   l.Username,
		"photo_url":  l.PhotoURL,
		"auth_date":  formatInt(l.AuthDate),
	}
	lines := make([]string, 0, len(fields))
	for k, v := range fields {
		if v != "" {
			lines = append(lines, k+"="+v)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// Verifier checks logins signed for one bot.
type Verifier struct {
	botToken string
	maxAge   time.Duration
}

// NewVerifier checks logins signed for botToken and at most maxAge old;
// an empty botToken makes every Verify ErrNoBotToken.
func NewVerifier(botToken string, maxAge time.Duration) *Verifier {
	return &Verifier{botToken: botToken, maxAge: maxAge}
}

// Verify returns nil when l is signed for the bot and fresh at now;
// ErrNoBotToken, ErrBadSignature or ErrExpired otherwise. The signature is
// compared in constant time, and checked before the age so a forger
// learns nothing from the answer.
func (v *Verifier) Verify(l Login, now time.Time) error {
	if v == nil || v.botToken == "" {
		return ErrNoBotToken
	}
	got, err := hex.DecodeString(l.Hash)
	if err != nil || !hmac.Equal(got, sign(v.botToken, l)) {
		return ErrBadSignature
	}
	at := l.AuthTime()
	if now.Sub(at) > v.maxAge {
		return fmt.Errorf("signed at %s, more than %s ago: %w", at.UTC().Format(time.RFC3339), v.maxAge, ErrExpired)
	}
	if at.Sub(now) > FutureSkew {
		return fmt.Errorf("signed at %s, in the future: %w", at.UTC().Format(time.RFC3339), ErrExpired)
	}
	return nil
}

// Sign returns l with the hash Telegram would give it for botToken: for
// tests and for signing dev logins (the README's walkthrough), never for
// accepting anything.
func Sign(botToken string, l Login) Login {
	l.Hash = hex.EncodeToString(sign(botToken, l))
	return l
}

func sign(botToken string, l Login) []byte {
	key := sha256.Sum256([]byte(botToken))
	mac := hmac.New(sha256.New, key[:])
	mac.Write([]byte(l.DataCheckString()))
	return mac.Sum(nil)
}

func formatInt(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}
