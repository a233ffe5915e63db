package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// User is an account; phone and telegram_id are each unique when set, email
// only once verified.
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID          uuid.UUID  `bun:"id,pk,type:uuid"`
	Phone       *string    `bun:"phone"`
	Email       *string    `bun:"email"`
	TelegramID  *string    `bun:"telegram_id"`
	IsActive    bool       `bun:"is_active,notnull"`
	IsStaff     bool       `bun:"is_staff,notnull"`
	DateJoined  time.Time  `bun:"date_joined,nullzero,notnull,default:now()"`
	LastLoginAt *time.Time `bun:"last_login_at"`
	// PhoneVerifiedAt and EmailVerifiedAt are set once the owner proved the
	// address (OTP login, email code); only verified channels receive messages.
	PhoneVerifiedAt *time.Time `bun:"phone_verified_at"`
	EmailVerifiedAt *time.Time `bun:"email_verified_at"`
	// The kept reputation (migration 20261207000100_social), written only
	// by RateUser: read here so RETURNING * scans, never written.
	RatingSum   int32   `bun:"rating_sum,scanonly"`
	RatingCount int32   `bun:"rating_count,scanonly"`
	Reputation  float64 `bun:"reputation,scanonly"`
	Timestamps
}

// Profile is a user's public profile (seed 002's user_profile).
type Profile struct {
	bun.BaseModel `bun:"table:user_profiles"`

	ID              uuid.UUID      `bun:"id,pk,type:uuid"`
	UserID          uuid.UUID      `bun:"user_id,type:uuid,notnull"`
	Name            string         `bun:"name,notnull"`
	PhoneNumber     *string        `bun:"phone_number"`
	Bio             string         `bun:"bio,notnull"`
	Location        string         `bun:"location,notnull"`
	BirthDate       *time.Time     `bun:"birth_date,type:date"`
	Gender          *string        `bun:"gender"`
	ProfilePictures []string       `bun:"profile_pictures,type:jsonb,notnull"`
	IsVerified      bool           `bun:"is_verified,notnull"`
	IsActive        bool           `bun:"is_active,notnull"`
	Metadata        map[string]any `bun:"metadata,type:jsonb,notnull"`
	Timestamps
}

// Interest is one entry of the interest catalogue (music, travel, ...).
type Interest struct {
	bun.BaseModel `bun:"table:event_interests"`

	ID          uuid.UUID `bun:"id,pk,type:uuid"`
	Name        string    `bun:"name,notnull"`
	Slug        string    `bun:"slug,notnull"`
	Description string    `bun:"description,notnull"`
	IsActive    bool      `bun:"is_active,notnull"`
	Timestamps
}

// ProfileInterest links a profile to an interest.
type ProfileInterest struct {
	bun.BaseModel `bun:"table:user_profile_interests"`

	ProfileID  uuid.UUID `bun:"profile_id,pk,type:uuid"`
	InterestID uuid.UUID `bun:"interest_id,pk,type:uuid"`
	Timestamps
}

// UserByID loads a user.
func UserByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*User, error) {
	u := new(User)
	if err := idb.NewSelect().Model(u).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "user %s", id)
	}
	return u, nil
}

// UserByPhone loads the user with an E.164 phone.
func UserByPhone(ctx context.Context, idb bun.IDB, phone string) (*User, error) {
	u := new(User)
	if err := idb.NewSelect().Model(u).Where("phone = ?", phone).Scan(ctx); err != nil {
		return nil, notFound(err, "user with phone")
	}
	return u, nil
}

// UserByVerifiedEmail loads the user who verified an email,
// case-insensitively. An address someone merely typed matches nobody.
func UserByVerifiedEmail(ctx context.Context, idb bun.IDB, email string) (*User, error) {
	u := new(User)
	if err := idb.NewSelect().Model(u).Where("lower(email) = lower(?) AND email_verified_at IS NOT NULL", email).Scan(ctx); err != nil {
		return nil, notFound(err, "user with email")
	}
	return u, nil
}

