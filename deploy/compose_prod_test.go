package deploy_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/providers/payment"
	"github.com/convene/convene/internal/providers/sms"
	"github.com/convene/convene/internal/tickets"
)

// prodSettings is what an operator puts in the .env beside
// docker-compose.yml to run it as production (the file's header lists it).
func prodSettings() map[string]string {
	return map[string]string{
		"CONVENE_ENV":               "prod",
		"CONVENE_JWT_SECRET":        strings.Repeat("j", 48),
		"CONVENE_TICKET_MASTER_KEY": strings.Repeat("k", 48),
		"CONVENE_SMS_PROVIDER":      "twilio",
		"TWILIO_ACCOUNT_SID":        "AC0123456789abcdef0123456789abcdef",
		"TWILIO_AUTH_TOKEN":         "twilio-token",
		"TWILIO_FROM":               "+14155550100",
		"CONVENE_PAYMENT_PROVIDER":  "stripe",
		"STRIPE_SECRET_KEY":         "sk_live_example",
		"STRIPE_WEBHOOK_SECRET":     "whsec_example",
		"CONVENE_PUBLIC_URL":        "https://convene.example",
		"CONVENE_SOCIAL_TOKEN_KEY":  "main:" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("t", 32))),
		"POSTGRES_PASSWORD":         "a-real-password",
	}
}

// TestCompose_ProdSettingsStartConvene: with the documented prod settings,
// every service's environment (after compose's ${VAR} substitution) passes
// the checks convene makes at start-up; without any one of them, it fails.
func TestCompose_ProdSettingsStartConvene(t *testing.T) {
	t.Parallel()
	services := conveneServices(t, loadCompose(t))
	for name, svc := range services {
		env := substitute(t, environment(t, name, svc), prodSettings())
		require.NoError(t, startupCheck(env), "service %s in prod", name)
	}

	api := services["api"]
	for _, missing := range []string{"CONVENE_JWT_SECRET", "CONVENE_TICKET_MASTER_KEY", "CONVENE_SMS_PROVIDER",
		"TWILIO_AUTH_TOKEN", "CONVENE_PAYMENT_PROVIDER", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "CONVENE_SOCIAL_TOKEN_KEY"} {
		t.Run("without "+missing, func(t *testing.T) {
			settings := prodSettings()
			delete(settings, missing)
			require.Error(t, startupCheck(substitute(t, environment(t, "api", api), settings)))
		})
	}
}

// startupCheck makes the checks convene makes before serving: the
// configuration's validation, then the payment provider, SMS sender and
// ticket keys it builds from it.
func startupCheck(env map[string]string) error {
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		return err
	}
	if err := cfg.Finalize(); err != nil {
		return err
	}
	base := strings.TrimRight(cfg.PublicURL, "/")
	_, payErr := payment.New(cfg.PaymentProvider, payment.SandboxConfig{BaseURL: base},
		payment.StripeConfig{SecretKey: cfg.StripeSecretKey, WebhookSecret: cfg.StripeWebhookSecret, SuccessURL: base + "/checkout/success"})
	_, smsErr := sms.New(cfg.SMSProvider, slog.New(slog.DiscardHandler),
		sms.TwilioConfig{AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken, From: cfg.TwilioFrom})
	_, keyErr := tickets.NewKeys([]byte(cfg.TicketMasterKey))
	return errors.Join(payErr, smsErr, keyErr)
}

// substitute applies compose's interpolation to every value: ${VAR},
// ${VAR:-default} and ${VAR-default} (default when unset, or also when
// empty with the colon), ${VAR:?message} and ${VAR?message} (an error).
func substitute(t *testing.T, env, settings map[string]string) map[string]string {
	t.Helper()
	out := maps.Clone(env)
	for key, value := range env {
		require.NotContains(t, value, "$$", "%s: escaped dollars are not handled by this test", key)
		out[key] = os.Expand(value, func(expr string) string {
			name, fallback, op := splitInterpolation(expr)
			v, set := settings[name]
			switch {
			case op == ":-" && v == "", op == "-" && !set:
				return fallback
			case (op == ":?" && v == "") || (op == "?" && !set):
				t.Fatalf("%s: compose refuses to start without %s: %s", key, name, fallback)
			}
			return v
		})
	}
	return out
}

// splitInterpolation splits "NAME:-default" into NAME, default and ":-".
func splitInterpolation(expr string) (name, rest, op string) {
	for i, r := range expr {
		if r == ':' || r == '-' || r == '?' {
			for _, candidate := range []string{":-", ":?", "-", "?"} {
				if strings.HasPrefix(expr[i:], candidate) {
					return expr[:i], expr[i+len(candidate):], candidate
				}
			}
			panic(fmt.Sprintf("unsupported interpolation ${%s}", expr))
		}
	}
	return expr, "", ""
}

func TestSubstitute_Forms(t *testing.T) {
	t.Parallel()
	env := map[string]string{"A": "${SET:-x}", "B": "${UNSET:-x}", "C": "${EMPTY:-x}", "D": "${EMPTY-x}",
		"E": "pre-${SET}-post", "F": "${UNSET}", "G": "literal"}
	got := substitute(t, env, map[string]string{"SET": "s", "EMPTY": ""})
	require.Equal(t, map[string]string{"A": "s", "B": "x", "C": "x", "D": "", "E": "pre-s-post", "F": "", "G": "literal"}, got)
}
