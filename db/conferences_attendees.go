package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// RegisterAttendee registers userID for the conference, or registers
// again one who cancelled; an existing registration is returned as is.
func RegisterAttendee(ctx context.Context, idb bun.IDB, orgID, conferenceID, userID uuid.UUID) (*ConferenceAttendee, error) {
	a := &ConferenceAttendee{ID: NewID(), OrganizationID: orgID, ConferenceID: conferenceID, UserID: userID,
		Status: enums.AttendanceRegistered}
	err := idb.NewInsert().Model(a).
		On("CONFLICT (conference_id, user_id) DO UPDATE").
		Set("status = ?, cancelled_at = NULL, registered_at = CASE WHEN catt.status = ? THEN now() ELSE catt.registered_at END, updated_at = now()",
			enums.AttendanceRegistered, enums.AttendanceCancelled).
		Returning("*").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("register %s for conference %s: %w", userID, conferenceID, err)
	}
	return a, nil
}

// CancelAttendance cancels userID's registration; ErrNotFound when there
// is none to cancel.
func CancelAttendance(ctx context.Context, idb bun.IDB, conferenceID, userID uuid.UUID, at time.Time) (*ConferenceAttendee, error) {
	a := new(ConferenceAttendee)
	err := idb.NewUpdate().Model(a).
		Set("status = ?, cancelled_at = ?, updated_at = now()", enums.AttendanceCancelled, at).
		Where("conference_id = ? AND user_id = ? AND status = ?", conferenceID, userID, enums.AttendanceRegistered).
		Returning("*").Scan(ctx)
	if err != nil {
		return nil, notFound(err, "registration of %s for conference %s", userID, conferenceID)
	}
	return a, nil
}

// IsRegisteredAttendee reports whether userID is registered (not
// cancelled) for the conference: conference quests and connections made
// there need it.
func IsRegisteredAttendee(ctx context.Context, idb bun.IDB, conferenceID, userID uuid.UUID) (bool, error) {
	ok, err := idb.NewSelect().Model((*ConferenceAttendee)(nil)).
		Where("conference_id = ? AND user_id = ? AND status = ?", conferenceID, userID, enums.AttendanceRegistered).
		Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("is %s registered for conference %s: %w", userID, conferenceID, err)
	}
	return ok, nil
}
