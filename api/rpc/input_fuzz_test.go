package rpc_test

import (
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/api/rpc"
)

// FuzzNormalizePhone: whatever a client sends as a phone, the answer is
// either an invalid_argument naming the field or an E.164 number that
// normalizes to itself (so one person never gets two accounts).
func FuzzNormalizePhone(f *testing.F) {
	for _, seed := range []string{"+14155550100", "+1 (415) 555-0100", "4155550100", "+919876543210", "", "+",
		"++14155550100", "+1415555010０", "+44 20 7946 0958 ext. 12", "tel:+14155550100", "\x00+1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		phone, err := rpc.NormalizePhone("phone", raw)
		if err != nil {
			require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
			require.Contains(t, err.Error(), "phone")
			return
		}
		require.Regexp(t, `^\+[1-9][0-9]{6,14}$`, phone)
		again, err := rpc.NormalizePhone("phone", phone)
		require.NoError(t, err)
		require.Equal(t, phone, again)
	})
}
