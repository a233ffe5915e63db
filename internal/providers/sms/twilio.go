package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TwilioConfig holds Twilio credentials; BaseURL is overridable for tests.
type TwilioConfig struct {
	AccountSID string
	AuthToken  string
	From       string
	BaseURL    string
}

// Twilio sends through Twilio's Messages API.
type Twilio struct {
	cfg    TwilioConfig
	client *http.Client
}

// NewTwilio checks the credentials are present.
func NewTwilio(cfg TwilioConfig) (*Twilio, error) {
	if cfg.AccountSID == "" || cfg.AuthToken == "" || cfg.From == "" {
		return nil, errors.New("twilio SMS needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://api.twilio.com"
	}
	return &Twilio{cfg: cfg, client: &http.Client{Timeout: 10 * time.Second}}, nil
}

// Send posts the message and returns Twilio's message SID.
func (t *Twilio) Send(ctx context.Context, to, body string) (string, error) {
	endpoint := fmt.Sprintf("%s/2010-04-01/Accounts/%s/Messages.json", t.cfg.BaseURL, url.PathEscape(t.cfg.AccountSID))
	form := url.Values{"To": {to}, "From": {t.cfg.From}, "Body": {body}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("build twilio request: %w", err)
	}
	req.SetBasicAuth(t.cfg.AccountSID, t.cfg.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := t.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("send sms via twilio: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		SID     string `json:"sid"`
		Message string `json:"message"`
		Code    int    `json:"code"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", fmt.Errorf("decode twilio response (status %d): %w", resp.StatusCode, err)
	}
	if resp.StatusCode >= 300 {
		return "", fmt.Errorf("twilio refused sms (status %d, code %d): %s", resp.StatusCode, out.Code, out.Message)
	}
	return out.SID, nil
}
