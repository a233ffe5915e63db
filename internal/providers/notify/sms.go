package notify

import (
	"context"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/providers/sms"
)

// SMS puts an sms.Sender (the `log` sandbox or Twilio) on the sms channel;
// To is an E.164 phone number and the text is the title and body on
// separate lines. sms.Sender neither takes an idempotency key nor tells
// permanent failures apart, so every error it returns is retryable here.
type SMS struct {
	sender sms.Sender
}

// NewSMS adapts sender.
func NewSMS(sender sms.Sender) *SMS { return &SMS{sender: sender} }

// Channel returns "sms".
func (s *SMS) Channel() string { return enums.ChannelSMS }

// Send sends the text and returns the SMS provider's message ID.
func (s *SMS) Send(ctx context.Context, m Message) (string, error) {
	if err := m.validate(enums.ChannelSMS); err != nil {
		return "", err
	}
	text := m.Body
	if m.Title != "" {
		text = m.Title + "\n" + m.Body
	}
	return s.sender.Send(ctx, m.To, text)
}
