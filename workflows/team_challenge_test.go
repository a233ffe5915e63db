package workflows_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/convene/convene/activities"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/engagement"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/workflows"
)

// challengeBed runs one challenge's workflow in the time-skipping
// environment with the real activities against a test database.
type challengeBed struct {
	t       *testing.T
	env     *testsuite.TestWorkflowEnvironment
	db      *db.DB
	orgID   uuid.UUID
	users   []uuid.UUID
	c       *db.TeamChallenge
	settled []time.Time // workflow time of each SettleChallenge start
	updates int
}

var challengePhones atomic.Int64

// newChallengeBed makes an organization of n members and a points
// challenge starting in an hour, lasting an hour, with prizes.
func newChallengeBed(t *testing.T, n int, prizes ...int32) *challengeBed {
	t.Helper()
	ctx := context.Background()
	var suite testsuite.WorkflowTestSuite
	b := &challengeBed{t: t, env: suite.NewTestWorkflowEnvironment(), db: testenv.NewDB(t)}
	org := &db.Organization{ID: db.NewID(), Name: "Acme", Slug: "acme-" + db.NewID().String()[24:], Status: "active", Settings: map[string]any{}}
	require.NoError(t, db.InsertOrganization(ctx, b.db, org))
	b.orgID = org.ID
	for range n {
		u, _, err := db.CreateUserWithPhone(ctx, b.db, fmt.Sprintf("+1415666%04d", challengePhones.Add(1)))
		require.NoError(t, err)
		require.NoError(t, db.InsertMember(ctx, b.db, &db.Member{ID: db.NewID(), OrganizationID: org.ID, UserID: u.ID, Role: db.RoleMember}))
		b.users = append(b.users, u.ID)
	}
	start := b.env.Now().Add(time.Hour).Truncate(time.Microsecond)
	b.c = &db.TeamChallenge{OrganizationID: org.ID, Name: "Sprint", Metric: enums.ChallengeMetricPoints,
		StartsAt: start, EndsAt: start.Add(time.Hour), WinnerCount: len(prizes), PointsPerRank: prizes}
	require.NoError(t, db.InsertChallenge(ctx, b.db, b.c))

	rc, err := river.NewClient(b.db.RiverDriver(), &river.Config{})
	require.NoError(t, err)
	b.env.RegisterActivity(&activities.EngagementChallenges{DB: b.db, Recorder: engagement.Recorder{River: rc}})
	b.env.RegisterWorkflowWithOptions(workflows.TeamChallenge, workflowOptions(workflows.TeamChallengeWorkflowName))
	b.env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil)
	b.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == "SettleChallenge" {
			b.settled = append(b.settled, b.env.Now())
		}
	})
	return b
}

// gain awards a member points at a time offset from the start.
func (b *challengeBed) gain(user int, amount int64, after time.Duration) {
	b.t.Helper()
	require.NoError(b.t, b.db.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		_, err := db.PointsLedger{}.Award(ctx, tx, db.LedgerEntry{OrganizationID: b.orgID, UserID: b.users[user], Amount: amount,
			Type: enums.LedgerManual, IdempotencyKey: fmt.Sprintf("gain:%d:%s", user, after), CreatedAt: b.c.StartsAt.Add(after)})
		return err
	}))
}

// update sends an Update after delay and checks it is accepted or refused.
func (b *challengeBed) update(delay time.Duration, name string, arg any, wantRefused bool) {
	b.updates++
	id := fmt.Sprintf("%s-%d", name, b.updates)
	b.env.RegisterDelayedCallback(func() {
		b.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnReject: func(err error) {
				if !wantRefused {
					b.t.Errorf("%s refused: %v", name, err)
				}
			},
			OnAccept: func() {
				if wantRefused {
					b.t.Errorf("%s accepted", name)
				}
			},
			OnComplete: func(_ any, err error) { assert.NoError(b.t, err) },
		}, arg)
	}, delay)
}

func (b *challengeBed) run() workflows.TeamChallengeState {
	b.t.Helper()
	b.env.ExecuteWorkflow(workflows.TeamChallenge, workflows.TeamChallengeInput{ChallengeID: b.c.ID.String(),
		OrganizationID: b.orgID.String(), Name: b.c.Name, StartsAt: b.c.StartsAt, EndsAt: b.c.EndsAt})
	require.NoError(b.t, b.env.GetWorkflowError())
	var s workflows.TeamChallengeState
	require.NoError(b.t, b.env.GetWorkflowResult(&s))
	return s
}

// prizes are the challenge ledger entries by member index.
func (b *challengeBed) prizes() map[int]int64 {
	b.t.Helper()
	var entries []db.LedgerEntry
	require.NoError(b.t, b.db.NewSelect().Model(&entries).Where("organization_id = ? AND type = ?", b.orgID, enums.LedgerChallenge).
		Scan(context.Background()))
	out := map[int]int64{}
	for _, e := range entries {
		for i, u := range b.users {
			if u == e.UserID {
				out[i] += e.Amount
				assert.Equal(b.t, "challenge:"+b.c.ID.String()+":"+u.String(), e.IdempotencyKey)
			}
		}
	}
	return out
}

