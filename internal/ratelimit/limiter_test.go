package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/ratelimit"
)

// fakeClock is a manual clock whose sleep advances time instantly.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept += d
	return nil
}

func (c *fakeClock) elapsedSleeping() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.slept
}

func (c *fakeClock) option() ratelimit.Option { return ratelimit.WithClock(c.now, c.sleep) }

// allowed counts how many of n immediate Allow calls succeed.
func allowed(l *ratelimit.Limiter, n int) int {
	count := 0
	for range n {
		if l.Allow() {
			count++
		}
	}
	return count
}

func TestLimiter_AllowBurstThenRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		rate  float64
		burst int
	}{
		{"one per second, no burst", 1, 1},
		{"ten per second, burst five", 10, 5},
		{"burst larger than rate", 2, 8},
		{"slower than one per second", 0.5, 3},
		{"burst below one is one", 4, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			l := ratelimit.New(tc.rate, tc.burst, clock.option())
			burst := max(tc.burst, 1)

			require.Equal(t, burst, allowed(l, 3*burst), "a full bucket allows exactly burst")

			interval := time.Duration(float64(time.Second) / tc.rate)
			for range 5 {
				clock.advance(interval)
				require.Equal(t, 1, allowed(l, 3), "one token per interval")
			}

			clock.advance(time.Hour)
			require.Equal(t, burst, allowed(l, 3*burst), "an idle bucket refills to burst, not beyond")
		})
	}
}

func TestLimiter_WaitPacesAtRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		rate  float64
		burst int
	}{
		{"ten per second, burst five", 10, 5},
		{"two per second, no burst", 2, 1},
		{"hundred per second, burst twenty", 100, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			l := ratelimit.New(tc.rate, tc.burst, clock.option())
			ctx := context.Background()

			for range tc.burst {
				require.NoError(t, l.Wait(ctx))
			}
			assert.Zero(t, clock.elapsedSleeping(), "the burst goes through without waiting")

			const seconds = 3
			for range seconds * int(tc.rate) {
				require.NoError(t, l.Wait(ctx))
			}
			assert.Equal(t, seconds*time.Second, clock.elapsedSleeping(), "then exactly rate per second")
			assert.False(t, l.Allow(), "no token left over")
		})
	}
}

func TestLimiter_WaitCanceledTakesNoToken(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	blocked := make(chan struct{})
	sleepUntilCanceled := func(ctx context.Context, _ time.Duration) error {
		close(blocked)
		<-ctx.Done()
		return ctx.Err()
	}
	l := ratelimit.New(1, 1, ratelimit.WithClock(clock.now, sleepUntilCanceled))
	require.True(t, l.Allow())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx) }()
	<-blocked
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	require.ErrorIs(t, l.Wait(ctx), context.Canceled, "an ended context fails at once")

	clock.advance(time.Second)
	assert.Equal(t, 1, allowed(l, 3), "the canceled waits gave their tokens back")
}

func TestLimiter_WaitPastDeadlineFailsAtOnce(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := ratelimit.New(1.0/3600, 1, clock.option()) // one an hour
	require.True(t, l.Allow())

	ctx, cancel := context.WithDeadline(context.Background(), clock.now().Add(time.Minute))
	defer cancel()
	err := l.Wait(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Zero(t, clock.elapsedSleeping(), "no point waiting for a token after the deadline")

	clock.advance(time.Hour)
	assert.True(t, l.Allow(), "the failed wait reserved nothing")
}

func TestLimiter_Unlimited(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{0, -5} {
		l := ratelimit.New(rate, 1)
		assert.Equal(t, 1000, allowed(l, 1000))
		require.NoError(t, l.Wait(context.Background()))
	}
}

func TestLimiter_ConcurrentAllowNeverExceedsBurst(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := ratelimit.New(1, 10, clock.option())
	var granted atomic.Int32
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if l.Allow() {
				granted.Add(1)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 10, granted.Load())
}

func TestLimiter_WaitRealClock(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(100, 1)
	start := time.Now()
	for range 20 {
		require.NoError(t, l.Wait(context.Background()))
	}
	// 1 immediately, then 19 at 10ms intervals. Lower bound only: a slow
	// machine may take longer, never shorter.
	assert.GreaterOrEqual(t, time.Since(start), 180*time.Millisecond)
}
