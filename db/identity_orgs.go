package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Organization roles, from most to least privileged.
const (
	RoleOwner    = "owner"
	RoleAdmin    = "admin"
	RoleApprover = "approver"
	RoleMember   = "member"
)

// Organization is a tenant: its rows carry organization_id and every query
// of them is scoped by the caller's membership.
type Organization struct {
	bun.BaseModel `bun:"table:organizations"`

	ID          uuid.UUID      `bun:"id,pk,type:uuid"`
	Name        string         `bun:"name,notnull"`
	Slug        string         `bun:"slug,notnull"`
	Description string         `bun:"description,notnull"`
	LogoURL     string         `bun:"logo_url,notnull"`
	CountryCode *string        `bun:"country_code"`
	Settings    map[string]any `bun:"settings,type:jsonb,notnull"`
	Status      string         `bun:"status,notnull"`
	CreatedBy   *uuid.UUID     `bun:"created_by,type:uuid"`
	Timestamps
}

// Member is a user's role in an organization.
type Member struct {
	bun.BaseModel `bun:"table:organization_members,alias:m"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	UserID         uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	Role           string     `bun:"role,notnull"`
	AddedBy        *uuid.UUID `bun:"added_by,type:uuid"`
	Timestamps

	// Filled by ListMembers from users and profiles.
	Phone *string `bun:"phone,scanonly"`
	Name  string  `bun:"name,scanonly"`
}

// InsertOrganization creates an organization; a taken slug is a unique violation
// of organizations_slug_key.
func InsertOrganization(ctx context.Context, idb bun.IDB, o *Organization) error {
	if _, err := idb.NewInsert().Model(o).Returning("*").Exec(ctx); err != nil {
		return fmt.Errorf("insert organization: %w", err)
	}
	return nil
}

// OrganizationByID loads an organization.
func OrganizationByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Organization, error) {
	o := new(Organization)
	if err := idb.NewSelect().Model(o).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "organization %s", id)
	}
	return o, nil
}

// MemberRole returns userID's role in orgID, or ErrNotFound when not a member.
func MemberRole(ctx context.Context, idb bun.IDB, orgID, userID uuid.UUID) (string, error) {
	var role string
	err := idb.NewSelect().Model((*Member)(nil)).Column("role").
		Where("organization_id = ? AND user_id = ?", orgID, userID).Scan(ctx, &role)
	if err != nil {
		return "", notFound(err, "membership")
	}
	return role, nil
}

// InsertMember adds a member; an existing member is a unique violation of
// organization_members_organization_id_user_id_key.
func InsertMember(ctx context.Context, idb bun.IDB, m *Member) error {
	if _, err := idb.NewInsert().Model(m).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert member: %w", err)
	}
	return nil
}

// MemberPage is one page of ListMembers; After is the keyset cursor.
type MemberPage struct {
	AfterCreatedAt time.Time
	AfterID        uuid.UUID
	Limit          int
}

// ListMembers lists an organization's members oldest first, with keyset
// pagination on (created_at, id).
func ListMembers(ctx context.Context, idb bun.IDB, orgID uuid.UUID, page MemberPage) ([]Member, error) {
	var out []Member
	q := idb.NewSelect().Model(&out).
		ColumnExpr("m.*, u.phone, coalesce(p.name, '') AS name").
		Join("JOIN users AS u ON u.id = m.user_id").
		Join("LEFT JOIN user_profiles AS p ON p.user_id = m.user_id").
		Where("m.organization_id = ?", orgID).
		OrderExpr("m.created_at, m.id").Limit(int64(page.Limit))
	if page.AfterID != uuid.Nil {
		q = q.Where("(m.created_at, m.id) > (?, ?)", page.AfterCreatedAt, page.AfterID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return out, nil
}

// MemberForUpdate row-locks one membership.
func MemberForUpdate(ctx context.Context, tx bun.Tx, orgID, userID uuid.UUID) (*Member, error) {
	m := new(Member)
	err := tx.NewSelect().Model(m).Where("organization_id = ? AND user_id = ?", orgID, userID).For("UPDATE").Scan(ctx)
	if err != nil {
		return nil, notFound(err, "membership")
	}
	return m, nil
}

// LockOrganization serialises membership changes of one organization (so
// two admins cannot each remove one of the last two owners).
func LockOrganization(ctx context.Context, tx bun.Tx, orgID uuid.UUID) error {
	if _, err := tx.NewSelect().Model((*Organization)(nil)).Column("id").Where("id = ?", orgID).For("UPDATE").Exec(ctx); err != nil {
		return fmt.Errorf("lock organization: %w", err)
	}
	return nil
}

// CountOwners counts the owners of an organization.
func CountOwners(ctx context.Context, idb bun.IDB, orgID uuid.UUID) (int64, error) {
	n, err := idb.NewSelect().Model((*Member)(nil)).Where("organization_id = ? AND role = ?", orgID, RoleOwner).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count owners: %w", err)
	}
	return n, nil
}

// DeleteMember removes a membership.
func DeleteMember(ctx context.Context, idb bun.IDB, id uuid.UUID) error {
	if _, err := idb.NewDelete().Model((*Member)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("delete member: %w", err)
	}
	return nil
}

// UpsertOrganizationBySlug creates an organization if its slug is free and
// returns the stored row either way (demo data).
func UpsertOrganizationBySlug(ctx context.Context, idb bun.IDB, o *Organization) (*Organization, error) {
	if _, err := idb.NewInsert().Model(o).On("CONFLICT (slug) DO NOTHING").Exec(ctx); err != nil {
		return nil, fmt.Errorf("upsert organization %s: %w", o.Slug, err)
	}
	stored := new(Organization)
	if err := idb.NewSelect().Model(stored).Where("slug = ?", o.Slug).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load organization %s: %w", o.Slug, err)
	}
	return stored, nil
}
