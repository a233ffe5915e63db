package identity

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
	"github.com/convene/convene/internal/auth"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

// userServer implements convene.identity.v1.UserService for the caller's own account.
type userServer struct{ Deps }

// GetMe returns the caller's user, profile and interests.
func (s *userServer) GetMe(ctx context.Context, _ *connect.Request[identityv1.GetMeRequest]) (*connect.Response[identityv1.GetMeResponse], error) {
	me, err := loadUser(ctx, s.DB, rpc.CallerID(ctx))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&identityv1.GetMeResponse{User: me}), nil
}

// UpdateProfile changes only the fields present in the request.
func (s *userServer) UpdateProfile(ctx context.Context, req *connect.Request[identityv1.UpdateProfileRequest]) (*connect.Response[identityv1.UpdateProfileResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	birth, err := parseBirthDate(msg, s.Now())
	if err != nil {
		return nil, err
	}
	if msg.Email != nil && msg.GetEmail() != "" {
		return nil, rpc.InvalidField("email", "only \"\" (remove the email) is accepted here; set a new address with RequestEmailVerification and confirm it with VerifyEmail")
	}
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := db.ProfileByUserID(ctx, tx, userID)
		if err != nil {
			return err
		}
		changed := applyProfile(p, msg, birth)
		if len(changed) > 0 {
			if err := db.UpdateProfile(ctx, tx, p); err != nil {
				return err
			}
		}
		if msg.SetInterests {
			if err := setInterests(ctx, tx, p.ID, msg.GetInterestSlugs()); err != nil {
				return err
			}
			changed = append(changed, "interests")
		}
		if msg.Email != nil {
			if err := db.ClearUserEmail(ctx, tx, userID); err != nil {
				return err
			}
			changed = append(changed, "email")
		}
		if len(changed) == 0 {
			return nil // an update that sets nothing changes nothing
		}
		return rpc.Audit(ctx, tx, &userID, nil, "user_profile", p.ID.String(), "update", map[string]any{"fields": changed})
	})
	if err != nil {
		return nil, err
	}
	me, err := loadUser(ctx, s.DB, userID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&identityv1.UpdateProfileResponse{User: me}), nil
}

// ListInterests returns the interest catalogue.
func (s *userServer) ListInterests(ctx context.Context, _ *connect.Request[identityv1.ListInterestsRequest]) (*connect.Response[identityv1.ListInterestsResponse], error) {
	interests, err := db.ListInterests(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&identityv1.ListInterestsResponse{Interests: interestsToProto(interests)}), nil
}

func parseBirthDate(msg *identityv1.UpdateProfileRequest, now time.Time) (*time.Time, error) {
	if msg.BirthDate == nil {
		return nil, nil
	}
	d, err := time.Parse(time.DateOnly, msg.GetBirthDate())
	if err != nil {
		return nil, rpc.InvalidField("birth_date", fmt.Sprintf("%q is not a calendar date (YYYY-MM-DD)", msg.GetBirthDate()))
	}
	if !d.Before(now) {
		return nil, rpc.InvalidField("birth_date", "must be in the past")
	}
	return &d, nil
}

// applyProfile copies the present fields onto p and names them.
func applyProfile(p *db.Profile, msg *identityv1.UpdateProfileRequest, birth *time.Time) []string {
	var changed []string
	set := func(name string, present bool, apply func()) {
		if present {
			apply()
			changed = append(changed, name)
		}
	}
	set("name", msg.Name != nil, func() { p.Name = msg.GetName() })
	set("bio", msg.Bio != nil, func() { p.Bio = msg.GetBio() })
	set("location", msg.Location != nil, func() { p.Location = msg.GetLocation() })
	set("birth_date", birth != nil, func() { p.BirthDate = birth })
	set("gender", msg.Gender != nil, func() { g := msg.GetGender(); p.Gender = &g })
	set("profile_pictures", msg.SetProfilePictures, func() { p.ProfilePictures = append([]string{}, msg.GetProfilePictures()...) })
	return changed
}

// setInterests replaces a profile's interests by the given slugs.
func setInterests(ctx context.Context, tx bun.Tx, profileID uuid.UUID, slugs []string) error {
	ids, _, err := rpc.InterestIDs(ctx, tx, "interest_slugs", slugs)
	if err != nil {
		return err
	}
	return db.ReplaceProfileInterests(ctx, tx, profileID, ids)
}

// loadUser assembles the User message of userID.
func loadUser(ctx context.Context, idb bun.IDB, userID uuid.UUID) (*identityv1.User, error) {
	u, err := db.UserByID(ctx, idb, userID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("the account of this token no longer exists"))
	}
	if err != nil {
		return nil, err
	}
	p, err := db.ProfileByUserID(ctx, idb, userID)
	if err != nil {
		return nil, err
	}
	interests, err := db.ProfileInterests(ctx, idb, p.ID)
	if err != nil {
		return nil, err
	}
	pending, err := db.PendingEmail(ctx, idb, userID, auth.EmailCodeMaxAttempts)
	if err != nil {
		return nil, err
	}
	return userToProto(u, p, interests, pending), nil
}
