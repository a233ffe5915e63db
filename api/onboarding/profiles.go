package onboarding

// Buddy profiles: what the matcher reads about a member.

import (
	"context"
	"errors"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	onboardingv1 "github.com/convene/convene/proto/convene/onboarding/v1"
)

// SetBuddyProfile sets a member's buddy availability, office, skills and
// interests: their own, or anyone's for HR.
func (s *server) SetBuddyProfile(ctx context.Context, req *connect.Request[onboardingv1.SetBuddyProfileRequest]) (*connect.Response[onboardingv1.SetBuddyProfileResponse], error) {
	m := req.Msg
	p := &db.MemberProfile{OrganizationID: uuid.MustParse(m.GetOrganizationId()), UserID: uuid.MustParse(m.GetUserId()),
		BuddyAvailable: m.GetBuddyAvailable(), OfficeID: rpc.OptionalID(m.GetOfficeId()), Skills: m.GetSkills(), Interests: m.GetInterests()}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		callerID := rpc.CallerID(ctx)
		if err := profileAccess(ctx, tx, p.OrganizationID, p.UserID); err != nil {
			return err
		}
		if p.OfficeID != nil {
			if _, err := db.OfficeInOrg(ctx, tx, p.OrganizationID, *p.OfficeID); errors.Is(err, db.ErrNotFound) {
				return connect.NewError(connect.CodeNotFound, errors.New("office_id: office not found"))
			} else if err != nil {
				return err
			}
		}
		if err := db.SaveBuddyProfile(ctx, tx, p); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &p.OrganizationID, "member_profile", p.UserID.String(), "buddy_profile.set",
			map[string]any{"buddy_available": p.BuddyAvailable, "office_id": rpc.IDString(p.OfficeID),
				"skills": p.Skills, "interests": p.Interests})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.SetBuddyProfileResponse{Profile: &onboardingv1.BuddyProfile{UserId: p.UserID.String(),
		BuddyAvailable: p.BuddyAvailable, OfficeId: rpc.IDString(p.OfficeID), Skills: p.Skills, Interests: p.Interests}}), nil
}

// profileAccess lets members change their own profile and HR anyone's who
// is a member.
func profileAccess(ctx context.Context, idb bun.IDB, orgID, userID uuid.UUID) error {
	if rpc.CallerID(ctx) == userID {
		_, err := rpc.OrgAccess(ctx, idb, orgID, rpc.AnyRole)
		return err
	}
	if _, err := hrAccess(ctx, idb, orgID); err != nil {
		return err
	}
	if _, err := db.MemberRole(ctx, idb, orgID, userID); errors.Is(err, db.ErrNotFound) {
		return connect.NewError(connect.CodeNotFound, errors.New("user_id: not a member of this organization"))
	} else if err != nil {
		return err
	}
	return nil
}
