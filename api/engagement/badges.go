package engagement

import (
	"context"
	"errors"
	"slices"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/engagement"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
)

// badgeServer implements convene.engagement.v1.BadgeService.
type badgeServer struct{ Deps }

// badgeService mounts BadgeService.
func badgeService(d Deps) rpc.Service {
	return rpc.NewService(engagementv1connect.BadgeServiceName, engagementv1connect.BadgeServiceHandler(&badgeServer{Deps: d}),
		engagementv1connect.NewBadgeServiceHandler)
}

// CreateBadge defines a badge after checking its criteria suit its kind.
func (s *badgeServer) CreateBadge(ctx context.Context, req *connect.Request[engagementv1.CreateBadgeRequest]) (*connect.Response[engagementv1.CreateBadgeResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	b := &db.Badge{OrganizationID: uuid.MustParse(msg.GetOrganizationId()), Name: msg.GetName(),
		Description: msg.GetDescription(), IconURL: msg.GetIconUrl(), Kind: badgeKinds.Name(msg.GetKind()),
		Criteria: criteriaFromProto(msg.GetCriteria()), Category: msg.GetCategory(),
		Rarity: badgeRarities.Name(msg.GetRarity()), PointsValue: int(msg.GetPointsValue()), CreatedBy: &userID}
	if err := checkCriteria(b.Kind, b.Criteria); err != nil {
		return nil, err
	}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, b.OrganizationID, rpc.ManagerRoles); err != nil {
			return err
		}
		if err := saveBadge(ctx, tx, b); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &b.OrganizationID, "badge", b.ID.String(), "badge.create",
			map[string]any{"name": b.Name, "kind": b.Kind})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.CreateBadgeResponse{Badge: badgeToProto(b)}), nil
}

// UpdateBadge changes the fields the request sets on an active badge.
func (s *badgeServer) UpdateBadge(ctx context.Context, req *connect.Request[engagementv1.UpdateBadgeRequest]) (*connect.Response[engagementv1.UpdateBadgeResponse], error) {
	msg := req.Msg
	b, err := s.changeBadge(ctx, msg.GetBadgeId(), "badge.update", func(b *db.Badge) error {
		if b.ArchivedAt != nil {
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("badge is archived"))
		}
		applyBadgeUpdate(b, msg)
		if msg.GetCriteria() != nil {
			return checkCriteria(b.Kind, b.Criteria)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.UpdateBadgeResponse{Badge: badgeToProto(b)}), nil
}

// applyBadgeUpdate copies the request's set fields onto b.
func applyBadgeUpdate(b *db.Badge, msg *engagementv1.UpdateBadgeRequest) {
	if msg.Name != nil {
		b.Name = msg.GetName()
	}
	if msg.Description != nil {
		b.Description = msg.GetDescription()
	}
	if msg.IconUrl != nil {
		b.IconURL = msg.GetIconUrl()
	}
	if msg.GetCriteria() != nil {
		b.Criteria = criteriaFromProto(msg.GetCriteria())
	}
	if msg.Category != nil {
		b.Category = msg.GetCategory()
	}
	if msg.Rarity != nil {
		b.Rarity = badgeRarities.Name(msg.GetRarity())
	}
	if msg.PointsValue != nil {
		b.PointsValue = int(msg.GetPointsValue())
	}
}

// ArchiveBadge retires a badge; archiving it again changes nothing.
func (s *badgeServer) ArchiveBadge(ctx context.Context, req *connect.Request[engagementv1.ArchiveBadgeRequest]) (*connect.Response[engagementv1.ArchiveBadgeResponse], error) {
	b, err := s.changeBadge(ctx, req.Msg.GetBadgeId(), "badge.archive", func(b *db.Badge) error {
		if b.ArchivedAt == nil {
			now := s.Now()
			b.ArchivedAt = &now
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.ArchiveBadgeResponse{Badge: badgeToProto(b)}), nil
}

// changeBadge loads a badge for its organization's owners and admins,
// applies change and stores it with an audit row, in one transaction.
func (s *badgeServer) changeBadge(ctx context.Context, id, action string, change func(*db.Badge) error) (*db.Badge, error) {
	userID := rpc.CallerID(ctx)
	var b *db.Badge
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if b, err = s.badgeFor(ctx, tx, uuid.MustParse(id), rpc.ManagerRoles); err != nil {
			return err
		}
		if err := change(b); err != nil {
			return err
		}
		if err := saveBadge(ctx, tx, b); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, &b.OrganizationID, "badge", b.ID.String(), action, map[string]any{"name": b.Name})
	})
	return b, err
}

