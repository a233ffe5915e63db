package enrichment_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/providers/enrichment"
)

func TestOffline_SameInputSameAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct{ kind, input, key string }{
		{enrichment.KindLinkedIn, "https://www.linkedin.com/in/ada", "seniority"},
		{enrichment.KindTwitter, "ada", "followerBand"},
		{enrichment.KindCrypto, "0x00000000000000000000000000000000000000aa", "activityBand"},
	} {
		first, err := enrichment.Offline{}.Enrich(ctx, tc.kind, tc.input)
		require.NoError(t, err)
		again, err := enrichment.Offline{}.Enrich(ctx, tc.kind, tc.input)
		require.NoError(t, err)
		assert.JSONEq(t, string(first), string(again), tc.kind)
		var got map[string]any
		require.NoError(t, json.Unmarshal(first, &got))
		assert.Equal(t, "offline", got["source"], tc.kind)
		assert.NotEmpty(t, got[tc.key], tc.kind)
	}
}

func TestOffline_MarkedInputsFailPermanently(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ kind, input string }{
		{enrichment.KindTwitter, "please_FAIL"},
		{enrichment.KindLinkedIn, "https://www.linkedin.com/in/fail-me"},
		{enrichment.KindCrypto, "0x000000000000000000000000000000000000dead"},
	} {
		_, err := enrichment.Offline{}.Enrich(context.Background(), tc.kind, tc.input)
		require.ErrorIs(t, err, enrichment.ErrNoProfile, tc.input)
	}
}
