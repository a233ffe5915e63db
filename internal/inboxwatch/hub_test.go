package inboxwatch_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/inboxwatch"
)

// fakeStore serves rows from memory and counts round trips.
type fakeStore struct {
	mu      sync.Mutex
	rows    []db.InboxNotification
	dead    map[db.SessionKey]bool
	queries int
}

func (f *fakeStore) Now(context.Context) (time.Time, error) { return time.Unix(1000, 0), nil }

func (f *fakeStore) RowsAfter(_ context.Context, users []uuid.UUID, after time.Time, _ uuid.UUID, limit int) ([]db.InboxNotification, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries++
	var out []db.InboxNotification
	for _, r := range f.rows {
		if r.CreatedAt.After(after) && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeStore) LiveSessions(_ context.Context, keys []db.SessionKey) (map[db.SessionKey]bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries++
	out := map[db.SessionKey]bool{}
	for _, k := range keys {
		out[k] = !f.dead[k]
	}
	return out, nil
}

func (f *fakeStore) add(user uuid.UUID, at int64) db.InboxNotification {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := db.InboxNotification{Notification: db.Notification{ID: uuid.New(), RecipientUserID: user}}
	r.CreatedAt = time.Unix(at, 0)
	f.rows = append(f.rows, r)
	return r
}

func (f *fakeStore) roundTrips() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries
}

// newHub returns a hub whose timers never fire in a test: the test drives
// Poll and Recheck itself.
func newHub(store *fakeStore, now func() time.Time) *inboxwatch.Hub {
	return inboxwatch.New(store, inboxwatch.Options{PollInterval: time.Hour, RecheckInterval: time.Hour, Now: now, Batch: 2})
}

func key() db.SessionKey { return db.SessionKey{UserID: uuid.New(), SessionID: uuid.New()} }

func TestHub_OnePollServesEveryWatch(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	hub := newHub(store, nil)
	ctx := context.Background()
	var (
		subs []*inboxwatch.Subscription
		keys []db.SessionKey
	)
	for range 50 {
		k := key()
		sub, err := hub.Subscribe(ctx, k, time.Now().Add(time.Hour))
		require.NoError(t, err)
		subs, keys = append(subs, sub), append(keys, k)
	}
	before := store.roundTrips()
	for range 10 {
		require.True(t, hub.Poll(ctx))
	}
	assert.Equal(t, 10, store.roundTrips()-before, "ten idle polls for fifty watches are ten queries")

	first := subs[0]
	store.add(uuid.New(), 1001) // nobody watches its user
	r2, r3 := store.add(keys[0].UserID, 1002), store.add(keys[0].UserID, 1003)
	require.True(t, hub.Poll(ctx))
	assert.Equal(t, r2.ID, (<-first.Notifications()).ID)
	assert.Equal(t, r3.ID, (<-first.Notifications()).ID, "a full batch is followed by another read in the same poll")
	assert.Empty(t, subs[1].Notifications(), "other users' rows go nowhere else")
}

func TestHub_SixthWatchOfAUserClosesTheOldest(t *testing.T) {
	t.Parallel()
	hub := newHub(&fakeStore{}, nil)
	k := key()
	var subs []*inboxwatch.Subscription
	for range 6 {
		sub, err := hub.Subscribe(context.Background(), k, time.Now().Add(time.Hour))
		require.NoError(t, err)
		subs = append(subs, sub)
	}
	<-subs[0].Done()
	require.ErrorIs(t, subs[0].Err(), inboxwatch.ErrReplaced)
	for _, s := range subs[1:] {
		select {
		case <-s.Done():
			t.Fatal("a newer watch was closed")
		default:
		}
	}
}

func TestHub_RecheckEndsExpiredAndEndedSessions(t *testing.T) {
	t.Parallel()
	now := time.Unix(5000, 0)
	store := &fakeStore{dead: map[db.SessionKey]bool{}}
	hub := newHub(store, func() time.Time { return now })
	ctx := context.Background()
	expiring, loggedOut, fine := key(), key(), key()
	subExpiring, err := hub.Subscribe(ctx, expiring, now.Add(time.Minute))
	require.NoError(t, err)
	subLoggedOut, err := hub.Subscribe(ctx, loggedOut, now.Add(time.Hour))
	require.NoError(t, err)
	subFine, err := hub.Subscribe(ctx, fine, now.Add(time.Hour))
	require.NoError(t, err)

	store.dead[loggedOut] = true
	now = now.Add(time.Minute)
	before := store.roundTrips()
	hub.Recheck(ctx)
	assert.Equal(t, 1, store.roundTrips()-before, "every session in one round trip")
	<-subExpiring.Done()
	<-subLoggedOut.Done()
	assert.ErrorIs(t, subExpiring.Err(), inboxwatch.ErrTokenExpired)
	assert.ErrorIs(t, subLoggedOut.Err(), inboxwatch.ErrSessionEnded)
	select {
	case <-subFine.Done():
		t.Fatal("a live watch was closed")
	default:
	}
}

func TestHub_StopsWhenNobodyWatches(t *testing.T) {
	t.Parallel()
	hub := newHub(&fakeStore{}, nil)
	sub, err := hub.Subscribe(context.Background(), key(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	sub.Close()
	assert.False(t, hub.Poll(context.Background()), "the poller stops with its last watch")
	assert.NoError(t, sub.Err(), "a watch its client closed has no error")
}
