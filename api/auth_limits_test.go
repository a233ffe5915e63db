package api_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/auth"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/testenv"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// requestOtpFrom asks for a code for phone with the given X-Forwarded-For
// (none when empty).
func requestOtpFrom(a *testenv.API, phone, forwardedFor string) error {
	req := connect.NewRequest(&identityv1.RequestOtpRequest{Phone: phone})
	if forwardedFor != "" {
		req.Header().Set("X-Forwarded-For", forwardedFor)
	}
	_, err := a.Auth.RequestOtp(context.Background(), req)
	return err
}

func TestRequestOtp_PerIPLimitTrustsOnlyConfiguredProxies(t *testing.T) {
	limits := auth.OTPLimits{PerPhonePerHour: 10, PerIPPerHour: 2}
	trustLoopback := testenv.WithConfig(func(c *config.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	tests := []struct {
		name string
		opts []testenv.APIOption
		// forwardedFor is sent with the requests, in order.
		forwardedFor []string
		allowed      []bool
		wantIPs      []string // requested_ip of the stored codes, in order
	}{
		{
			name:         "no trusted proxy: a forged header is ignored, every request counts against the peer",
			opts:         []testenv.APIOption{testenv.WithOTPLimits(limits)},
			forwardedFor: []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"},
			allowed:      []bool{true, true, false},
			wantIPs:      []string{"127.0.0.1", "127.0.0.1"},
		},
		{
			name:         "behind a trusted proxy: clients behind it count separately",
			opts:         []testenv.APIOption{testenv.WithOTPLimits(limits), trustLoopback},
			forwardedFor: []string{"198.51.100.1", "198.51.100.1", "198.51.100.1", "198.51.100.2"},
			allowed:      []bool{true, true, false, true},
			wantIPs:      []string{"198.51.100.1", "198.51.100.1", "198.51.100.2"},
		},
		{
			name: "the right-most untrusted hop is the client: a prepended address cannot dodge the limit",
			opts: []testenv.APIOption{testenv.WithOTPLimits(limits), trustLoopback},
			forwardedFor: []string{"203.0.113.9, 198.51.100.7", "203.0.113.10, 198.51.100.7, 127.0.0.5",
				"203.0.113.11, 198.51.100.7"},
			allowed: []bool{true, true, false},
			wantIPs: []string{"198.51.100.7", "198.51.100.7"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := setup(t, tc.opts...)
			for i, fwd := range tc.forwardedFor {
				err := requestOtpFrom(a, newPhone(), fwd)
				if tc.allowed[i] {
					require.NoError(t, err, "request %d", i)
					continue
				}
				testenv.RequireCode(t, err, connect.CodeResourceExhausted)
				assert.Contains(t, err.Error(), "from your network")
			}
			var ips []string
			require.NoError(t, a.DB.NewSelect().Model((*db.PhoneOTP)(nil)).Column("requested_ip").
				Order("created_at", "id").Scan(context.Background(), &ips))
			assert.Equal(t, tc.wantIPs, ips)
		})
	}
}

func TestVerifyOtp_WrongCodesAcrossCodesLockThePhone(t *testing.T) {
	limits := auth.OTPLimits{PerPhonePerHour: 100, PerIPPerHour: 1000, WrongCodes: 10, WrongCodeWindow: 24 * time.Hour, LockFor: time.Hour}
	a := setup(t, testenv.WithOTPLimits(limits))
	ctx := context.Background()
	phone := newPhone()
	verify := func(code string) error {
		_, err := a.Auth.VerifyOtp(ctx, connect.NewRequest(&identityv1.VerifyOtpRequest{Phone: phone, Code: code}))
		return err
	}
	wrongCodes := 0
	for round := range 3 { // three codes: 4 + 4 wrong guesses, then 2 more lock
		require.NoError(t, requestOtpFrom(a, phone, ""), "round %d", round)
		wrong := fmt.Sprintf("%06d", (mustAtoi(a.LastCode(t, phone))+1)%1000000)
		for range 4 {
			if wrongCodes++; wrongCodes == 10 {
				break
			}
			testenv.RequireCode(t, verify(wrong), connect.CodeUnauthenticated)
		}
		if wrongCodes == 10 {
			err := verify(wrong)
			testenv.RequireCode(t, err, connect.CodeResourceExhausted)
			assert.Contains(t, err.Error(), "locked until")
		}
	}

	right := a.LastCode(t, phone)
	err := verify(right)
	testenv.RequireCode(t, err, connect.CodeResourceExhausted)
	assert.Contains(t, err.Error(), "try again after")
	err = requestOtpFrom(a, phone, "")
	testenv.RequireCode(t, err, connect.CodeResourceExhausted)
	assert.Contains(t, err.Error(), "locked until")
	users, err := a.DB.NewSelect().Model((*db.User)(nil)).Where("phone = ?", phone).Count(ctx)
	require.NoError(t, err)
	assert.Zero(t, users, "a locked phone signs nobody in, even with the right code")

	a.Clock.Advance(time.Hour + time.Second)
	s := a.Login(t, phone)
	assert.NotEmpty(t, s.AccessToken, "the lock ends after an hour")
}
