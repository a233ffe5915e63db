package events

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
)

const (
	// slugTailLen is how many hex digits of the event ID end its slug.
	slugTailLen = 6
	// slugLongTailLen is the tail used when the short slug is taken.
	slugLongTailLen = 12
	// slugBaseMaxLen caps the part of a slug derived from the title.
	slugBaseMaxLen = 60
)

// eventSlug is the title as lower-case ASCII words joined by hyphens, then
// the last tail hex digits of the event's ID (the random end of a UUIDv7),
// e.g. "sunset-jam-3f9a0c".
func eventSlug(title string, id uuid.UUID, tail int) string {
	var b strings.Builder
	gap := false
	for _, r := range strings.ToLower(title) {
		if b.Len() >= slugBaseMaxLen {
			break
		}
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			gap = true
			continue
		}
		if gap && b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteRune(r)
		gap = false
	}
	if b.Len() == 0 {
		b.WriteString("event")
	}
	hex := strings.ReplaceAll(id.String(), "-", "")
	return b.String() + "-" + hex[len(hex)-tail:]
}

// insertEventWithSlug inserts ev under the slug of its title and ID. Two
// events of the same title get the same slug once in 16M: then the insert
// is retried, in a savepoint, with the ID's whole random tail.
func insertEventWithSlug(ctx context.Context, tx bun.Tx, ev *db.Event) error {
	ev.Slug = eventSlug(ev.Title, ev.ID, slugTailLen)
	sp, err := tx.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err = db.InsertEvent(ctx, sp, ev); err == nil {
		return sp.Commit()
	}
	_ = sp.Rollback()
	if !db.IsUniqueViolation(err, "events_slug_key") {
		return err
	}
	ev.Slug = eventSlug(ev.Title, ev.ID, slugLongTailLen)
	return db.InsertEvent(ctx, tx, ev)
}
