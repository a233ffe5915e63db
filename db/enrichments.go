package db

// Social profiles and their enrichment: linkedin_meta (profile and
// enrichment in one row), twitter_meta + twitter_enrichments, and
// crypto_enrichments (wallet and enrichment). A profile is pending from
// the moment its input changes until the enrichment job finishes it for
// that same input (input_hash).

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// enrichmentTables are where each kind's enrichment state lives.
var enrichmentTables = map[string]string{
	enums.EnrichmentLinkedIn: "linkedin_meta",
	enums.EnrichmentTwitter:  "twitter_enrichments",
	enums.EnrichmentCrypto:   "crypto_enrichments",
}

// EnrichmentKinds are the kinds in the order profiles are shown.
var EnrichmentKinds = []string{enums.EnrichmentLinkedIn, enums.EnrichmentTwitter, enums.EnrichmentCrypto}

// EnrichmentInputHash is the hash an enrichment is kept against: a
// profile whose input hashes the same needs no new enrichment.
func EnrichmentInputHash(kind, input string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + input))
	return hex.EncodeToString(sum[:])
}

// SetSocialProfile sets userID's profile of kind to input (the LinkedIn
// URL, the X handle, the wallet address). It reports whether the profile
// became pending: it is new or its input changed (an unchanged input
// keeps its enrichment).
func SetSocialProfile(ctx context.Context, idb bun.IDB, userID uuid.UUID, kind, input string) (bool, error) {
	hash := EnrichmentInputHash(kind, input)
	var (
		q    string
		args []any
	)
	switch kind {
	case enums.EnrichmentLinkedIn:
		q, args = `INSERT INTO linkedin_meta AS e (id, user_id, profile_url, input_hash) VALUES (?, ?, ?, ?)`, []any{NewID(), userID, input, hash}
	case enums.EnrichmentTwitter:
		if _, err := idb.NewRaw(`INSERT INTO twitter_meta (id, user_id, handle) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET handle = EXCLUDED.handle, updated_at = now()`, NewID(), userID, input).Exec(ctx); err != nil {
			return false, fmt.Errorf("set x handle of %s: %w", userID, err)
		}
		q, args = `INSERT INTO twitter_enrichments AS e (id, user_id, input_hash) VALUES (?, ?, ?)`, []any{NewID(), userID, hash}
	case enums.EnrichmentCrypto:
		q, args = `INSERT INTO crypto_enrichments AS e (id, user_id, wallet_address, input_hash) VALUES (?, ?, ?, ?)`, []any{NewID(), userID, input, hash}
	default:
		return false, fmt.Errorf("set social profile: unknown kind %q", kind)
	}
	res, err := idb.NewRaw(q+` ON CONFLICT (user_id) DO UPDATE SET `+inputColumnUpdate(kind)+`input_hash = EXCLUDED.input_hash,
		status = 'pending', result = '{}', error = '', updated_at = now()
		WHERE e.input_hash <> EXCLUDED.input_hash`, args...).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("set %s profile of %s: %w", kind, userID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// inputColumnUpdate is the SET clause of the kind's input column, where
// the enrichment row holds it.
func inputColumnUpdate(kind string) string {
	switch kind {
	case enums.EnrichmentLinkedIn:
		return "profile_url = EXCLUDED.profile_url, "
	case enums.EnrichmentCrypto:
		return "wallet_address = EXCLUDED.wallet_address, "
	}
	return ""
}

// ClearSocialProfile removes userID's profile of kind and its enrichment.
func ClearSocialProfile(ctx context.Context, idb bun.IDB, userID uuid.UUID, kind string) error {
	tables := []string{enrichmentTables[kind]}
	if kind == enums.EnrichmentTwitter {
		tables = append(tables, "twitter_meta")
	}
	for _, table := range tables {
		if _, err := idb.NewRaw(`DELETE FROM ? WHERE user_id = ?`, bun.Ident(table), userID).Exec(ctx); err != nil {
			return fmt.Errorf("clear %s profile of %s: %w", kind, userID, err)
		}
	}
	return nil
}

// MarkEnrichmentPending makes userID's profile of kind pending again (a
// refresh); ErrNotFound when there is no such profile.
func MarkEnrichmentPending(ctx context.Context, idb bun.IDB, userID uuid.UUID, kind string) error {
	res, err := idb.NewRaw(`UPDATE ? SET status = 'pending', error = '', updated_at = now() WHERE user_id = ?`,
		bun.Ident(enrichmentTables[kind]), userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("refresh %s profile of %s: %w", kind, userID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s profile of %s: %w", kind, userID, ErrNotFound)
	}
	return nil
}

// SocialProfile is one profile of a member and its enrichment.
type SocialProfile struct {
	Kind  string `bun:"kind"`
	Input string `bun:"input"`
	Enrichment
	UpdatedAt time.Time `bun:"updated_at"`
}

// SocialProfilesOf lists userID's profiles in EnrichmentKinds order.
func SocialProfilesOf(ctx context.Context, idb bun.IDB, userID uuid.UUID) ([]SocialProfile, error) {
	var out []SocialProfile
	err := idb.NewRaw(`SELECT kind, input, status, input_hash, result, error, enriched_at, updated_at FROM (
		SELECT 'linkedin' AS kind, profile_url AS input, status, input_hash, result, error, enriched_at, updated_at, 1 AS pos
		  FROM linkedin_meta WHERE user_id = ?0
		UNION ALL
		SELECT 'twitter', m.handle, e.status, e.input_hash, e.result, e.error, e.enriched_at, greatest(m.updated_at, e.updated_at), 2
		  FROM twitter_meta m JOIN twitter_enrichments e ON e.user_id = m.user_id WHERE m.user_id = ?0
		UNION ALL
		SELECT 'crypto', wallet_address, status, input_hash, result, error, enriched_at, updated_at, 3
		  FROM crypto_enrichments WHERE user_id = ?0
		) AS profiles ORDER BY pos`, userID).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("social profiles of %s: %w", userID, err)
	}
	return out, nil
}

// SocialProfileOf loads userID's profile of kind; ErrNotFound when none.
func SocialProfileOf(ctx context.Context, idb bun.IDB, userID uuid.UUID, kind string) (*SocialProfile, error) {
	all, err := SocialProfilesOf(ctx, idb, userID)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Kind == kind {
			return &all[i], nil
		}
	}
	return nil, fmt.Errorf("%s profile of %s: %w", kind, userID, ErrNotFound)
}

// FinishEnrichment records the provider's answer for the input hashed
// inputHash: done with result, or failed with errText when errText is
// set. It reports false, changing nothing, when the input changed
// meanwhile (the answer is about a profile the member no longer has).
func FinishEnrichment(ctx context.Context, idb bun.IDB, userID uuid.UUID, kind, inputHash string, result json.RawMessage, errText string, at time.Time) (bool, error) {
	status := enums.EnrichmentDone
	if errText != "" {
		status, result = enums.EnrichmentFailed, json.RawMessage(`{}`)
	}
	errText = truncateRunes(errText, 1000)
	res, err := idb.NewRaw(`UPDATE ? SET status = ?, result = ?, error = ?, enriched_at = ?, updated_at = now()
		WHERE user_id = ? AND input_hash = ?`, bun.Ident(enrichmentTables[kind]), status, string(result), errText, at, userID, inputHash).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("finish %s enrichment of %s: %w", kind, userID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
