package engagement

// TeamService's challenges. The row and its River start job commit
// together; the team-challenge workflow then owns the challenge's status,
// and ExtendChallenge and CancelChallenge are its Updates.

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/jobs/workflowstart"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/workflows"
)

// Limits of a challenge's window, as the API accepts it.
const (
	// challengeStartSlack lets a challenge start "now" despite clock skew
	// and request time.
	challengeStartSlack = time.Minute
	maxChallengeLength  = 366 * 24 * time.Hour
)

// challengeMetrics maps the API's metrics to enums.ChallengeMetric*.
var challengeMetrics = rpc.NewEnum(map[engagementv1.ChallengeMetric]string{
	engagementv1.ChallengeMetric_CHALLENGE_METRIC_POINTS:    enums.ChallengeMetricPoints,
	engagementv1.ChallengeMetric_CHALLENGE_METRIC_CHECK_INS: enums.ChallengeMetricCheckIns,
	engagementv1.ChallengeMetric_CHALLENGE_METRIC_MODULES:   enums.ChallengeMetricModules,
})

// challengeStatuses maps enums.Challenge* to the API's statuses.
var challengeStatuses = rpc.NewEnum(map[engagementv1.ChallengeStatus]string{
	engagementv1.ChallengeStatus_CHALLENGE_STATUS_SCHEDULED: enums.ChallengeScheduled,
	engagementv1.ChallengeStatus_CHALLENGE_STATUS_RUNNING:   enums.ChallengeRunning,
	engagementv1.ChallengeStatus_CHALLENGE_STATUS_SETTLING:  enums.ChallengeSettling,
	engagementv1.ChallengeStatus_CHALLENGE_STATUS_COMPLETED: enums.ChallengeCompleted,
	engagementv1.ChallengeStatus_CHALLENGE_STATUS_CANCELLED: enums.ChallengeCancelled,
})

// CreateChallenge writes a scheduled challenge with the River job that
// starts its run, then starts the run directly.
func (s *teamsServer) CreateChallenge(ctx context.Context, req *connect.Request[engagementv1.CreateChallengeRequest]) (*connect.Response[engagementv1.CreateChallengeResponse], error) {
	m, callerID := req.Msg, rpc.CallerID(ctx)
	c := &db.TeamChallenge{OrganizationID: uuid.MustParse(m.GetOrganizationId()), TeamID: rpc.OptionalID(m.GetTeamId()),
		Name: m.GetName(), Description: m.GetDescription(), Metric: challengeMetrics.Name(m.GetMetric()),
		StartsAt: m.GetStartsAt().AsTime(), EndsAt: m.GetEndsAt().AsTime(), WinnerCount: len(m.GetPointsPerRank()),
		PointsPerRank: m.GetPointsPerRank(), CreatedBy: &callerID}
	if err := s.checkWindow(c.StartsAt, c.EndsAt); err != nil {
		return nil, err
	}
	var (
		in         workflows.TeamChallengeInput
		startJobID int64
	)
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, c.OrganizationID, rpc.ManagerRoles); err != nil {
			return err
		}
		if c.TeamID != nil {
			if t, err := db.TeamByID(ctx, tx, *c.TeamID); errors.Is(err, db.ErrNotFound) || err == nil && t.OrganizationID != c.OrganizationID {
				return rpc.InvalidField("team_id", "no such team in this organization")
			} else if err != nil {
				return err
			}
		}
		if err := db.InsertChallenge(ctx, tx, c); err != nil {
			return err
		}
		in = workflows.TeamChallengeInput{ChallengeID: c.ID.String(), OrganizationID: c.OrganizationID.String(),
			Name: c.Name, StartsAt: c.StartsAt, EndsAt: c.EndsAt}
		var err error
		if startJobID, err = s.starts.Commit(ctx, tx.Tx, workflowstart.TeamChallengeArgs{Input: in}, s.Now()); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &c.OrganizationID, "challenge", c.ID.String(), "create",
			map[string]any{"name": c.Name, "metric": c.Metric, "team_id": rpc.IDString(c.TeamID)})
	})
	if err != nil {
		return nil, err
	}
	if err := s.starts.Start(ctx, workflowstart.TeamChallengeArgs{Input: in}, startJobID); err != nil {
		// The River job committed with the challenge starts it.
		s.Log.WarnContext(ctx, "direct start of team challenge failed; its River job will start it", "challenge_id", c.ID, "error", err)
	}
	return connect.NewResponse(&engagementv1.CreateChallengeResponse{Challenge: challengeToProto(c)}), nil
}

// checkWindow refuses a start in the past, an end not after the start and
// a window longer than a year.
func (s *teamsServer) checkWindow(start, end time.Time) error {
	switch {
	case start.Before(s.Now().Add(-challengeStartSlack)):
		return rpc.InvalidField("starts_at", "must not be in the past")
	case !end.After(start):
		return rpc.InvalidField("ends_at", "must be after starts_at")
	case end.Sub(start) > maxChallengeLength:
		return rpc.InvalidField("ends_at", "a challenge lasts at most a year")
	}
	return nil
}

