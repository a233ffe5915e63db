package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// ErrIdentityTaken: the OIDC identity is linked to another user.
var ErrIdentityTaken = errors.New("this OIDC identity is linked to another account")

// OidcLogin is who signs in with an OIDC identity.
type OidcLogin struct {
	Issuer, Subject string
	// Email is the provider's verified email, stored on the identity only.
	Email string
	// Name names the profile of a user the login creates.
	Name string
}

// LoginWithIdentity returns the user of the identity, creating the user
// (and an empty profile) on its first login, and records the login. It
// never looks at other users' emails. Concurrent first logins of one
// identity are serialized by an advisory lock on it: one creates, the
// others find.
func LoginWithIdentity(ctx context.Context, tx bun.Tx, in OidcLogin) (*User, bool, error) {
	if err := lockIdentity(ctx, tx, in.Issuer, in.Subject); err != nil {
		return nil, false, err
	}
	ident, err := identityBySubject(ctx, tx, in.Issuer, in.Subject)
	if err == nil {
		if err := touchIdentity(ctx, tx, ident.ID, in.Email); err != nil {
			return nil, false, err
		}
		u, err := UserByID(ctx, tx, ident.UserID)
		return u, false, err
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, false, err
	}
	u := &User{ID: NewID(), IsActive: true}
	if _, err := tx.NewInsert().Model(u).Returning("*").Exec(ctx); err != nil {
		return nil, false, fmt.Errorf("insert oidc user: %w", err)
	}
	p := &Profile{ID: NewID(), UserID: u.ID, Name: truncateRunes(in.Name, profileNameMax), ProfilePictures: []string{},
		IsActive: true, Metadata: map[string]any{}}
	if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
		return nil, false, fmt.Errorf("insert profile of oidc user: %w", err)
	}
	if err := insertIdentity(ctx, tx, u.ID, in); err != nil {
		return nil, false, err
	}
	return u, true, nil
}

// LinkIdentity links the identity to userID; linking it again to the same
// user changes nothing but its email, ErrIdentityTaken when another user
// has it.
func LinkIdentity(ctx context.Context, tx bun.Tx, userID uuid.UUID, in OidcLogin) error {
	if err := lockIdentity(ctx, tx, in.Issuer, in.Subject); err != nil {
		return err
	}
	ident, err := identityBySubject(ctx, tx, in.Issuer, in.Subject)
	switch {
	case errors.Is(err, ErrNotFound):
		return insertIdentity(ctx, tx, userID, in)
	case err != nil:
		return err
	case ident.UserID != userID:
		return ErrIdentityTaken
	}
	return touchIdentity(ctx, tx, ident.ID, in.Email)
}

func lockIdentity(ctx context.Context, tx bun.Tx, issuer, subject string) error {
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", issuer+"\n"+subject); err != nil {
		return fmt.Errorf("lock oidc identity: %w", err)
	}
	return nil
}

func identityBySubject(ctx context.Context, idb bun.IDB, issuer, subject string) (*UserIdentity, error) {
	ident := new(UserIdentity)
	if err := idb.NewSelect().Model(ident).Where("issuer = ? AND subject = ?", issuer, subject).Scan(ctx); err != nil {
		return nil, notFound(err, "identity %s at %s", subject, issuer)
	}
	return ident, nil
}

func insertIdentity(ctx context.Context, idb bun.IDB, userID uuid.UUID, in OidcLogin) error {
	ident := &UserIdentity{ID: NewID(), UserID: userID, Issuer: in.Issuer, Subject: in.Subject, Email: identityEmail(in.Email)}
	if _, err := idb.NewInsert().Model(ident).Value("last_login_at", "now()").Exec(ctx); err != nil {
		return fmt.Errorf("insert identity %s at %s: %w", in.Subject, in.Issuer, err)
	}
	return nil
}

// touchIdentity records a login and the verified email it carried (kept
// when the token carried none).
func touchIdentity(ctx context.Context, idb bun.IDB, id uuid.UUID, email string) error {
	_, err := idb.NewUpdate().Model((*UserIdentity)(nil)).
		Set("last_login_at = now(), updated_at = now(), email = COALESCE(?, email)", identityEmail(email)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record login of identity %s: %w", id, err)
	}
	return nil
}

func identityEmail(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
