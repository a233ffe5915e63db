package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
)

// Sandbox is a Sender for any channel that delivers nothing: it records
// messages in memory so tests (and a developer reading the log) can see what
// a user would have received. Like a real provider honouring idempotency
// keys, it delivers each IdempotencyKey once and answers repeats with the
// first message ID. Failures can be injected with FailNext and FailFor.
// Safe for concurrent use.
type Sandbox struct {
	channel string
	log     *slog.Logger

	mu          sync.Mutex
	sent        []Message
	ids         map[string]string // idempotency key -> provider message ID
	failNext    int
	failNextErr error
	failFor     map[string]error
}

// SandboxOption customizes a Sandbox.
type SandboxOption func(*Sandbox)

// WithLogger makes the sandbox log every delivered message (as `make run`
// wants, so a developer sees notifications in the console).
func WithLogger(log *slog.Logger) SandboxOption {
	return func(s *Sandbox) { s.log = log }
}

// errInjected is used when FailNext is given a nil error.
var errInjected = errors.New("sandbox: injected failure")

// NewSandbox returns a sandbox for channel ("push", "email", "sms" or
// "telegram").
func NewSandbox(channel string, opts ...SandboxOption) *Sandbox {
	s := &Sandbox{
		channel: channel,
		log:     slog.New(slog.DiscardHandler),
		ids:     make(map[string]string),
		failFor: make(map[string]error),
	}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// Channel returns the channel the sandbox stands in for.
func (s *Sandbox) Channel() string { return s.channel }

// Send records m and returns a message ID, or the first send's ID if m's
// IdempotencyKey was delivered before. Injected failures come first, as in an
// outage that fails repeats too.
func (s *Sandbox) Send(ctx context.Context, m Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := m.validate(s.channel); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNext > 0 {
		s.failNext--
		return "", s.failNextErr
	}
	if err, ok := s.failFor[m.To]; ok {
		return "", err
	}
	if id, ok := s.ids[m.IdempotencyKey]; ok {
		return id, nil
	}
	id := fmt.Sprintf("sandbox-%s-%d", s.channel, len(s.sent)+1)
	m.Data = maps.Clone(m.Data)
	s.ids[m.IdempotencyKey] = id
	s.sent = append(s.sent, m)
	s.log.Info("notify sandbox", "channel", s.channel, "to", m.To, "title", m.Title, "body", m.Body, "id", id)
	return id, nil
}

// FailNext makes the next n sends fail with err (wrap
// ErrPermanent for a permanent failure; nil means a generic retryable one).
// It replaces any earlier FailNext.
func (s *Sandbox) FailNext(n int, err error) {
	if err == nil {
		err = errInjected
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failNextErr = n, err
}

// FailFor makes every send to `to` fail with err, as for an address the
// provider rejects; a nil err removes the failure.
func (s *Sandbox) FailFor(to string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.failFor, to)
		return
	}
	s.failFor[to] = err
}

// Sent returns every delivered message, oldest first.
func (s *Sandbox) Sent() []Message { return s.filter(func(Message) bool { return true }) }

// SentTo returns the messages delivered to `to`, oldest first.
func (s *Sandbox) SentTo(to string) []Message {
	return s.filter(func(m Message) bool { return m.To == to })
}

// Count returns how many messages were delivered (repeats not counted).
func (s *Sandbox) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sent)
}

// filter copies the recorded messages that keep accepts.
func (s *Sandbox) filter(keep func(Message) bool) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.sent {
		if keep(m) {
			m.Data = maps.Clone(m.Data)
			out = append(out, m)
		}
	}
	return out
}
