package api

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/inboxwatch"
	"github.com/convene/convene/internal/sessions"
)

// newWatchHub is the process's one WatchNotifications poller: it re-checks
// the streams' sessions as often as the auth interceptor's cache expires.
func newWatchHub(d Deps) *inboxwatch.Hub {
	return inboxwatch.New(watchStore{db: d.DB, sessions: d.sessions},
		inboxwatch.Options{RecheckInterval: d.SessionCheckTTL, Now: d.Now, Log: d.Log})
}

// watchStore is the hub's database access: db's queries and the session
// checker the interceptor uses.
type watchStore struct {
	db       *db.DB
	sessions *sessions.Checker
}

func (s watchStore) Now(ctx context.Context) (time.Time, error) { return db.DatabaseNow(ctx, s.db) }

func (s watchStore) RowsAfter(ctx context.Context, userIDs []uuid.UUID, after time.Time, afterID uuid.UUID, limit int) ([]db.InboxNotification, error) {
	return db.InboxRowsAfter(ctx, s.db, userIDs, after, afterID, limit)
}

func (s watchStore) LiveSessions(ctx context.Context, keys []db.SessionKey) (map[db.SessionKey]bool, error) {
	return s.sessions.LiveMany(ctx, keys)
}
