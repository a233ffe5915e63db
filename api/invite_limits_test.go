package api_test

import (
	"context"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
)

func TestInviteUser_RateLimitedPerHost(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, other := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5})
	otherEv := publishedEvent(t, a, other, eventSpec{capacity: 5})
	// The host already sent an hour's worth of invites.
	for range 100 {
		guest := a.NewUser(t, newPhone())
		require.NoError(t, db.InsertInvite(ctx, a.DB, &db.Invite{ID: db.NewID(), EventID: ev.ID, HostUserID: ev.HostUserID,
			InvitedUserID: new(mustUUID(guest.UserID)), InviteType: "direct", Token: db.NewID().String(), Status: "pending", MaxUses: 1}))
	}
	guest := a.NewUser(t, newPhone())
	invite := func(s testenv.Session, eventID string) error {
		_, err := a.Ticketing.InviteUser(ctx, testenv.As(s, &eventsv1.InviteUserRequest{EventId: eventID,
			Invitee: &eventsv1.InviteUserRequest_UserId{UserId: guest.UserID}}))
		return err
	}

	err := invite(host, ev.ID.String())
	testenv.RequireCode(t, err, connect.CodeResourceExhausted)
	assert.Contains(t, err.Error(), "invites in the last hour")
	assert.Zero(t, countRows(t, a, (*db.Invite)(nil), "invited_user_id = ?", mustUUID(guest.UserID)), "a refused invite writes nothing")
	assert.Zero(t, countRows(t, a, (*db.Notification)(nil), "recipient_user_id = ?", mustUUID(guest.UserID)), "and notifies nobody")

	require.NoError(t, invite(other, otherEv.ID.String()), "another host's invites are not limited by this one's")
}
