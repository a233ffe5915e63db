package auth_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/auth"
)

func TestAccessToken(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tokens := auth.NewTokens("secret-one-that-is-long-enough-0000", clock)
	user := uuid.New()
	tok, exp, err := tokens.IssueAccess(user)
	require.NoError(t, err)
	assert.Equal(t, now.Add(15*time.Minute), exp)

	tests := []struct {
		name    string
		token   string
		signer  *auth.Tokens
		wantErr bool
	}{
		{"valid", tok, tokens, false},
		{"other secret", tok, auth.NewTokens("another-secret-that-is-long-enough", clock), true},
		{"expired", tok, auth.NewTokens("secret-one-that-is-long-enough-0000", func() time.Time { return now.Add(16 * time.Minute) }), true},
		{"garbage", "not.a.jwt", tokens, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.signer.ParseAccess(tc.token)
			if tc.wantErr {
				require.ErrorIs(t, err, auth.ErrInvalidToken)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, auth.AccessClaims{UserID: user, ExpiresAt: exp}, got)
		})
	}
}

func TestAccessToken_CarriesItsSession(t *testing.T) {
	t.Parallel()
	tokens := auth.NewTokens("secret-one-that-is-long-enough-0000", nil)
	user, session := uuid.New(), uuid.New()
	tok, exp, err := tokens.IssueSessionAccess(user, session)
	require.NoError(t, err)
	got, err := tokens.ParseAccess(tok)
	require.NoError(t, err)
	assert.Equal(t, auth.AccessClaims{UserID: user, SessionID: session, ExpiresAt: exp.UTC().Truncate(time.Second)}, got)
}

func TestOTPHasher(t *testing.T) {
	t.Parallel()
	h := auth.NewOTPHasher("secret")
	code, salt, err := h.NewCode()
	require.NoError(t, err)
	require.Len(t, code, 6)
	hash := h.Hash(code, salt)
	assert.True(t, h.Matches(code, salt, hash))
	assert.False(t, h.Matches("000000"+code, salt, hash))
	assert.False(t, auth.NewOTPHasher("other").Matches(code, salt, hash), "pepper is part of the hash")
	_, salt2, err := h.NewCode()
	require.NoError(t, err)
	assert.NotEqual(t, hash, h.Hash(code, salt2), "salt is part of the hash")
}

func TestRefreshTokenHash(t *testing.T) {
	t.Parallel()
	tok, hash, err := auth.NewRefreshToken()
	require.NoError(t, err)
	assert.Equal(t, hash, auth.HashRefreshToken(tok))
	other, _, err := auth.NewRefreshToken()
	require.NoError(t, err)
	assert.NotEqual(t, tok, other)
}
