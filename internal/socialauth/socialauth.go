// Package socialauth keeps connected social accounts' OAuth tokens: it
// seals a platform's grant into the account row and gives callers (the
// publishing activities, the metrics jobs) a working access token,
// refreshing it shortly before it expires. Every token is sealed bound to
// its account (organization, platform, platform user) and kind, so a
// ciphertext copied to another row or swapped between the access and the
// refresh column does not open.
package socialauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/secretbox"
)

// RefreshAhead is how long before its expiry an access token is refreshed,
// so a call started with it does not fail halfway.
const RefreshAhead = 5 * time.Minute

// ErrReconnect says the account's tokens no longer work and cannot be
// refreshed: someone has to connect the account again.
var ErrReconnect = errors.New("the account's tokens expired and cannot be refreshed: connect it again")

// Seal writes g's tokens, sealed, and their expiry into acct. Both tokens
// are sealed under the same key, the one token_key_id names.
func Seal(box *secretbox.Box, acct *db.SocialAccount, g social.Grant) {
	acct.AccessTokenCiphertext, acct.TokenKeyID = box.Seal([]byte(g.AccessToken), aad(acct, "access"))
	acct.RefreshTokenCiphertext = nil
	if g.RefreshToken != "" {
		// Seal always uses the current key, so both land under TokenKeyID
		// unless the key rotates between the two calls, which the next
		// refresh repairs.
		acct.RefreshTokenCiphertext, _ = box.Seal([]byte(g.RefreshToken), aad(acct, "refresh"))
	}
	acct.TokenExpiresAt = nil
	if !g.ExpiresAt.IsZero() {
		expires := g.ExpiresAt
		acct.TokenExpiresAt = &expires
	}
}

// AccessToken returns a working access token of the account: the stored
// one, or, when it expires within RefreshAhead, a refreshed one whose
// tokens are sealed and saved first (under the account's row lock, so two
// callers refreshing at once do not both spend the refresh token).
func AccessToken(ctx context.Context, d *db.DB, box *secretbox.Box, p social.Platform, accountID uuid.UUID, now time.Time) (string, error) {
	var token string
	err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		acct, err := db.SocialAccountForUpdate(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if !expiresSoon(acct, now) {
			token, err = open(box, acct, acct.AccessTokenCiphertext, "access")
			return err
		}
		token, err = refresh(ctx, tx, box, p, acct)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("access token of social account %s: %w", accountID, err)
	}
	return token, nil
}

func refresh(ctx context.Context, tx bun.Tx, box *secretbox.Box, p social.Platform, acct *db.SocialAccount) (string, error) {
	if len(acct.RefreshTokenCiphertext) == 0 {
		return "", ErrReconnect
	}
	refreshToken, err := open(box, acct, acct.RefreshTokenCiphertext, "refresh")
	if err != nil {
		return "", err
	}
	g, err := p.RefreshToken(ctx, refreshToken)
	if errors.Is(err, social.ErrRejected) {
		return "", fmt.Errorf("%w (%w)", ErrReconnect, err)
	}
	if err != nil {
		return "", fmt.Errorf("refresh the %s token: %w", acct.Platform, err)
	}
	Seal(box, acct, g)
	if err := db.SaveSocialTokens(ctx, tx, acct); err != nil {
		return "", err
	}
	return g.AccessToken, nil
}

func open(box *secretbox.Box, acct *db.SocialAccount, ciphertext []byte, kind string) (string, error) {
	plain, err := box.Open(ciphertext, acct.TokenKeyID, aad(acct, kind))
	if err != nil {
		return "", fmt.Errorf("open the %s token: %w", kind, err)
	}
	return string(plain), nil
}

func expiresSoon(acct *db.SocialAccount, now time.Time) bool {
	return acct.TokenExpiresAt != nil && !now.Add(RefreshAhead).Before(*acct.TokenExpiresAt)
}

// aad binds a token to its account and kind. The account is named by what
// identifies it across reconnects, not by its row ID, so the callback can
// seal before it knows which row an upsert will land on.
func aad(acct *db.SocialAccount, kind string) []byte {
	return []byte("social_account/" + acct.OrganizationID.String() + "/" + acct.Platform + "/" + acct.PlatformUserID + "/" + kind)
}
