package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/ratelimit"
)

func TestPerKey(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	p := ratelimit.NewPerKey(map[string]float64{"sms": 1, "email": 5, "push": 0, "telegram": -1}, 2, clock.option())

	tests := []struct {
		key  string
		want int // of 100 immediate calls
	}{
		{"sms", 2},
		{"email", 2},
		{"push", 100},     // rate 0: unlimited
		{"telegram", 100}, // negative: unlimited
		{"in_app", 100},   // not configured: unlimited
	}
	for _, tc := range tests {
		got := 0
		for range 100 {
			if p.Allow(tc.key) {
				got++
			}
		}
		assert.Equal(t, tc.want, got, tc.key)
	}

	// Keys are independent: waiting on sms paces sms only.
	require.NoError(t, p.Wait(context.Background(), "sms"))
	assert.Equal(t, time.Second, clock.elapsedSleeping())
	require.NoError(t, p.Wait(context.Background(), "push"))
	assert.Equal(t, time.Second, clock.elapsedSleeping())
	assert.Same(t, p.Limiter("sms"), p.Limiter("sms"))
}
