package enrichment

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
)

// FailMarker makes the offline adapter fail on demand: an input that
// contains it (in any case; a wallet ending in "dead" for hex-only
// addresses) is a profile the service does not know (ErrNoProfile).
const FailMarker = "fail"

// Offline is the deterministic adapter: the same input always gets the
// same answer, derived from its SHA-256, marked "source":"offline".
type Offline struct{}

var _ Provider = Offline{}

// Bands the offline answers pick from.
var (
	followerBands = []string{"0-100", "100-1k", "1k-10k", "10k-100k", "100k+"}
	ageBands      = []string{"<1y", "1-3y", "3-5y", "5-10y", "10y+"}
	activityBands = []string{"dormant", "occasional", "active", "very active"}
	seniorities   = []string{"entry", "mid", "senior", "lead", "executive"}
)

// Enrich answers from the input's hash, or ErrNoProfile for a marked one.
func (Offline) Enrich(_ context.Context, kind, input string) (json.RawMessage, error) {
	lower := strings.ToLower(input)
	if strings.Contains(lower, FailMarker) || (kind == KindCrypto && strings.HasSuffix(lower, "dead")) {
		return nil, fmt.Errorf("offline %s %q: %w", kind, input, ErrNoProfile)
	}
	sum := sha256.Sum256([]byte(kind + "\x00" + lower))
	pick := func(i int, from []string) string {
		return from[binary.BigEndian.Uint32(sum[i*4:])%uint32(len(from))]
	}
	out := map[string]any{"source": "offline"}
	switch kind {
	case KindLinkedIn:
		out["seniority"], out["connectionsBand"] = pick(0, seniorities), pick(1, followerBands)
	case KindTwitter:
		out["followerBand"], out["accountAgeBand"] = pick(0, followerBands), pick(1, ageBands)
	case KindCrypto:
		out["activityBand"], out["walletAgeBand"] = pick(0, activityBands), pick(1, ageBands)
	default:
		return nil, fmt.Errorf("offline enrichment: unknown kind %q", kind)
	}
	return json.Marshal(out)
}
