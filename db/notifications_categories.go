package db

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Category is a notification category: what preferences are set per and
// what a job or notice is sent as. Organizations have the built-in ones
// (BuiltinCategories) plus those their owners and admins define.
type Category struct {
	Name        string
	Description string
	// BuiltIn: every organization has it.
	BuiltIn bool
	// Transactional: it cannot be muted (a stored opt-out is ignored) and
	// quiet hours do not delay it: people must get their tickets, account
	// codes and safety alerts.
	Transactional bool
}

// The built-in categories. Transactional ones first.
const (
	CategoryTicketing     = "ticketing"
	CategoryAccount       = "account"
	CategorySafety        = "safety"
	CategoryEventUpdates  = "event_updates"
	CategoryAnnouncements = "announcements"
	CategoryMarketing     = "marketing"
	CategoryReminders     = "reminders"
	CategoryOnboarding    = "onboarding"
	CategoryQuests        = "quests"
	CategoryConnections   = "connections"
)

// BuiltinCategories lists the categories every organization (and every job
// without one) has, transactional ones first.
func BuiltinCategories() []Category { return slices.Clone(builtinCategories) }

// builtinCategories is read only; BuiltinCategories hands out copies.
var builtinCategories = []Category{
	{Name: CategoryTicketing, Description: "Tickets, payments and refunds of your own orders", BuiltIn: true, Transactional: true},
	{Name: CategoryAccount, Description: "Sign-in, verification codes and invitations", BuiltIn: true, Transactional: true},
	{Name: CategorySafety, Description: "Safety alerts about events and groups you are in", BuiltIn: true, Transactional: true},
	{Name: CategoryEventUpdates, Description: "Changes to events you host or attend", BuiltIn: true},
	{Name: CategoryAnnouncements, Description: "Announcements from organizations you belong to", BuiltIn: true},
	{Name: CategoryMarketing, Description: "Offers and news", BuiltIn: true},
	{Name: CategoryReminders, Description: "Reminders of things you signed up for", BuiltIn: true},
	{Name: CategoryOnboarding, Description: "Your onboarding: tasks, reminders, check-ins and buddies", BuiltIn: true},
	{Name: CategoryQuests, Description: "Quests you joined: approvals, verdicts, reviews and points", BuiltIn: true},
	{Name: CategoryConnections, Description: "Connection requests and answers from other attendees", BuiltIn: true},
}

// IsTransactional reports whether category is a built-in transactional one.
func IsTransactional(category string) bool {
	return slices.ContainsFunc(builtinCategories, func(c Category) bool { return c.Name == category && c.Transactional })
}

// isBuiltin reports whether category is built in.
func isBuiltin(category string) bool {
	return slices.ContainsFunc(builtinCategories, func(c Category) bool { return c.Name == category })
}

// ErrCategoryExists is returned by DefineCategory for a name already in
// the organization's list.
var ErrCategoryExists = errors.New("the organization already has a category of this name; ListCategories shows them")

// definedCategory is a row of notification_categories.
type definedCategory struct {
	bun.BaseModel `bun:"table:notification_categories,alias:nc"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	Name           string     `bun:"name,notnull"`
	Description    string     `bun:"description,notnull"`
	CreatedBy      *uuid.UUID `bun:"created_by,type:uuid"`
	Timestamps
}

// CategoriesOf lists an organization's categories: the built-in ones,
// then the defined ones by name.
func CategoriesOf(ctx context.Context, idb bun.IDB, orgID uuid.UUID) ([]Category, error) {
	var rows []definedCategory
	if err := idb.NewSelect().Model(&rows).Where("nc.organization_id = ?", orgID).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list notification categories: %w", err)
	}
	out := BuiltinCategories()
	for _, r := range rows {
		out = append(out, Category{Name: r.Name, Description: r.Description})
	}
	return out, nil
}

// CategoryAllowed reports whether category is in the list of orgID (nil:
// a job without an organization, which has the built-in ones only).
func CategoryAllowed(ctx context.Context, idb bun.IDB, orgID *uuid.UUID, category string) (bool, error) {
	if isBuiltin(category) {
		return true, nil
	}
	if orgID == nil {
		return false, nil
	}
	ok, err := idb.NewSelect().Model((*definedCategory)(nil)).Where("organization_id = ? AND name = ?", *orgID, category).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("check notification category: %w", err)
	}
	return ok, nil
}

// DefineCategory adds a category to an organization's list;
// ErrCategoryExists if the name is taken (built-in or defined).
func DefineCategory(ctx context.Context, idb bun.IDB, orgID uuid.UUID, createdBy uuid.UUID, name, description string) (Category, error) {
	if isBuiltin(name) {
		return Category{}, ErrCategoryExists
	}
	row := &definedCategory{ID: NewID(), OrganizationID: orgID, Name: name, Description: description, CreatedBy: &createdBy}
	res, err := idb.NewInsert().Model(row).On("CONFLICT (organization_id, name) DO NOTHING").Exec(ctx)
	if err != nil {
		return Category{}, fmt.Errorf("define notification category: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Category{}, ErrCategoryExists
	}
	return Category{Name: name, Description: description}, nil
}
