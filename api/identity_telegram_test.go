package api_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/telegramlogin"
	"github.com/convene/convene/internal/testenv"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// testBotToken is the bot the tests' logins are signed for.
const testBotToken = "424242:convene-test-bot"

func withTestBot(c *config.Config) { c.TelegramBotToken = testBotToken }

// widgetLogin is what Telegram's widget would hand the page for account
// id, signed at authAt.
func widgetLogin(id int64, authAt time.Time) *identityv1.TelegramLogin {
	l := telegramlogin.Sign(testBotToken, telegramlogin.Login{ID: id, FirstName: "Ada", LastName: "Lovelace", Username: "ada",
		AuthDate: authAt.Unix()})
	return &identityv1.TelegramLogin{Id: l.ID, FirstName: l.FirstName, LastName: l.LastName, Username: l.Username,
		AuthDate: l.AuthDate, Hash: l.Hash}
}

func loginWithTelegram(a *testenv.API, l *identityv1.TelegramLogin) (*identityv1.LoginWithTelegramResponse, error) {
	resp, err := a.Auth.LoginWithTelegram(context.Background(), connect.NewRequest(&identityv1.LoginWithTelegramRequest{Login: l}))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

func TestTelegramLogin_ValidSignsInAndCreatesTheUserOnce(t *testing.T) {
	a := setup(t, testenv.WithConfig(withTestBot))
	first, err := loginWithTelegram(a, widgetLogin(1001, time.Now()))
	require.NoError(t, err)
	assert.True(t, first.GetNewUser())
	assert.Equal(t, "Ada Lovelace", first.GetUser().GetProfile().GetName())
	assert.Equal(t, "1001", first.GetUser().GetTelegramId())

	me, err := a.Users.GetMe(context.Background(), testenv.As(testenv.Session{AccessToken: first.GetAccessToken()}, &identityv1.GetMeRequest{}))
	require.NoError(t, err)
	assert.Equal(t, first.GetUser().GetId(), me.Msg.GetUser().GetId())

	again, err := loginWithTelegram(a, widgetLogin(1001, time.Now()))
	require.NoError(t, err)
	assert.False(t, again.GetNewUser())
	assert.Equal(t, first.GetUser().GetId(), again.GetUser().GetId())
	_, err = a.Auth.Refresh(context.Background(), connect.NewRequest(&identityv1.RefreshRequest{RefreshToken: again.GetRefreshToken()}))
	require.NoError(t, err, "the refresh token works as VerifyOtp's does")
}

func TestTelegramLogin_RefusesTamperedStaleAndUnconfigured(t *testing.T) {
	a := setup(t, testenv.WithConfig(withTestBot))
	tampered := widgetLogin(1002, time.Now())
	tampered.Id = 1003
	_, err := loginWithTelegram(a, tampered)
	testenv.RequireCode(t, err, connect.CodeUnauthenticated)

	_, err = loginWithTelegram(a, widgetLogin(1002, time.Now().Add(-2*time.Hour)))
	testenv.RequireCode(t, err, connect.CodeUnauthenticated)
	assert.Contains(t, err.Error(), "login expired")

	n, err := a.DB.NewSelect().Model((*db.User)(nil)).Where("telegram_id IS NOT NULL").Count(context.Background())
	require.NoError(t, err)
	assert.Zero(t, n, "refused logins create no user")

	unconfigured := testenv.NewAPI(t, nil)
	_, err = loginWithTelegram(unconfigured, widgetLogin(1002, time.Now()))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
}

func TestTelegramLogin_ConcurrentFirstLoginsMakeOneUser(t *testing.T) {
	a := setup(t, testenv.WithConfig(withTestBot))
	const logins = 10
	ids := make([]string, logins)
	var wg sync.WaitGroup
	for i := range logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := loginWithTelegram(a, widgetLogin(1004, time.Now()))
			if assert.NoError(t, err) {
				ids[i] = resp.GetUser().GetId()
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		assert.Equal(t, ids[0], id)
	}
	n, err := a.DB.NewSelect().Model((*db.User)(nil)).Where("telegram_id = ?", "1004").Count(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
}

func TestLinkTelegram_LinksOnceAcrossUsers(t *testing.T) {
	a := setup(t, testenv.WithConfig(withTestBot))
	ctx := context.Background()
	phoneUser, other := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	linked, err := a.Users.LinkTelegram(ctx, testenv.As(phoneUser, &identityv1.LinkTelegramRequest{Login: widgetLogin(1005, time.Now())}))
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(1005), linked.Msg.GetUser().GetTelegramId())

	_, err = a.Users.LinkTelegram(ctx, testenv.As(other, &identityv1.LinkTelegramRequest{Login: widgetLogin(1005, time.Now())}))
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)

	in, err := loginWithTelegram(a, widgetLogin(1005, time.Now()))
	require.NoError(t, err)
	assert.Equal(t, phoneUser.UserID, in.GetUser().GetId(), "the linked account signs in as the phone user")
	assert.False(t, in.GetNewUser())
}
