package app_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/app"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/providers/notify"
	"github.com/convene/convene/internal/testenv"
)

// setup returns options for a dev configuration without Temporal, over
// this test's own database.
func setup(t *testing.T) app.Options {
	t.Helper()
	t.Parallel()
	cfg := config.Default()
	cfg.BlobDir = t.TempDir()
	require.NoError(t, cfg.Finalize())
	cfg.TemporalAddress = ""
	return app.Options{Config: cfg, Log: slog.New(slog.DiscardHandler), DB: testenv.NewDB(t)}
}

func TestNew_WithoutDatabaseSaysWhatToSet(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	require.NoError(t, cfg.Finalize())
	_, err := app.New(context.Background(), app.Options{Config: cfg})
	require.ErrorContains(t, err, "DATABASE_URL")
}

func TestNew_RefusesAnInvalidConfig(t *testing.T) {
	t.Parallel()
	cfg := config.Default() // no JWT secret: Finalize was not called
	_, err := app.New(context.Background(), app.Options{Config: cfg})
	require.ErrorContains(t, err, "CONVENE_JWT_SECRET")
}

func TestNew_DevConfigServesTheAPIWithoutTemporal(t *testing.T) {
	o := setup(t)
	a, err := app.New(context.Background(), o)
	require.NoError(t, err)
	defer a.Close()

	require.Nil(t, a.Temporal, "no address and no client: no Temporal")
	require.NotNil(t, a.Sandbox, "dev pays through the sandbox")
	require.NotNil(t, a.SocialSandbox, "dev connects social accounts through the sandbox")
	require.Equal(t, []string{"facebook", "instagram", "linkedin", "x"}, a.Social.Names())
	h, err := a.Handler()
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	require.Equal(t, http.StatusOK, rec.Code)

	_, err = a.StartWorker(context.Background())
	require.ErrorIs(t, err, app.ErrNoTemporal)
}

func TestClose_LeavesAGivenDatabaseOpen(t *testing.T) {
	o := setup(t)
	a, err := app.New(context.Background(), o)
	require.NoError(t, err)
	a.Close()
	require.NoError(t, o.DB.Ping(context.Background()))
}

func TestNew_DevFillsSandboxSendersAndOptionsReplaceChannels(t *testing.T) {
	o := setup(t)
	push := notify.NewSandbox(enums.ChannelPush)
	o.Senders = map[string]notify.Sender{enums.ChannelPush: push}
	a, err := app.New(context.Background(), o)
	require.NoError(t, err)
	defer a.Close()

	require.Same(t, push, a.Senders[enums.ChannelPush])
	for _, ch := range []string{enums.ChannelEmail, enums.ChannelTelegram} {
		require.IsType(t, &notify.Sandbox{}, a.Senders[ch], ch)
	}
	require.Contains(t, a.Senders, enums.ChannelSMS)
}

func TestNew_ProdSendsOnlyThroughConfiguredChannels(t *testing.T) {
	o := setup(t)
	cfg := &o.Config
	cfg.Env = config.EnvProd
	cfg.JWTSecret = strings.Repeat("s", 32)
	cfg.TicketMasterKey = strings.Repeat("t", 32)
	cfg.SocialTokenKey = "k1:" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	cfg.SMSProvider, cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioFrom = "twilio", "AC1", "token", "+15550000000"
	cfg.PaymentProvider, cfg.StripeSecretKey, cfg.StripeWebhookSecret = "stripe", "sk_test_1", "whsec_1"
	cfg.SocialTokenKey = "main:" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	cfg.QuestVerifiers = config.QuestVerifiersLive
	a, err := app.New(context.Background(), o)
	require.NoError(t, err)
	defer a.Close()

	require.Nil(t, a.Sandbox, "prod pays through stripe")
	require.Nil(t, a.SocialSandbox, "no social sandbox in prod")
	require.Empty(t, a.Social.Names(), "no social platform adapter exists for prod yet")
	require.Len(t, a.Senders, 1, "no sandboxes in prod: %v", a.Senders)
	require.Contains(t, a.Senders, enums.ChannelSMS)
}
