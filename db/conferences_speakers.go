package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Speakers and the line-ups of conferences and events.

// ErrSpeakerUserTaken is returned when the user is already another
// speaker (speakers_user_id_key).
var ErrSpeakerUserTaken = errors.New("the user is already another speaker")

// ErrSpeakerOnLineup is returned when the speaker is already on the
// conference's or event's line-up.
var ErrSpeakerOnLineup = errors.New("the speaker is already on the line-up")

// InsertSpeaker writes a new speaker.
func InsertSpeaker(ctx context.Context, idb bun.IDB, s *Speaker) error {
	if s.ID == uuid.Nil {
		s.ID = NewID()
	}
	if _, err := idb.NewInsert().Model(s).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert speaker %q: %w", s.Name, err)
	}
	return nil
}

// UpdateSpeakerFields stores a speaker's profile fields.
func UpdateSpeakerFields(ctx context.Context, idb bun.IDB, s *Speaker) error {
	_, err := idb.NewUpdate().Model(s).
		Column("name", "headline", "company", "bio", "photo_url", "twitter_handle", "linkedin_url").
		Set("updated_at = now()").WherePK().Returning("updated_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("update speaker %s: %w", s.ID, err)
	}
	return nil
}

// SpeakerByID returns a speaker of any organization; the caller checks
// access.
func SpeakerByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Speaker, error) {
	s := new(Speaker)
	if err := idb.NewSelect().Model(s).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "speaker %s", id)
	}
	return s, nil
}

// SpeakerOfUser returns the speaker linked to userID, or ErrNotFound.
func SpeakerOfUser(ctx context.Context, idb bun.IDB, userID uuid.UUID) (*Speaker, error) {
	s := new(Speaker)
	if err := idb.NewSelect().Model(s).Where("user_id = ?", userID).Scan(ctx); err != nil {
		return nil, notFound(err, "speaker of user %s", userID)
	}
	return s, nil
}

// LinkSpeakerUser links the speaker to userID; a user linked to another
// speaker is ErrSpeakerUserTaken.
func LinkSpeakerUser(ctx context.Context, idb bun.IDB, s *Speaker, userID uuid.UUID) error {
	s.UserID = &userID
	_, err := idb.NewUpdate().Model(s).Column("user_id").Set("updated_at = now()").WherePK().Returning("updated_at").Exec(ctx)
	if IsUniqueViolation(err, "speakers_user_id_key") {
		return fmt.Errorf("link speaker %s to %s: %w", s.ID, userID, ErrSpeakerUserTaken)
	}
	if err != nil {
		return fmt.Errorf("link speaker %s to %s: %w", s.ID, userID, err)
	}
	return nil
}

// AddConferenceSpeaker puts a speaker on a conference's line-up; one
// already on it is ErrSpeakerOnLineup.
func AddConferenceSpeaker(ctx context.Context, idb bun.IDB, cs *ConferenceSpeaker) error {
	cs.ID = NewID()
	_, err := idb.NewInsert().Model(cs).Returning("created_at").Exec(ctx)
	if IsUniqueViolation(err, "conference_speakers_conference_id_speaker_id_key") {
		return fmt.Errorf("speaker %s on conference %s: %w", cs.SpeakerID, cs.ConferenceID, ErrSpeakerOnLineup)
	}
	if err != nil {
		return fmt.Errorf("add speaker %s to conference %s: %w", cs.SpeakerID, cs.ConferenceID, err)
	}
	return nil
}

// RemoveConferenceSpeaker takes a speaker off a conference's line-up;
// ErrNotFound when not on it.
func RemoveConferenceSpeaker(ctx context.Context, idb bun.IDB, conferenceID, speakerID uuid.UUID) error {
	res, err := idb.NewDelete().Model((*ConferenceSpeaker)(nil)).
		Where("conference_id = ? AND speaker_id = ?", conferenceID, speakerID).Exec(ctx)
	return deletedOne(res, err, "speaker %s of conference %s", speakerID, conferenceID)
}

// AddEventSpeaker puts a speaker on an event; one already on it is
// ErrSpeakerOnLineup.
func AddEventSpeaker(ctx context.Context, idb bun.IDB, es *EventSpeaker) error {
	es.ID = NewID()
	_, err := idb.NewInsert().Model(es).Returning("created_at").Exec(ctx)
	if IsUniqueViolation(err, "event_speakers_event_id_speaker_id_key") {
		return fmt.Errorf("speaker %s on event %s: %w", es.SpeakerID, es.EventID, ErrSpeakerOnLineup)
	}
	if err != nil {
		return fmt.Errorf("add speaker %s to event %s: %w", es.SpeakerID, es.EventID, err)
	}
	return nil
}

