package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// PhoneWrongCode is one wrong login code entered for a phone.
type PhoneWrongCode struct {
	bun.BaseModel `bun:"table:user_phone_wrong_codes"`

	ID          uuid.UUID `bun:"id,pk,type:uuid"`
	PhoneNumber string    `bun:"phone_number,notnull"`
	OTPID       uuid.UUID `bun:"otp_id,type:uuid,notnull"`
	Timestamps
}

// PhoneLock bars logins to a phone until LockedUntil.
type PhoneLock struct {
	bun.BaseModel `bun:"table:user_phone_locks"`

	PhoneNumber string    `bun:"phone_number,pk"`
	LockedUntil time.Time `bun:"locked_until,notnull"`
	Timestamps
}

// PhoneLockedUntil returns until when phone is locked, or the zero time
// when it is not locked at now.
func PhoneLockedUntil(ctx context.Context, idb bun.IDB, phone string, now time.Time) (time.Time, error) {
	var until time.Time
	err := idb.NewSelect().Model((*PhoneLock)(nil)).Column("locked_until").
		Where("phone_number = ? AND locked_until > ?", phone, now).Scan(ctx, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("load phone lock: %w", err)
	}
	return until, nil
}

// RecordWrongCode stores a wrong code for phone at now and returns how many
// wrong codes phone has had since `since` (this one included).
func RecordWrongCode(ctx context.Context, idb bun.IDB, phone string, otpID uuid.UUID, now, since time.Time) (int64, error) {
	row := &PhoneWrongCode{ID: NewID(), PhoneNumber: phone, OTPID: otpID, Timestamps: Timestamps{CreatedAt: now, UpdatedAt: now}}
	if _, err := idb.NewInsert().Model(row).Exec(ctx); err != nil {
		return 0, fmt.Errorf("record wrong code: %w", err)
	}
	n, err := idb.NewSelect().Model((*PhoneWrongCode)(nil)).Where("phone_number = ? AND created_at >= ?", phone, since).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count wrong codes: %w", err)
	}
	return int64(n), nil
}

// LockPhoneUntil locks phone for login until until.
func LockPhoneUntil(ctx context.Context, idb bun.IDB, phone string, until time.Time) error {
	lock := &PhoneLock{PhoneNumber: phone, LockedUntil: until}
	_, err := idb.NewInsert().Model(lock).
		On("CONFLICT (phone_number) DO UPDATE").Set("locked_until = EXCLUDED.locked_until, updated_at = now()").Exec(ctx)
	if err != nil {
		return fmt.Errorf("lock phone: %w", err)
	}
	return nil
}

// PurgeWrongCodes deletes wrong-code rows older than before and locks that
// ended before it; nothing reads them once they are past the window.
func PurgeWrongCodes(ctx context.Context, idb bun.IDB, before time.Time) (int64, error) {
	res, err := idb.NewDelete().Model((*PhoneWrongCode)(nil)).Where("created_at < ?", before).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("purge wrong codes: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := idb.NewDelete().Model((*PhoneLock)(nil)).Where("locked_until < ?", before).Exec(ctx); err != nil {
		return 0, fmt.Errorf("purge phone locks: %w", err)
	}
	return n, nil
}

// SessionKey names one login: a user and the refresh-token family its
// access token came from (uuid.Nil for tokens issued before sessions were
// named, which are checked by user only).
type SessionKey struct {
	UserID    uuid.UUID
	SessionID uuid.UUID
}

// LiveSessions returns which of keys may still act: the user exists and is
// active, and (for a named session) its refresh-token family still has a
// token that was neither revoked by Logout or reuse detection nor rotated.
// One query for every key.
func LiveSessions(ctx context.Context, idb bun.IDB, keys []SessionKey) (map[SessionKey]bool, error) {
	live := make(map[SessionKey]bool, len(keys))
	if len(keys) == 0 {
		return live, nil
	}
	users := make([]uuid.UUID, 0, len(keys))
	families := make([]uuid.UUID, 0, len(keys))
	for _, k := range keys {
		users, families = append(users, k.UserID), append(families, k.SessionID)
	}
	var rows []SessionKey
	err := idb.NewRaw(`
		SELECT k.user_id, k.session_id
		FROM unnest(?::uuid[], ?::uuid[]) AS k(user_id, session_id)
		JOIN users u ON u.id = k.user_id AND u.is_active
		WHERE k.session_id = '00000000-0000-0000-0000-000000000000'
		   OR EXISTS (SELECT 1 FROM refresh_tokens t
		              WHERE t.family_id = k.session_id AND t.user_id = k.user_id AND t.revoked_at IS NULL)`,
		pgUUIDs(users), pgUUIDs(families)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("check sessions: %w", err)
	}
	for _, r := range rows {
		live[r] = true
	}
	return live, nil
}
