package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// The agenda: its items and their speakers. Double-booking is refused by
// the database (conference_agenda_room_free, conference_agenda_speakers_free);
// a refused write is turned into an AgendaConflict naming the other item,
// looked up after the failed statement's savepoint is rolled back.

// ErrAgendaOutsideDates is returned for an item outside its conference's
// dates in its time zone (the conference_agenda_within_dates trigger).
var ErrAgendaOutsideDates = errors.New("the item is outside the conference's dates")

// ErrAgendaTooLong is returned for an item longer than 24 hours
// (conference_agenda_length).
var ErrAgendaTooLong = errors.New("an agenda item lasts at most 24 hours")

// AgendaConflict is the refusal of a write that would double-book a room
// or a speaker: Other is the scheduled item already holding it.
type AgendaConflict struct {
	// Room is the room taken; empty when a speaker is.
	Room string
	// SpeakerName is the speaker taken; empty when a room is.
	SpeakerName string
	Other       AgendaItem
}

func (c *AgendaConflict) Error() string {
	if c.SpeakerName != "" {
		return fmt.Sprintf("speaker %q is on %q at the same time", c.SpeakerName, c.Other.Title)
	}
	return fmt.Sprintf("room %q is taken by %q", c.Room, c.Other.Title)
}

// AgendaSpeakerRow is a speaker of an agenda item with their name.
type AgendaSpeakerRow struct {
	AgendaSpeaker `bun:",extend"`
	Name          string `bun:"name"`
}

// InsertAgendaItem writes a scheduled item and its speakers. An overlap
// is an *AgendaConflict, an item outside the dates ErrAgendaOutsideDates,
// one longer than a day ErrAgendaTooLong; tx stays usable after each.
func InsertAgendaItem(ctx context.Context, tx bun.Tx, item *AgendaItem, speakers []AgendaSpeaker) error {
	if item.ID == uuid.Nil {
		item.ID = NewID()
	}
	item.Status = enums.AgendaScheduled
	err := tx.RunInTx(ctx, nil, func(ctx context.Context, sp bun.Tx) error {
		if _, err := sp.NewInsert().Model(item).Returning("created_at, updated_at").Exec(ctx); err != nil {
			return err
		}
		return insertAgendaSpeakers(ctx, sp, item, speakers)
	})
	return agendaWriteError(ctx, tx, item, speakers, err)
}

// UpdateAgendaItem stores a scheduled item's fields and replaces its
// speakers, refusing as InsertAgendaItem does.
func UpdateAgendaItem(ctx context.Context, tx bun.Tx, item *AgendaItem, speakers []AgendaSpeaker) error {
	err := tx.RunInTx(ctx, nil, func(ctx context.Context, sp bun.Tx) error {
		if _, err := sp.NewDelete().Model((*AgendaSpeaker)(nil)).Where("agenda_id = ?", item.ID).Exec(ctx); err != nil {
			return err
		}
		_, err := sp.NewUpdate().Model(item).
			Column("kind", "title", "description", "track", "room", "starts_at", "ends_at", "event_id").
			Set("updated_at = now()").WherePK().Returning("updated_at").Exec(ctx)
		if err != nil {
			return err
		}
		return insertAgendaSpeakers(ctx, sp, item, speakers)
	})
	return agendaWriteError(ctx, tx, item, speakers, err)
}

func insertAgendaSpeakers(ctx context.Context, idb bun.IDB, item *AgendaItem, speakers []AgendaSpeaker) error {
	if len(speakers) == 0 {
		return nil
	}
	for i := range speakers {
		speakers[i].ID, speakers[i].OrganizationID = NewID(), item.OrganizationID
		speakers[i].ConferenceID, speakers[i].AgendaID = item.ConferenceID, item.ID
	}
	// during and active are filled from the item by the
	// conference_agenda_speakers_fill trigger.
	_, err := idb.NewInsert().Model(&speakers).Exec(ctx)
	return err
}

// agendaWriteError turns a refused agenda write into its typed error,
// looking up the item that holds the room or speaker.
func agendaWriteError(ctx context.Context, idb bun.IDB, item *AgendaItem, speakers []AgendaSpeaker, err error) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &pgErr):
		return fmt.Errorf("write agenda item %s: %w", item.ID, err)
	case pgErr.ConstraintName == "conference_agenda_room_free":
		return roomConflict(ctx, idb, item)
	case pgErr.ConstraintName == "conference_agenda_speakers_free":
		return speakerConflict(ctx, idb, item, speakers)
	case pgErr.ConstraintName == "conference_agenda_within_dates":
		return fmt.Errorf("agenda item %s: %w", item.ID, ErrAgendaOutsideDates)
	case pgErr.ConstraintName == "conference_agenda_length":
		return fmt.Errorf("agenda item %s: %w", item.ID, ErrAgendaTooLong)
	}
	return fmt.Errorf("write agenda item %s: %w", item.ID, err)
}

