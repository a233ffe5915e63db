package tickets_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/tickets"
)

type testBundle struct {
	keys   *tickets.Keys
	claims tickets.Claims
	code   string
}

func setup(t testing.TB) testBundle {
	t.Helper()
	keys, err := tickets.NewKeys(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	claims := tickets.Claims{
		TicketID: uuid.MustParse("0a4f7f1e-8a0e-4c1e-9d7e-2f3b7b1c0001"),
		EventID:  uuid.MustParse("5b6d2c3a-1f2e-4d5c-8b7a-6e5f4d3c0002"),
		Seats:    3,
		IssuedAt: time.Date(2026, 11, 22, 10, 30, 15, 0, time.UTC),
	}
	code, err := keys.Sign(claims)
	require.NoError(t, err)
	return testBundle{keys: keys, claims: claims, code: code}
}

func TestSign_VerifyRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.Len(t, b.code, tickets.CodeLen)
	assert.Equal(t, base64.RawURLEncoding.EncodedLen(1+16+16+2+8+64), tickets.CodeLen)

	got, err := tickets.Verify(b.keys.PublicKey(b.claims.EventID), b.code)
	require.NoError(t, err)
	assert.Equal(t, b.claims, got)

	parsed, err := tickets.Parse(b.code)
	require.NoError(t, err)
	assert.Equal(t, b.claims, parsed)

	again, err := b.keys.Sign(b.claims)
	require.NoError(t, err)
	assert.Equal(t, b.code, again, "Ed25519 signing is deterministic")
}

func TestSign_TruncatesIssuedAtToUTCSeconds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.claims
	c.IssuedAt = time.Date(2026, 11, 22, 16, 0, 15, 999_999_999, time.FixedZone("IST", 5*3600+1800))
	code, err := b.keys.Sign(c)
	require.NoError(t, err)
	got, err := tickets.Verify(b.keys.PublicKey(c.EventID), code)
	require.NoError(t, err)
	assert.Equal(t, b.claims.IssuedAt, got.IssuedAt)
}

func TestSign_RejectsInvalidClaims(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := map[string]func(c *tickets.Claims){
		"nil ticket":  func(c *tickets.Claims) { c.TicketID = uuid.Nil },
		"nil event":   func(c *tickets.Claims) { c.EventID = uuid.Nil },
		"zero seats":  func(c *tickets.Claims) { c.Seats = 0 },
		"too many":    func(c *tickets.Claims) { c.Seats = 65536 },
		"zero issued": func(c *tickets.Claims) { c.IssuedAt = time.Time{} },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := b.claims
			mutate(&c)
			_, err := b.keys.Sign(c)
			require.ErrorIs(t, err, tickets.ErrInvalidClaims)
		})
	}
	c := b.claims
	c.Seats = 65535
	_, err := b.keys.Sign(c)
	require.NoError(t, err, "the largest seat count fits")
}

func TestVerify_OtherEventsKeyFails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	other := b.keys.PublicKey(uuid.MustParse("5b6d2c3a-1f2e-4d5c-8b7a-6e5f4d3c0003"))
	_, err := tickets.Verify(other, b.code)
	require.ErrorIs(t, err, tickets.ErrBadSignature)
}

func TestVerify_AnyFlippedByteFails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pub := b.keys.PublicKey(b.claims.EventID)
	raw, err := base64.RawURLEncoding.DecodeString(b.code)
	require.NoError(t, err)
	for i := range raw {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			tampered := bytes.Clone(raw)
			tampered[i] ^= mask
			_, err := tickets.Verify(pub, base64.RawURLEncoding.EncodeToString(tampered))
			if i == 0 {
				require.ErrorIs(t, err, tickets.ErrMalformed, "version byte ^ %#x", mask)
			} else {
				require.ErrorIs(t, err, tickets.ErrBadSignature, "byte %d ^ %#x", i, mask)
			}
		}
	}
}

