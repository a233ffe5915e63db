package chatwatch

import (
	"context"

	"github.com/google/uuid"

	"github.com/convene/convene/db"
)

// DBStore is the hub's Store on the application's database.
type DBStore struct{ DB *db.DB }

// Listen opens the dedicated LISTEN connection.
func (s DBStore) Listen(ctx context.Context) (Listener, error) { return s.DB.ListenChat(ctx) }

// LastSeqs reads the groups' last change sequences.
func (s DBStore) LastSeqs(ctx context.Context, groupIDs []uuid.UUID) (map[uuid.UUID]int64, error) {
	return db.GroupLastSeqs(ctx, s.DB, groupIDs)
}

// ChangesAfter reads a group's changes after a change sequence.
func (s DBStore) ChangesAfter(ctx context.Context, groupID uuid.UUID, after int64, limit int) ([]db.GroupMessage, error) {
	return db.ChatChangesAfter(ctx, s.DB, groupID, after, limit)
}

// Watchers reads whether the group exists and which users are members.
func (s DBStore) Watchers(ctx context.Context, groupID uuid.UUID, userIDs []uuid.UUID) (bool, map[uuid.UUID]bool, error) {
	return db.GroupWatchers(ctx, s.DB, groupID, userIDs)
}