// challengeAccess loads a challenge the caller may see and checks their
// role is allowed.
func (s *teamsServer) challengeAccess(ctx context.Context, id string, allowed []string) (*db.TeamChallenge, error) {
	c, err := db.ChallengeByID(ctx, s.DB, uuid.MustParse(id), false)
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("challenge not found"))
	}
	if err != nil {
		return nil, err
	}
	if _, err := orgRowRole(ctx, s.DB, c.OrganizationID, "challenge"); err != nil {
		return nil, err
	}
	if _, err := rpc.OrgAccess(ctx, s.DB, c.OrganizationID, allowed); err != nil {
		return nil, err
	}
	return c, nil
}

// ExtendChallenge moves a challenge's end later through its run.
func (s *teamsServer) ExtendChallenge(ctx context.Context, req *connect.Request[engagementv1.ExtendChallengeRequest]) (*connect.Response[engagementv1.ExtendChallengeResponse], error) {
	c, err := s.challengeAccess(ctx, req.Msg.GetChallengeId(), rpc.ManagerRoles)
	if err != nil {
		return nil, err
	}
	endsAt := req.Msg.GetEndsAt().AsTime()
	if !endsAt.After(s.Now()) || !endsAt.After(c.EndsAt) {
		return nil, rpc.InvalidField("ends_at", "must be later than now and than the current end "+c.EndsAt.UTC().Format(time.RFC3339))
	}
	if endsAt.Sub(c.StartsAt) > maxChallengeLength {
		return nil, rpc.InvalidField("ends_at", "a challenge lasts at most a year")
	}
	if err := s.updateChallenge(ctx, c.ID, workflows.UpdateExtendChallenge,
		workflows.ChallengeExtension{EndsAt: endsAt, ActorUserID: rpc.CallerID(ctx).String()}); err != nil {
		return nil, err
	}
	out, err := s.challengeNow(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.ExtendChallengeResponse{Challenge: out}), nil
}

// CancelChallenge cancels a challenge before its end through its run.
func (s *teamsServer) CancelChallenge(ctx context.Context, req *connect.Request[engagementv1.CancelChallengeRequest]) (*connect.Response[engagementv1.CancelChallengeResponse], error) {
	c, err := s.challengeAccess(ctx, req.Msg.GetChallengeId(), rpc.ManagerRoles)
	if err != nil {
		return nil, err
	}
	if err := s.updateChallenge(ctx, c.ID, workflows.UpdateCancelChallenge,
		workflows.ChallengeCancellation{ActorUserID: rpc.CallerID(ctx).String()}); err != nil {
		return nil, err
	}
	out, err := s.challengeNow(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&engagementv1.CancelChallengeResponse{Challenge: out}), nil
}

// updateChallenge runs an Update on the challenge's run and waits for it;
// a run that is over answers FailedPrecondition.
func (s *teamsServer) updateChallenge(ctx context.Context, id uuid.UUID, update string, arg any) error {
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflows.TeamChallengeWorkflowID(id.String()),
		UpdateName: update, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	return rpc.UpdateError(err, "the challenge is over", "team challenge "+update)
}

// challengeNow reads the challenge as its run left it.
func (s *teamsServer) challengeNow(ctx context.Context, id uuid.UUID) (*engagementv1.TeamChallenge, error) {
	c, err := db.ChallengeByID(ctx, s.DB, id, false)
	if err != nil {
		return nil, err
	}
	return challengeToProto(c), nil
}

// GetChallenge returns a challenge and its results.
func (s *teamsServer) GetChallenge(ctx context.Context, req *connect.Request[engagementv1.GetChallengeRequest]) (*connect.Response[engagementv1.GetChallengeResponse], error) {
	c, err := s.challengeAccess(ctx, req.Msg.GetChallengeId(), rpc.AnyRole)
	if err != nil {
		return nil, err
	}
	rows, err := db.ChallengeResultsOf(ctx, s.DB, c.ID)
	if err != nil {
		return nil, err
	}
	out := &engagementv1.GetChallengeResponse{Challenge: challengeToProto(c)}
	for _, r := range rows {
		out.Results = append(out.Results, &engagementv1.ChallengeResult{UserId: r.UserID.String(), Score: r.Score,
			Rank: int32(r.Rank), PointsAwarded: int32(r.PointsAwarded)})
	}
	return connect.NewResponse(out), nil
}

func challengeToProto(c *db.TeamChallenge) *engagementv1.TeamChallenge {
	out := &engagementv1.TeamChallenge{Id: c.ID.String(), OrganizationId: c.OrganizationID.String(), TeamId: rpc.IDString(c.TeamID),
		Name: c.Name, Description: c.Description, Metric: challengeMetrics.Value(c.Metric),
		StartsAt: timestamppb.New(c.StartsAt), EndsAt: timestamppb.New(c.EndsAt), WinnerCount: int32(c.WinnerCount),
		PointsPerRank: c.PointsPerRank, Status: challengeStatuses.Value(c.Status)}
	if c.SettledAt != nil {
		out.SettledAt = timestamppb.New(*c.SettledAt)
	}
	return out
}
