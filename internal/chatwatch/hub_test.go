package chatwatch

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
)

// fakeStore is one group's changes in memory; send commits a change and
// notifies the hub, as a chat write's transaction does.
type fakeStore struct {
	mu      sync.Mutex
	group   uuid.UUID
	changes []db.GroupMessage
	notify  chan uuid.UUID
	// duringWatchers, when set, runs inside every Watchers call.
	duringWatchers func()
}

func newFakeStore() *fakeStore {
	return &fakeStore{group: uuid.New(), notify: make(chan uuid.UUID, 100000)}
}

func (s *fakeStore) send() {
	s.mu.Lock()
	seq := int64(len(s.changes) + 1)
	s.changes = append(s.changes, db.GroupMessage{ID: uuid.New(), GroupID: s.group, Seq: seq, ChangeSeq: seq})
	s.mu.Unlock()
	s.notify <- s.group
}

type fakeListener struct{ s *fakeStore }

func (l fakeListener) Next(ctx context.Context) (uuid.UUID, error) {
	select {
	case id := <-l.s.notify:
		return id, nil
	case <-ctx.Done():
		return uuid.Nil, ctx.Err()
	}
}

func (l fakeListener) Close(context.Context) error { return nil }

func (s *fakeStore) Listen(context.Context) (Listener, error) { return fakeListener{s}, nil }

func (s *fakeStore) LastSeqs(context.Context, []uuid.UUID) (map[uuid.UUID]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[uuid.UUID]int64{s.group: int64(len(s.changes))}, nil
}

func (s *fakeStore) ChangesAfter(_ context.Context, _ uuid.UUID, after int64, limit int) ([]db.GroupMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := s.changes[min(int(after), len(s.changes)):]
	return append([]db.GroupMessage(nil), rows[:min(limit, len(rows))]...), nil
}

func (s *fakeStore) Watchers(_ context.Context, _ uuid.UUID, users []uuid.UUID) (bool, map[uuid.UUID]bool, error) {
	if s.duringWatchers != nil {
		s.duringWatchers()
	}
	members := map[uuid.UUID]bool{}
	for _, u := range users {
		members[u] = true
	}
	return true, members, nil
}

// receive reads n events and returns their change sequences.
func receive(t *testing.T, sub *Subscription, n int) []int64 {
	t.Helper()
	var seqs []int64
	timeout := time.After(10 * time.Second)
	for len(seqs) < n {
		select {
		case ev := <-sub.Events():
			seqs = append(seqs, ev.Message.ChangeSeq)
		case <-timeout:
			t.Fatalf("got %d of %d events", len(seqs), n)
		}
	}
	return seqs
}

func upTo(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

func TestHub_SlowReaderDelaysNoOneAndCatchesUpInOrder(t *testing.T) {
	store := newFakeStore()
	hub := New(store, Options{Buffer: 8})
	ctx := context.Background()
	slow, err := hub.Subscribe(ctx, uuid.New(), []Watch{{GroupID: store.group}})
	require.NoError(t, err)
	defer slow.Close()
	fast, err := hub.Subscribe(ctx, uuid.New(), []Watch{{GroupID: store.group}})
	require.NoError(t, err)
	defer fast.Close()

	const n = 500
	got := make(chan []int64)
	go func() { got <- receive(t, fast, n) }()
	for range n {
		store.send()
	}
	assert.Equal(t, upTo(n), <-got, "the fast reader got every change while the slow one read nothing")
	assert.Equal(t, upTo(n), receive(t, slow, n), "the slow reader then re-read what it missed, in order, once")
}

func TestHub_TooFarBehindEndsTheStream(t *testing.T) {
	store := newFakeStore()
	hub := New(store, Options{Buffer: 4, MaxBehind: 50})
	slow, err := hub.Subscribe(context.Background(), uuid.New(), []Watch{{GroupID: store.group}})
	require.NoError(t, err)
	for range 100 {
		store.send()
	}
	select {
	case <-slow.Done():
		assert.ErrorIs(t, slow.Err(), ErrTooFarBehind)
	case <-time.After(10 * time.Second):
		t.Fatal("the lagging stream was not ended")
	}
}

func TestHub_SixthStreamOfAUserIsRefused(t *testing.T) {
	store := newFakeStore()
	hub := New(store, Options{})
	user := uuid.New()
	for range 5 {
		sub, err := hub.Subscribe(context.Background(), user, []Watch{{GroupID: store.group}})
		require.NoError(t, err)
		defer sub.Close()
	}
	_, err := hub.Subscribe(context.Background(), user, []Watch{{GroupID: store.group}})
	require.ErrorIs(t, err, ErrTooManyStreams)
}

func TestHub_StreamSubscribingDuringAMembershipCheckKeepsItsWatch(t *testing.T) {
	store := newFakeStore()
	hub := New(store, Options{})
	ctx := context.Background()
	var (
		once    sync.Once
		late    *Subscription
		lateErr error
		joined  = make(chan struct{})
	)
	store.duringWatchers = func() {
		once.Do(func() {
			late, lateErr = hub.Subscribe(ctx, uuid.New(), []Watch{{GroupID: store.group, MemberOnly: true}})
			close(joined)
		})
	}
	first, err := hub.Subscribe(ctx, uuid.New(), []Watch{{GroupID: store.group, MemberOnly: true}})
	require.NoError(t, err)
	defer first.Close()
	store.send()
	assert.Equal(t, upTo(1), receive(t, first, 1))
	<-joined
	require.NoError(t, lateErr)
	defer late.Close()

	store.send()
	assert.Equal(t, []int64{2}, receive(t, late, 1), "a member who subscribed while the hub checked the others still gets the chat")
	assert.Empty(t, late.Removals(), "nobody removed the member who subscribed during the check")
}