func TestVerify_Malformed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pub := b.keys.PublicKey(b.claims.EventID)
	raw, err := base64.RawURLEncoding.DecodeString(b.code)
	require.NoError(t, err)
	v2 := bytes.Clone(raw)
	v2[0] = 2
	noSeats := bytes.Clone(raw)
	noSeats[33], noSeats[34] = 0, 0
	enc := base64.RawURLEncoding.EncodeToString

	tests := map[string]string{
		"empty":                "",
		"bad base64":           "!" + b.code[1:],
		"padded std base64":    base64.StdEncoding.EncodeToString(raw),
		"one char short":       b.code[:len(b.code)-1],
		"one char long":        b.code + "A",
		"one byte short":       enc(raw[:len(raw)-1]),
		"one byte long":        enc(append(bytes.Clone(raw), 0)),
		"wrong version":        enc(v2),
		"zero seats":           enc(noSeats),
		"line break inside":    b.code[:70] + "\n" + b.code[71:],
		"non-canonical ending": b.code[:len(b.code)-1] + nonCanonical(b.code[len(b.code)-1]),
		"whitespace":           strings.Repeat(" ", tickets.CodeLen),
	}
	for name, code := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := tickets.Verify(pub, code)
			require.ErrorIs(t, err, tickets.ErrMalformed)
			_, err = tickets.Parse(code)
			require.ErrorIs(t, err, tickets.ErrMalformed)
		})
	}
}

// nonCanonical returns a base64url character decoding to the same bytes as
// c in the last position of a 107-byte code (2 bytes in the last group of
// 3 characters leave 2 unused bits) but with those bits set.
func nonCanonical(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return string(alphabet[i|0b11])
}

func TestVerify_InvalidPublicKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := tickets.Verify(ed25519.PublicKey{1, 2, 3}, b.code)
	require.ErrorIs(t, err, tickets.ErrInvalidKey)
	_, err = tickets.Verify(nil, b.code)
	require.ErrorIs(t, err, tickets.ErrInvalidKey)
}

func TestKeys_DeterministicPerMasterAndEvent(t *testing.T) {
	t.Parallel()
	masterA := bytes.Repeat([]byte{1}, 32)
	masterB := bytes.Repeat([]byte{2}, 32)
	event1, event2 := uuid.New(), uuid.New()

	a1, err := tickets.NewKeys(masterA)
	require.NoError(t, err)
	a2, err := tickets.NewKeys(bytes.Clone(masterA))
	require.NoError(t, err)
	bk, err := tickets.NewKeys(masterB)
	require.NoError(t, err)

	assert.Equal(t, a1.PublicKey(event1), a2.PublicKey(event1), "same master and event")
	assert.Equal(t, a1.PublicKey(event1), a1.PublicKey(event1), "repeatable")
	assert.NotEqual(t, a1.PublicKey(event1), a1.PublicKey(event2), "events differ")
	assert.NotEqual(t, a1.PublicKey(event1), bk.PublicKey(event1), "masters differ")
	assert.Len(t, a1.PublicKey(event1), ed25519.PublicKeySize)
}

func TestNewKeys_CopiesMaster(t *testing.T) {
	t.Parallel()
	master := bytes.Repeat([]byte{1}, 32)
	keys, err := tickets.NewKeys(master)
	require.NoError(t, err)
	event := uuid.New()
	before := keys.PublicKey(event)
	master[0] = 9
	assert.Equal(t, before, keys.PublicKey(event))
}

func TestNewKeys_RejectsShortMaster(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 31} {
		_, err := tickets.NewKeys(make([]byte, n))
		require.ErrorIs(t, err, tickets.ErrMasterTooShort, "%d bytes", n)
	}
	_, err := tickets.NewKeys(make([]byte, 64))
	require.NoError(t, err)
}

func TestPublicKey_EncodeDecode(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pub := b.keys.PublicKey(b.claims.EventID)
	s := tickets.EncodePublicKey(pub)
	assert.Len(t, s, 43)
	got, err := tickets.DecodePublicKey(s)
	require.NoError(t, err)
	assert.Equal(t, pub, got)

	for _, bad := range []string{"", "abc", s + "A", "+" + s[1:]} {
		_, err := tickets.DecodePublicKey(bad)
		require.ErrorIs(t, err, tickets.ErrInvalidKey, "%q", bad)
	}
}
