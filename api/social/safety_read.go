package social

// SafetyService reads: an alert is visible to its sender, the members of
// its groups, the hosts of its events (and their organizations' owners
// and admins) and staff; to anyone else it is NotFound. Alerts are read
// from their rows, which the run writes before it answers.

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
)

// alertsPageSize is an alert list's page when the request has none.
const alertsPageSize = 50

// alertStanding is the caller's relation to one alert.
type alertStanding struct {
	caller uuid.UUID
	sender bool
	// member: in one of its groups; host: hosts one of its events.
	member, host, staff bool
}

func (a alertStanding) visible() bool { return a.sender || a.member || a.host || a.staff }

// standing reads the caller's relation to the batch.
func (s *safetyServer) standing(ctx context.Context, b *db.SafetyAlertBatch) (alertStanding, error) {
	st := alertStanding{caller: rpc.CallerID(ctx)}
	st.sender = b.SenderID == st.caller
	var err error
	if st.staff, err = isStaff(ctx, s.DB, st.caller); err != nil {
		return alertStanding{}, err
	}
	rows, err := db.AlertRowsOf(ctx, s.DB, b.ID)
	if err != nil {
		return alertStanding{}, err
	}
	for _, r := range rows {
		m, err := db.GroupMembership(ctx, s.DB, r.GroupID, st.caller)
		if err != nil {
			return alertStanding{}, err
		}
		st.member = st.member || m != nil
		if !st.host {
			if st.host, err = s.hostsAlertEvent(ctx, r.EventID, st.caller); err != nil {
				return alertStanding{}, err
			}
		}
	}
	return st, nil
}

// hostsAlertEvent: the caller hosts the event (or owns or administers its
// organization).
func (s *safetyServer) hostsAlertEvent(ctx context.Context, eventID, callerID uuid.UUID) (bool, error) {
	ev, err := db.EventByID(ctx, s.DB, eventID)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return hostsEvent(ctx, s.DB, ev, callerID)
}

// GetAlert answers one alert the caller may see.
func (s *safetyServer) GetAlert(ctx context.Context, req *connect.Request[socialv1.GetAlertRequest]) (*connect.Response[socialv1.GetAlertResponse], error) {
	b, err := db.AlertBatchByID(ctx, s.DB, uuid.MustParse(req.Msg.GetAlertId()))
	if errors.Is(err, db.ErrNotFound) {
		return nil, errAlertNotFound()
	}
	if err != nil {
		return nil, err
	}
	st, err := s.standing(ctx, b)
	if err != nil {
		return nil, err
	}
	if !st.visible() {
		return nil, errAlertNotFound()
	}
	rows, err := db.AlertRowsOf(ctx, s.DB, b.ID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.GetAlertResponse{Alert: alertToProto(b, rows)}), nil
}

// ListAlerts pages the alerts the caller may see, newest first.
func (s *safetyServer) ListAlerts(ctx context.Context, req *connect.Request[socialv1.ListAlertsRequest]) (*connect.Response[socialv1.ListAlertsResponse], error) {
	m := req.Msg
	page, err := rpc.TimePage("ListAlerts", m.GetPageToken(), m.GetPageSize(), alertsPageSize)
	if err != nil {
		return nil, err
	}
	callerID := rpc.CallerID(ctx)
	staff, err := isStaff(ctx, s.DB, callerID)
	if err != nil {
		return nil, err
	}
	batches, err := db.ListAlertBatches(ctx, s.DB, db.AlertFilter{ViewerID: callerID, All: staff,
		Status: alertStatuses.Name(m.GetStatus()), BeforeCreatedAt: page.LastKey, BeforeID: page.LastID, Limit: page.Limit()})
	if err != nil {
		return nil, err
	}
	batches, next := rpc.NextPage(page, batches, func(b *db.SafetyAlertBatch) (time.Time, uuid.UUID) { return b.CreatedAt, b.ID })
	ids := make([]uuid.UUID, len(batches))
	for i, b := range batches {
		ids[i] = b.ID
	}
	rows, err := db.AlertRowsOfBatches(ctx, s.DB, ids)
	if err != nil {
		return nil, err
	}
	out := &socialv1.ListAlertsResponse{NextPageToken: next}
	for i := range batches {
		out.Alerts = append(out.Alerts, alertToProto(&batches[i], rows[batches[i].ID]))
	}
	return connect.NewResponse(out), nil
}

// alertProto reads a batch and its rows as the API's Alert; ErrNotFound
// when there is no such batch.
func (s *safetyServer) alertProto(ctx context.Context, batchID uuid.UUID) (*socialv1.Alert, error) {
	b, err := db.AlertBatchByID(ctx, s.DB, batchID)
	if err != nil {
		return nil, err
	}
	rows, err := db.AlertRowsOf(ctx, s.DB, batchID)
	if err != nil {
		return nil, err
	}
	return alertToProto(b, rows), nil
}

func alertToProto(b *db.SafetyAlertBatch, rows []db.SafetyAlert) *socialv1.Alert {
	a := &socialv1.Alert{Id: b.ID.String(), SenderId: b.SenderID.String(), AlertType: alertTypes.Value(b.AlertType),
		Message: b.Message, Latitude: b.Latitude, Longitude: b.Longitude, Status: alertStatuses.Value(b.Status),
		NotifiedCount: b.NotifiedCount, CreatedAt: timestamppb.New(b.CreatedAt), AcknowledgedBy: rpc.IDString(b.AcknowledgedBy),
		ResolvedBy: rpc.IDString(b.ResolvedBy), ClientRequestId: b.ClientRequestID}
	if b.AcknowledgedAt != nil {
		a.AcknowledgedAt = timestamppb.New(*b.AcknowledgedAt)
	}
	if b.ResolvedAt != nil {
		a.ResolvedAt = timestamppb.New(*b.ResolvedAt)
	}
	if b.Outcome != nil {
		a.Outcome = alertOutcomes.Value(*b.Outcome)
	}
	seen := map[uuid.UUID]bool{}
	for _, r := range rows {
		a.GroupIds = append(a.GroupIds, r.GroupID.String())
		if !seen[r.EventID] {
			seen[r.EventID] = true
			a.EventIds = append(a.EventIds, r.EventID.String())
		}
	}
	return a
}
