// Package chatwatch fans the chat changes of groups out to the live
// WatchMessages streams of one API process, without polling.
//
// One hub per process holds one dedicated connection LISTENing on
// db.ChatChannel. Chat and membership writes notify it in their
// transaction (sent on commit); a notification only says "group G
// changed", and the hub then reads G's changes after the last one it read,
// once per group per wake however many streams watch G. A lost
// notification or a reconnect loses nothing: after every (re)connect the
// hub re-reads every watched group.
//
// Backpressure: each stream has a buffer of Buffer events and the hub
// never blocks on one. A stream whose buffer is full leaves the hub's
// fan-out and re-reads the database itself until it has caught up; more
// than MaxBehind changes behind, it ends with ErrTooFarBehind.
package chatwatch

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

// Why the hub refused or ended a subscription.
var (
	// ErrTooManyStreams: the user has MaxPerUser open streams in this process.
	ErrTooManyStreams = errors.New("too many open chat watches for this user (at most 5); close one first")
	// ErrTooFarBehind: the client fell more than MaxBehind changes behind.
	ErrTooFarBehind = errors.New("the client fell too far behind the chat; resume with after_seq")
)

// Listener is a LISTEN connection on db.ChatChannel.
type Listener interface {
	// Next waits for the next notification and returns its group.
	Next(ctx context.Context) (uuid.UUID, error)
	Close(ctx context.Context) error
}

// Store is the hub's database access.
type Store interface {
	// Listen opens a dedicated connection LISTENing on db.ChatChannel.
	Listen(ctx context.Context) (Listener, error)
	// LastSeqs reads the last committed change sequence of each group.
	LastSeqs(ctx context.Context, groupIDs []uuid.UUID) (map[uuid.UUID]int64, error)
	// ChangesAfter reads a group's changes after a change sequence, oldest
	// first.
	ChangesAfter(ctx context.Context, groupID uuid.UUID, after int64, limit int) ([]db.GroupMessage, error)
	// Watchers reports whether the group still exists, and which of
	// userIDs are its members.
	Watchers(ctx context.Context, groupID uuid.UUID, userIDs []uuid.UUID) (alive bool, members map[uuid.UUID]bool, err error)
}

// Options configure a Hub; zero fields take the defaults.
type Options struct {
	// Buffer is how many events wait for one stream (256).
	Buffer int
	// MaxBehind is how many changes a stream may lag before it ends (5,000).
	MaxBehind int64
	// MaxPerUser caps the open streams of one user in this process (5).
	MaxPerUser int
	// Batch bounds the rows one read returns; a read repeats until drained (500).
	Batch int
	// RetryDelay is the pause before reconnecting or re-reading after a
	// database error (1 s).
	RetryDelay time.Duration
	// Log receives database errors (slog.Default()).
	Log *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Buffer <= 0 {
		o.Buffer = 256
	}
	if o.MaxBehind <= 0 {
		o.MaxBehind = 5000
	}
	if o.MaxPerUser <= 0 {
		o.MaxPerUser = 5
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return o
}

// Event is what a stream receives: a change of a watched group (Message
// set), or the end of the caller's access to it (Removed).
type Event struct {
	GroupID uuid.UUID
	Message *db.GroupMessage
	Removed bool
}

// Watch is one group of a subscription.
type Watch struct {
	GroupID uuid.UUID
	// After is the last change sequence the client saw; nil starts now.
	After *int64
	// MemberOnly: the caller reads the group as a member (not as its host
	// or staff), so leaving the group ends the watch of it.
	MemberOnly bool
}

// Hub is one process's LISTEN connection and its streams. It runs only
// while someone watches. Safe for concurrent use.
type Hub struct {
	store Store
	opts  Options

	mu      sync.Mutex
	stop    context.CancelFunc // nil while nobody watches
	groups  map[uuid.UUID]*groupWatch
	byUser  map[uuid.UUID]int
	dirty   map[uuid.UUID]bool
	wake    chan struct{}
	queries atomic.Int64
}

// groupWatch is one watched group: the last change the hub read and its
// streams.
type groupWatch struct {
	last int64
	subs map[*Subscription]bool
}

// New returns a hub reading through store.
func New(store Store, opts Options) *Hub {
	return &Hub{store: store, opts: opts.withDefaults(), groups: map[uuid.UUID]*groupWatch{},
		byUser: map[uuid.UUID]int{}, dirty: map[uuid.UUID]bool{}, wake: make(chan struct{}, 1)}
}

// Queries counts the change and membership reads the hub and its lagging
// streams made: it grows with the changes, not with the streams.
func (h *Hub) Queries() int64 { return h.queries.Load() }

// Subscription is one stream. Read Events until Done is closed, then
// Removals; Err then says why the hub ended it. Close it when the client
// leaves.
type Subscription struct {
	hub        *Hub
	user       uuid.UUID
	memberOnly map[uuid.UUID]bool
	// cursor is, per group, the last change put into events; lagging
	// streams are out of the fan-out and read the database themselves.
	// Both are guarded by hub.mu.
	cursor  map[uuid.UUID]int64
	lagging bool
	events  chan Event
	removed chan Event
	catchUp chan struct{}
	done    chan struct{}
	once    sync.Once
	err     error
}

// Events delivers the changes of the watched groups, in change order per
// group.
func (s *Subscription) Events() <-chan Event { return s.events }

// Removals delivers one Removed event per group the caller may no longer
// read; it never blocks the hub.
func (s *Subscription) Removals() <-chan Event { return s.removed }

// Done is closed when the hub ends the subscription.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err is why the hub ended the subscription: nil when every watched group
// was removed or the client closed it.
func (s *Subscription) Err() error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.err
}

