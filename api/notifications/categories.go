package notifications

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
)

// ListCategories lists an organization's notification categories to its
// members.
func (s *notificationServer) ListCategories(ctx context.Context, req *connect.Request[notificationsv1.ListCategoriesRequest]) (*connect.Response[notificationsv1.ListCategoriesResponse], error) {
	orgID := uuid.MustParse(req.Msg.GetOrganizationId())
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
		return nil, err
	}
	cats, err := db.CategoriesOf(ctx, s.DB, orgID)
	if err != nil {
		return nil, err
	}
	resp := &notificationsv1.ListCategoriesResponse{}
	for _, c := range cats {
		resp.Categories = append(resp.Categories, categoryToProto(c))
	}
	return connect.NewResponse(resp), nil
}

// DefineCategory adds a category to an organization's list, for its owners
// and admins.
func (s *notificationServer) DefineCategory(ctx context.Context, req *connect.Request[notificationsv1.DefineCategoryRequest]) (*connect.Response[notificationsv1.DefineCategoryResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	orgID := uuid.MustParse(msg.GetOrganizationId())
	var cat db.Category
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, orgID, rpc.ManagerRoles); err != nil {
			return err
		}
		var err error
		cat, err = db.DefineCategory(ctx, tx, orgID, userID, msg.GetName(), msg.GetDescription())
		if errors.Is(err, db.ErrCategoryExists) {
			return connect.NewError(connect.CodeAlreadyExists, fmt.Errorf("category %q: %w", msg.GetName(), err))
		}
		if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &orgID, "notification_category", cat.Name, "define", map[string]any{"description": cat.Description})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&notificationsv1.DefineCategoryResponse{Category: categoryToProto(cat)}), nil
}

// checkCategory refuses a job category that is not in the list of the
// job's organization (or, without one, not built in).
func checkCategory(ctx context.Context, idb bun.IDB, orgID *uuid.UUID, category string) error {
	ok, err := db.CategoryAllowed(ctx, idb, orgID, category)
	if err != nil || ok {
		return err
	}
	if orgID == nil {
		return rpc.InvalidField("category", fmt.Sprintf("unknown category %q; a job without an organization uses a built-in category", category))
	}
	return rpc.InvalidField("category", fmt.Sprintf("unknown category %q; ListCategories gives the organization's categories, DefineCategory adds one", category))
}

// checkMutable refuses turning off a transactional category.
func checkMutable(entries []*notificationsv1.PreferenceEntry) error {
	for i, e := range entries {
		if !e.GetEnabled() && db.IsTransactional(e.GetCategory()) {
			return rpc.InvalidField(fmt.Sprintf("entries[%d].category", i),
				fmt.Sprintf("%q is transactional (tickets, account, safety) and cannot be turned off", e.GetCategory()))
		}
	}
	return nil
}

func categoryToProto(c db.Category) *notificationsv1.Category {
	return &notificationsv1.Category{Name: c.Name, Description: c.Description, BuiltIn: c.BuiltIn, Transactional: c.Transactional}
}
