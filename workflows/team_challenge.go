package workflows

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db/enums"
)

// The team-challenge contract: one run per challenge
// (team-challenge/<challenge id>) from creation through its window to the
// settlement that ranks the participants and pays the winners.
const (
	// TeamChallengeWorkflowName is the registered workflow type.
	TeamChallengeWorkflowName = "TeamChallenge"
	// UpdateExtendChallenge moves the end later (argument
	// ChallengeExtension); it returns the TeamChallengeState after.
	UpdateExtendChallenge = "extend"
	// UpdateCancelChallenge cancels the challenge before its end
	// (argument ChallengeCancellation); nobody wins.
	UpdateCancelChallenge = "cancel"

	teamChallengePrefix = "team-challenge/"
	// ChallengeSettleDelay is how long after the end settlement waits, so
	// facts of the window's last moments (a check-in, a ledger entry whose
	// transaction was still open) are counted.
	ChallengeSettleDelay = 5 * time.Minute
)

// TeamChallengeWorkflowID is the run of one challenge.
func TeamChallengeWorkflowID(challengeID string) string {
	return workflowID(teamChallengePrefix, challengeID)
}

// ChallengeIDFromWorkflowID inverts TeamChallengeWorkflowID.
func ChallengeIDFromWorkflowID(id string) (string, error) {
	return businessIDOf(teamChallengePrefix, id)
}

// TeamChallengeInput starts a challenge's run; everything else is in its
// row, which the activities read.
type TeamChallengeInput struct {
	ChallengeID    string
	OrganizationID string
	// Name is the run's summary.
	Name     string
	StartsAt time.Time
	EndsAt   time.Time
	// SettleDelay overrides ChallengeSettleDelay when set (tests that run
	// in real time).
	SettleDelay time.Duration
}

// TeamChallengeState is what the state query and the Updates answer.
// Status is one of enums.Challenge*.
type TeamChallengeState struct {
	ChallengeID string
	Status      string
	StartsAt    time.Time
	EndsAt      time.Time
	// Participants with a score and Winners, once completed.
	Participants int
	Winners      int
}

// ChallengeExtension moves the end to EndsAt, which must be later than
// now and than the current end.
type ChallengeExtension struct {
	EndsAt      time.Time
	ActorUserID string
}

// ChallengeCancellation cancels the challenge; the API checked that the
// actor is an owner or admin.
type ChallengeCancellation struct {
	ActorUserID string
}

// StartTeamChallenge starts the challenge's run on taskQueue, or finds it
// started. The API calls it after commit; the River job
// workflowstart.TeamChallengeArgs committed with the row calls it if the
// API did not.
func StartTeamChallenge(ctx context.Context, c client.Client, taskQueue string, in TeamChallengeInput) error {
	return startOnce(ctx, c, client.StartWorkflowOptions{
		ID:                    TeamChallengeWorkflowID(in.ChallengeID),
		TaskQueue:             taskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		TypedSearchAttributes: temporal.NewSearchAttributes(SearchOrgID.ValueSet(in.OrganizationID),
			SearchStatus.ValueSet(enums.ChallengeScheduled)),
		StaticSummary: in.Name,
	}, TeamChallengeWorkflowName, in)
}

// TeamChallenge is the run of one challenge. Its story:
//  1. wait for starts_at, then tell the participants (activity);
//  2. wait for ends_at + ChallengeSettleDelay; `extend` moves the end and
//     the wait with it;
//  3. settle in one activity transaction: scores, ranks, results, prizes,
//     notices, challenge.won, status completed.
//
// `cancel` before the end closes the run with nothing paid.
func TeamChallenge(ctx workflow.Context, in TeamChallengeInput) (TeamChallengeState, error) {
	o := &teamChallenge{state: TeamChallengeState{ChallengeID: in.ChallengeID, Status: enums.ChallengeScheduled,
		StartsAt: in.StartsAt, EndsAt: in.EndsAt}, settleDelay: in.SettleDelay}
	if o.settleDelay <= 0 {
		o.settleDelay = ChallengeSettleDelay
	}
	if err := o.registerHandlers(ctx); err != nil {
		return o.state, err
	}
	err := o.run(ctx)
	// Let update callers see the final state before the run closes.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return o.state, err
}

type teamChallenge struct {
	state       TeamChallengeState
	acts        *activities.EngagementChallenges
	settleDelay time.Duration
	// changing counts Updates writing their change: the run does not
	// settle under them. moved wakes the wait after an extension.
	changing  int
	moved     bool
	cancelled bool
	settling  bool
}

func (o *teamChallenge) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (TeamChallengeState, error) { return o.state, nil }); err != nil {
		return fmt.Errorf("register state query: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateExtendChallenge, o.handleExtend,
		workflow.UpdateHandlerOptions{Validator: o.validateExtend}); err != nil {
		return fmt.Errorf("register extend update: %w", err)
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateCancelChallenge, o.handleCancel,
		workflow.UpdateHandlerOptions{Validator: o.validateCancel})
}

