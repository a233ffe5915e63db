// Package inboxwatch fans new inbox rows out to the live WatchNotifications
// streams of one API process. One poller per process reads the new rows of
// every watching user in one query per tick, so an idle stream costs no
// database round trip of its own; it reads rows written by any API or
// worker process, which an in-process signal would miss.
//
// The hub also bounds the streams: at most MaxPerUser per user (a new one
// closes the oldest), and a stream ends when its access token expires, or
// when its user is disabled or its session logged out (re-checked for all
// streams together every RecheckInterval).
package inboxwatch

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/convene/convene/db"
)

// Why the hub ended a subscription (Subscription.Err).
var (
	// ErrReplaced: the user opened more than MaxPerUser watches; this was the oldest.
	ErrReplaced = errors.New("too many open watches for this user: the oldest was closed")
	// ErrTokenExpired: the access token the watch was opened with expired.
	ErrTokenExpired = errors.New("the access token of this watch expired; refresh it and watch again")
	// ErrSessionEnded: the user was disabled or the session logged out.
	ErrSessionEnded = errors.New("this session has ended (signed out, or the account is disabled); sign in again")
	// ErrTooSlow: the client did not keep up with its notifications.
	ErrTooSlow = errors.New("the client fell behind its notifications; watch again and list what was missed")
)

// Store is the hub's database access.
type Store interface {
	// Now reads the database clock, which stamps the rows' created_at.
	Now(ctx context.Context) (time.Time, error)
	// RowsAfter returns the new rows of any of userIDs after the cursor.
	RowsAfter(ctx context.Context, userIDs []uuid.UUID, after time.Time, afterID uuid.UUID, limit int) ([]db.InboxNotification, error)
	// LiveSessions reports which keys may still act.
	LiveSessions(ctx context.Context, keys []db.SessionKey) (map[db.SessionKey]bool, error)
}

// Options configure a Hub; zero fields take the defaults.
type Options struct {
	// PollInterval is how often new rows are read (500 ms).
	PollInterval time.Duration
	// RecheckInterval is how often token expiry and sessions are re-checked (5 s).
	RecheckInterval time.Duration
	// MaxPerUser caps the open watches of one user (5).
	MaxPerUser int
	// Batch bounds the rows one query reads; a poll reads until drained (100).
	Batch int
	// Buffer is how many rows may wait for one slow client (256).
	Buffer int
	// Now is the clock token expiry is judged by (time.Now).
	Now func() time.Time
	// Log receives poll failures (slog.Default()).
	Log *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.PollInterval <= 0 {
		o.PollInterval = 500 * time.Millisecond
	}
	if o.RecheckInterval <= 0 {
		o.RecheckInterval = 5 * time.Second
	}
	if o.MaxPerUser <= 0 {
		o.MaxPerUser = 5
	}
	if o.Batch <= 0 {
		o.Batch = 100
	}
	if o.Buffer <= 0 {
		o.Buffer = 256
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return o
}

// Hub is one process's poller and its subscribers. It runs only while
// someone watches. Safe for concurrent use.
type Hub struct {
	store Store
	opts  Options

	mu      sync.Mutex
	running bool
	after   time.Time // cursor: the newest row delivered
	afterID uuid.UUID
	byUser  map[uuid.UUID][]*Subscription // oldest first

	queries atomic.Int64
}

// New returns a hub reading through store.
func New(store Store, opts Options) *Hub {
	return &Hub{store: store, opts: opts.withDefaults(), byUser: map[uuid.UUID][]*Subscription{}}
}

// Queries counts the database round trips the hub has made, for tests and
// metrics: it grows with time, not with the number of watches.
func (h *Hub) Queries() int64 { return h.queries.Load() }

// Subscription is one watch. Read Notifications until Done is closed; Err
// then says why the hub ended it. Close it when the client leaves.
type Subscription struct {
	hub       *Hub
	key       db.SessionKey
	expiresAt time.Time
	rows      chan db.InboxNotification
	done      chan struct{}
	once      sync.Once
	err       error
}

// Notifications delivers the user's new rows in order.
func (s *Subscription) Notifications() <-chan db.InboxNotification { return s.rows }

// Done is closed when the hub ends the subscription.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err is why the hub ended the subscription (nil before Done is closed or
// after Close).
func (s *Subscription) Err() error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.err
}

// Close removes the subscription; its client left.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.removeLocked(s, nil)
}

// Subscribe starts a watch of key's user until expiresAt. Every row
// created after Subscribe returns is delivered (rows created shortly
// before may be too). Starting the poller reads the database clock once.
func (h *Hub) Subscribe(ctx context.Context, key db.SessionKey, expiresAt time.Time) (*Subscription, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.running {
		now, err := h.store.Now(ctx)
		h.queries.Add(1)
		if err != nil {
			return nil, err
		}
		h.after, h.afterID, h.running = now, uuid.Nil, true
		go h.run()
	}
	sub := &Subscription{hub: h, key: key, expiresAt: expiresAt,
		rows: make(chan db.InboxNotification, h.opts.Buffer), done: make(chan struct{})}
	subs := append(h.byUser[key.UserID], sub)
	h.byUser[key.UserID] = subs
	if len(subs) > h.opts.MaxPerUser {
		h.removeLocked(subs[0], ErrReplaced)
	}
	return sub, nil
}

// removeLocked drops sub, ending it with why (nil when its client left).
// The caller holds mu.
func (h *Hub) removeLocked(sub *Subscription, why error) {
	subs := h.byUser[sub.key.UserID]
	for i, s := range subs {
		if s == sub {
			subs = append(subs[:i:i], subs[i+1:]...)
			break
		}
	}
	if len(subs) == 0 {
		delete(h.byUser, sub.key.UserID)
	} else {
		h.byUser[sub.key.UserID] = subs
	}
	sub.once.Do(func() {
		sub.err = why
		close(sub.done)
	})
}
