package config_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/config"
)

func TestLoad_SessionSettings(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(env(map[string]string{
		"CONVENE_TRUSTED_PROXIES":   "10.0.0.0/8, 192.0.2.7, fd00::/8",
		"CONVENE_AUTH_LIMITS":       "otp_per_ip=10000/h,wrong_codes=20/24h",
		"CONVENE_SESSION_CHECK_TTL": "2s",
	}))
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("fd00::/8")}, cfg.TrustedProxies)
	assert.EqualValues(t, 10000, cfg.AuthLimits.PerIPPerHour)
	assert.EqualValues(t, 5, cfg.AuthLimits.PerPhonePerHour, "keys left out keep their defaults")
	assert.EqualValues(t, 20, cfg.AuthLimits.WrongCodes)
	assert.Equal(t, time.Hour, cfg.AuthLimits.LockFor)
	assert.Equal(t, 2*time.Second, cfg.SessionCheckTTL)
}

func TestLoad_SessionSettingsDefaultsAreSafe(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(env(nil))
	require.NoError(t, err)
	assert.Empty(t, cfg.TrustedProxies, "no forwarded header is trusted by default")
	assert.EqualValues(t, 10, cfg.AuthLimits.WrongCodes)
	assert.Equal(t, 5*time.Second, cfg.SessionCheckTTL)
}

func TestLoad_BadSessionSettingsNameTheVariable(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"CONVENE_TRUSTED_PROXIES":   "10.0.0.0/33",
		"CONVENE_AUTH_LIMITS":       "otp_per_ip=lots",
		"CONVENE_SESSION_CHECK_TTL": "soon",
	}
	for name, value := range tests {
		_, err := config.Load(env(map[string]string{name: value}))
		require.ErrorContains(t, err, name)
	}
}
