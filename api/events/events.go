package events

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/jobs/workflowstart"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	"github.com/convene/convene/workflows"
)

// CreateEvent creates a draft event hosted by the caller.
func (s *eventServer) CreateEvent(ctx context.Context, req *connect.Request[eventsv1.CreateEventRequest]) (*connect.Response[eventsv1.CreateEventResponse], error) {
	userID, in := rpc.CallerID(ctx), req.Msg.GetEvent()
	ev, err := eventFromInput(in)
	if err != nil {
		return nil, err
	}
	if !ev.StartsAt.After(s.Now()) {
		return nil, rpc.InvalidField("event.starts_at", "must be in the future")
	}
	ev.ID, ev.HostUserID, ev.Status = db.NewID(), userID, db.EventDraft
	var slugs []string
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		interestIDs, sorted, err := s.resolveEventRefs(ctx, tx, ev, nil, in.GetInterestSlugs())
		if err != nil {
			return err
		}
		slugs = sorted
		if err := insertEventWithSlug(ctx, tx, ev); err != nil {
			return err
		}
		if err := db.ReplaceEventInterests(ctx, tx, ev.ID, interestIDs); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, ev.OrganizationID, "event", ev.ID.String(), "create", map[string]any{"title": ev.Title, "slug": ev.Slug})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.CreateEventResponse{Event: eventToProto(ev, slugs)}), nil
}

// UpdateEvent replaces the editable fields of an event the caller hosts.
// Price changes apply to new orders only: existing orders keep what they paid.
func (s *eventServer) UpdateEvent(ctx context.Context, req *connect.Request[eventsv1.UpdateEventRequest]) (*connect.Response[eventsv1.UpdateEventResponse], error) {
	userID, in := rpc.CallerID(ctx), req.Msg.GetEvent()
	ev, err := eventFromInput(in)
	if err != nil {
		return nil, err
	}
	var slugs []string
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		old, err := s.hostedEventForUpdate(ctx, tx, uuid.MustParse(req.Msg.GetEventId()))
		if err != nil {
			return err
		}
		if err := s.checkEditable(old, ev); err != nil {
			return err
		}
		interestIDs, sorted, err := s.resolveEventRefs(ctx, tx, ev, old, in.GetInterestSlugs())
		if err != nil {
			return err
		}
		slugs, ev.ID = sorted, old.ID
		if err := db.SaveEventDetails(ctx, tx, ev); err != nil {
			return err
		}
		if err := db.ReplaceEventInterests(ctx, tx, ev.ID, interestIDs); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, ev.OrganizationID, "event", ev.ID.String(), "update", map[string]any{"title": ev.Title,
			"capacity": ev.Capacity, "is_paid": ev.IsPaid, "ticket_price_minor": ev.TicketPriceMinor, "currency": ev.Currency})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.UpdateEventResponse{Event: eventToProto(ev, slugs)}), nil
}

// checkEditable refuses an update of old to ev that the event's state
// forbids. A start already past may stay as it is (fixing the description
// of a running event), but not be moved.
func (s *eventServer) checkEditable(old, ev *db.Event) error {
	switch {
	case old.Status == db.EventCancelled || old.Status == db.EventCompleted:
		return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("a %s event cannot be changed", old.Status))
	case old.Bucketed() && ev.Capacity != old.Capacity:
		return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf(
			"event.capacity: the %d seats of this event are split into %d buckets since it was published; its capacity cannot change",
			old.Capacity, old.SeatBuckets))
	case ev.Capacity < old.SeatsTaken:
		return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf(
			"event.capacity: %d seats are already held or confirmed; capacity cannot go below that", old.SeatsTaken))
	case !ev.StartsAt.Equal(old.StartsAt) && !ev.StartsAt.After(s.Now()):
		return rpc.InvalidField("event.starts_at", "must be in the future")
	}
	return nil
}

// resolveEventRefs checks what the input refers to: the organization (the
// caller must manage it, unless it is old's already), the venue (whose
// coordinates ev takes when it has none) and the interests, whose IDs and
// sorted, deduplicated slugs it returns.
func (s *eventServer) resolveEventRefs(ctx context.Context, tx bun.Tx, ev, old *db.Event, interestSlugs []string) ([]uuid.UUID, []string, error) {
	if org := ev.OrganizationID; org != nil && (old == nil || old.OrganizationID == nil || *old.OrganizationID != *org) {
		if err := s.checkEventOrg(ctx, tx, *org); err != nil {
			return nil, nil, err
		}
	}
	if ev.VenueID != nil {
		venue, err := db.VenueByID(ctx, tx, *ev.VenueID)
		if errors.Is(err, db.ErrNotFound) {
			return nil, nil, rpc.InvalidField("event.venue_id", "no such venue; CreateVenue or ListVenues gives a valid ID")
		}
		if err != nil {
			return nil, nil, err
		}
		if ev.Latitude == nil {
			ev.Latitude, ev.Longitude = &venue.Latitude, &venue.Longitude
		}
	}
	return rpc.InterestIDs(ctx, tx, "event.interest_slugs", interestSlugs)
}

// checkEventOrg lets the caller host for an organization they own or
// administer, reusing the organization service's role check.
func (s *eventServer) checkEventOrg(ctx context.Context, tx bun.Tx, orgID uuid.UUID) error {
	_, err := rpc.OrgAccess(ctx, tx, orgID, rpc.ManagerRoles)
	if connect.CodeOf(err) == connect.CodeNotFound {
		return rpc.InvalidField("event.organization_id", "no such organization")
	}
	return err
}