// roomConflict finds the scheduled item holding item's room at its time.
func roomConflict(ctx context.Context, idb bun.IDB, item *AgendaItem) error {
	c := &AgendaConflict{Room: item.Room}
	err := idb.NewSelect().Model(&c.Other).
		Where("conference_id = ? AND room = ? AND status = ? AND id <> ?", item.ConferenceID, item.Room, enums.AgendaScheduled, item.ID).
		Where("tstzrange(starts_at, ends_at) && tstzrange(?, ?)", item.StartsAt, item.EndsAt).
		OrderExpr("starts_at, id").Limit(1).Scan(ctx)
	if err != nil {
		return fmt.Errorf("find the item holding room %q: %w", item.Room, err)
	}
	return c
}

// speakerConflict finds a scheduled item one of item's speakers is on at
// its time.
func speakerConflict(ctx context.Context, idb bun.IDB, item *AgendaItem, speakers []AgendaSpeaker) error {
	ids := make([]uuid.UUID, 0, len(speakers))
	for _, s := range speakers {
		ids = append(ids, s.SpeakerID)
	}
	var row struct {
		AgendaItem  `bun:",extend"`
		SpeakerName string `bun:"speaker_name"`
	}
	err := idb.NewSelect().Model(&row).
		ColumnExpr("agi.*").
		ColumnExpr("spk.name AS speaker_name").
		Join("JOIN conference_agenda_speakers AS agspk ON agspk.agenda_id = agi.id").
		Join("JOIN speakers AS spk ON spk.id = agspk.speaker_id").
		Where("agspk.speaker_id IN (?) AND agspk.active AND agi.id <> ?", bun.In(ids), item.ID).
		Where("agspk.during && tstzrange(?, ?)", item.StartsAt, item.EndsAt).
		OrderExpr("agi.starts_at, agi.id").Limit(1).Scan(ctx)
	if err != nil {
		return fmt.Errorf("find the item holding a speaker of %s: %w", item.ID, err)
	}
	return &AgendaConflict{SpeakerName: row.SpeakerName, Other: row.AgendaItem}
}

// CancelAgendaItem cancels a scheduled item, freeing its room and (by
// the conference_agenda_speakers_follow trigger) its speakers. It reports
// false for an item already cancelled, which it leaves as it is.
func CancelAgendaItem(ctx context.Context, idb bun.IDB, item *AgendaItem, at time.Time) (bool, error) {
	err := idb.NewUpdate().Model(item).
		Set("status = ?, cancelled_at = ?, updated_at = now()", enums.AgendaCancelled, at).
		Where("id = ? AND status = ?", item.ID, enums.AgendaScheduled).Returning("*").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cancel agenda item %s: %w", item.ID, err)
	}
	return true, nil
}

// AgendaItemByID returns an agenda item of any organization; the caller
// checks access.
func AgendaItemByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*AgendaItem, error) {
	item := new(AgendaItem)
	if err := idb.NewSelect().Model(item).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "agenda item %s", id)
	}
	return item, nil
}

// AgendaFilter picks a conference's scheduled items by start time.
type AgendaFilter struct {
	ConferenceID uuid.UUID
	// From and To bound starts_at to [From, To) (zero: unbounded).
	From, To time.Time
	// Track and Room keep only the items of one track or room ("" : all).
	Track, Room string
}

// ScheduledAgenda lists the scheduled items f picks, by start time.
func ScheduledAgenda(ctx context.Context, idb bun.IDB, f AgendaFilter) ([]AgendaItem, error) {
	var out []AgendaItem
	q := idb.NewSelect().Model(&out).Where("conference_id = ? AND status = ?", f.ConferenceID, enums.AgendaScheduled)
	if !f.From.IsZero() {
		q = q.Where("starts_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		q = q.Where("starts_at < ?", f.To)
	}
	if f.Track != "" {
		q = q.Where("track = ?", f.Track)
	}
	if f.Room != "" {
		q = q.Where("room = ?", f.Room)
	}
	if err := q.OrderExpr("starts_at, room, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list the agenda of conference %s: %w", f.ConferenceID, err)
	}
	return out, nil
}

// AgendaSpeakersOf lists the speakers of the items, by item and name.
func AgendaSpeakersOf(ctx context.Context, idb bun.IDB, itemIDs []uuid.UUID) ([]AgendaSpeakerRow, error) {
	var out []AgendaSpeakerRow
	if len(itemIDs) == 0 {
		return out, nil
	}
	err := idb.NewSelect().Model(&out).
		// Not agspk.*: during and active are the triggers' business.
		ColumnExpr("agspk.id, agspk.organization_id, agspk.conference_id, agspk.agenda_id, agspk.speaker_id, agspk.role, agspk.created_at").
		ColumnExpr("spk.name AS name").
		Join("JOIN speakers AS spk ON spk.id = agspk.speaker_id").
		Where("agspk.agenda_id IN (?)", bun.In(itemIDs)).
		OrderExpr("agspk.agenda_id, spk.name, spk.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the speakers of %d agenda items: %w", len(itemIDs), err)
	}
	return out, nil
}
