package engagement

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
	"github.com/convene/convene/db/enums"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
)

// ListLedger pages through the caller's ledger or, for owners and admins,
// another member's.
func (s *pointsServer) ListLedger(ctx context.Context, req *connect.Request[engagementv1.ListLedgerRequest]) (*connect.Response[engagementv1.ListLedgerResponse], error) {
	msg, callerID := req.Msg, rpc.CallerID(ctx)
	orgID, userID := uuid.MustParse(msg.GetOrganizationId()), callerID
	page, err := rpc.TimePage("ListLedger", msg.GetPageToken(), msg.GetPageSize(), defaultPageSize)
	if err != nil {
		return nil, err
	}
	roles := rpc.AnyRole
	if msg.UserId != nil && uuid.MustParse(msg.GetUserId()) != callerID {
		userID, roles = uuid.MustParse(msg.GetUserId()), rpc.ManagerRoles
	}
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, roles); err != nil {
		return nil, err
	}
	rows, err := db.LedgerPage(ctx, s.DB, orgID, userID, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(e *db.LedgerEntry) (time.Time, uuid.UUID) { return e.CreatedAt, e.ID })
	return connect.NewResponse(&engagementv1.ListLedgerResponse{Entries: ledgerToProto(rows), NextPageToken: next}), nil
}

// AdjustPoints records a manual ledger entry with its audit row and the
// points.adjusted domain event, in one transaction.
func (s *pointsServer) AdjustPoints(ctx context.Context, req *connect.Request[engagementv1.AdjustPointsRequest]) (*connect.Response[engagementv1.AdjustPointsResponse], error) {
	msg, actorID := req.Msg, rpc.CallerID(ctx)
	orgID := uuid.MustParse(msg.GetOrganizationId())
	entry := db.LedgerEntry{ID: db.NewID(), OrganizationID: orgID, UserID: uuid.MustParse(msg.GetUserId()),
		Amount: msg.GetAmount(), Type: enums.LedgerManual, Reason: msg.GetReason(), ActorUserID: &actorID}
	entry.IdempotencyKey = "adjust:" + orgID.String() + ":" + entry.ID.String()
	if msg.IdempotencyKey != nil {
		entry.IdempotencyKey = "adjust:" + orgID.String() + ":" + msg.GetIdempotencyKey()
	}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, orgID, rpc.ManagerRoles); err != nil {
			return err
		}
		if _, err := db.MemberRole(ctx, tx, orgID, entry.UserID); errors.Is(err, db.ErrNotFound) {
			return rpc.InvalidField("user_id", errNotMember.Error())
		} else if err != nil {
			return err
		}
		return s.recordAdjustment(ctx, tx, &entry)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.AdjustPointsResponse{Entry: ledgerEntryToProto(&entry)}), nil
}

// recordAdjustment appends the entry (a repeated key yields the first
// entry, changing nothing), then the audit row and the domain event.
func (s *pointsServer) recordAdjustment(ctx context.Context, tx bun.Tx, e *db.LedgerEntry) error {
	balance, err := db.PointsLedger{}.Award(ctx, tx, *e)
	switch {
	case errors.Is(err, db.ErrNegativeBalance):
		return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("amount: the member's total would go below zero"))
	case errors.Is(err, db.ErrAlreadyRecorded):
		return s.priorAdjustment(ctx, tx, e)
	case err != nil:
		return err
	}
	stored, err := db.LedgerEntryByKey(ctx, tx, e.IdempotencyKey)
	if err != nil {
		return err
	}
	*e = *stored
	payload := map[string]any{"amount": e.Amount, "balance_after": balance, "reason": e.Reason}
	if err := rpc.Audit(ctx, tx, e.ActorUserID, &e.OrganizationID, "points", e.ID.String(), "points.adjust",
		map[string]any{"user_id": e.UserID.String(), "amount": e.Amount, "reason": e.Reason}); err != nil {
		return err
	}
	return s.recorder().Emit(ctx, tx, &db.DomainEvent{OrganizationID: e.OrganizationID, Type: enums.EventPointsAdjusted,
		SubjectUserID: &e.UserID, Payload: payload})
}

// priorAdjustment answers a retried AdjustPoints with its first entry; a
// key reused for another member or amount is refused.
func (s *pointsServer) priorAdjustment(ctx context.Context, tx bun.Tx, e *db.LedgerEntry) error {
	prior, err := db.LedgerEntryByKey(ctx, tx, e.IdempotencyKey)
	if err != nil {
		return err
	}
	if prior.UserID != e.UserID || prior.Amount != e.Amount || prior.Type != enums.LedgerManual {
		return rpc.InvalidField("idempotency_key", "already used for a different adjustment")
	}
	*e = *prior
	return nil
}

// ExportMemberData gathers the caller's engagement data in the
// organization, read in one transaction so the parts agree.
func (s *pointsServer) ExportMemberData(ctx context.Context, req *connect.Request[engagementv1.ExportMemberDataRequest]) (*connect.Response[engagementv1.ExportMemberDataResponse], error) {
	orgID, userID := uuid.MustParse(req.Msg.GetOrganizationId()), rpc.CallerID(ctx)
	resp := &engagementv1.ExportMemberDataResponse{}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, orgID, rpc.AnyRole); err != nil {
			return err
		}
		profile, err := db.MemberProfileOf(ctx, tx, orgID, userID)
		if err != nil {
			return err
		}
		resp.Profile = &engagementv1.ExportedMemberProfile{Title: profile.Title, Location: profile.Location,
			Skills: profile.Skills, Interests: profile.Interests, LeaderboardVisible: profile.LeaderboardVisible}
		if resp.Points, err = s.memberPoints(ctx, tx, orgID, userID); err != nil {
			return err
		}
		ledger, err := db.LedgerPage(ctx, tx, orgID, userID, time.Time{}, uuid.Nil, 0)
		if err != nil {
			return err
		}
		resp.Ledger = ledgerToProto(ledger)
		badges, err := db.MemberBadges(ctx, tx, orgID, userID)
		resp.Badges = memberBadgesToProto(badges)
		return err
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(resp), nil
}