// Close ends the subscription; its client left.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.endLocked(s, nil)
}

// Subscribe starts a stream of user's watches. Every change committed
// after Subscribe returns is delivered, and every change after a watch's
// After.
func (h *Hub) Subscribe(ctx context.Context, user uuid.UUID, watches []Watch) (*Subscription, error) {
	ids := make([]uuid.UUID, len(watches))
	for i, w := range watches {
		ids[i] = w.GroupID
	}
	lastSeqs, err := h.store.LastSeqs(ctx, ids)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byUser[user] >= h.opts.MaxPerUser {
		return nil, ErrTooManyStreams
	}
	if h.stop == nil {
		h.startLocked()
	}
	sub := &Subscription{hub: h, user: user, memberOnly: map[uuid.UUID]bool{}, cursor: map[uuid.UUID]int64{},
		events: make(chan Event, h.opts.Buffer), removed: make(chan Event, len(watches)),
		catchUp: make(chan struct{}, 1), done: make(chan struct{})}
	for _, w := range watches {
		g := h.groups[w.GroupID]
		if g == nil {
			g = &groupWatch{last: lastSeqs[w.GroupID], subs: map[*Subscription]bool{}}
			h.groups[w.GroupID] = g
		}
		// Read the group once more: a change committed between LastSeqs
		// and now was not read by anyone.
		h.dirty[w.GroupID] = true
		g.subs[sub] = true
		sub.memberOnly[w.GroupID] = w.MemberOnly
		sub.cursor[w.GroupID] = g.last
		if w.After != nil {
			sub.cursor[w.GroupID] = *w.After
			sub.lagging = sub.lagging || *w.After < g.last
		}
	}
	h.byUser[user]++
	go sub.catchUpLoop()
	if sub.lagging {
		signal(sub.catchUp)
	}
	signal(h.wake)
	return sub, nil
}

// startLocked connects the listener and starts reading; the caller holds mu.
func (h *Hub) startLocked() {
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	go h.listen(ctx)
	go h.readLoop(ctx)
}

// endLocked ends sub with why and drops it from its groups; the hub stops
// when nobody watches. The caller holds mu.
func (h *Hub) endLocked(sub *Subscription, why error) {
	ended := false
	sub.once.Do(func() {
		ended = true
		sub.err = why
		close(sub.done)
	})
	if !ended {
		return
	}
	for id := range sub.cursor {
		h.dropLocked(sub, id)
	}
	if h.byUser[sub.user]--; h.byUser[sub.user] <= 0 {
		delete(h.byUser, sub.user)
	}
	if len(h.byUser) == 0 && h.stop != nil {
		h.stop()
		h.stop = nil
	}
}

