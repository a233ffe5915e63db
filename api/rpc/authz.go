package rpc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
)

// StaffRole is the role OrgAccess reports for platform staff, who may act
// in any organization.
const StaffRole = "staff"

// Role sets that organization-scoped calls accept. They are read-only.
var (
	// AnyRole is every member of the organization.
	AnyRole = []string{db.RoleOwner, db.RoleAdmin, db.RoleApprover, db.RoleMember}
	// ManagerRoles are the members who manage it.
	ManagerRoles = []string{db.RoleOwner, db.RoleAdmin}
)

// OrgAccess is the one authorization check of organization-scoped calls,
// in every domain: it returns the caller's role if it is one of allowed
// (platform staff pass as StaffRole), NotFound for an unknown organization
// and PermissionDenied otherwise.
func OrgAccess(ctx context.Context, idb bun.IDB, orgID uuid.UUID, allowed []string) (string, error) {
	userID := CallerID(ctx)
	role, err := db.MemberRole(ctx, idb, orgID, userID)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return "", err
	}
	for _, r := range allowed {
		if role == r {
			return role, nil
		}
	}
	if u, err := db.UserByID(ctx, idb, userID); err == nil && u.IsStaff {
		if _, err := db.OrganizationByID(ctx, idb, orgID); err != nil {
			return "", connect.NewError(connect.CodeNotFound, errors.New("organization not found"))
		}
		return StaffRole, nil
	}
	if role == "" {
		if _, err := db.OrganizationByID(ctx, idb, orgID); errors.Is(err, db.ErrNotFound) {
			return "", connect.NewError(connect.CodeNotFound, errors.New("organization not found"))
		}
		return "", connect.NewError(connect.CodePermissionDenied, errors.New("you are not a member of this organization"))
	}
	return "", connect.NewError(connect.CodePermissionDenied, fmt.Errorf("your role %q cannot do this; it needs one of %s", role, strings.Join(allowed, ", ")))
}
