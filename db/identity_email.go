package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// EmailVerification is a code sent to prove an email address. The newest
// unused, unexpired one of a user is their pending email.
type EmailVerification struct {
	bun.BaseModel `bun:"table:email_verifications,alias:ev"`

	ID         uuid.UUID  `bun:"id,pk,type:uuid"`
	UserID     uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	Email      string     `bun:"email,notnull"`
	CodeSalt   []byte     `bun:"code_salt,notnull"`
	CodeHash   []byte     `bun:"code_hash,notnull"`
	Attempts   int        `bun:"attempts,notnull"`
	ExpiresAt  time.Time  `bun:"expires_at,notnull"`
	VerifiedAt *time.Time `bun:"verified_at"`
	Timestamps
}

// InsertEmailVerification stores a code (hashed); the address is stored lower-case.
func InsertEmailVerification(ctx context.Context, idb bun.IDB, ev *EmailVerification) error {
	ev.Email = strings.ToLower(ev.Email)
	if _, err := idb.NewInsert().Model(ev).Exec(ctx); err != nil {
		return fmt.Errorf("insert email verification: %w", err)
	}
	return nil
}

// CountEmailVerificationsSince counts the codes userID requested since t.
func CountEmailVerificationsSince(ctx context.Context, idb bun.IDB, userID uuid.UUID, t time.Time) (int64, error) {
	n, err := idb.NewSelect().Model((*EmailVerification)(nil)).Where("user_id = ? AND created_at >= ?", userID, t).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count email codes: %w", err)
	}
	return int64(n), nil
}

// LockUser row-locks a user, serialising their email code requests.
func LockUser(ctx context.Context, tx bun.Tx, userID uuid.UUID) error {
	if _, err := tx.NewSelect().Model((*User)(nil)).Column("id").Where("id = ?", userID).For("UPDATE").Exec(ctx); err != nil {
		return fmt.Errorf("lock user: %w", err)
	}
	return nil
}

// LatestEmailVerification row-locks the newest code of userID.
func LatestEmailVerification(ctx context.Context, tx bun.Tx, userID uuid.UUID) (*EmailVerification, error) {
	ev := new(EmailVerification)
	err := tx.NewSelect().Model(ev).Where("user_id = ?", userID).OrderExpr("created_at DESC, id DESC").Limit(1).For("UPDATE").Scan(ctx)
	if err != nil {
		return nil, notFound(err, "email verification of user %s", userID)
	}
	return ev, nil
}

// PendingEmail is the address of userID's newest code if it is unused,
// unexpired (by the database clock) and not locked after maxAttempts, or ""
// if none.
func PendingEmail(ctx context.Context, idb bun.IDB, userID uuid.UUID, maxAttempts int) (string, error) {
	var emails []string
	err := idb.NewSelect().Model((*EmailVerification)(nil)).Column("email").
		Where("user_id = ? AND verified_at IS NULL AND expires_at > now() AND attempts < ?", userID, maxAttempts).
		Where("created_at = (SELECT max(created_at) FROM email_verifications AS l WHERE l.user_id = ev.user_id)").
		Limit(1).Scan(ctx, &emails)
	if err != nil {
		return "", fmt.Errorf("pending email: %w", err)
	}
	if len(emails) == 0 {
		return "", nil
	}
	return emails[0], nil
}

// RecordEmailAttempt writes a code's attempt count and verified_at.
func RecordEmailAttempt(ctx context.Context, idb bun.IDB, ev *EmailVerification) error {
	_, err := idb.NewUpdate().Model(ev).Column("attempts", "verified_at").Set("updated_at = now()").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("record email code attempt: %w", err)
	}
	return nil
}

// SetVerifiedEmail makes email userID's verified address. Others who merely
// typed the same address (before verification existed) lose it; another
// user's verified copy is a unique violation of users_verified_email_key.
func SetVerifiedEmail(ctx context.Context, idb bun.IDB, userID uuid.UUID, email string, at time.Time) error {
	_, err := idb.NewUpdate().Model((*User)(nil)).Set("email = NULL, updated_at = now()").
		Where("lower(email) = lower(?) AND email_verified_at IS NULL AND id <> ?", email, userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("release unverified email: %w", err)
	}
	_, err = idb.NewUpdate().Model((*User)(nil)).Set("email = ?, email_verified_at = ?, updated_at = now()", email, at).
		Where("id = ?", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("set verified email: %w", err)
	}
	return nil
}
