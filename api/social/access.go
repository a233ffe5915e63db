package social

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
)

// The rules in one place: members read and post in their group;
// its admins moderate it; the event's host and its organization's owners
// and admins moderate all of its groups (and ban within the event);
// platform staff everywhere; nothing crosses organizations. A group is
// visible where its event is.

// eventAccess is what the caller may do at one event.
type eventAccess struct {
	Event  *db.Event
	Caller uuid.UUID
	// Host: the event's host or an owner/admin of its organization.
	Host  bool
	Staff bool
	// Visible: the caller may see the event (and so its groups).
	Visible bool
}

// groupAccess is what the caller may do in one group.
type groupAccess struct {
	eventAccess
	Group *db.Group
	// Member and Admin are the caller's membership of the group.
	Member bool
	Admin  bool
}

// CanModerate: remove messages and members, decide join requests.
func (a groupAccess) CanModerate() bool { return a.Admin || a.Host || a.Staff }

// CanRead: read the chat and the member list.
func (a groupAccess) CanRead() bool { return a.Member || a.Host || a.Staff }

// errGroupNotFound is the answer about a group that does not exist or
// that the caller may not see: the two look the same.
func errGroupNotFound() error {
	return connect.NewError(connect.CodeNotFound, errors.New("group not found"))
}

func errEventNotFound() error {
	return connect.NewError(connect.CodeNotFound, errors.New("event not found"))
}

// loadEventAccess reads the event and the caller's standing at it:
// NotFound when it does not exist or the caller may not see it.
func loadEventAccess(ctx context.Context, idb bun.IDB, eventID uuid.UUID) (eventAccess, error) {
	ev, err := db.EventByID(ctx, idb, eventID)
	if errors.Is(err, db.ErrNotFound) {
		return eventAccess{}, errEventNotFound()
	}
	if err != nil {
		return eventAccess{}, err
	}
	a := eventAccess{Event: ev, Caller: rpc.CallerID(ctx)}
	if a.Staff, err = isStaff(ctx, idb, a.Caller); err != nil {
		return eventAccess{}, err
	}
	if a.Host, err = hostsEvent(ctx, idb, ev, a.Caller); err != nil {
		return eventAccess{}, err
	}
	if a.Visible, err = eventVisibleTo(ctx, idb, ev, a.Caller); err != nil {
		return eventAccess{}, err
	}
	if !a.Visible && !a.Host && !a.Staff {
		return eventAccess{}, errEventNotFound()
	}
	return a, nil
}

// loadGroupAccess reads the group, its event and the caller's standing:
// NotFound when the group does not exist, was deleted, or the caller may
// not see its event.
func loadGroupAccess(ctx context.Context, idb bun.IDB, groupID uuid.UUID) (groupAccess, error) {
	g, err := db.GroupByID(ctx, idb, groupID)
	if errors.Is(err, db.ErrNotFound) {
		return groupAccess{}, errGroupNotFound()
	}
	if err != nil {
		return groupAccess{}, err
	}
	ea, err := loadEventAccess(ctx, idb, g.EventID)
	if err != nil {
		if connect.CodeOf(err) == connect.CodeNotFound {
			return groupAccess{}, errGroupNotFound()
		}
		return groupAccess{}, err
	}
	a := groupAccess{eventAccess: ea, Group: g}
	m, err := db.GroupMembership(ctx, idb, g.ID, a.Caller)
	if err != nil {
		return groupAccess{}, err
	}
	if m != nil {
		a.Member, a.Admin = true, m.IsAdmin
	}
	return a, nil
}

func isStaff(ctx context.Context, idb bun.IDB, userID uuid.UUID) (bool, error) {
	u, err := db.UserByID(ctx, idb, userID)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return u.IsStaff, nil
}

// hostsEvent: the event's host, or an owner or admin of its organization.
func hostsEvent(ctx context.Context, idb bun.IDB, ev *db.Event, userID uuid.UUID) (bool, error) {
	if ev.HostUserID == userID {
		return true, nil
	}
	if ev.OrganizationID == nil {
		return false, nil
	}
	role, err := db.MemberRole(ctx, idb, *ev.OrganizationID, userID)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return false, err
	}
	return role == db.RoleOwner || role == db.RoleAdmin, nil
}

// eventVisibleTo: a public event once published; an organization's event
// to its members; an invite-only event to those with a ticket order or an
// RSVP. Drafts only to their host (hostsEvent).
func eventVisibleTo(ctx context.Context, idb bun.IDB, ev *db.Event, userID uuid.UUID) (bool, error) {
	if ev.Status == db.EventDraft {
		return false, nil
	}
	switch ev.Visibility {
	case "public":
		return true, nil
	case db.EventVisibilityOrganization:
		if ev.OrganizationID == nil {
			return false, nil
		}
		role, err := db.MemberRole(ctx, idb, *ev.OrganizationID, userID)
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return false, err
		}
		return role != "", nil
	default:
		rsvp, err := db.RsvpOf(ctx, idb, ev.ID, userID)
		return rsvp != "", err
	}
}

// refuseBanned answers PermissionDenied while a ban bars the caller from
// the group (or its event, or the platform).
func refuseBanned(ctx context.Context, idb bun.IDB, userID, eventID, groupID uuid.UUID, now time.Time) error {
	ban, err := db.ActiveBan(ctx, idb, userID, eventID, groupID, now)
	if err != nil || ban == nil {
		return err
	}
	until := "until lifted"
	if ban.ExpiresAt != nil {
		until = "until " + ban.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return connect.NewError(connect.CodePermissionDenied, fmt.Errorf("you are banned from this %s %s", ban.Scope, until))
}
