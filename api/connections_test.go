package api_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/testenv"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// orgOf makes an organization owned by the first session with the others
// as members, so all of them may ask each other to connect.
func orgOf(t *testing.T, a *testenv.API, slug string, people ...testenv.Session) string {
	t.Helper()
	org := createOrg(t, a, people[0], slug).GetId()
	for _, p := range people[1:] {
		addAndAccept(t, a, people[0], org, p, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	}
	return org
}

func requestConnection(a *testenv.API, from, to testenv.Session) (*conferencesv1.Connection, error) {
	resp, err := a.Connections.RequestConnection(context.Background(), testenv.As(from, &conferencesv1.RequestConnectionRequest{UserId: to.UserID, Message: "hi"}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetConnection(), nil
}

// pairRows counts the connections rows of a pair, either direction.
func pairRows(t *testing.T, a *testenv.API, x, y testenv.Session) int {
	t.Helper()
	n, err := a.DB.NewSelect().Model((*db.Connection)(nil)).
		Where("(requester_id = ? AND recipient_id = ?) OR (requester_id = ? AND recipient_id = ?)", x.UserID, y.UserID, y.UserID, x.UserID).Count(context.Background())
	require.NoError(t, err)
	return int(n)
}

func TestConnections_RequestAcceptAndList(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	owner, member := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	orgOf(t, a, "net-list", owner, member)

	c, err := requestConnection(a, member, owner)
	require.NoError(t, err)
	assert.Equal(t, conferencesv1.ConnectionStatus_CONNECTION_STATUS_PENDING, c.GetStatus())
	_, err = requestConnection(a, member, owner)
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)
	_, err = a.Connections.RespondConnection(ctx, testenv.As(member, &conferencesv1.RespondConnectionRequest{ConnectionId: c.GetId(), Accept: true}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)

	incoming, err := a.Connections.ListConnections(ctx, testenv.As(owner, &conferencesv1.ListConnectionsRequest{
		Direction: conferencesv1.ConnectionDirection_CONNECTION_DIRECTION_INCOMING}))
	require.NoError(t, err)
	require.Len(t, incoming.Msg.GetConnections(), 1)
	assert.Equal(t, member.UserID, incoming.Msg.GetConnections()[0].GetOtherUserId())

	answered, err := a.Connections.RespondConnection(ctx, testenv.As(owner, &conferencesv1.RespondConnectionRequest{ConnectionId: c.GetId(), Accept: true}))
	require.NoError(t, err)
	assert.Equal(t, conferencesv1.ConnectionStatus_CONNECTION_STATUS_ACCEPTED, answered.Msg.GetConnection().GetStatus())
	mine, err := a.Connections.ListConnections(ctx, testenv.As(member, &conferencesv1.ListConnectionsRequest{
		Status: conferencesv1.ConnectionStatus_CONNECTION_STATUS_ACCEPTED}))
	require.NoError(t, err)
	require.Len(t, mine.Msg.GetConnections(), 1)
	assert.Equal(t, conferencesv1.ConnectionDirection_CONNECTION_DIRECTION_OUTGOING, mine.Msg.GetConnections()[0].GetDirection())

	notices, err := a.DB.NewSelect().Model((*db.NotificationNotice)(nil)).Where("category = ?", db.CategoryConnections).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 2, notices, "the request to the owner, the acceptance to the member")
}

func TestConnections_CrossRequestsAtOnceMakeOneAcceptedRow(t *testing.T) {
	a := setup(t)
	x, y := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	orgOf(t, a, "net-cross", x, y)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, pair := range [][2]testenv.Session{{x, y}, {y, x}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = requestConnection(a, pair[0], pair[1])
		}()
	}
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.Equal(t, 1, pairRows(t, a, x, y))
	c, err := db.ConnectionOfPair(context.Background(), a.DB, uuid.MustParse(x.UserID), uuid.MustParse(y.UserID))
	require.NoError(t, err)
	assert.Equal(t, enums.ConnectionAccepted, c.Status, "the second request accepts the first")
}

func TestConnections_DailyQuotaRefusesRequestPastTheLimit(t *testing.T) {
	a := setup(t, testenv.WithConfig(func(c *config.Config) { c.ConnectionDailyLimit = 2 }))
	sender := a.NewUser(t, newPhone())
	others := []testenv.Session{a.NewUser(t, newPhone()), a.NewUser(t, newPhone()), a.NewUser(t, newPhone())}
	orgOf(t, a, "net-quota", append([]testenv.Session{sender}, others...)...)
	for _, o := range others[:2] {
		_, err := requestConnection(a, sender, o)
		require.NoError(t, err)
	}
	_, err := requestConnection(a, sender, others[2])
	testenv.RequireCode(t, err, connect.CodeResourceExhausted)
	assert.Contains(t, err.Error(), "daily limit of 2")
	assert.Equal(t, 0, pairRows(t, a, sender, others[2]), "the refused request left no row")
}

func TestConnections_BlockWorksBothWays(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	x, y := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	orgOf(t, a, "net-block", x, y)
	_, err := a.Connections.BlockUser(ctx, testenv.As(x, &conferencesv1.BlockUserRequest{UserId: y.UserID}))
	require.NoError(t, err)

	_, err = requestConnection(a, y, x)
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = requestConnection(a, x, y)
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	_, err = a.Connections.UnblockUser(ctx, testenv.As(y, &conferencesv1.UnblockUserRequest{UserId: x.UserID}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	blocked, err := a.Connections.ListConnections(ctx, testenv.As(y, &conferencesv1.ListConnectionsRequest{}))
	require.NoError(t, err)
	assert.Empty(t, blocked.Msg.GetConnections(), "the blocked member is not shown the block")

	_, err = a.Connections.UnblockUser(ctx, testenv.As(x, &conferencesv1.UnblockUserRequest{UserId: y.UserID}))
	require.NoError(t, err)
	_, err = requestConnection(a, y, x)
	require.NoError(t, err)
	assert.Equal(t, 1, pairRows(t, a, x, y))
}

func TestConnections_StrangersAndConferencesWithoutAttendance(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	x, y, stranger := a.NewUser(t, newPhone()), a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	org := orgOf(t, a, "net-conf", x, y)
	_, err := requestConnection(a, stranger, x)
	testenv.RequireCode(t, err, connect.CodeNotFound)

	day := time.Now().UTC().Truncate(24 * time.Hour)
	conf := &db.Conference{ID: db.NewID(), OrganizationID: uuid.MustParse(org), Slug: "net-conf", Name: "Net", Status: enums.ConferencePublished,
		StartDate: day, EndDate: day.Add(48 * time.Hour), Timezone: "UTC", AgendaVersion: 1}
	_, err = a.DB.NewInsert().Model(conf).Exec(ctx)
	require.NoError(t, err)
	_, err = db.RegisterAttendee(ctx, a.DB, conf.OrganizationID, conf.ID, uuid.MustParse(x.UserID))
	require.NoError(t, err)
	confID := conf.ID.String()

	_, err = a.Connections.RequestConnection(ctx, testenv.As(x, &conferencesv1.RequestConnectionRequest{UserId: y.UserID, ConferenceId: &confID}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Contains(t, err.Error(), "this member is not registered")
	_, err = a.Connections.RequestConnection(ctx, testenv.As(y, &conferencesv1.RequestConnectionRequest{UserId: x.UserID, ConferenceId: &confID}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Contains(t, err.Error(), "you are not registered")
	assert.Equal(t, 0, pairRows(t, a, x, y))

	_, err = db.RegisterAttendee(ctx, a.DB, conf.OrganizationID, conf.ID, uuid.MustParse(y.UserID))
	require.NoError(t, err)
	_, err = a.Connections.RequestConnection(ctx, testenv.As(x, &conferencesv1.RequestConnectionRequest{UserId: y.UserID, ConferenceId: &confID}))
	require.NoError(t, err)
}
