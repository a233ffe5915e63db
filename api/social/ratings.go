package social

// RatingService: ratings between co-attendees of an ended event and the
// reputation they make.

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/jobs"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
	"github.com/convene/convene/proto/convene/social/v1/socialv1connect"
)

// peopleToRateLimit bounds ListPeopleToRate: an event's co-attendees.
const peopleToRateLimit = 500

// ratingsServer implements convene.social.v1.RatingService.
type ratingsServer struct {
	Deps
	socialv1connect.UnimplementedRatingServiceHandler
}

// ratingsService mounts RatingService.
func ratingsService(d Deps) rpc.Service {
	return rpc.NewService[socialv1connect.RatingServiceHandler](socialv1connect.RatingServiceName, &ratingsServer{Deps: d},
		socialv1connect.NewRatingServiceHandler)
}

// RateUser rates a co-attendee of an ended event with one conditional
// insert; the reputation, the audit row and the rated user's notice are
// in its transaction.
func (s *ratingsServer) RateUser(ctx context.Context, req *connect.Request[socialv1.RateUserRequest]) (*connect.Response[socialv1.RateUserResponse], error) {
	m, callerID := req.Msg, rpc.CallerID(ctx)
	r := &db.Rating{EventID: uuid.MustParse(m.GetEventId()), RatedUserID: uuid.MustParse(m.GetRatedUserId()), RaterUserID: callerID,
		Rating: m.GetRating(), Comment: m.GetComment()}
	if r.RatedUserID == callerID {
		return nil, rpc.InvalidField("rated_user_id", "you cannot rate yourself")
	}
	var rep *db.Reputation
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ea, err := loadEventAccess(ctx, tx, r.EventID)
		if err != nil {
			return err
		}
		if rep, err = db.InsertRating(ctx, tx, r, s.Now()); err != nil {
			return ratingRefusal(err)
		}
		if err := rpc.Audit(ctx, tx, &callerID, ea.Event.OrganizationID, "rating", r.ID.String(), "create",
			map[string]any{"event_id": r.EventID.String(), "rated_user_id": r.RatedUserID.String(), "rating": r.Rating}); err != nil {
			return err
		}
		return s.noticeRated(ctx, tx, ea.Event, r)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.RateUserResponse{Rating: ratingToProto(r), Reputation: reputationToProto(rep)}), nil
}

// ratingRefusal maps why a rating was not written to its Connect code.
func ratingRefusal(err error) error {
	switch {
	case errors.Is(err, db.ErrAlreadyRated):
		return connect.NewError(connect.CodeAlreadyExists, err)
	case errors.Is(err, db.ErrNotCoAttendees):
		return connect.NewError(connect.CodePermissionDenied, err)
	case errors.Is(err, db.ErrEventNotEnded):
		return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("%w: rate the people you met once it is over", err))
	}
	return err
}

// noticeRated tells the rated user, without naming the rater.
func (s *ratingsServer) noticeRated(ctx context.Context, tx bun.Tx, ev *db.Event, r *db.Rating) error {
	notices := jobs.Notices{River: s.River}
	return notices.Send(ctx, tx, jobs.Notice{Key: "rating/" + r.ID.String(), To: r.RatedUserID, Category: db.CategoryEventUpdates,
		Title: "You received a rating", Body: fmt.Sprintf("Someone you met at %s rated you %d of 5.", ev.Title, r.Rating),
		OrganizationID: ev.OrganizationID, ReferenceType: "event", ReferenceID: ev.ID.String()})
}

// ListPeopleToRate lists the co-attendees the caller has not rated, once
// the event has ended and only to an attendee.
func (s *ratingsServer) ListPeopleToRate(ctx context.Context, req *connect.Request[socialv1.ListPeopleToRateRequest]) (*connect.Response[socialv1.ListPeopleToRateResponse], error) {
	eventID, callerID := uuid.MustParse(req.Msg.GetEventId()), rpc.CallerID(ctx)
	ea, err := loadEventAccess(ctx, s.DB, eventID)
	if err != nil {
		return nil, err
	}
	out := &socialv1.ListPeopleToRateResponse{}
	if s.Now().Before(ea.Event.EndsAt) {
		return connect.NewResponse(out), nil
	}
	attended, err := db.IsLiveAttendee(ctx, s.DB, eventID, callerID)
	if err != nil {
		return nil, err
	}
	if !attended {
		return nil, connect.NewError(connect.CodePermissionDenied, errors.New("event_id: you did not attend this event"))
	}
	people, err := db.PeopleToRate(ctx, s.DB, eventID, callerID, peopleToRateLimit)
	if err != nil {
		return nil, err
	}
	for _, p := range people {
		out.People = append(out.People, &socialv1.PersonToRate{UserId: p.UserID.String(), DisplayName: p.DisplayName})
	}
	return connect.NewResponse(out), nil
}

// GetReputation answers any signed-in user: reputations are public.
func (s *ratingsServer) GetReputation(ctx context.Context, req *connect.Request[socialv1.GetReputationRequest]) (*connect.Response[socialv1.GetReputationResponse], error) {
	rep, err := db.ReputationOf(ctx, s.DB, uuid.MustParse(req.Msg.GetUserId()))
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("user not found"))
	}
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&socialv1.GetReputationResponse{Reputation: reputationToProto(rep)}), nil
}

func ratingToProto(r *db.Rating) *socialv1.Rating {
	return &socialv1.Rating{Id: r.ID.String(), EventId: r.EventID.String(), RatedUserId: r.RatedUserID.String(),
		RaterUserId: r.RaterUserID.String(), Rating: r.Rating, Comment: r.Comment, CreatedAt: timestamppb.New(r.CreatedAt)}
}

func reputationToProto(r *db.Reputation) *socialv1.Reputation {
	return &socialv1.Reputation{UserId: r.UserID.String(), Average: r.Reputation, Count: int32(r.RatingCount)}
}