// PublishEvent opens a draft for join requests. Publishing a published
// event again changes nothing.
func (s *eventServer) PublishEvent(ctx context.Context, req *connect.Request[eventsv1.PublishEventRequest]) (*connect.Response[eventsv1.PublishEventResponse], error) {
	userID := rpc.CallerID(ctx)
	var ev *db.Event
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if ev, err = s.hostedEventForUpdate(ctx, tx, uuid.MustParse(req.Msg.GetEventId())); err != nil {
			return err
		}
		switch {
		case ev.Status == db.EventPublished:
			return nil
		case ev.Status != db.EventDraft:
			return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("a %s event cannot be published; create a new event instead", ev.Status))
		case !ev.StartsAt.After(s.Now()):
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("the event's start has passed; move starts_at with UpdateEvent first"))
		}
		if err := db.SetEventStatus(ctx, tx, ev.ID, db.EventPublished); err != nil {
			return err
		}
		if err := db.SplitSeats(ctx, tx, ev, db.SeatBucketCount(ev.Capacity)); err != nil {
			return err
		}
		ev.Status = db.EventPublished
		return rpc.Audit(ctx, tx, &userID, ev.OrganizationID, "event", ev.ID.String(), "publish", nil)
	})
	if err != nil {
		return nil, err
	}
	out, err := eventWithInterests(ctx, s.DB, ev)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.PublishEventResponse{Event: out}), nil
}

// CancelEvent cancels a draft or published event and starts the
// event-cancellation workflow that closes its open orders (releasing holds,
// refunding payments). The River job that starts the workflow is committed
// with the cancellation, so the workflow runs even if the direct start
// after commit never happens; cancelling again starts it once more, which
// is harmless (its ID is fixed) and retries a failed run.
func (s *eventServer) CancelEvent(ctx context.Context, req *connect.Request[eventsv1.CancelEventRequest]) (*connect.Response[eventsv1.CancelEventResponse], error) {
	userID, reason := rpc.CallerID(ctx), req.Msg.GetReason()
	var ev *db.Event
	var startJobID int64 // the River job this call committed to start the workflow, if any
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if ev, err = s.hostedEventForUpdate(ctx, tx, uuid.MustParse(req.Msg.GetEventId())); err != nil {
			return err
		}
		switch ev.Status {
		case db.EventCancelled:
			return nil
		case db.EventCompleted:
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("a completed event cannot be cancelled"))
		}
		if err := db.SetEventStatus(ctx, tx, ev.ID, db.EventCancelled); err != nil {
			return err
		}
		ev.Status = db.EventCancelled
		if startJobID, err = s.starts.Commit(ctx, tx.Tx, workflowstart.EventCancellationArgs{Start: cancellationStart(ev, reason)}, s.Now()); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, ev.OrganizationID, "event", ev.ID.String(), "cancel", map[string]any{"reason": reason})
	})
	if err != nil {
		return nil, err
	}
	if err := s.startCancellation(ctx, ev, reason, startJobID); err != nil {
		return nil, err
	}
	out, err := eventWithInterests(ctx, s.DB, ev)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.CancelEventResponse{Event: out}), nil
}

// startCancellation starts the cancellation workflow of ev. With the
// River job this call committed (startJobID), a failed start is the job's
// to make; without one (the event was already cancelled) the caller is
// told to retry.
func (s *eventServer) startCancellation(ctx context.Context, ev *db.Event, reason string, startJobID int64) error {
	args := workflowstart.EventCancellationArgs{Start: cancellationStart(ev, reason)}
	if startJobID == 0 {
		if err := workflows.StartEventCancellation(ctx, s.Temporal, s.TaskQueue, args.Start); err != nil {
			return connect.NewError(connect.CodeUnavailable, fmt.Errorf(
				"the event is cancelled but closing its orders could not start; call CancelEvent again to retry: %w", err))
		}
		return nil
	}
	if err := s.starts.Start(ctx, args, startJobID); err != nil {
		s.Log.WarnContext(ctx, "direct start of event cancellation failed; its River job will start it", "event_id", ev.ID, "error", err)
	}
	return nil
}

// cancellationStart is the cancellation workflow's start for ev.
func cancellationStart(ev *db.Event, reason string) workflows.EventCancellationStart {
	return workflows.EventCancellationStart{Input: workflows.EventCancellationInput{EventID: ev.ID.String(), Reason: reason},
		OrgID: rpc.IDString(ev.OrganizationID), HostUserID: ev.HostUserID.String(), Title: ev.Title}
}

// hostedEventForUpdate is the one authorization check of the calls that
// change an event: it row-locks the event and returns it if the caller
// hosts it. An event the caller cannot even see is NotFound; one they see
// but do not host is PermissionDenied.
func (s *eventServer) hostedEventForUpdate(ctx context.Context, tx bun.Tx, id uuid.UUID) (*db.Event, error) {
	ev, err := db.EventForUpdate(ctx, tx, id)
	userID := rpc.CallerID(ctx)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return nil, errEventNotFound()
	case err != nil:
		return nil, err
	case ev.HostUserID == userID:
		return ev, nil
	case !eventVisible(ev, userID):
		return nil, errEventNotFound()
	}
	return nil, connect.NewError(connect.CodePermissionDenied, errors.New("only the event's host can change it"))
}
