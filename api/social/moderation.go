package social

// ModerationService: bans (this file) and reports (moderation_reports.go).

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
	"github.com/convene/convene/proto/convene/social/v1/socialv1connect"
)

// moderationPageSize is a ban or report list's page when the request has
// none.
const moderationPageSize = 50

// moderationServer implements convene.social.v1.ModerationService.
type moderationServer struct {
	Deps
	socialv1connect.UnimplementedModerationServiceHandler
}

// moderationService mounts ModerationService.
func moderationService(d Deps) rpc.Service {
	return rpc.NewService[socialv1connect.ModerationServiceHandler](socialv1connect.ModerationServiceName, &moderationServer{Deps: d},
		socialv1connect.NewModerationServiceHandler)
}

// banScopes maps the API's ban scopes to enums.BanScope*.
var banScopes = rpc.NewEnum(map[socialv1.BanScope]string{
	socialv1.BanScope_BAN_SCOPE_PLATFORM: enums.BanScopePlatform,
	socialv1.BanScope_BAN_SCOPE_EVENT:    enums.BanScopeEvent,
	socialv1.BanScope_BAN_SCOPE_GROUP:    enums.BanScopeGroup,
})

// banPlace is where a ban applies, once the caller may ban there.
type banPlace struct {
	Scope   string
	EventID *uuid.UUID
	GroupID *uuid.UUID
	// Org is the organization of the place's event, for the audit row.
	Org *uuid.UUID
}

// authorizeBanPlace checks that the caller may ban in the place: staff on
// the platform; the host, the event's organization admins and staff at an
// event; the group's moderators in a group. A place the caller may not
// see is NotFound.
func authorizeBanPlace(ctx context.Context, idb bun.IDB, scope, target string) (banPlace, error) {
	p := banPlace{Scope: scope}
	if scope == enums.BanScopePlatform {
		if target != "" {
			return p, rpc.InvalidField("target_id", "a platform ban has no target; leave it empty")
		}
		staff, err := isStaff(ctx, idb, rpc.CallerID(ctx))
		if err != nil {
			return p, err
		}
		if !staff {
			return p, rpc.DeniedField("scope", "only platform staff ban from the whole platform")
		}
		return p, nil
	}
	if target == "" {
		return p, rpc.InvalidField("target_id", "name the "+scope+" of the ban")
	}
	id := uuid.MustParse(target)
	if scope == enums.BanScopeEvent {
		ea, err := loadEventAccess(ctx, idb, id)
		if err != nil {
			return p, err
		}
		if !ea.Host && !ea.Staff {
			return p, rpc.DeniedField("target_id", "only the event's host, its organization's admins and staff ban from an event")
		}
		p.EventID, p.Org = &id, ea.Event.OrganizationID
		return p, nil
	}
	ga, err := loadGroupAccess(ctx, idb, id)
	if err != nil {
		return p, err
	}
	if !ga.CanModerate() {
		return p, rpc.DeniedField("target_id", "only the group's admins, the event's host and staff ban from a group")
	}
	p.GroupID, p.Org = &id, ga.Event.OrganizationID
	return p, nil
}

// BanUser bans a user in a place, drops their memberships there (their
// chat streams end with "removed") and withdraws their pending join
// requests and invites there, in one transaction with its audit row.
func (s *moderationServer) BanUser(ctx context.Context, req *connect.Request[socialv1.BanUserRequest]) (*connect.Response[socialv1.BanUserResponse], error) {
	m, callerID, now := req.Msg, rpc.CallerID(ctx), s.Now()
	userID := uuid.MustParse(m.GetUserId())
	if userID == callerID {
		return nil, rpc.InvalidField("user_id", "you cannot ban yourself")
	}
	if m.ExpiresAt != nil && !m.GetExpiresAt().AsTime().After(now) {
		return nil, rpc.InvalidField("expires_at", "must be in the future; leave it unset for a ban until lifted")
	}
	ban := &db.UserBan{UserID: userID, Scope: banScopes.Name(m.GetScope()), Reason: m.GetReason(), BannedBy: &callerID}
	if m.ExpiresAt != nil {
		t := m.GetExpiresAt().AsTime()
		ban.ExpiresAt = &t
	}
	var removed []uuid.UUID
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		place, err := authorizeBanPlace(ctx, tx, ban.Scope, m.GetTargetId())
		if err != nil {
			return err
		}
		if _, err := db.UserByID(ctx, tx, userID); errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeNotFound, errors.New("user_id: user not found"))
		} else if err != nil {
			return err
		}
		ban.EventID, ban.GroupID = place.EventID, place.GroupID
		if err := db.InsertBan(ctx, tx, ban, now); errors.Is(err, db.ErrBanExists) {
			return connect.NewError(connect.CodeAlreadyExists, err)
		} else if err != nil {
			return err
		}
		if removed, err = dropMemberships(ctx, tx, ban); err != nil {
			return err
		}
		if err := db.WithdrawPendingInScope(ctx, tx, userID, ban.Scope, ban.EventID, ban.GroupID, now); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, place.Org, "user_ban", ban.ID.String(), "create", map[string]any{
			"user_id": userID.String(), "scope": ban.Scope, "target_id": m.GetTargetId(), "removed_from": len(removed)})
	})
	if err != nil {
		return nil, err
	}
	out := &socialv1.BanUserResponse{Ban: banToProto(ban)}
	for _, id := range removed {
		out.RemovedFromGroupIds = append(out.RemovedFromGroupIds, id.String())
	}
	return connect.NewResponse(out), nil
}

