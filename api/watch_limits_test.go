package api_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/convene/convene/internal/auth"
	"github.com/convene/convene/internal/testenv"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
)

// watch is one open WatchNotifications stream, read in the background.
type watch struct {
	got   chan *notificationsv1.Notification // closed when the stream ends
	ended chan error                         // the stream's error, once it ends
}

// openWatch opens a stream as s and returns once the server registered it.
func openWatch(t *testing.T, a *testenv.API, s testenv.Session) *watch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := a.Notifications.WatchNotifications(ctx, testenv.As(s, &notificationsv1.WatchNotificationsRequest{}))
	require.NoError(t, err)
	stream.ResponseHeader() // the server has registered the watch
	w := &watch{got: make(chan *notificationsv1.Notification, 10), ended: make(chan error, 1)}
	go func() {
		defer close(w.got)
		for stream.Receive() {
			w.got <- stream.Msg().GetNotification()
		}
		w.ended <- stream.Err()
	}()
	return w
}

// requireEnded waits for w to end with code.
func requireEnded(t *testing.T, w *watch, code connect.Code, within time.Duration) error {
	t.Helper()
	select {
	case err := <-w.ended:
		testenv.RequireCode(t, err, code)
		return err
	case <-time.After(within):
		t.Fatalf("the stream did not end within %s", within)
		return nil
	}
}

// requireOpen asserts w has not ended.
func requireOpen(t *testing.T, w *watch) {
	t.Helper()
	select {
	case err := <-w.ended:
		t.Fatalf("the stream ended: %v", err)
	default:
	}
}

func TestWatchNotifications_SixthStreamClosesTheOldest(t *testing.T) {
	a := setup(t)
	alice := a.NewUser(t, newPhone())
	watches := make([]*watch, 6)
	for i := range watches {
		watches[i] = openWatch(t, a, alice)
	}

	err := requireEnded(t, watches[0], connect.CodeResourceExhausted, 5*time.Second)
	assert.Contains(t, err.Error(), "oldest was closed")
	want := notify(t, a, alice, "for every open watch")
	for i, w := range watches[1:] {
		select {
		case n, ok := <-w.got:
			require.True(t, ok, "watch %d ended", i+1)
			assert.Equal(t, want.ID.String(), n.GetId())
		case <-time.After(5 * time.Second):
			t.Fatalf("watch %d got nothing within 5s", i+1)
		}
		requireOpen(t, w)
	}
}

func TestWatchNotifications_EndsWhenTheTokenExpires(t *testing.T) {
	a := setup(t)
	w := openWatch(t, a, a.NewUser(t, newPhone()))
	requireOpen(t, w)

	a.Clock.Advance(auth.AccessTokenTTL + time.Second)
	err := requireEnded(t, w, connect.CodeUnauthenticated, 3*sessionCheckTTL)
	assert.Contains(t, err.Error(), "expired")
}

func TestWatchNotifications_EndsOnLogout(t *testing.T) {
	a := setup(t)
	s := a.Login(t, newPhone())
	w := openWatch(t, a, s)

	_, err := a.Auth.Logout(context.Background(), connect.NewRequest(&identityv1.LogoutRequest{RefreshToken: s.RefreshToken}))
	require.NoError(t, err)
	a.Clock.Advance(sessionCheckTTL + time.Second)
	err = requireEnded(t, w, connect.CodeUnauthenticated, 3*sessionCheckTTL)
	assert.Contains(t, err.Error(), "session has ended")
}

// queryCounter counts the queries that read the inbox.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (c *queryCounter) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if strings.Contains(e.Query, `"notifications"`) {
		c.n.Add(1)
	}
}

func TestWatchNotifications_IdleStreamsShareOnePoller(t *testing.T) {
	t.Parallel()
	a := testenv.NewAPI(t, nil) // no worker: the watches are the only readers
	counter := &queryCounter{}
	a.DB.AddQueryHook(counter) // before anything queries concurrently
	const streams = 20
	watches := make([]*watch, streams)
	for i := range watches {
		watches[i] = openWatch(t, a, a.NewUser(t, newPhone()))
	}

	before := counter.n.Load()
	const idle = 2 * time.Second // four polls at 500 ms
	time.Sleep(idle)
	// One query a poll for all 20 streams (plus one spare tick); polling
	// per stream, as before, made 20 a poll.
	assert.LessOrEqual(t, counter.n.Load()-before, int64(idle/(500*time.Millisecond))+1)
	for _, w := range watches {
		requireOpen(t, w)
	}
}
