// Package enrichment asks an outside service what it knows about a
// member's social profile: a LinkedIn URL, an X handle, a wallet address.
// Convene depends only on Provider; the `offline` adapter answers
// deterministically from a hash of the input (dev, tests, and any
// deployment without a paid data provider).
package enrichment

import (
	"context"
	"encoding/json"
	"errors"
)

// Kinds of profile, as db/enums.Enrichment* spells them.
const (
	KindLinkedIn = "linkedin"
	KindTwitter  = "twitter"
	KindCrypto   = "crypto"
)

// ErrNoProfile is a permanent failure: the service knows no such profile,
// so asking again cannot help. Other errors are worth retrying.
var ErrNoProfile = errors.New("no such profile")

// Provider enriches one profile: input is the LinkedIn URL, the X handle
// or the wallet address; the answer is a JSON object.
type Provider interface {
	Enrich(ctx context.Context, kind, input string) (json.RawMessage, error)
}
