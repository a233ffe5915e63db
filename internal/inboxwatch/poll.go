package inboxwatch

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/convene/convene/db"
)

// run polls every PollInterval and re-checks every RecheckInterval until
// nobody watches.
func (h *Hub) run() {
	ctx := context.Background()
	poll := time.NewTicker(h.opts.PollInterval)
	defer poll.Stop()
	recheck := time.NewTicker(h.opts.RecheckInterval)
	defer recheck.Stop()
	for {
		select {
		case <-poll.C:
			if !h.Poll(ctx) {
				return
			}
		case <-recheck.C:
			h.Recheck(ctx)
		}
	}
}

// Poll reads the new rows of every watching user and hands each to its
// user's subscriptions. It reports false, stopping the hub, when nobody
// watches. A failed read is logged and retried next tick: the cursor stays.
func (h *Hub) Poll(ctx context.Context) bool {
	for {
		users, after, afterID, ok := h.pollTarget()
		if !ok {
			return false
		}
		rows, err := h.store.RowsAfter(ctx, users, after, afterID, h.opts.Batch)
		h.queries.Add(1)
		if err != nil {
			h.opts.Log.WarnContext(ctx, "watch notifications: poll failed", "error", err)
			return true
		}
		h.deliver(rows)
		if len(rows) < h.opts.Batch {
			return true
		}
	}
}

// pollTarget is who watches and the cursor; ok is false (and the hub
// stops) when nobody does.
func (h *Hub) pollTarget() (users []uuid.UUID, after time.Time, afterID uuid.UUID, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.byUser) == 0 {
		h.running = false
		return nil, time.Time{}, uuid.Nil, false
	}
	users = make([]uuid.UUID, 0, len(h.byUser))
	for id := range h.byUser {
		users = append(users, id)
	}
	return users, h.after, h.afterID, true
}

// deliver hands rows to their users' subscriptions and moves the cursor.
// A client whose buffer is full is ended with ErrTooSlow rather than
// blocking everyone else's rows.
func (h *Hub) deliver(rows []db.InboxNotification) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, row := range rows {
		for _, sub := range h.byUser[row.RecipientUserID] {
			select {
			case sub.rows <- row:
			default:
				h.removeLocked(sub, ErrTooSlow)
			}
		}
		h.after, h.afterID = row.CreatedAt, row.ID
	}
}

// Recheck ends the subscriptions whose access token expired or whose
// session may no longer act, checking every session in one round trip.
func (h *Hub) Recheck(ctx context.Context) {
	now := h.opts.Now()
	h.mu.Lock()
	var keys []db.SessionKey
	for _, subs := range h.byUser {
		for _, sub := range subs {
			if !now.Before(sub.expiresAt) {
				h.removeLocked(sub, ErrTokenExpired)
				continue
			}
			keys = append(keys, sub.key)
		}
	}
	h.mu.Unlock()
	if len(keys) == 0 {
		return
	}
	live, err := h.store.LiveSessions(ctx, keys)
	h.queries.Add(1)
	if err != nil {
		h.opts.Log.WarnContext(ctx, "watch notifications: session re-check failed", "error", err)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, subs := range h.byUser {
		for _, sub := range subs {
			if !live[sub.key] {
				h.removeLocked(sub, ErrSessionEnded)
			}
		}
	}
}
