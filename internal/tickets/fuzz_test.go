package tickets_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/tickets"
)

// FuzzVerify feeds arbitrary strings to the door scanner's check. Whatever
// the input, Verify must not panic, and it may accept only the one code the
// key signed, with exactly the claims that were signed.
func FuzzVerify(f *testing.F) {
	b := setup(f)
	pub := b.keys.PublicKey(b.claims.EventID)
	for _, seed := range []string{b.code, "", strings.Repeat("A", tickets.CodeLen), b.code[:len(b.code)-1] + "B",
		b.code[1:] + "A", strings.ToUpper(b.code), b.code + "\n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, code string) {
		claims, err := tickets.Verify(pub, code)
		if err != nil {
			return
		}
		require.Equal(t, b.code, code, "a code the key never signed was accepted")
		require.Equal(t, b.claims, claims)
	})
}

// FuzzParse checks that reading claims from any string never panics and
// never yields a claim set a valid code could not carry.
func FuzzParse(f *testing.F) {
	b := setup(f)
	f.Add(b.code)
	f.Add("")
	f.Add(strings.Repeat("_", tickets.CodeLen))
	f.Fuzz(func(t *testing.T, code string) {
		claims, err := tickets.Parse(code)
		if err != nil {
			return
		}
		require.Len(t, code, tickets.CodeLen)
		require.Positive(t, claims.Seats)
	})
}
