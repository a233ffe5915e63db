package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// ErrTelegramTaken is returned by LinkTelegram when another user already
// signs in with the Telegram account.
var ErrTelegramTaken = errors.New("this Telegram account is linked to another user")

// profileNameMax is user_profiles.name's length limit.
const profileNameMax = 100

// UserByTelegramID loads the user who signs in with a Telegram account.
func UserByTelegramID(ctx context.Context, idb bun.IDB, telegramID string) (*User, error) {
	u := new(User)
	if err := idb.NewSelect().Model(u).Where("telegram_id = ?", telegramID).Scan(ctx); err != nil {
		return nil, notFound(err, "user with telegram id %s", telegramID)
	}
	return u, nil
}

// CreateUserWithTelegram returns the user of a Telegram account, creating
// it (and its profile, named name) on the account's first login; created
// says which. Two first logins at once make one user: the second insert
// waits for the first and then reads its row (users_telegram_id_key).
func CreateUserWithTelegram(ctx context.Context, idb bun.IDB, telegramID, name string) (*User, bool, error) {
	u := &User{ID: NewID(), TelegramID: &telegramID, IsActive: true}
	res, err := idb.NewInsert().Model(u).On("CONFLICT (telegram_id) DO NOTHING").Returning("*").Exec(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("insert telegram user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		existing, err := UserByTelegramID(ctx, idb, telegramID)
		return existing, false, err
	}
	p := &Profile{ID: NewID(), UserID: u.ID, Name: truncateRunes(name, profileNameMax), ProfilePictures: []string{},
		IsActive: true, Metadata: map[string]any{}}
	if _, err := idb.NewInsert().Model(p).Exec(ctx); err != nil {
		return nil, false, fmt.Errorf("insert profile of telegram user: %w", err)
	}
	return u, true, nil
}

// TouchTelegramLogin records a successful login through Telegram (which
// proves nothing about a phone).
func TouchTelegramLogin(ctx context.Context, idb bun.IDB, userID uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*User)(nil)).
		Set("last_login_at = now(), updated_at = now()").Where("id = ?", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record telegram login of %s: %w", userID, err)
	}
	return nil
}

// LinkTelegram makes userID sign in with the Telegram account, replacing
// one linked before; ErrTelegramTaken when another user has it.
func LinkTelegram(ctx context.Context, idb bun.IDB, userID uuid.UUID, telegramID string) error {
	_, err := idb.NewUpdate().Model((*User)(nil)).
		Set("telegram_id = ?, updated_at = now()", telegramID).Where("id = ?", userID).Exec(ctx)
	if IsUniqueViolation(err, "users_telegram_id_key") {
		return ErrTelegramTaken
	}
	if err != nil {
		return fmt.Errorf("link telegram %s to %s: %w", telegramID, userID, err)
	}
	return nil
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
