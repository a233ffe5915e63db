package events

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
)

// GetEvent returns an event the caller may see.
func (s *eventServer) GetEvent(ctx context.Context, req *connect.Request[eventsv1.GetEventRequest]) (*connect.Response[eventsv1.GetEventResponse], error) {
	ev, err := db.EventByID(ctx, s.DB, uuid.MustParse(req.Msg.GetEventId()))
	if errors.Is(err, db.ErrNotFound) || err == nil && !eventVisible(ev, rpc.CallerID(ctx)) {
		return nil, errEventNotFound()
	}
	if err != nil {
		return nil, err
	}
	out, err := eventWithInterests(ctx, s.DB, ev)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.GetEventResponse{Event: out}), nil
}

// eventVisible: the host sees their event in any state; everyone else a
// public event once it is no longer a draft.
func eventVisible(ev *db.Event, userID uuid.UUID) bool {
	return ev.HostUserID == userID || ev.Status != db.EventDraft && ev.Visibility == visibilityPublic
}

// errEventNotFound is the answer about an event that does not exist or
// that the caller may not see: the two look the same.
func errEventNotFound() error {
	return connect.NewError(connect.CodeNotFound, errors.New("event not found"))
}

// ListEvents pages through published public events by start time.
func (s *eventServer) ListEvents(ctx context.Context, req *connect.Request[eventsv1.ListEventsRequest]) (*connect.Response[eventsv1.ListEventsResponse], error) {
	page, err := rpc.TimePage("ListEvents", req.Msg.GetPageToken(), req.Msg.GetPageSize(), defaultEventPageSize)
	if err != nil {
		return nil, err
	}
	f, err := s.eventFilter(req.Msg, page)
	if err != nil {
		return nil, err
	}
	events, err := db.ListEvents(ctx, s.DB, f)
	if err != nil {
		return nil, err
	}
	events, next := rpc.NextPage(page, events, eventKey)
	out, err := eventsWithInterests(ctx, s.DB, events)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.ListEventsResponse{Events: out, NextPageToken: next}), nil
}

// eventFilter turns a ListEvents request into a query, checking the
// combinations of fields protovalidate cannot.
func (s *eventServer) eventFilter(msg *eventsv1.ListEventsRequest, page rpc.Page[time.Time]) (db.EventFilter, error) {
	f := db.EventFilter{InterestSlugs: msg.GetInterestSlugs(), EventTypes: eventTypes.Names(msg.GetEventTypes()), StartsAfter: s.Now(), IsPaid: msg.IsPaid,
		Query: msg.GetQuery(), AfterStarts: page.LastKey, AfterID: page.LastID, Limit: page.Limit()}
	if msg.StartsAfter != nil {
		f.StartsAfter = msg.GetStartsAfter().AsTime()
	}
	if msg.StartsBefore != nil {
		f.StartsBefore = msg.GetStartsBefore().AsTime()
		if msg.StartsAfter != nil && !f.StartsBefore.After(f.StartsAfter) {
			return db.EventFilter{}, rpc.InvalidField("starts_before", "must be after starts_after")
		}
	}
	switch {
	case msg.NearLatitude == nil && msg.NearLongitude == nil:
		return f, nil
	case msg.NearLatitude == nil || msg.NearLongitude == nil:
		return db.EventFilter{}, rpc.InvalidField("near_latitude", "set near_latitude and near_longitude together")
	case msg.GetRadiusKm() <= 0:
		return db.EventFilter{}, rpc.InvalidField("radius_km", "must be positive when searching near a point")
	}
	f.Near = &db.GeoPoint{Latitude: msg.GetNearLatitude(), Longitude: msg.GetNearLongitude()}
	f.RadiusKm = msg.GetRadiusKm()
	return f, nil
}

// ListMyEvents pages through the caller's hosted events, newest start first.
func (s *eventServer) ListMyEvents(ctx context.Context, req *connect.Request[eventsv1.ListMyEventsRequest]) (*connect.Response[eventsv1.ListMyEventsResponse], error) {
	page, err := rpc.TimePage("ListMyEvents", req.Msg.GetPageToken(), req.Msg.GetPageSize(), defaultEventPageSize)
	if err != nil {
		return nil, err
	}
	events, err := db.ListHostedEvents(ctx, s.DB, rpc.CallerID(ctx), page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	events, next := rpc.NextPage(page, events, eventKey)
	out, err := eventsWithInterests(ctx, s.DB, events)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.ListMyEventsResponse{Events: out, NextPageToken: next}), nil
}

func eventWithInterests(ctx context.Context, idb bun.IDB, ev *db.Event) (*eventsv1.Event, error) {
	out, err := eventsWithInterests(ctx, idb, []db.Event{*ev})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// eventsWithInterests converts a page of events, loading their interest
// slugs in one query.
func eventsWithInterests(ctx context.Context, idb bun.IDB, events []db.Event) ([]*eventsv1.Event, error) {
	ids := make([]uuid.UUID, 0, len(events))
	for _, ev := range events {
		ids = append(ids, ev.ID)
	}
	slugs, err := db.EventInterestSlugs(ctx, idb, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*eventsv1.Event, 0, len(events))
	for i := range events {
		out = append(out, eventToProto(&events[i], slugs[events[i].ID]))
	}
	return out, nil
}
