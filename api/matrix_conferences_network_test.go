package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	"github.com/convene/convene/proto/convene/conferences/v1/conferencesv1connect"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	"github.com/convene/convene/proto/convene/identity/v1/identityv1connect"
)

// ConnectionService, EnrichmentService and the Telegram RPCs of identity
// in both matrices. A's row: a pending request from A's member to A's
// owner. Connections belong to their two members, not to a tenant: B's
// owner, who shares no organization with them, finds neither the request
// nor the members (NotFound).
const (
	fxNetConnA  = "@netConnA"
	fxNetOwnerA = "@netOwnerA"
)

// matrixTelegramLogin is a widget answer; the matrix server has no bot
// token, so every Telegram call is refused before it changes anything.
func matrixTelegramLogin() *identityv1.TelegramLogin {
	return &identityv1.TelegramLogin{Id: 42, FirstName: "Ada", LastName: "L", Username: "ada", PhotoUrl: "https://t.me/i/ada.jpg",
		AuthDate: time.Now().Unix(), Hash: "00000000000000000000000000000000000000000000000000000000000000aa"}
}

func init() {
	matrixTopics = append(matrixTopics, matrixTopic{
		name:  "conferences network",
		build: buildNetworkTopic,
		tenant: []tenantCase{
			{conferencesv1connect.ConnectionServiceRequestConnectionProcedure, hidden, &conferencesv1.RequestConnectionRequest{UserId: fxMemberA, Message: "hi"}},
			{conferencesv1connect.ConnectionServiceRespondConnectionProcedure, hidden, &conferencesv1.RespondConnectionRequest{ConnectionId: fxNetConnA, Accept: true}},
			{conferencesv1connect.ConnectionServiceCancelConnectionProcedure, hidden, &conferencesv1.CancelConnectionRequest{ConnectionId: fxNetConnA}},
			{conferencesv1connect.ConnectionServiceRemoveConnectionProcedure, hidden, &conferencesv1.RemoveConnectionRequest{UserId: fxMemberA}},
			{conferencesv1connect.ConnectionServiceBlockUserProcedure, hidden, &conferencesv1.BlockUserRequest{UserId: fxMemberA}},
			{conferencesv1connect.ConnectionServiceUnblockUserProcedure, hidden, &conferencesv1.UnblockUserRequest{UserId: fxMemberA}},
			{conferencesv1connect.EnrichmentServiceGetUserEnrichmentsProcedure, hidden, &conferencesv1.GetUserEnrichmentsRequest{OrganizationId: fxOrgA, UserId: fxMemberA}},
		},
		input: []inputCase{
			{conferencesv1connect.ConnectionServiceRequestConnectionProcedure, asMemberA, &conferencesv1.RequestConnectionRequest{UserId: fxNetOwnerA,
				ConferenceId: proto.String(fxOrgA), Message: "hi"}},
			{conferencesv1connect.ConnectionServiceRespondConnectionProcedure, asMemberA, &conferencesv1.RespondConnectionRequest{ConnectionId: fxNetConnA, Accept: true}},
			{conferencesv1connect.ConnectionServiceCancelConnectionProcedure, asOwnerB, &conferencesv1.CancelConnectionRequest{ConnectionId: fxNetConnA}},
			{conferencesv1connect.ConnectionServiceRemoveConnectionProcedure, asMemberA, &conferencesv1.RemoveConnectionRequest{UserId: fxNetOwnerA}},
			{conferencesv1connect.ConnectionServiceBlockUserProcedure, asOwnerB, &conferencesv1.BlockUserRequest{UserId: fxMemberA}},
			{conferencesv1connect.ConnectionServiceUnblockUserProcedure, asMemberA, &conferencesv1.UnblockUserRequest{UserId: fxNetOwnerA}},
			{conferencesv1connect.ConnectionServiceListConnectionsProcedure, asMemberA, &conferencesv1.ListConnectionsRequest{
				Status: conferencesv1.ConnectionStatus_CONNECTION_STATUS_PENDING, Direction: conferencesv1.ConnectionDirection_CONNECTION_DIRECTION_OUTGOING, PageSize: 10}},
			{conferencesv1connect.EnrichmentServiceSetSocialProfilesProcedure, asOwnerB, &conferencesv1.SetSocialProfilesRequest{
				LinkedinUrl: proto.String("https://www.linkedin.com/in/bee"), TwitterHandle: proto.String("@bee"),
				WalletAddress: proto.String("0x00000000000000000000000000000000000000bb")}},
			{conferencesv1connect.EnrichmentServiceGetMyEnrichmentsProcedure, asMemberA, &conferencesv1.GetMyEnrichmentsRequest{}},
			{conferencesv1connect.EnrichmentServiceRefreshEnrichmentProcedure, asMemberA, &conferencesv1.RefreshEnrichmentRequest{
				Kind: conferencesv1.EnrichmentKind_ENRICHMENT_KIND_TWITTER}},
			{conferencesv1connect.EnrichmentServiceGetUserEnrichmentsProcedure, asOwnerA, &conferencesv1.GetUserEnrichmentsRequest{OrganizationId: fxOrgA, UserId: fxMemberA}},
			{identityv1connect.AuthServiceLoginWithTelegramProcedure, anonymous, &identityv1.LoginWithTelegramRequest{Login: matrixTelegramLogin()}},
			{identityv1connect.UserServiceLinkTelegramProcedure, asOwnerB, &identityv1.LinkTelegramRequest{Login: matrixTelegramLogin()}},
		},
		free: map[string]string{
			conferencesv1connect.ConnectionServiceListConnectionsProcedure:   "the caller's own connections",
			conferencesv1connect.EnrichmentServiceSetSocialProfilesProcedure: "the caller's own social profiles",
			conferencesv1connect.EnrichmentServiceGetMyEnrichmentsProcedure:  "the caller's own social profiles",
			conferencesv1connect.EnrichmentServiceRefreshEnrichmentProcedure: "the caller's own social profile, named by its kind",
			identityv1connect.AuthServiceLoginWithTelegramProcedure:          "takes a signed Telegram login; signing in is public",
			identityv1connect.UserServiceLinkTelegramProcedure:               "the caller's own account and a signed Telegram login",
		},
	})
}

// buildNetworkTopic writes A's member's pending request to A's owner.
func buildNetworkTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	c := &db.Connection{ID: db.NewID(), RequesterID: uuid.MustParse(f.memberA.UserID), RecipientID: uuid.MustParse(f.ownerA.UserID),
		Status: enums.ConnectionPending, Message: "matrix"}
	require.NoError(t, db.InsertConnection(context.Background(), f.a.DB, c))
	return map[string]string{fxNetConnA: c.ID.String(), fxNetOwnerA: f.ownerA.UserID}
}
