package questcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// DefaultTelegramBaseURL is the Bot API's address.
const DefaultTelegramBaseURL = "https://api.telegram.org"

// Reasons a telegram_join check gives the member.
const (
	reasonLinkTelegram    = "link your Telegram account first"
	reasonNotInTelegramCh = "you have not joined the Telegram chat yet"
)

// TelegramJoin checks a telegram_join task with the Bot API's
// getChatMember: the bot must be in the chat (an admin, for a channel).
type TelegramJoin struct {
	token   string
	baseURL string
	client  *http.Client
}

// NewTelegramJoin asks the Bot API at baseURL (DefaultTelegramBaseURL
// when empty) with the bot's token; without a token every check is
// ErrUnconfigured (the submission goes to review).
func NewTelegramJoin(token, baseURL string, client *http.Client) *TelegramJoin {
	if baseURL == "" {
		baseURL = DefaultTelegramBaseURL
	}
	return &TelegramJoin{token: token, baseURL: strings.TrimRight(baseURL, "/"), client: client}
}

// telegramAnswer is the Bot API's envelope around a ChatMember.
type telegramAnswer struct {
	OK          bool   `json:"ok"`
	Description string `json:"description"`
	ErrorCode   int    `json:"error_code"`
	Result      struct {
		Status   string `json:"status"`
		IsMember bool   `json:"is_member"`
	} `json:"result"`
}

// Verify asks whether the member's Telegram account is in the task's
// chat. A Bot API refusal about the chat or the bot (not found, no
// rights, bad token) is ErrUnconfigured: only a person can decide then.
func (t *TelegramJoin) Verify(ctx context.Context, c Check) (Verdict, error) {
	if t.token == "" {
		return Verdict{}, fmt.Errorf("telegram_join: no bot token: %w", ErrUnconfigured)
	}
	var cfg telegramConfig
	if err := json.Unmarshal(c.Task.Config, &cfg); err != nil {
		return Verdict{}, fmt.Errorf("read telegram_join config of task %s: %w", c.Task.ID, err)
	}
	if c.Accounts.TelegramID == "" {
		return Verdict{Reason: reasonLinkTelegram}, nil
	}
	ans, status, err := t.getChatMember(ctx, cfg.ChatID, c.Accounts.TelegramID)
	if err != nil {
		return Verdict{}, err
	}
	switch {
	case ans.OK:
		return telegramVerdict(ans.Result.Status, ans.Result.IsMember), nil
	case status == http.StatusBadRequest && strings.Contains(strings.ToLower(ans.Description), "user not found"):
		return Verdict{Reason: reasonNotInTelegramCh}, nil
	case status == http.StatusBadRequest || status == http.StatusUnauthorized || status == http.StatusForbidden:
		return Verdict{}, fmt.Errorf("telegram getChatMember %s: %d %s: %w", cfg.ChatID, status, ans.Description, ErrUnconfigured)
	default:
		return Verdict{}, fmt.Errorf("telegram getChatMember %s: %d %s", cfg.ChatID, status, ans.Description)
	}
}

// getChatMember calls the Bot API. Its errors never show the URL, which
// holds the bot's token.
func (t *TelegramJoin) getChatMember(ctx context.Context, chatID, userID string) (telegramAnswer, int, error) {
	q := url.Values{"chat_id": {chatID}, "user_id": {userID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.baseURL+"/bot"+t.token+"/getChatMember?"+q.Encode(), nil)
	if err != nil {
		return telegramAnswer{}, 0, errors.New("build telegram getChatMember request")
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return telegramAnswer{}, 0, fmt.Errorf("telegram getChatMember %s: %w", chatID, withoutURL(err))
	}
	defer resp.Body.Close()
	var ans telegramAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAPICheckAnswer)).Decode(&ans); err != nil {
		return telegramAnswer{}, resp.StatusCode, fmt.Errorf("telegram getChatMember %s: %d, answer not JSON: %w", chatID, resp.StatusCode, err)
	}
	return ans, resp.StatusCode, nil
}

// withoutURL drops the request URL (and the secret in it) from a client
// error, keeping what went wrong.
func withoutURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// telegramVerdict reads a ChatMember status: members, admins, the creator
// and a restricted user still in the chat are in; left and kicked are not.
func telegramVerdict(status string, isMember bool) Verdict {
	switch status {
	case "creator", "administrator", "member":
		return Verdict{Valid: true}
	case "restricted":
		if isMember {
			return Verdict{Valid: true}
		}
	}
	return Verdict{Reason: reasonNotInTelegramCh}
}

// TelegramSandbox answers telegram_join checks from memory, for dev and
// tests: SetMember says who is in which chat.
type TelegramSandbox struct {
	mu      sync.RWMutex
	members map[[2]string]bool
}

// NewTelegramSandbox is an empty sandbox: nobody is in any chat.
func NewTelegramSandbox() *TelegramSandbox {
	return &TelegramSandbox{members: map[[2]string]bool{}}
}

// SetMember puts the Telegram user in the chat or takes them out.
func (s *TelegramSandbox) SetMember(chatID, telegramID string, member bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[[2]string{chatID, telegramID}] = member
}

// Verify answers like the live adapter.
func (s *TelegramSandbox) Verify(_ context.Context, c Check) (Verdict, error) {
	var cfg telegramConfig
	if err := json.Unmarshal(c.Task.Config, &cfg); err != nil {
		return Verdict{}, fmt.Errorf("read telegram_join config of task %s: %w", c.Task.ID, err)
	}
	if c.Accounts.TelegramID == "" {
		return Verdict{Reason: reasonLinkTelegram}, nil
	}
	s.mu.RLock()
	member := s.members[[2]string{cfg.ChatID, c.Accounts.TelegramID}]
	s.mu.RUnlock()
	if member {
		return Verdict{Valid: true}, nil
	}
	return Verdict{Reason: reasonNotInTelegramCh}, nil
}
