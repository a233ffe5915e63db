package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/convene/convene/db/enums"
)

// TelegramConfig configures the Telegram Bot API sender.
type TelegramConfig struct {
	// Token is the bot token from @BotFather. Required.
	Token string
	// BaseURL is the Bot API server. Defaults to https://api.telegram.org;
	// tests point it at httptest.
	BaseURL string
	// HTTPClient makes the calls. Defaults to a client with a 10s timeout.
	HTTPClient *http.Client
}

// WithDefaults returns the config with unset optional fields filled in.
func (c TelegramConfig) WithDefaults() TelegramConfig {
	if c.BaseURL == "" {
		c.BaseURL = "https://api.telegram.org"
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	return c
}

// Telegram sends messages through a Telegram bot (sendMessage); To is the
// user's chat ID. Telegram has no idempotency key.
type Telegram struct {
	cfg TelegramConfig
}

// NewTelegram checks the config and returns the sender.
func NewTelegram(cfg TelegramConfig) (*Telegram, error) {
	if cfg.Token == "" {
		return nil, errors.New("telegram notifications need a bot token: set TelegramConfig.Token (from @BotFather)")
	}
	return &Telegram{cfg: cfg.WithDefaults()}, nil
}

// Channel returns "telegram".
func (t *Telegram) Channel() string { return enums.ChannelTelegram }

// telegramResponse is the Bot API's envelope.
type telegramResponse struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Result      struct {
		MessageID int64 `json:"message_id"`
	} `json:"result"`
	Parameters struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// Send posts the title and body as one text message and returns Telegram's
// message ID (unique within the chat). 400 (bad chat ID, text too long) and
// 403 (bot blocked by the user) are permanent; 429 and 5xx are retryable,
// as are 401/404 (a bad bot token: our configuration, not the recipient).
func (t *Telegram) Send(ctx context.Context, m Message) (string, error) {
	if err := m.validate(enums.ChannelTelegram); err != nil {
		return "", err
	}
	text := m.Body
	if m.Title != "" {
		text = m.Title + "\n" + m.Body
	}
	endpoint := t.cfg.BaseURL + "/bot" + t.cfg.Token + "/sendMessage"
	body := map[string]string{"chat_id": m.To, "text": text}
	resp, raw, err := postJSON(ctx, t.cfg.HTTPClient, endpoint, nil, body)
	if err != nil {
		return "", fmt.Errorf("telegram sendMessage: %w", err)
	}
	var out telegramResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", &Error{Channel: enums.ChannelTelegram, StatusCode: resp.StatusCode,
			Message: "unreadable response", RetryAfter: retryAfter(resp.Header, time.Now())}
	}
	if !out.OK || resp.StatusCode >= 300 {
		status := out.ErrorCode
		if status == 0 {
			status = resp.StatusCode
		}
		wait := time.Duration(out.Parameters.RetryAfter) * time.Second
		if wait == 0 {
			wait = retryAfter(resp.Header, time.Now())
		}
		return "", &Error{Channel: enums.ChannelTelegram, StatusCode: status, Message: out.Description,
			Permanent: status == http.StatusBadRequest || status == http.StatusForbidden, RetryAfter: wait}
	}
	if out.Result.MessageID == 0 {
		return "", fmt.Errorf("telegram sendMessage: response has no message_id (status %d)", resp.StatusCode)
	}
	return strconv.FormatInt(out.Result.MessageID, 10), nil
}
