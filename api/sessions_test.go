package api_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// sessionCheckTTL is the API's default: how long it trusts a look at a
// caller's account and session.
const sessionCheckTTL = 5 * time.Second

// callGetMe calls an authenticated procedure as s.
func callGetMe(a *testenv.API, s testenv.Session) error {
	_, err := a.Users.GetMe(context.Background(), testenv.As(s, &identityv1.GetMeRequest{}))
	return err
}

func TestSessions_DisabledUserIsRefusedWithinSeconds(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	s := a.Login(t, newPhone())
	other := a.NewUser(t, newPhone()) // a token without a session: checked by user
	require.NoError(t, callGetMe(a, s))
	require.NoError(t, callGetMe(a, other))

	for _, id := range []string{s.UserID, other.UserID} {
		_, err := a.DB.NewUpdate().Model((*db.User)(nil)).Set("is_active = false").Where("id = ?", id).Exec(ctx)
		require.NoError(t, err)
	}
	a.Clock.Advance(sessionCheckTTL + time.Second)

	for _, sess := range []testenv.Session{s, other} {
		err := callGetMe(a, sess)
		testenv.RequireCode(t, err, connect.CodeUnauthenticated)
		require.ErrorContains(t, err, "session has ended")
	}
}

func TestSessions_LogoutEndsItsAccessTokensOnly(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	phone := newPhone()
	laptop := a.Login(t, phone)
	phoneApp := a.Login(t, phone) // the same user, another login
	require.NoError(t, callGetMe(a, laptop))

	_, err := a.Auth.Logout(ctx, connect.NewRequest(&identityv1.LogoutRequest{RefreshToken: laptop.RefreshToken}))
	require.NoError(t, err)
	a.Clock.Advance(sessionCheckTTL + time.Second)

	err = callGetMe(a, laptop)
	testenv.RequireCode(t, err, connect.CodeUnauthenticated)
	require.NoError(t, callGetMe(a, phoneApp), "the user's other login goes on")
}

func TestSessions_RefreshKeepsTheLoginAndReuseEndsIt(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	s := a.Login(t, newPhone())
	rotated, err := a.Auth.Refresh(ctx, connect.NewRequest(&identityv1.RefreshRequest{RefreshToken: s.RefreshToken}))
	require.NoError(t, err)
	next := s
	next.AccessToken, next.RefreshToken = rotated.Msg.GetAccessToken(), rotated.Msg.GetRefreshToken()
	a.Clock.Advance(sessionCheckTTL + time.Second)
	require.NoError(t, callGetMe(a, s), "a refresh keeps the login: the earlier access token is still good")
	require.NoError(t, callGetMe(a, next))

	// Presenting the rotated refresh token again means it leaked: the
	// whole login ends, and so do its access tokens.
	_, err = a.Auth.Refresh(ctx, connect.NewRequest(&identityv1.RefreshRequest{RefreshToken: s.RefreshToken}))
	testenv.RequireCode(t, err, connect.CodeUnauthenticated)
	a.Clock.Advance(sessionCheckTTL + time.Second)
	testenv.RequireCode(t, callGetMe(a, s), connect.CodeUnauthenticated)
	testenv.RequireCode(t, callGetMe(a, next), connect.CodeUnauthenticated)
}
