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

	// Filled by ListMembers from users, profiles and invitations.
	Phone *string `bun:"phone,scanonly"`
	Name  string  `bun:"name,scanonly"`
	// Status is MemberActive, or MemberInvited for an open invitation (whose
	// ID is the invitation's and whose UserID is uuid.Nil for email ones).
	Status string  `bun:"status,scanonly"`
	Email  *string `bun:"email,scanonly"`
}

// ListMembers row statuses: accepted members and open invitations.
const (
	MemberActive  = "active"
	MemberInvited = "invited"
)

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

// listMembersSQL unions an organization's members and its open invitations
// (an email invitation has no user yet: the nil UUID).
const listMembersSQL = `SELECT * FROM (
	SELECT m.id, m.organization_id, m.user_id, m.role, m.added_by, m.created_at, m.updated_at,
		u.phone, coalesce(p.name, '') AS name, 'active' AS status, NULL::text AS email
	FROM organization_members AS m
	JOIN users AS u ON u.id = m.user_id
	LEFT JOIN user_profiles AS p ON p.user_id = m.user_id
	WHERE m.organization_id = ?0
	UNION ALL
	SELECT i.id, i.organization_id, coalesce(i.invitee_user_id, '00000000-0000-0000-0000-000000000000'::uuid), i.role,
		i.invited_by, i.created_at, i.updated_at, u.phone, coalesce(p.name, ''), 'invited', i.invitee_email
	FROM organization_invitations AS i
	LEFT JOIN users AS u ON u.id = i.invitee_user_id
	LEFT JOIN user_profiles AS p ON p.user_id = i.invitee_user_id
	WHERE i.organization_id = ?0 AND i.status = 'pending'
) AS m
WHERE ?1 OR (m.created_at, m.id) > (?2, ?3)
ORDER BY m.created_at, m.id
LIMIT ?4`

// ListMembers lists an organization's members and open invitations oldest
// first, with keyset pagination on (created_at, id).
func ListMembers(ctx context.Context, idb bun.IDB, orgID uuid.UUID, page MemberPage) ([]Member, error) {
	var out []Member
	first := page.AfterID == uuid.Nil
	if err := idb.NewRaw(listMembersSQL, orgID, first, page.AfterCreatedAt, page.AfterID, page.Limit).Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return out, nil
}

// IsMemberWithVerifiedEmail reports whether a member of orgID has verified email.
func IsMemberWithVerifiedEmail(ctx context.Context, idb bun.IDB, orgID uuid.UUID, email string) (bool, error) {
	ok, err := idb.NewSelect().Model((*Member)(nil)).
		Join("JOIN users AS u ON u.id = m.user_id").
		Where("m.organization_id = ? AND lower(u.email) = lower(?) AND u.email_verified_at IS NOT NULL", orgID, email).
		Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("find member by email: %w", err)
	}
	return ok, nil
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