// dropLocked takes sub out of one group. The caller holds mu.
func (h *Hub) dropLocked(sub *Subscription, groupID uuid.UUID) {
	delete(sub.cursor, groupID)
	g := h.groups[groupID]
	if g == nil {
		return
	}
	delete(g.subs, sub)
	if len(g.subs) == 0 {
		delete(h.groups, groupID)
		delete(h.dirty, groupID)
	}
}

// listen keeps the LISTEN connection up and marks each notified group for
// reading; after every (re)connect it marks all watched groups, so what
// committed while nobody listened is read too.
func (h *Hub) listen(ctx context.Context) {
	for ctx.Err() == nil {
		l, err := h.store.Listen(ctx)
		if err != nil {
			h.opts.Log.Warn("chat hub: listen", "error", err)
			sleep(ctx, h.opts.RetryDelay)
			continue
		}
		h.markAll()
		for {
			id, err := l.Next(ctx)
			if err != nil {
				if ctx.Err() == nil {
					h.opts.Log.Warn("chat hub: listener lost; reconnecting", "error", err)
				}
				break
			}
			h.mark(id)
		}
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = l.Close(closeCtx)
		cancel()
	}
}

func (h *Hub) mark(groupID uuid.UUID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.groups[groupID] != nil {
		h.dirty[groupID] = true
		signal(h.wake)
	}
}

func (h *Hub) markAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id := range h.groups {
		h.dirty[id] = true
	}
	signal(h.wake)
}

// readLoop reads each marked group once per wake.
func (h *Hub) readLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		}
		for {
			id, ok := h.popDirty()
			if !ok {
				break
			}
			if err := h.readGroup(ctx, id); err != nil && ctx.Err() == nil {
				h.opts.Log.Warn("chat hub: read group", "group", id, "error", err)
				time.AfterFunc(h.opts.RetryDelay, func() { h.mark(id) })
			}
		}
	}
}

func (h *Hub) popDirty() (uuid.UUID, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id := range h.dirty {
		delete(h.dirty, id)
		return id, true
	}
	return uuid.Nil, false
}

// readGroup reads the group's new changes and hands them to its streams,
// then ends the watches of those who may no longer read it.
func (h *Hub) readGroup(ctx context.Context, groupID uuid.UUID) error {
	h.mu.Lock()
	g := h.groups[groupID]
	if g == nil {
		h.mu.Unlock()
		return nil
	}
	after := g.last
	h.mu.Unlock()
	for {
		rows, err := h.store.ChangesAfter(ctx, groupID, after, h.opts.Batch)
		h.queries.Add(1)
		if err != nil {
			return err
		}
		if len(rows) > 0 {
			after = rows[len(rows)-1].ChangeSeq
			h.deliver(groupID, rows)
		}
		if len(rows) < h.opts.Batch {
			break
		}
	}
	return h.checkWatchers(ctx, groupID)
}

// deliver hands rows to the group's live streams without blocking: a
// stream whose buffer is full starts reading for itself.
func (h *Hub) deliver(groupID uuid.UUID, rows []db.GroupMessage) {
	h.mu.Lock()
	defer h.mu.Unlock()
	g := h.groups[groupID]
	if g == nil {
		return
	}
	g.last = max(g.last, rows[len(rows)-1].ChangeSeq)
	for sub := range g.subs {
		if sub.lagging {
			if g.last-sub.cursor[groupID] > h.opts.MaxBehind {
				h.endLocked(sub, ErrTooFarBehind)
			}
			continue
		}
		for i := range rows {
			if rows[i].ChangeSeq <= sub.cursor[groupID] {
				continue
			}
			select {
			case sub.events <- Event{GroupID: groupID, Message: &rows[i]}:
				sub.cursor[groupID] = rows[i].ChangeSeq
				continue
			default:
				sub.lagging = true
				signal(sub.catchUp)
			}
			break
		}
	}
}

