// Package ratelimit paces calls to providers: a token bucket per channel so
// a notification job with a million recipients sends no faster than each
// provider (and our account with it) allows.
//
// It exists instead of golang.org/x/time/rate to keep the dependency list
// short; the algorithm is GCRA (the "virtual scheduling" form of a token
// bucket), which keeps one timestamp instead of a float token count, so
// rates stay exact over long runs and under a fake clock.
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// Limiter is a token bucket: up to burst calls at once, refilled at a steady
// rate. A Limiter with a rate ≤ 0 is unlimited. Safe for concurrent use.
type Limiter struct {
	interval  time.Duration // time to earn one token; 0 means unlimited
	tolerance time.Duration // (burst-1) * interval: how far ahead calls may run
	now       func() time.Time
	sleep     func(ctx context.Context, d time.Duration) error

	mu  sync.Mutex
	tat time.Time // theoretical arrival time of the next call at the steady rate
}

// Option customizes a Limiter.
type Option func(*Limiter)

// WithClock replaces the real clock, for tests: now reads the time, sleep
// waits d or until ctx ends (returning ctx's error).
func WithClock(now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(l *Limiter) {
		l.now = now
		l.sleep = sleep
	}
}

// New returns a limiter allowing perSecond calls a second on average and
// burst calls at once. perSecond ≤ 0 (or +Inf) means unlimited; burst < 1 is
// taken as 1.
func New(perSecond float64, burst int, opts ...Option) *Limiter {
	l := &Limiter{now: time.Now, sleep: sleepContext}
	for _, opt := range opts {
		opt(l)
	}
	if perSecond > 0 && !math.IsInf(perSecond, 1) {
		l.interval = max(time.Duration(float64(time.Second)/perSecond), 1)
		l.tolerance = time.Duration(max(burst, 1)-1) * l.interval
	}
	return l
}

// Allow takes a token if one is available now and reports whether it did.
func (l *Limiter) Allow() bool {
	if l.interval == 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	base := later(l.tat, now)
	if base.Sub(now) > l.tolerance {
		return false
	}
	l.tat = base.Add(l.interval)
	return true
}

// Wait blocks until a token is available and takes it. It returns ctx's
// error if ctx ends first, without taking a token; if ctx's deadline would
// pass before the token, it returns at once with an error wrapping
// context.DeadlineExceeded.
func (l *Limiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l.interval == 0 {
		return nil
	}
	l.mu.Lock()
	now := l.now()
	base := later(l.tat, now)
	wait := max(base.Sub(now)-l.tolerance, 0)
	if deadline, ok := ctx.Deadline(); ok && wait > 0 && now.Add(wait).After(deadline) {
		l.mu.Unlock()
		return fmt.Errorf("ratelimit: next token in %s, after the context deadline: %w", wait, context.DeadlineExceeded)
	}
	l.tat = base.Add(l.interval) // reserve the token, then wait for it
	l.mu.Unlock()
	if wait == 0 {
		return nil
	}
	if err := l.sleep(ctx, wait); err != nil {
		l.mu.Lock()
		l.tat = l.tat.Add(-l.interval) // give the reservation back
		l.mu.Unlock()
		return err
	}
	return nil
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// sleepContext waits d on the real clock or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