// CreateUserWithPhone inserts a user and an empty verified profile. Two
// first logins racing for one phone are resolved by the unique index: the
// loser gets the winner's user.
func CreateUserWithPhone(ctx context.Context, idb bun.IDB, phone string) (*User, bool, error) {
	u := &User{ID: NewID(), Phone: &phone, IsActive: true}
	res, err := idb.NewInsert().Model(u).On("CONFLICT (phone) DO NOTHING").Returning("*").Exec(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("insert user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		existing, err := UserByPhone(ctx, idb, phone)
		return existing, false, err
	}
	p := &Profile{ID: NewID(), UserID: u.ID, PhoneNumber: &phone, ProfilePictures: []string{},
		IsVerified: true, IsActive: true, Metadata: map[string]any{}}
	if _, err := idb.NewInsert().Model(p).Exec(ctx); err != nil {
		return nil, false, fmt.Errorf("insert profile: %w", err)
	}
	return u, true, nil
}

// TouchLastLogin records a successful login; the OTP it took proves the phone.
func TouchLastLogin(ctx context.Context, idb bun.IDB, userID uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*User)(nil)).
		Set("last_login_at = now(), updated_at = now()").
		Set("phone_verified_at = coalesce(phone_verified_at, now())").
		Where("id = ?", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record login: %w", err)
	}
	return nil
}

// ClearUserEmail removes a user's email and its verification.
func ClearUserEmail(ctx context.Context, idb bun.IDB, userID uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*User)(nil)).
		Set("email = NULL, email_verified_at = NULL, updated_at = now()").Where("id = ?", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("clear email: %w", err)
	}
	return nil
}

// ProfileByUserID loads a user's profile.
func ProfileByUserID(ctx context.Context, idb bun.IDB, userID uuid.UUID) (*Profile, error) {
	p := new(Profile)
	if err := idb.NewSelect().Model(p).Where("user_id = ?", userID).Scan(ctx); err != nil {
		return nil, notFound(err, "profile of user %s", userID)
	}
	return p, nil
}

// UpdateProfile writes every editable profile column of p.
func UpdateProfile(ctx context.Context, idb bun.IDB, p *Profile) error {
	_, err := idb.NewUpdate().Model(p).
		Column("name", "bio", "location", "birth_date", "gender", "profile_pictures").
		Set("updated_at = now()").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	return nil
}

// ListInterests returns the active interest catalogue by name.
func ListInterests(ctx context.Context, idb bun.IDB) ([]Interest, error) {
	var out []Interest
	if err := idb.NewSelect().Model(&out).Where("is_active").Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list interests: %w", err)
	}
	return out, nil
}

// InterestsBySlug loads active interests by slug; the caller compares counts
// to find unknown slugs.
func InterestsBySlug(ctx context.Context, idb bun.IDB, slugs []string) ([]Interest, error) {
	var out []Interest
	if len(slugs) == 0 {
		return out, nil
	}
	if err := idb.NewSelect().Model(&out).Where("is_active AND slug IN (?)", bun.In(slugs)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load interests: %w", err)
	}
	return out, nil
}

// ProfileInterests returns the interests of a profile by name.
func ProfileInterests(ctx context.Context, idb bun.IDB, profileID uuid.UUID) ([]Interest, error) {
	var out []Interest
	err := idb.NewSelect().Model(&out).
		Join("JOIN user_profile_interests AS upi ON upi.interest_id = interest.id").
		Where("upi.profile_id = ?", profileID).Order("interest.name").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("load profile interests: %w", err)
	}
	return out, nil
}

// ReplaceProfileInterests sets a profile's interests to exactly interestIDs.
func ReplaceProfileInterests(ctx context.Context, idb bun.IDB, profileID uuid.UUID, interestIDs []uuid.UUID) error {
	if _, err := idb.NewDelete().Model((*ProfileInterest)(nil)).Where("profile_id = ?", profileID).Exec(ctx); err != nil {
		return fmt.Errorf("clear profile interests: %w", err)
	}
	if len(interestIDs) == 0 {
		return nil
	}
	rows := make([]ProfileInterest, 0, len(interestIDs))
	for _, id := range interestIDs {
		rows = append(rows, ProfileInterest{ProfileID: profileID, InterestID: id})
	}
	if _, err := idb.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("insert profile interests: %w", err)
	}
	return nil
}

// UpsertInterest inserts or renames an interest by slug (demo data, admin tools).
func UpsertInterest(ctx context.Context, idb bun.IDB, name, slug, description string) error {
	in := &Interest{ID: NewID(), Name: name, Slug: slug, Description: description, IsActive: true}
	_, err := idb.NewInsert().Model(in).
		On("CONFLICT (slug) DO UPDATE").Set("name = EXCLUDED.name, description = EXCLUDED.description, updated_at = now()").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("upsert interest %s: %w", slug, err)
	}
	return nil
}
