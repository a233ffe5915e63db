package social

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Op names a sandbox call a Failure applies to.
type Op string

// The calls a Failure can target.
const (
	OpPublish  Op = "publish"
	OpLookup   Op = "lookup"
	OpMetrics  Op = "metrics"
	OpComments Op = "comments"
)

type failureKind int

const (
	failReject failureKind = iota + 1
	failUnavailable
	failRateLimit
	failTimeoutAfterAccept
	failLookupUnknown
)

// Failure is what FailNext makes a sandbox call do instead of succeeding.
// Each applies to Publish unless On says otherwise (LookupUnknown applies
// to LookupPost).
type Failure struct {
	kind       failureKind
	op         Op
	retryAfter time.Duration
}

// The failures a test can ask for.
var (
	// Reject: the platform refuses the call (ErrRejected).
	Reject = Failure{kind: failReject, op: OpPublish}
	// Unavailable: the platform answers 503 (ErrUnavailable); nothing happens.
	Unavailable = Failure{kind: failUnavailable, op: OpPublish}
	// TimeoutAfterAccept: the call takes effect (the post IS created), then
	// the answer never comes: the call blocks until the caller's context
	// ends and returns its error.
	TimeoutAfterAccept = Failure{kind: failTimeoutAfterAccept, op: OpPublish}
	// LookupUnknown: LookupPost cannot say whether the post exists (an
	// error wrapping ErrUnavailable).
	LookupUnknown = Failure{kind: failLookupUnknown, op: OpLookup}
)

// RateLimit is a 429 answering *RateLimitedError{RetryAfter: retryAfter}.
func RateLimit(retryAfter time.Duration) Failure {
	return Failure{kind: failRateLimit, op: OpPublish, retryAfter: retryAfter}
}

// On returns f applied to op's calls instead, e.g. Unavailable.On(OpMetrics).
func (f Failure) On(op Op) Failure {
	f.op = op
	return f
}

// err is the error a failure answers before the call takes effect.
func (f Failure) err() error {
	switch f.kind {
	case failReject:
		return fmt.Errorf("%w: sandbox failure on demand", ErrRejected)
	case failRateLimit:
		return &RateLimitedError{RetryAfter: f.retryAfter}
	case failLookupUnknown:
		return fmt.Errorf("look up post: %w", ErrUnavailable)
	default:
		return fmt.Errorf("%w: sandbox failure on demand (503)", ErrUnavailable)
	}
}

// pendingFailure is a failure waiting for a call that matches key.
type pendingFailure struct {
	key     string
	failure Failure
}

// call describes a sandbox call for matching failures: the account acting,
// the idempotency key or post ID it concerns, and a post's text.
type call struct {
	op      Op
	account string
	ref     string
	text    string
}

// FailNext makes the next call of f's operation fail as f says, when the
// call is by the account whose PlatformUserID is key, concerns the
// idempotency key or post ID key, or publishes a text containing key.
// Several failures for one call are used one per call, oldest first.
func (s *Sandbox) FailNext(key string, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, pendingFailure{key: key, failure: f})
}

// takeFailure removes and returns the oldest failure matching c.
func (s *Sandbox) takeFailure(c call) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, pf := range s.failures {
		if pf.failure.op == c.op && pf.matches(c) {
			s.failures = append(s.failures[:i:i], s.failures[i+1:]...)
			return pf.failure, true
		}
	}
	return Failure{}, false
}

func (pf pendingFailure) matches(c call) bool {
	return pf.key == c.account || pf.key == c.ref ||
		(c.op == OpPublish && pf.key != "" && strings.Contains(c.text, pf.key))
}

// guard runs do as the call c, unless a failure on demand matches c: then
// it answers the failure's error instead or, for TimeoutAfterAccept, runs
// do and blocks until ctx ends.
func (s *Sandbox) guard(ctx context.Context, c call, do func() error) error {
	f, failing := s.takeFailure(c)
	if failing && f.kind != failTimeoutAfterAccept {
		return f.err()
	}
	if err := do(); err != nil {
		return err
	}
	if failing {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}
