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
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	"github.com/convene/convene/proto/convene/identity/v1/identityv1connect"
)

// EventService's RSVP RPCs in both matrices. A foreign caller gets A's
// draft and private events as NotFound; the input matrix's SetRsvp names
// B's invisible draft, so every variant fails for a business reason and
// stores nothing. A's member is interested in A's free event. The matrix
// server has no OIDC issuer, so every OIDC call is refused before it
// changes anything.
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
			{identityv1connect.AuthServiceLoginWithOidcProcedure, anonymous, &identityv1.LoginWithOidcRequest{Token: matrixOidcToken()}},
			{identityv1connect.UserServiceLinkOidcProcedure, asOwnerB, &identityv1.LinkOidcRequest{Token: matrixOidcToken()}},
		},
		free: map[string]string{
			identityv1connect.AuthServiceLoginWithOidcProcedure: "takes a token of the OIDC provider; signing in is public",
			identityv1connect.UserServiceLinkOidcProcedure:      "the caller's own account and a token of the OIDC provider",
		},
	})
}

func buildRsvpTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	require.NoError(t, db.StoreRsvp(context.Background(), f.a.DB, uuid.MustParse(f.freeEvent), uuid.MustParse(f.memberA.UserID), enums.RsvpInterested))
	return nil
}

// matrixOidcToken is an ID token in JWT shape (header, claims, signature).
func matrixOidcToken() *identityv1.OidcToken {
	return &identityv1.OidcToken{Token: &identityv1.OidcToken_IdToken{IdToken: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2ln"}}
}
