package db

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// SocialAccountForUpdate reads an active account and locks its row, so
// its tokens are refreshed by one caller at a time.
func SocialAccountForUpdate(ctx context.Context, tx bun.Tx, id uuid.UUID) (*SocialAccount, error) {
	acct := &SocialAccount{}
	err := tx.NewSelect().Model(acct).Where("sa.id = ? AND sa.is_active", id).For("UPDATE").Scan(ctx)
	if err != nil {
		return nil, notFound(err, "active social account %s", id)
	}
	return acct, nil
}

// SaveSocialTokens stores an account's freshly sealed tokens.
func SaveSocialTokens(ctx context.Context, idb bun.IDB, acct *SocialAccount) error {
	_, err := idb.NewUpdate().Model(acct).
		Column("access_token_ciphertext", "refresh_token_ciphertext", "token_key_id", "token_expires_at").
		Set("updated_at = now()").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("save tokens of social account %s: %w", acct.ID, err)
	}
	return nil
}