func (o *teamChallenge) run(ctx workflow.Context) error {
	actx := activityOptions(ctx)
	if o.wait(ctx, func() time.Time { return o.state.StartsAt }) {
		return nil
	}
	if err := workflow.ExecuteActivity(actx, o.acts.OpenChallenge, o.state.ChallengeID).Get(ctx, nil); err != nil {
		return fmt.Errorf("open challenge: %w", err)
	}
	o.setStatus(ctx, enums.ChallengeRunning)
	if o.wait(ctx, func() time.Time { return o.state.EndsAt.Add(o.settleDelay) }) {
		return nil
	}
	o.settling = true
	o.setStatus(ctx, enums.ChallengeSettling)
	var res activities.ChallengeSettlement
	if err := workflow.ExecuteActivity(actx, o.acts.SettleChallenge, o.state.ChallengeID).Get(ctx, &res); err != nil {
		return fmt.Errorf("settle challenge: %w", err)
	}
	o.state.Participants, o.state.Winners = res.Participants, res.Winners
	o.setStatus(ctx, enums.ChallengeCompleted)
	return nil
}

// wait sleeps until target() (re-read after every extension), and until
// no Update is writing its change; it reports whether the challenge was
// cancelled meanwhile.
func (o *teamChallenge) wait(ctx workflow.Context, target func() time.Time) bool {
	for !o.cancelled {
		if d := target().Sub(workflow.Now(ctx)); d > 0 {
			_, _ = workflow.AwaitWithTimeout(ctx, d, func() bool { return o.moved || o.cancelled })
			o.moved = false
			continue
		}
		_ = workflow.Await(ctx, func() bool { return o.changing == 0 })
		if !target().After(workflow.Now(ctx)) {
			break
		}
	}
	return o.cancelled
}

// setStatus records the status in the state, the search attribute and the
// run's details.
func (o *teamChallenge) setStatus(ctx workflow.Context, status string) {
	o.state.Status = status
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchStatus.ValueSet(status)); err != nil {
		workflow.GetLogger(ctx).Warn("status search attribute not updated", "error", err)
	}
	workflow.SetCurrentDetails(ctx, status)
}

// validateOpen refuses any change once the challenge is settling or over.
func (o *teamChallenge) validateOpen() error {
	switch {
	case o.cancelled:
		return refuseWrongState("the challenge is cancelled")
	case o.settling || o.state.Status == enums.ChallengeCompleted:
		return refuseWrongState("the challenge has ended and is %s", o.state.Status)
	}
	return nil
}

// validateExtend admits an end later than now and than the current end.
func (o *teamChallenge) validateExtend(ctx workflow.Context, e ChallengeExtension) error {
	if err := o.validateOpen(); err != nil {
		return err
	}
	if !e.EndsAt.After(workflow.Now(ctx)) || !e.EndsAt.After(o.state.EndsAt) {
		return refuseWrongState("the new end must be later than now and than the current end (%s)", o.state.EndsAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// handleExtend writes the new end, then moves the wait.
func (o *teamChallenge) handleExtend(ctx workflow.Context, e ChallengeExtension) (TeamChallengeState, error) {
	o.changing++
	defer func() { o.changing-- }()
	err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.MoveChallengeEnd, activities.ChallengeEndMove{
		ChallengeID: o.state.ChallengeID, EndsAt: e.EndsAt, ActorUserID: e.ActorUserID}).Get(ctx, nil)
	if err != nil {
		return o.state, fmt.Errorf("move challenge end: %w", err)
	}
	if e.EndsAt.After(o.state.EndsAt) { // of two concurrent extensions, the later end stays
		o.state.EndsAt = e.EndsAt
	}
	o.moved = true
	return o.state, nil
}

// validateCancel admits a cancellation before the end.
func (o *teamChallenge) validateCancel(ctx workflow.Context, _ ChallengeCancellation) error {
	if err := o.validateOpen(); err != nil {
		return err
	}
	if !workflow.Now(ctx).Before(o.state.EndsAt) {
		return refuseWrongState("the challenge ended at %s; it can no longer be cancelled", o.state.EndsAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// handleCancel writes the cancellation, then ends the run.
func (o *teamChallenge) handleCancel(ctx workflow.Context, c ChallengeCancellation) (TeamChallengeState, error) {
	o.changing++
	defer func() { o.changing-- }()
	err := workflow.ExecuteActivity(activityOptions(ctx), o.acts.CancelChallenge, activities.ChallengeCancel{
		ChallengeID: o.state.ChallengeID, ActorUserID: c.ActorUserID}).Get(ctx, nil)
	if err != nil {
		return o.state, fmt.Errorf("cancel challenge: %w", err)
	}
	o.cancelled = true
	o.setStatus(ctx, enums.ChallengeCancelled)
	return o.state, nil
}
