package auth_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/auth"
)

func TestParseOTPLimits(t *testing.T) {
	t.Parallel()
	base := auth.DefaultOTPLimits()
	tests := []struct {
		name    string
		spec    string
		want    auth.OTPLimits
		wantErr string
	}{
		{"empty keeps the defaults", "", base, ""},
		{"every key", "otp_cooldown=0s, otp_per_phone=50/h, otp_per_ip=5000/1h, wrong_codes=20/12h, lock=30m",
			auth.OTPLimits{PhoneCooldown: 0, PerPhonePerHour: 50, PerIPPerHour: 5000, WrongCodes: 20, WrongCodeWindow: 12 * time.Hour, LockFor: 30 * time.Minute}, ""},
		{"one key keeps the rest", "otp_per_ip=100000/h",
			auth.OTPLimits{PhoneCooldown: 30 * time.Second, PerPhonePerHour: 5, PerIPPerHour: 100000, WrongCodes: 10, WrongCodeWindow: 24 * time.Hour, LockFor: time.Hour}, ""},
		{"unknown key", "otp_per_day=5/h", auth.OTPLimits{}, "unknown key"},
		{"hourly limits count per hour only", "otp_per_phone=5/24h", auth.OTPLimits{}, "count/h"},
		{"not a quota", "wrong_codes=ten", auth.OTPLimits{}, "count/window"},
		{"window past the retention of wrong codes", "wrong_codes=10/200h", auth.OTPLimits{}, "at most"},
		{"negative duration", "lock=-1h", auth.OTPLimits{}, "duration"},
		{"no equals sign", "lock", auth.OTPLimits{}, "key=value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := auth.ParseOTPLimits(tc.spec, base)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
