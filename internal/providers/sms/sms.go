// Package sms sends text messages. Convene depends only on Sender; the `log`
// sandbox records and logs messages (dev and tests), the `twilio` adapter
// talks to Twilio's Messages API.
package sms

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/google/uuid"
)

// Message is one text message as a provider accepted it.
type Message struct {
	ID   string
	To   string
	Body string
}

// Sender delivers a text message and returns the provider's message ID.
type Sender interface {
	Send(ctx context.Context, to, body string) (id string, err error)
}

// LogSender is the sandbox: it logs every message and keeps it in memory so
// tests can read what a user would have received.
type LogSender struct {
	log  *slog.Logger
	mu   sync.Mutex
	sent []Message
}

// NewLogSender returns a sandbox sender writing to log.
func NewLogSender(log *slog.Logger) *LogSender { return &LogSender{log: log} }

// Send records and logs the message.
func (s *LogSender) Send(_ context.Context, to, body string) (string, error) {
	m := Message{ID: "log_" + uuid.NewString(), To: to, Body: body}
	s.mu.Lock()
	s.sent = append(s.sent, m)
	s.mu.Unlock()
	s.log.Info("sms sandbox", "to", to, "body", body, "id", m.ID)
	return m.ID, nil
}

// Sent returns the messages sent to `to`, oldest first.
func (s *LogSender) Sent(to string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.sent {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// New builds the sender named by provider.
func New(provider string, log *slog.Logger, twilio TwilioConfig) (Sender, error) {
	switch provider {
	case "log":
		return NewLogSender(log), nil
	case "twilio":
		return NewTwilio(twilio)
	default:
		return nil, fmt.Errorf("unknown SMS provider %q: use log or twilio", provider)
	}
}
