package api_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	"github.com/convene/convene/proto/convene/events/v1/eventsv1connect"
)

// EventService's RSVP RPCs in both matrices. A foreign caller gets A's
// draft and private events as NotFound; the input matrix's SetRsvp names
// B's invisible draft, so every variant fails for a business reason and
// stores nothing. A's member is interested in A's free event.
func init() {
	matrixTopics = append(matrixTopics, matrixTopic{
		name:  "social rsvp",
		build: buildRsvpTopic,
		tenant: []tenantCase{
			{eventsv1connect.EventServiceSetRsvpProcedure, notFound, &eventsv1.SetRsvpRequest{EventId: fxDraftEvent, Status: eventsv1.RsvpStatus_RSVP_STATUS_INTERESTED}},
			{eventsv1connect.EventServiceSetRsvpProcedure, notFound, &eventsv1.SetRsvpRequest{EventId: fxPrivateEvent, Status: eventsv1.RsvpStatus_RSVP_STATUS_GOING}},
			{eventsv1connect.EventServiceGetMyRsvpProcedure, notFound, &eventsv1.GetMyRsvpRequest{EventId: fxDraftEvent}},
			{eventsv1connect.EventServiceListRsvpsProcedure, notFound, &eventsv1.ListRsvpsRequest{EventId: fxPrivateEvent}},
		},
		input: []inputCase{
			{eventsv1connect.EventServiceSetRsvpProcedure, asOwnerB, &eventsv1.SetRsvpRequest{EventId: fxDraftEvent, Status: eventsv1.RsvpStatus_RSVP_STATUS_INTERESTED}},
			{eventsv1connect.EventServiceGetMyRsvpProcedure, asBuyerA, &eventsv1.GetMyRsvpRequest{EventId: fxFreeEvent}},
			{eventsv1connect.EventServiceListRsvpsProcedure, asOwnerA, &eventsv1.ListRsvpsRequest{EventId: fxFreeEvent,
				Status: eventsv1.RsvpStatus_RSVP_STATUS_GOING, PageSize: 10}},
		},
	})
}

func buildRsvpTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	require.NoError(t, db.StoreRsvp(context.Background(), f.a.DB, uuid.MustParse(f.freeEvent), uuid.MustParse(f.memberA.UserID), enums.RsvpInterested))
	return nil
}
