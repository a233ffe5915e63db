package engagement

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
)

// RecordCheckIn records, in the check-in's transaction, what a redeemed
// ticket means for engagement: the ticket.checked_in domain event for
// an event of an organization and, for an activity occurrence, the
// member's attendance (attended at at) with its activity.attended event.
// TicketingService.CheckIn calls it once per ticket, for the scan that
// redeemed it.
func (r Recorder) RecordCheckIn(ctx context.Context, tx bun.Tx, t *db.Ticket, at time.Time) error {
	ref, err := db.ActivityEventRefByID(ctx, tx, t.EventID)
	if err != nil || ref.OrganizationID == nil {
		return err
	}
	eventID, activityID := t.EventID.String(), ""
	if ref.ActivityID != nil {
		activityID = ref.ActivityID.String()
	}
	refType, ticketID := "ticket", t.ID.String()
	err = r.Emit(ctx, tx, &db.DomainEvent{OrganizationID: *ref.OrganizationID, Type: enums.EventTicketCheckedIn,
		SubjectUserID: &t.UserID, ReferenceType: &refType, ReferenceID: &ticketID,
		Payload: map[string]any{"event_id": eventID, "organization_id": ref.OrganizationID.String(), "ticket_id": ticketID,
			"activity_id": activityID, "seats": t.Seats}})
	if err != nil || ref.ActivityID == nil {
		return err
	}
	attended, err := db.MarkAttended(ctx, tx, t.EventID, t.UserID, at)
	if err != nil || !attended {
		return err
	}
	eventRef := "event"
	return r.Emit(ctx, tx, &db.DomainEvent{OrganizationID: *ref.OrganizationID, Type: enums.EventActivityAttended,
		SubjectUserID: &t.UserID, ReferenceType: &eventRef, ReferenceID: &eventID,
		Payload: map[string]any{"event_id": eventID, "activity_id": activityID}})
}