// badgeFor returns a badge the caller may act on with one of allowed: a
// badge of an organization the caller is not in is NotFound.
func (s *badgeServer) badgeFor(ctx context.Context, idb bun.IDB, id uuid.UUID, allowed []string) (*db.Badge, error) {
	orgID, err := db.BadgeOrganization(ctx, idb, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("badge not found"))
	}
	if err != nil {
		return nil, err
	}
	if _, err := rpc.OrgAccess(ctx, idb, orgID, rpc.AnyRole); err != nil {
		if code := connect.CodeOf(err); code == connect.CodePermissionDenied || code == connect.CodeNotFound {
			return nil, connect.NewError(connect.CodeNotFound, errors.New("badge not found"))
		}
		return nil, err
	}
	if !slices.Equal(allowed, rpc.AnyRole) {
		if _, err := rpc.OrgAccess(ctx, idb, orgID, allowed); err != nil {
			return nil, err
		}
	}
	return db.BadgeInOrg(ctx, idb, orgID, id)
}

// saveBadge stores b, a taken name as AlreadyExists naming the field.
func saveBadge(ctx context.Context, tx bun.Tx, b *db.Badge) error {
	err := db.SaveBadge(ctx, tx, b)
	if errors.Is(err, db.ErrBadgeNameTaken) {
		return connect.NewError(connect.CodeAlreadyExists, errors.New("name: an active badge of this organization has this name"))
	}
	return err
}

// ListBadges pages through an organization's badges, oldest first.
func (s *badgeServer) ListBadges(ctx context.Context, req *connect.Request[engagementv1.ListBadgesRequest]) (*connect.Response[engagementv1.ListBadgesResponse], error) {
	msg := req.Msg
	orgID := uuid.MustParse(msg.GetOrganizationId())
	page, err := rpc.TimePage("ListBadges", msg.GetPageToken(), msg.GetPageSize(), defaultPageSize)
	if err != nil {
		return nil, err
	}
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
		return nil, err
	}
	rows, err := db.BadgesPage(ctx, s.DB, orgID, msg.GetIncludeArchived(), page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(b *db.Badge) (time.Time, uuid.UUID) { return b.CreatedAt, b.ID })
	out := make([]*engagementv1.Badge, len(rows))
	for i := range rows {
		out[i] = badgeToProto(&rows[i])
	}
	return connect.NewResponse(&engagementv1.ListBadgesResponse{Badges: out, NextPageToken: next}), nil
}

// AwardBadge gives a badge to a member through the badge award
// transaction (engagement.Recorder.AwardBadge).
func (s *badgeServer) AwardBadge(ctx context.Context, req *connect.Request[engagementv1.AwardBadgeRequest]) (*connect.Response[engagementv1.AwardBadgeResponse], error) {
	msg, actorID := req.Msg, rpc.CallerID(ctx)
	userID := uuid.MustParse(msg.GetUserId())
	var held *db.HeldBadge
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		b, err := s.badgeFor(ctx, tx, uuid.MustParse(msg.GetBadgeId()), rpc.ManagerRoles)
		if err != nil {
			return err
		}
		if _, err := db.MemberRole(ctx, tx, b.OrganizationID, userID); errors.Is(err, db.ErrNotFound) {
			return rpc.InvalidField("user_id", errNotMember.Error())
		} else if err != nil {
			return err
		}
		awarded, err := s.recorder().AwardBadge(ctx, tx, engagement.BadgeGrant{OrganizationID: b.OrganizationID,
			BadgeID: b.ID, UserID: userID, AwardedBy: &actorID, Reason: msg.GetReason()})
		switch {
		case errors.Is(err, engagement.ErrBadgeArchived):
			return connect.NewError(connect.CodeFailedPrecondition, errors.New("badge is archived"))
		case err != nil:
			return err
		case !awarded:
			return connect.NewError(connect.CodeAlreadyExists, errors.New("the member already holds this badge"))
		}
		held, err = db.HeldBadgeOf(ctx, tx, b.ID, userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.AwardBadgeResponse{Award: memberBadgeToProto(held)}), nil
}

// ListMemberBadges lists the badges a member of the organization holds.
func (s *badgeServer) ListMemberBadges(ctx context.Context, req *connect.Request[engagementv1.ListMemberBadgesRequest]) (*connect.Response[engagementv1.ListMemberBadgesResponse], error) {
	msg := req.Msg
	orgID, userID := uuid.MustParse(msg.GetOrganizationId()), rpc.CallerID(ctx)
	if msg.UserId != nil {
		userID = uuid.MustParse(msg.GetUserId())
	}
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
		return nil, err
	}
	held, err := db.MemberBadges(ctx, s.DB, orgID, userID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.ListMemberBadgesResponse{Badges: memberBadgesToProto(held)}), nil
}
