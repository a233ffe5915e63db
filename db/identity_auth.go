package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
)

// PhoneOTP is one code sent to a phone. Only the newest row of a phone can
// be verified.
type PhoneOTP struct {
	bun.BaseModel `bun:"table:user_phone_otps"`

	ID          uuid.UUID `bun:"id,pk,type:uuid"`
	PhoneNumber string    `bun:"phone_number,notnull"`
	OTPHash     []byte    `bun:"otp_hash,notnull"`
	OTPSalt     []byte    `bun:"otp_salt,notnull"`
	Attempts    int       `bun:"attempts,notnull"`
	IsVerified  bool      `bun:"is_verified,notnull"`
	RequestedIP string    `bun:"requested_ip,notnull"`
	ExpiresAt   time.Time `bun:"expires_at,notnull"`
	Timestamps
}

// RefreshToken is the stored hash of an opaque refresh token. Every rotation
// of one login shares FamilyID.
type RefreshToken struct {
	bun.BaseModel `bun:"table:refresh_tokens"`

	ID        uuid.UUID  `bun:"id,pk,type:uuid"`
	UserID    uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	FamilyID  uuid.UUID  `bun:"family_id,type:uuid,notnull"`
	TokenHash []byte     `bun:"token_hash,notnull"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	RotatedAt *time.Time `bun:"rotated_at"`
	RevokedAt *time.Time `bun:"revoked_at"`
	UserAgent string     `bun:"user_agent,notnull"`
	IP        string     `bun:"ip,notnull"`
	Timestamps
}

// LockPhone serialises OTP requests and verifications of one phone for the
// rest of the transaction, so rate limits and attempt counts cannot be raced.
func LockPhone(ctx context.Context, tx bun.Tx, phone string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, "otp:"+phone); err != nil {
		return fmt.Errorf("lock phone: %w", err)
	}
	return nil
}

// CountOTPsSince counts codes sent to phone since t.
func CountOTPsSince(ctx context.Context, idb bun.IDB, phone string, t time.Time) (int64, error) {
	n, err := idb.NewSelect().Model((*PhoneOTP)(nil)).Where("phone_number = ? AND created_at >= ?", phone, t).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count otps of phone: %w", err)
	}
	return n, nil
}

// CountOTPsFromIPSince counts codes requested from ip since t.
func CountOTPsFromIPSince(ctx context.Context, idb bun.IDB, ip string, t time.Time) (int64, error) {
	n, err := idb.NewSelect().Model((*PhoneOTP)(nil)).Where("requested_ip = ? AND created_at >= ?", ip, t).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count otps of ip: %w", err)
	}
	return n, nil
}

// LatestOTP returns the newest code of phone, or ErrNotFound.
func LatestOTP(ctx context.Context, idb bun.IDB, phone string) (*PhoneOTP, error) {
	o := new(PhoneOTP)
	err := idb.NewSelect().Model(o).Where("phone_number = ?", phone).Order("created_at DESC", "id DESC").Limit(1).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "otp of phone")
	}
	return o, nil
}

// InsertOTP stores a new code.
func InsertOTP(ctx context.Context, idb bun.IDB, o *PhoneOTP) error {
	if _, err := idb.NewInsert().Model(o).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert otp: %w", err)
	}
	return nil
}

// RecordOTPAttempt stores the attempt count and verified flag of o.
func RecordOTPAttempt(ctx context.Context, idb bun.IDB, o *PhoneOTP) error {
	_, err := idb.NewUpdate().Model(o).Column("attempts", "is_verified").Set("updated_at = now()").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("record otp attempt: %w", err)
	}
	return nil
}

// InsertRefreshToken stores a refresh token hash.
func InsertRefreshToken(ctx context.Context, idb bun.IDB, t *RefreshToken) error {
	if _, err := idb.NewInsert().Model(t).Exec(ctx); err != nil {
		return fmt.Errorf("insert refresh token: %w", err)
	}
	return nil
}

// RefreshTokenForUpdate loads and row-locks a refresh token by hash, so two
// concurrent refreshes of one token are decided one after the other.
func RefreshTokenForUpdate(ctx context.Context, tx bun.Tx, hash []byte) (*RefreshToken, error) {
	t := new(RefreshToken)
	if err := tx.NewSelect().Model(t).Where("token_hash = ?", hash).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "refresh token")
	}
	return t, nil
}

// MarkRefreshTokenRotated retires a token that was exchanged for a new one.
func MarkRefreshTokenRotated(ctx context.Context, idb bun.IDB, id uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*RefreshToken)(nil)).
		Set("rotated_at = now(), revoked_at = now(), updated_at = now()").Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("rotate refresh token: %w", err)
	}
	return nil
}

// RevokeRefreshFamily revokes every still-valid token of a login.
func RevokeRefreshFamily(ctx context.Context, idb bun.IDB, familyID uuid.UUID) (int64, error) {
	res, err := idb.NewUpdate().Model((*RefreshToken)(nil)).
		Set("revoked_at = now(), updated_at = now()").Where("family_id = ? AND revoked_at IS NULL", familyID).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("revoke refresh family: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// IsUniqueViolation reports whether err is a unique-constraint violation,
// optionally of one named constraint or index.
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return false
	}
	return constraint == "" || pgErr.ConstraintName == constraint
}

// PurgedCredentials counts what PurgeExpiredCredentials deleted.
type PurgedCredentials struct {
	OTPs          int64
	RefreshTokens int64
}

// PurgeExpiredCredentials deletes codes that expired before otpBefore and
// refresh tokens that expired before refreshBefore.
func PurgeExpiredCredentials(ctx context.Context, idb bun.IDB, otpBefore, refreshBefore time.Time) (PurgedCredentials, error) {
	var out PurgedCredentials
	res, err := idb.NewDelete().Model((*PhoneOTP)(nil)).Where("expires_at < ?", otpBefore).Exec(ctx)
	if err != nil {
		return out, fmt.Errorf("purge otps: %w", err)
	}
	out.OTPs, _ = res.RowsAffected()
	res, err = idb.NewDelete().Model((*RefreshToken)(nil)).Where("expires_at < ?", refreshBefore).Exec(ctx)
	if err != nil {
		return out, fmt.Errorf("purge refresh tokens: %w", err)
	}
	out.RefreshTokens, _ = res.RowsAffected()
	return out, nil
}