// RemoveEventSpeaker takes a speaker off an event; ErrNotFound when not
// on it.
func RemoveEventSpeaker(ctx context.Context, idb bun.IDB, eventID, speakerID uuid.UUID) error {
	res, err := idb.NewDelete().Model((*EventSpeaker)(nil)).
		Where("event_id = ? AND speaker_id = ?", eventID, speakerID).Exec(ctx)
	return deletedOne(res, err, "speaker %s of event %s", speakerID, eventID)
}

// deletedOne is the outcome of a delete of one row: ErrNotFound when it
// deleted none.
func deletedOne(res interface{ RowsAffected() (int64, error) }, err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if err != nil {
		return fmt.Errorf("delete %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

// LineupRow is a speaker with their line-up role ("" when listed outside
// a line-up).
type LineupRow struct {
	Speaker `bun:",extend"`
	Role    string `bun:"role"`
}

// SpeakersPage lists an organization's speakers by (name, id) after the
// given key, at most limit rows.
func SpeakersPage(ctx context.Context, idb bun.IDB, orgID uuid.UUID, afterName string, afterID uuid.UUID, limit int) ([]LineupRow, error) {
	var out []LineupRow
	q := idb.NewSelect().Model(&out).ColumnExpr("spk.*").ColumnExpr("'' AS role").Where("spk.organization_id = ?", orgID)
	if afterID != uuid.Nil {
		q = q.Where("(spk.name, spk.id) > (?, ?)", afterName, afterID)
	}
	if err := q.OrderExpr("spk.name, spk.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list speakers of %s: %w", orgID, err)
	}
	return out, nil
}

// LineupPage lists a conference's line-up by (name, id) after the given
// key, at most limit rows.
func LineupPage(ctx context.Context, idb bun.IDB, conferenceID uuid.UUID, afterName string, afterID uuid.UUID, limit int) ([]LineupRow, error) {
	var out []LineupRow
	q := idb.NewSelect().Model(&out).ColumnExpr("spk.*").ColumnExpr("cspk.role AS role").
		Join("JOIN conference_speakers AS cspk ON cspk.speaker_id = spk.id").
		Where("cspk.conference_id = ?", conferenceID)
	if afterID != uuid.Nil {
		q = q.Where("(spk.name, spk.id) > (?, ?)", afterName, afterID)
	}
	if err := q.OrderExpr("spk.name, spk.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list the line-up of conference %s: %w", conferenceID, err)
	}
	return out, nil
}

// PublicSpeakersOf lists everyone who speaks at a conference, by name:
// its line-up (with their role) and the speakers of its scheduled items
// (role "" unless also on the line-up).
func PublicSpeakersOf(ctx context.Context, idb bun.IDB, conferenceID uuid.UUID) ([]LineupRow, error) {
	var out []LineupRow
	err := idb.NewSelect().Model(&out).ColumnExpr("spk.*").ColumnExpr("coalesce(cspk.role, '') AS role").
		Join("LEFT JOIN conference_speakers AS cspk ON cspk.speaker_id = spk.id AND cspk.conference_id = ?", conferenceID).
		Where("cspk.id IS NOT NULL OR EXISTS (SELECT 1 FROM conference_agenda_speakers AS agspk "+
			"JOIN conference_agenda AS agi ON agi.id = agspk.agenda_id "+
			"WHERE agspk.speaker_id = spk.id AND agi.conference_id = ? AND agi.status = 'scheduled')", conferenceID).
		OrderExpr("spk.name, spk.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the speakers of conference %s: %w", conferenceID, err)
	}
	return out, nil
}

// BumpAgendaVersionsOfSpeaker moves on the agenda version of every
// conference showing the speaker (on its line-up or an item), whose
// public answers change with the speaker's profile.
func BumpAgendaVersionsOfSpeaker(ctx context.Context, idb bun.IDB, speakerID uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*Conference)(nil)).
		Set("agenda_version = agenda_version + 1, updated_at = now()").
		Where("id IN (SELECT conference_id FROM conference_speakers WHERE speaker_id = ?"+
			" UNION SELECT conference_id FROM conference_agenda_speakers WHERE speaker_id = ?)", speakerID, speakerID).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("bump the agenda versions showing speaker %s: %w", speakerID, err)
	}
	return nil
}
