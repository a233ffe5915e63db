package events

import (
	"context"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
)

// CreateVenue creates a venue that any host may then use.
func (s *eventServer) CreateVenue(ctx context.Context, req *connect.Request[eventsv1.CreateVenueRequest]) (*connect.Response[eventsv1.CreateVenueResponse], error) {
	userID, msg := rpc.CallerID(ctx), req.Msg
	v := &db.Venue{ID: db.NewID(), CreatedBy: &userID, Name: msg.GetName(), Address: msg.GetAddress(),
		Latitude: msg.GetLatitude(), Longitude: msg.GetLongitude(), Metadata: map[string]any{}}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.InsertVenue(ctx, tx, v); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, nil, "venue", v.ID.String(), "create", map[string]any{"name": v.Name})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.CreateVenueResponse{Venue: venueToProto(v)}), nil
}

// ListVenues pages through venues by name.
func (s *eventServer) ListVenues(ctx context.Context, req *connect.Request[eventsv1.ListVenuesRequest]) (*connect.Response[eventsv1.ListVenuesResponse], error) {
	page, err := rpc.NamePage("ListVenues", req.Msg.GetPageToken(), req.Msg.GetPageSize(), defaultVenuePageSize)
	if err != nil {
		return nil, err
	}
	venues, err := db.ListVenues(ctx, s.DB, req.Msg.GetQuery(), page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	resp := &eventsv1.ListVenuesResponse{}
	venues, resp.NextPageToken = rpc.NextPage(page, venues, func(v *db.Venue) (string, uuid.UUID) { return v.Name, v.ID })
	for i := range venues {
		resp.Venues = append(resp.Venues, venueToProto(&venues[i]))
	}
	return connect.NewResponse(resp), nil
}
