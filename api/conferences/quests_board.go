package conferences

// Reads across runs: the reviewers' queue and the quest leaderboards,
// both from the database (the ledger is the one truth about points).

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
)

// reviewQueuePageSize is a review queue's page when the request has none.
const reviewQueuePageSize = 50

// leaderboardLimit is a leaderboard's length when the request has none.
const leaderboardLimit = 10

// ListReviewQueue pages through an organization's submissions in review,
// the earliest deadline first; owners, admins and approvers.
func (s *questServer) ListReviewQueue(ctx context.Context, req *connect.Request[conferencesv1.ListReviewQueueRequest]) (*connect.Response[conferencesv1.ListReviewQueueResponse], error) {
	m := req.Msg
	f := db.ReviewQueueFilter{OrganizationID: uuid.MustParse(m.GetOrganizationId()), QuestID: rpc.OptionalID(m.GetQuestId())}
	page, err := rpc.TimePage("ListReviewQueue", m.GetPageToken(), m.GetPageSize(), reviewQueuePageSize)
	if err != nil {
		return nil, err
	}
	if _, err := rpc.OrgAccess(ctx, s.DB, f.OrganizationID, reviewerRoles); err != nil {
		return nil, err
	}
	now := s.Now()
	if m.GetOverdueOnly() {
		f.OverdueBefore = &now
	}
	rows, err := db.ReviewQueuePage(ctx, s.DB, f, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(r *db.ReviewQueueItem) (time.Time, uuid.UUID) { return r.ReviewDueAt, r.ID })
	out := &conferencesv1.ListReviewQueueResponse{NextPageToken: next}
	for _, r := range rows {
		out.Items = append(out.Items, &conferencesv1.ReviewItem{QuestId: r.QuestID.String(), QuestTitle: r.QuestTitle,
			UserId: r.UserID.String(), UserName: r.UserName, TaskId: r.TaskID.String(), TaskTitle: r.TaskTitle,
			Kind: taskKinds.Value(r.Kind), Period: r.Period.Format(time.DateOnly), Submission: jsonStruct(r.Submission),
			SubmittedAt: timestamppb.New(r.SubmittedAt), ReviewDueAt: timestamppb.New(r.ReviewDueAt),
			Overdue: r.ReviewDueAt.Before(now), Attempts: int32(r.Attempts)})
	}
	return connect.NewResponse(out), nil
}

// GetLeaderboard ranks the members by a quest's or a conference's quest
// points, with the caller's own place.
func (s *questServer) GetLeaderboard(ctx context.Context, req *connect.Request[conferencesv1.GetLeaderboardRequest]) (*connect.Response[conferencesv1.GetLeaderboardResponse], error) {
	m := req.Msg
	scope, err := s.leaderboardScope(ctx, m)
	if err != nil {
		return nil, err
	}
	if m.GetWindow() == conferencesv1.QuestLeaderboardWindow_QUEST_LEADERBOARD_WINDOW_MONTH {
		now := s.Now().UTC()
		scope.Since = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	limit := int(m.GetLimit())
	if limit == 0 {
		limit = leaderboardLimit
	}
	top, own, err := db.QuestLeaderboard(ctx, s.DB, scope, limit, rpc.CallerID(ctx))
	if err != nil {
		return nil, err
	}
	out := &conferencesv1.GetLeaderboardResponse{MyRank: int32(own.Rank), MyPoints: own.Points}
	for _, r := range top {
		out.Entries = append(out.Entries, &conferencesv1.LeaderboardEntry{Rank: int32(r.Rank), UserId: r.UserID.String(),
			DisplayName: r.Name, Points: r.Points})
	}
	return connect.NewResponse(out), nil
}

// leaderboardScope is the quest or conference the request names, if the
// caller is a member of its organization (else NotFound).
func (s *questServer) leaderboardScope(ctx context.Context, m *conferencesv1.GetLeaderboardRequest) (db.LeaderboardScope, error) {
	if id := m.GetQuestId(); id != "" {
		q, _, err := s.questForRead(ctx, uuid.MustParse(id))
		if err != nil {
			return db.LeaderboardScope{}, err
		}
		return db.LeaderboardScope{OrganizationID: q.OrganizationID, QuestID: &q.ID}, nil
	}
	hidden := connect.NewError(connect.CodeNotFound, errors.New("conference not found"))
	c, err := db.QuestConferenceByID(ctx, s.DB, uuid.MustParse(m.GetConferenceId()))
	if errors.Is(err, db.ErrNotFound) {
		return db.LeaderboardScope{}, hidden
	}
	if err != nil {
		return db.LeaderboardScope{}, err
	}
	if _, err := rpc.OrgAccess(ctx, s.DB, c.OrganizationID, rpc.AnyRole); err != nil {
		return db.LeaderboardScope{}, hidden
	}
	return db.LeaderboardScope{OrganizationID: c.OrganizationID, ConferenceID: &c.ID}, nil
}