// checkWatchers ends, with a Removed event, the watches of the group by
// users who read it as members and are no longer, and every watch of a
// deleted group.
func (h *Hub) checkWatchers(ctx context.Context, groupID uuid.UUID) error {
	users := h.memberOnlyWatchers(groupID)
	alive, members, err := h.store.Watchers(ctx, groupID, users)
	h.queries.Add(1)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	g := h.groups[groupID]
	if g == nil {
		return nil
	}
	checked := make(map[uuid.UUID]bool, len(users))
	for _, u := range users {
		checked[u] = true
	}
	for sub := range g.subs {
		// A stream that subscribed during the read was not asked about;
		// Subscribe's caller checked its membership, and the next change
		// checks it again.
		if !alive || (sub.memberOnly[groupID] && checked[sub.user] && !members[sub.user]) {
			h.removeLocked(sub, groupID)
		}
	}
	return nil
}

func (h *Hub) memberOnlyWatchers(groupID uuid.UUID) []uuid.UUID {
	h.mu.Lock()
	defer h.mu.Unlock()
	var users []uuid.UUID
	if g := h.groups[groupID]; g != nil {
		for sub := range g.subs {
			if sub.memberOnly[groupID] {
				users = append(users, sub.user)
			}
		}
	}
	return users
}

// removeLocked ends sub's watch of one group with a Removed event, and
// sub itself when it watched nothing else. The caller holds mu.
func (h *Hub) removeLocked(sub *Subscription, groupID uuid.UUID) {
	h.dropLocked(sub, groupID)
	sub.removed <- Event{GroupID: groupID, Removed: true} // room for one per watched group
	if len(sub.cursor) == 0 {
		h.endLocked(sub, nil)
	}
}

// catchUpLoop reads the database for the stream while it lags, until it
// has every change the hub has read, then rejoins the fan-out.
func (s *Subscription) catchUpLoop() {
	for {
		select {
		case <-s.done:
			return
		case <-s.catchUp:
		}
		if err := s.catchUpOnce(); err != nil {
			s.hub.mu.Lock()
			s.hub.endLocked(s, err)
			s.hub.mu.Unlock()
			return
		}
	}
}

func (s *Subscription) catchUpOnce() error {
	h := s.hub
	for {
		groupID, after, behind, ok := s.nextLag()
		if !ok {
			return nil
		}
		if behind > h.opts.MaxBehind {
			return ErrTooFarBehind
		}
		rows, err := h.store.ChangesAfter(context.Background(), groupID, after, h.opts.Batch)
		h.queries.Add(1)
		if err != nil {
			h.opts.Log.Warn("chat hub: catch up", "group", groupID, "error", err)
			select {
			case <-s.done:
				return nil
			case <-time.After(h.opts.RetryDelay):
				continue
			}
		}
		for i := range rows {
			select {
			case s.events <- Event{GroupID: groupID, Message: &rows[i]}:
			case <-s.done:
				return nil
			}
		}
		s.advance(groupID, after, rows)
	}
}

// nextLag picks a group the stream has not caught up on; with none left
// the stream rejoins the fan-out.
func (s *Subscription) nextLag() (groupID uuid.UUID, after, behind int64, ok bool) {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, cursor := range s.cursor {
		if g := h.groups[id]; g != nil && cursor < g.last {
			return id, cursor, g.last - cursor, true
		}
	}
	s.lagging = false
	return uuid.Nil, 0, 0, false
}

// advance moves the stream's cursor of a group past the rows it sent, or
// up to the hub's when the database had nothing newer.
func (s *Subscription) advance(groupID uuid.UUID, after int64, rows []db.GroupMessage) {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, watching := s.cursor[groupID]; !watching {
		return
	}
	switch g := h.groups[groupID]; {
	case len(rows) > 0:
		s.cursor[groupID] = rows[len(rows)-1].ChangeSeq
	case g != nil:
		s.cursor[groupID] = max(after, g.last)
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