func (b *challengeBed) status() string {
	b.t.Helper()
	c, err := db.ChallengeByID(context.Background(), b.db, b.c.ID, false)
	require.NoError(b.t, err)
	return c.Status
}

// TestTeamChallenge_TiesAtTheCutAllWin: two prizes, members tied at rank
// 2 both win rank 2's prize; a gain before the start does not count.
func TestTeamChallenge_TiesAtTheCutAllWin(t *testing.T) {
	t.Parallel()
	b := newChallengeBed(t, 4, 100, 50)
	b.gain(0, 30, time.Minute)
	b.gain(1, 20, 2*time.Minute)
	b.gain(2, 20, 3*time.Minute)
	b.gain(3, 10, 4*time.Minute)
	b.gain(3, 40, -time.Minute) // before the window

	s := b.run()
	assert.Equal(t, enums.ChallengeCompleted, s.Status)
	assert.Equal(t, 3, s.Winners)
	assert.Equal(t, map[int]int64{0: 100, 1: 50, 2: 50}, b.prizes())
	assert.Equal(t, enums.ChallengeCompleted, b.status())
	require.Len(t, b.settled, 1)
	assert.Equal(t, b.c.EndsAt.Add(workflows.ChallengeSettleDelay), b.settled[0], "settles 5 minutes after the end")

	results, err := db.ChallengeResultsOf(context.Background(), b.db, b.c.ID)
	require.NoError(t, err)
	ranks := []int{}
	for _, r := range results {
		ranks = append(ranks, r.Rank)
	}
	assert.Equal(t, []int{1, 2, 2, 4}, ranks)
	won, err := b.db.NewSelect().Model((*db.DomainEvent)(nil)).Where("organization_id = ? AND type = ?", b.orgID, enums.EventChallengeWon).Count(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 3, won, "one challenge.won per winner")
}

// TestTeamChallenge_ExtendMovesTheEnd: extended by an hour while running,
// the challenge settles an hour later and counts a gain of that hour; an
// end earlier than the current one is refused.
func TestTeamChallenge_ExtendMovesTheEnd(t *testing.T) {
	t.Parallel()
	b := newChallengeBed(t, 2, 100)
	b.gain(0, 10, time.Minute)
	b.gain(1, 50, 90*time.Minute) // after the first end, before the new one
	newEnd := b.c.EndsAt.Add(time.Hour)
	b.update(90*time.Minute, workflows.UpdateExtendChallenge, workflows.ChallengeExtension{EndsAt: b.c.EndsAt.Add(-time.Minute)}, true)
	b.update(90*time.Minute, workflows.UpdateExtendChallenge, workflows.ChallengeExtension{EndsAt: newEnd}, false)

	s := b.run()
	assert.True(t, newEnd.Equal(s.EndsAt), "state has the new end: %s", s.EndsAt)
	require.Len(t, b.settled, 1)
	assert.Equal(t, newEnd.Add(workflows.ChallengeSettleDelay), b.settled[0])
	assert.Equal(t, map[int]int64{1: 100}, b.prizes(), "the gain in the extra hour wins")
	c, err := db.ChallengeByID(context.Background(), b.db, b.c.ID, false)
	require.NoError(t, err)
	assert.True(t, newEnd.Equal(c.EndsAt), "the row has the new end: %s", c.EndsAt)
}

// TestTeamChallenge_CancelBeforeTheEndPaysNothing: cancelled while
// running, nobody is paid and the run ends at once; a cancel after the
// end is refused.
func TestTeamChallenge_CancelBeforeTheEndPaysNothing(t *testing.T) {
	t.Parallel()
	b := newChallengeBed(t, 2, 100)
	b.gain(0, 10, time.Minute)
	b.update(90*time.Minute, workflows.UpdateCancelChallenge, workflows.ChallengeCancellation{}, false)

	s := b.run()
	assert.Equal(t, enums.ChallengeCancelled, s.Status)
	assert.Empty(t, b.settled)
	assert.Empty(t, b.prizes())
	assert.Equal(t, enums.ChallengeCancelled, b.status())
}

// TestTeamChallenge_CancelAfterTheEndIsRefused: in the settling delay the
// challenge can no longer be cancelled and pays its winner.
func TestTeamChallenge_CancelAfterTheEndIsRefused(t *testing.T) {
	t.Parallel()
	b := newChallengeBed(t, 1, 100)
	b.gain(0, 10, time.Minute)
	b.update(2*time.Hour+time.Minute, workflows.UpdateCancelChallenge, workflows.ChallengeCancellation{}, true)

	s := b.run()
	assert.Equal(t, enums.ChallengeCompleted, s.Status)
	assert.Equal(t, map[int]int64{0: 100}, b.prizes())
}
