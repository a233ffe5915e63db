// Package notify delivers notifications on external channels: push (FCM),
// email (SMTP), SMS and Telegram. Convene depends only on Sender; Sandbox
// records messages in memory (dev and tests), the other types talk to real
// providers.
//
// Retries are the caller's job. A Sender returns an error wrapping
// ErrPermanent when retrying cannot help (the recipient or the message is
// at fault: unknown address, unregistered device, bot blocked); any other
// error (network, rate limit, provider outage, our own misconfiguration) may
// succeed later. Only the Sandbox and SMTP (through Message-ID) carry the
// idempotency key to the other side; Telegram and FCM have no such key, so
// a retry after a lost response can deliver twice there, and callers should
// record the returned provider message ID before anything else.
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Message is one notification to deliver on one channel.
type Message struct {
	// IdempotencyKey is the notification item's ID: sending the same key
	// twice must not deliver twice. Required.
	IdempotencyKey string
	// To is the device token, email address, phone number or Telegram chat
	// ID, depending on the channel. Required.
	To string
	// Title is the push title or email subject; Telegram and SMS put it on
	// the first line.
	Title string
	// Body is the plain-text content.
	Body string
	// Data is extra key/value payload for push (the app reads it to deep
	// link); other channels ignore it.
	Data map[string]string
}

// Sender delivers on one channel and returns the provider's message ID.
type Sender interface {
	// Channel is "push", "email", "sms" or "telegram".
	Channel() string
	// Send delivers m. An error wrapping ErrPermanent must not be retried.
	Send(ctx context.Context, m Message) (providerMessageID string, err error)
}

// ErrPermanent marks failures a retry cannot fix (bad address, unregistered
// device, blocked bot). Wrap it, and test with errors.Is.
var ErrPermanent = errors.New("permanent delivery failure: do not retry; fix or remove the recipient")

// Error is a provider's refusal of a message, with what is needed to log it
// and decide on a retry. errors.Is(err, ErrPermanent) is true when Permanent.
type Error struct {
	// Channel is the Sender's channel.
	Channel string
	// StatusCode is the HTTP status, or the SMTP reply code.
	StatusCode int
	// Code is the provider's own error code (e.g. FCM's "UNREGISTERED"),
	// empty if it gave none.
	Code string
	// Message is the provider's description.
	Message string
	// Permanent is true when the recipient or the message is at fault.
	Permanent bool
	// RetryAfter is how long the provider asked us to wait, 0 if it did not.
	RetryAfter time.Duration
}

// Error implements error.
func (e *Error) Error() string {
	kind := "temporarily"
	if e.Permanent {
		kind = "permanently"
	}
	s := fmt.Sprintf("%s provider %s refused message (status %d", e.Channel, kind, e.StatusCode)
	if e.Code != "" {
		s += ", " + e.Code
	}
	s += ")"
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf("; retry after %s", e.RetryAfter)
	}
	return s
}

// Is makes errors.Is(err, ErrPermanent) report e.Permanent.
func (e *Error) Is(target error) bool { return target == ErrPermanent && e.Permanent }

// validate rejects messages no provider can deliver; the error is permanent
// because it is a bug in the caller, which a retry will not fix.
func (m Message) validate(channel string) error {
	switch {
	case m.IdempotencyKey == "":
		return fmt.Errorf("%s message has no IdempotencyKey; set it to the notification item's ID: %w", channel, ErrPermanent)
	case m.To == "":
		return fmt.Errorf("%s message has no recipient (To): %w", channel, ErrPermanent)
	}
	return nil
}
