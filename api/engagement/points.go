package engagement

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
)

// defaultPageSize is the page size of the engagement lists when the
// request has none.
const defaultPageSize = 50

// pointsServer implements convene.engagement.v1.PointsService.
type pointsServer struct{ Deps }

// pointsService mounts PointsService.
func pointsService(d Deps) rpc.Service {
	return rpc.NewService(engagementv1connect.PointsServiceName, engagementv1connect.PointsServiceHandler(&pointsServer{Deps: d}),
		engagementv1connect.NewPointsServiceHandler)
}

// orgClock is "now" in an organization's engagement zone.
type orgClock struct {
	today time.Time
}

// month is the first day of today's month, the month_key of this month.
func (c orgClock) month() time.Time {
	return time.Date(c.today.Year(), c.today.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// clockOf reads the organization's zone (UTC if unknown to this host).
func (s *pointsServer) clockOf(ctx context.Context, idb bun.IDB, orgID uuid.UUID) (orgClock, error) {
	zone, err := db.EngagementTimeZone(ctx, idb, orgID)
	if err != nil {
		return orgClock{}, err
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	now := s.Now().In(loc)
	return orgClock{today: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)}, nil
}

// GetMyPoints returns the caller's points, this month's as of the
// organization's zone and a streak that is still running.
func (s *pointsServer) GetMyPoints(ctx context.Context, req *connect.Request[engagementv1.GetMyPointsRequest]) (*connect.Response[engagementv1.GetMyPointsResponse], error) {
	orgID, userID := uuid.MustParse(req.Msg.GetOrganizationId()), rpc.CallerID(ctx)
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
		return nil, err
	}
	out, err := s.memberPoints(ctx, s.DB, orgID, userID)
	if err != nil {
		return nil, err
	}
	if req.Msg.GetIncludeRank() {
		rank, err := db.RankOf(ctx, s.DB, db.Leaderboard{OrganizationID: orgID}, out.GetTotalPoints(), userID)
		if err != nil {
			return nil, err
		}
		out.Rank = &rank
	}
	return connect.NewResponse(&engagementv1.GetMyPointsResponse{Points: out}), nil
}

// memberPoints reads a member's aggregates as they stand today.
func (s *pointsServer) memberPoints(ctx context.Context, idb bun.IDB, orgID, userID uuid.UUID) (*engagementv1.MemberPoints, error) {
	up, err := db.UserPointsOf(ctx, idb, orgID, userID)
	if err != nil {
		return nil, err
	}
	clock, err := s.clockOf(ctx, idb, orgID)
	if err != nil {
		return nil, err
	}
	return memberPointsToProto(up, clock), nil
}

// GetLeaderboard pages through one leaderboard. The page token carries
// the last row's points and rank, so a deep page is one index range scan.
func (s *pointsServer) GetLeaderboard(ctx context.Context, req *connect.Request[engagementv1.GetLeaderboardRequest]) (*connect.Response[engagementv1.GetLeaderboardResponse], error) {
	msg := req.Msg
	page, err := rpc.NamePage("GetLeaderboard", msg.GetPageToken(), msg.GetPageSize(), defaultPageSize)
	if err != nil {
		return nil, err
	}
	after, err := parseLeaderboardKey(page.LastKey, page.LastID)
	if err != nil {
		return nil, err
	}
	board, err := s.leaderboard(ctx, msg.GetOrganizationId(), msg.GetWindow(), msg.TeamId)
	if err != nil {
		return nil, err
	}
	rows, err := db.LeaderboardPage(ctx, s.DB, board, after.points, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	entries, err := leaderboardEntries(ctx, s.DB, rows, after.rank)
	if err != nil {
		return nil, err
	}
	resp := &engagementv1.GetLeaderboardResponse{}
	resp.Entries, resp.NextPageToken = rpc.NextPage(page, entries, func(e **engagementv1.LeaderboardEntry) (string, uuid.UUID) {
		return leaderboardKey{points: (*e).GetPoints(), rank: (*e).GetRank()}.String(), uuid.MustParse((*e).GetUserId())
	})
	return connect.NewResponse(resp), nil
}

// leaderboard checks the caller may see the organization's boards and
// describes the one asked for.
func (s *pointsServer) leaderboard(ctx context.Context, org string, window engagementv1.LeaderboardWindow, team *string) (db.Leaderboard, error) {
	orgID := uuid.MustParse(org)
	if window == engagementv1.LeaderboardWindow_LEADERBOARD_WINDOW_THIS_MONTH && team != nil {
		return db.Leaderboard{}, rpc.InvalidField("team_id", "team leaderboards are all-time; leave team_id unset for this month's")
	}
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
		return db.Leaderboard{}, err
	}
	board := db.Leaderboard{OrganizationID: orgID, TeamID: rpc.OptionalID(rpc.Deref(team))}
	if window == engagementv1.LeaderboardWindow_LEADERBOARD_WINDOW_THIS_MONTH {
		clock, err := s.clockOf(ctx, s.DB, orgID)
		if err != nil {
			return db.Leaderboard{}, err
		}
		month := clock.month()
		board.Month = &month
	}
	return board, nil
}

// leaderboardEntries numbers rows from after the previous page's last
// rank and adds the members' display names.
func leaderboardEntries(ctx context.Context, idb bun.IDB, rows []db.LeaderboardRow, lastRank int64) ([]*engagementv1.LeaderboardEntry, error) {
	ids := make([]uuid.UUID, len(rows))
	for i := range rows {
		ids[i] = rows[i].UserID
	}
	names, err := db.DisplayNames(ctx, idb, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*engagementv1.LeaderboardEntry, len(rows))
	for i, r := range rows {
		out[i] = &engagementv1.LeaderboardEntry{Rank: lastRank + int64(i) + 1, UserId: r.UserID.String(),
			DisplayName: names[r.UserID], Points: r.Points, Tier: pointsTiers.Value(r.Tier)}
	}
	return out, nil
}

// leaderboardKey is what a leaderboard page token holds besides the last
// member's ID: their points and rank.
type leaderboardKey struct {
	points, rank int64
}

func (k leaderboardKey) String() string { return fmt.Sprintf("%d:%d", k.points, k.rank) }

// parseLeaderboardKey reads a page token's key; the zero key on the first
// page.
func parseLeaderboardKey(raw string, lastID uuid.UUID) (leaderboardKey, error) {
	if lastID == uuid.Nil {
		return leaderboardKey{}, nil
	}
	bad := rpc.InvalidField("page_token", "not a token returned by GetLeaderboard")
	p, r, ok := strings.Cut(raw, ":")
	if !ok {
		return leaderboardKey{}, bad
	}
	points, err1 := strconv.ParseInt(p, 10, 64)
	rank, err2 := strconv.ParseInt(r, 10, 64)
	if err1 != nil || err2 != nil || rank < 1 {
		return leaderboardKey{}, bad
	}
	return leaderboardKey{points: points, rank: rank}, nil
}

// GetMyRank counts the visible members ahead of the caller on the board.
func (s *pointsServer) GetMyRank(ctx context.Context, req *connect.Request[engagementv1.GetMyRankRequest]) (*connect.Response[engagementv1.GetMyRankResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	board, err := s.leaderboard(ctx, msg.GetOrganizationId(), msg.GetWindow(), msg.TeamId)
	if err != nil {
		return nil, err
	}
	up, err := db.UserPointsOf(ctx, s.DB, board.OrganizationID, userID)
	if err != nil {
		return nil, err
	}
	if board.TeamID != nil && (up.TeamID == nil || *up.TeamID != *board.TeamID) {
		return nil, rpc.InvalidField("team_id", "you are not on this team")
	}
	points := up.TotalPoints
	if board.Month != nil {
		points = 0
		if up.MonthKey.Format(time.DateOnly) == board.Month.Format(time.DateOnly) {
			points = up.PointsThisMonth
		}
	}
	rank, err := db.RankOf(ctx, s.DB, board, points, userID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.GetMyRankResponse{Rank: rank, Points: points}), nil
}

// errNotMember is the AdjustPoints and ListLedger answer for a user who is
// not a member of the organization.
var errNotMember = errors.New("is not a member of this organization")