// dropMemberships removes the banned user from every group in the ban's
// place; RemoveGroupMember wakes the chat hubs, which end their streams.
func dropMemberships(ctx context.Context, tx bun.Tx, ban *db.UserBan) ([]uuid.UUID, error) {
	groups, err := db.MemberGroupsInScope(ctx, tx, ban.UserID, ban.Scope, ban.EventID, ban.GroupID)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if _, err := db.RemoveGroupMember(ctx, tx, g, ban.UserID); err != nil {
			return nil, err
		}
	}
	return groups, nil
}

// UnbanUser lifts a ban; whoever may ban in its place may lift it.
func (s *moderationServer) UnbanUser(ctx context.Context, req *connect.Request[socialv1.UnbanUserRequest]) (*connect.Response[socialv1.UnbanUserResponse], error) {
	banID, callerID := uuid.MustParse(req.Msg.GetBanId()), rpc.CallerID(ctx)
	var ban *db.UserBan
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if ban, err = db.BanByID(ctx, tx, banID); errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeNotFound, errors.New("ban not found"))
		} else if err != nil {
			return err
		}
		place, err := authorizeBanPlace(ctx, tx, ban.Scope, banTarget(ban))
		if code := connect.CodeOf(err); code == connect.CodeNotFound {
			return connect.NewError(connect.CodeNotFound, errors.New("ban not found"))
		} else if err != nil {
			return err
		}
		if err := db.LiftBan(ctx, tx, ban, callerID, s.Now()); errors.Is(err, db.ErrBanLifted) {
			return connect.NewError(connect.CodeFailedPrecondition, err)
		} else if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, place.Org, "user_ban", ban.ID.String(), "lift",
			map[string]any{"user_id": ban.UserID.String(), "scope": ban.Scope})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.UnbanUserResponse{Ban: banToProto(ban)}), nil
}

// ListBans pages through the bans that bar now in one place.
func (s *moderationServer) ListBans(ctx context.Context, req *connect.Request[socialv1.ListBansRequest]) (*connect.Response[socialv1.ListBansResponse], error) {
	m := req.Msg
	page, err := rpc.TimePage("ListBans", m.GetPageToken(), m.GetPageSize(), moderationPageSize)
	if err != nil {
		return nil, err
	}
	place, err := authorizeBanPlace(ctx, s.DB, banScopes.Name(m.GetScope()), m.GetTargetId())
	if err != nil {
		return nil, err
	}
	rows, err := db.OpenBansPage(ctx, s.DB, place.Scope, place.EventID, place.GroupID, s.Now(), page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(b *db.UserBan) (time.Time, uuid.UUID) { return b.CreatedAt, b.ID })
	out := &socialv1.ListBansResponse{NextPageToken: next}
	for i := range rows {
		out.Bans = append(out.Bans, banToProto(&rows[i]))
	}
	return connect.NewResponse(out), nil
}

// banTarget is the ID of the ban's event or group, "" on the platform.
func banTarget(b *db.UserBan) string {
	if b.EventID != nil {
		return b.EventID.String()
	}
	return rpc.IDString(b.GroupID)
}

func banToProto(b *db.UserBan) *socialv1.Ban {
	out := &socialv1.Ban{Id: b.ID.String(), UserId: b.UserID.String(), Scope: banScopes.Value(b.Scope), TargetId: banTarget(b),
		Reason: b.Reason, BannedBy: rpc.IDString(b.BannedBy), CreatedAt: timestamppb.New(b.CreatedAt)}
	if b.ExpiresAt != nil {
		out.ExpiresAt = timestamppb.New(*b.ExpiresAt)
	}
	if b.LiftedAt != nil {
		out.LiftedAt = timestamppb.New(*b.LiftedAt)
	}
	return out
}

// errNotReportModerator refuses a report action to who does not moderate its
// place.
func errNotReportModerator(what string) error {
	return connect.NewError(connect.CodePermissionDenied, fmt.Errorf("only the moderators of %s and staff handle its reports", what))
}
