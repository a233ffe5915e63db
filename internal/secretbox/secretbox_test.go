package secretbox_test

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/secretbox"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, secretbox.KeySize) }

func b64(b byte) string { return base64.StdEncoding.EncodeToString(key(b)) }

func TestBox_RoundTripAndRefusals(t *testing.T) {
	t.Parallel()
	box, err := secretbox.New(map[string][]byte{"k1": key(1), "k2": key(2)}, "k1")
	require.NoError(t, err)
	aad := []byte("social_account/0192")
	ct, keyID := box.Seal([]byte("access-token-123"), aad)
	assert.Equal(t, "k1", keyID)
	assert.NotContains(t, string(ct), "access-token-123")
	again, _ := box.Seal([]byte("access-token-123"), aad)
	assert.NotEqual(t, ct, again, "a fresh nonce each time")

	got, err := box.Open(ct, keyID, aad)
	require.NoError(t, err)
	assert.Equal(t, "access-token-123", string(got))

	tampered := bytes.Clone(ct)
	tampered[len(tampered)-1] ^= 1
	tests := []struct {
		name       string
		ciphertext []byte
		keyID      string
		aad        string
		want       error
	}{
		{name: "other row", ciphertext: ct, keyID: "k1", aad: "social_account/0193", want: secretbox.ErrDecrypt},
		{name: "other key", ciphertext: ct, keyID: "k2", aad: string(aad), want: secretbox.ErrDecrypt},
		{name: "unknown key", ciphertext: ct, keyID: "k9", aad: string(aad), want: secretbox.ErrUnknownKey},
		{name: "altered", ciphertext: tampered, keyID: "k1", aad: string(aad), want: secretbox.ErrDecrypt},
		{name: "too short", ciphertext: ct[:5], keyID: "k1", aad: string(aad), want: secretbox.ErrDecrypt},
	}
	for _, tt := range tests {
		_, err := box.Open(tt.ciphertext, tt.keyID, []byte(tt.aad))
		assert.ErrorIs(t, err, tt.want, tt.name)
	}
}

func TestBox_RotationStillOpensOldSecrets(t *testing.T) {
	t.Parallel()
	old, err := secretbox.FromEnv("2025:" + b64(1))
	require.NoError(t, err)
	ct, keyID := old.Seal([]byte("refresh-token"), nil)

	rotated, err := secretbox.FromEnv("2026:" + b64(2) + ", 2025:" + b64(1))
	require.NoError(t, err)
	got, err := rotated.Open(ct, keyID, nil)
	require.NoError(t, err)
	assert.Equal(t, "refresh-token", string(got))
	_, newID := rotated.Seal([]byte("x"), nil)
	assert.Equal(t, "2026", newID)
	assert.Equal(t, "2026", rotated.CurrentKeyID())
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env     string
		current string
		wantErr string
	}{
		{env: "a:" + b64(1), current: "a"},
		{env: "b:" + b64(2) + ",a:" + b64(1), current: "b"},
		{env: "", wantErr: "want id:base64key"},
		{env: b64(1), wantErr: "want id:base64key"},
		{env: "a:not base64!", wantErr: "not standard base64"},
		{env: "a:" + base64.StdEncoding.EncodeToString([]byte("short")), wantErr: "5 bytes, want 32"},
		{env: "a:" + b64(1) + ",a:" + b64(2), wantErr: `"a" appears twice`},
		{env: "a b:" + b64(1), wantErr: "must be 1 to 32 letters"},
	}
	for _, tt := range tests {
		keys, current, err := secretbox.ParseKeys(tt.env)
		if tt.wantErr != "" {
			assert.ErrorContains(t, err, tt.wantErr, tt.env)
			continue
		}
		require.NoError(t, err, tt.env)
		assert.Equal(t, tt.current, current)
		assert.Len(t, keys[current], secretbox.KeySize)
	}
}

func TestNew_Refusals(t *testing.T) {
	t.Parallel()
	_, err := secretbox.New(map[string][]byte{"a": key(1)}, "b")
	require.ErrorContains(t, err, `current key "b" is not among the keys`)
	_, err = secretbox.New(map[string][]byte{"a": key(1)[:16]}, "a")
	require.ErrorContains(t, err, "has 16 bytes, want 32")
}
