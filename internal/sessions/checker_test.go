package sessions_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/sessions"
)

func TestChecker_CachesForTTLThenLooksAgain(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	live := map[db.SessionKey]bool{}
	var lookups [][]db.SessionKey
	checker := sessions.NewChecker(func(_ context.Context, keys []db.SessionKey) (map[db.SessionKey]bool, error) {
		lookups = append(lookups, keys)
		out := map[db.SessionKey]bool{}
		for _, k := range keys {
			out[k] = live[k]
		}
		return out, nil
	}, 5*time.Second, func() time.Time { return now })
	ctx := context.Background()
	a, b := db.SessionKey{UserID: uuid.New()}, db.SessionKey{UserID: uuid.New(), SessionID: uuid.New()}
	live[a], live[b] = true, true

	got, err := checker.LiveMany(ctx, []db.SessionKey{a, b})
	require.NoError(t, err)
	assert.Equal(t, map[db.SessionKey]bool{a: true, b: true}, got)
	require.Len(t, lookups, 1, "both keys in one lookup")

	live[b] = false // logged out
	now = now.Add(4 * time.Second)
	ok, err := checker.Live(ctx, b)
	require.NoError(t, err)
	assert.True(t, ok, "within the TTL the cached answer stands")
	require.Len(t, lookups, 1)

	now = now.Add(time.Second)
	ok, err = checker.Live(ctx, b)
	require.NoError(t, err)
	assert.False(t, ok, "after the TTL the logout is seen")
	require.Len(t, lookups, 2)
	assert.Equal(t, []db.SessionKey{b}, lookups[1], "only the stale key is looked up")
}
