package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// TeamChallenge is a contest over a window, among a team's members or,
// with TeamID nil, the whole organization's. The team-challenge workflow
// owns Status after creation.
type TeamChallenge struct {
	bun.BaseModel `bun:"table:team_challenges,alias:tch"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	TeamID         *uuid.UUID `bun:"team_id,type:uuid"`
	Name           string     `bun:"name,notnull"`
	Description    string     `bun:"description,notnull"`
	Metric         string     `bun:"metric,notnull"`
	StartsAt       time.Time  `bun:"starts_at,notnull"`
	EndsAt         time.Time  `bun:"ends_at,notnull"`
	WinnerCount    int        `bun:"winner_count,notnull"`
	PointsPerRank  []int32    `bun:"points_per_rank,array,notnull"`
	Status         string     `bun:"status,notnull"`
	CreatedBy      *uuid.UUID `bun:"created_by,type:uuid"`
	SettledAt      *time.Time `bun:"settled_at"`
	Timestamps
}

// ChallengeResult is one participant's score and rank in a settled
// challenge; PointsAwarded is non-zero for the winners.
type ChallengeResult struct {
	bun.BaseModel `bun:"table:challenge_results,alias:chr"`

	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	ChallengeID    uuid.UUID `bun:"challenge_id,pk,type:uuid"`
	UserID         uuid.UUID `bun:"user_id,pk,type:uuid"`
	Score          int64     `bun:"score,notnull"`
	Rank           int       `bun:"rank,notnull"`
	PointsAwarded  int       `bun:"points_awarded,notnull"`
	CreatedAt      time.Time `bun:"created_at,nullzero,notnull,default:now()"`
}

// InsertChallenge writes a new challenge, scheduled.
func InsertChallenge(ctx context.Context, idb bun.IDB, c *TeamChallenge) error {
	if c.ID == uuid.Nil {
		c.ID = NewID()
	}
	c.Status = enums.ChallengeScheduled
	if _, err := idb.NewInsert().Model(c).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert challenge %q: %w", c.Name, err)
	}
	return nil
}

// ChallengeByID returns a challenge of any organization; the caller
// checks access. forUpdate locks it until tx ends.
func ChallengeByID(ctx context.Context, idb bun.IDB, id uuid.UUID, forUpdate bool) (*TeamChallenge, error) {
	var c TeamChallenge
	q := idb.NewSelect().Model(&c).Where("id = ?", id)
	if forUpdate {
		q = q.For("UPDATE")
	}
	err := q.Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("challenge %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("challenge %s: %w", id, err)
	}
	return &c, nil
}

// SetChallengeStatus records the workflow's status of a challenge.
func SetChallengeStatus(ctx context.Context, idb bun.IDB, id uuid.UUID, status string) error {
	q := idb.NewUpdate().Model((*TeamChallenge)(nil)).Set("status = ?", status).Set("updated_at = now()").Where("id = ?", id)
	if status == enums.ChallengeCompleted {
		q = q.Set("settled_at = now()")
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("set challenge %s %s: %w", id, status, err)
	}
	return nil
}

// SetChallengeEnd moves a challenge's end later (never earlier: of two
// concurrent extensions the later end stays).
func SetChallengeEnd(ctx context.Context, idb bun.IDB, id uuid.UUID, endsAt time.Time) error {
	_, err := idb.NewUpdate().Model((*TeamChallenge)(nil)).Set("ends_at = greatest(ends_at, ?)", endsAt).Set("updated_at = now()").Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("move end of challenge %s: %w", id, err)
	}
	return nil
}

// ChallengeParticipants are the members a challenge is among: its team's
// members, or every member of an organization-wide challenge.
func ChallengeParticipants(ctx context.Context, idb bun.IDB, c *TeamChallenge) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	q := idb.NewSelect().Model((*Member)(nil)).Column("user_id").Where("organization_id = ?", c.OrganizationID)
	if c.TeamID != nil {
		q = idb.NewSelect().Model((*TeamMembership)(nil)).Column("user_id").Where("team_id = ?", *c.TeamID)
	}
	if err := q.OrderExpr("user_id").Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("participants of challenge %s: %w", c.ID, err)
	}
	return ids, nil
}

// challengeScoreSQL gives each participant with a positive score in the
// window their score and competition rank (ties share a rank, the next
// rank skips). Participants are the team's members or, for an
// organization-wide challenge, the organization's.
const challengeScoreSQL = `
WITH participants AS (
    SELECT user_id FROM team_memberships WHERE ?0::uuid IS NOT NULL AND team_id = ?0
    UNION
    SELECT user_id FROM organization_members WHERE ?0::uuid IS NULL AND organization_id = ?1
), scores AS (
    SELECT p.user_id, CASE WHEN ?2 = 'points' THEN (
               SELECT coalesce(sum(amount), 0) FROM points_ledger l
                WHERE l.organization_id = ?1 AND l.user_id = p.user_id AND l.amount > 0
                  AND l.created_at >= ?3 AND l.created_at < ?4)
           ELSE (
               SELECT count(*) FROM domain_events e
                WHERE e.organization_id = ?1 AND e.subject_user_id = p.user_id AND e.type = ?5
                  AND e.occurred_at >= ?3 AND e.occurred_at < ?4)
           END AS score
      FROM participants p
)
SELECT user_id, score, rank() OVER (ORDER BY score DESC)::int AS rank
  FROM scores WHERE score > 0 ORDER BY rank, user_id`

// challengeEventTypes are the domain events a count metric counts.
var challengeEventTypes = map[string]string{
	enums.ChallengeMetricCheckIns: enums.EventTicketCheckedIn,
	enums.ChallengeMetricModules:  enums.EventModuleCompleted,
}

// ChallengeStandings scores c's participants over its window: for points,
// the sum of their positive ledger entries; for check_ins and modules,
// their count of ticket.checked_in or module.completed events. Only
// positive scores are ranked. PointsAwarded is left zero.
func ChallengeStandings(ctx context.Context, idb bun.IDB, c *TeamChallenge) ([]ChallengeResult, error) {
	var rows []ChallengeResult
	err := idb.NewRaw(challengeScoreSQL, c.TeamID, c.OrganizationID, c.Metric, c.StartsAt, c.EndsAt,
		challengeEventTypes[c.Metric]).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("score challenge %s: %w", c.ID, err)
	}
	for i := range rows {
		rows[i].OrganizationID, rows[i].ChallengeID = c.OrganizationID, c.ID
	}
	return rows, nil
}

// InsertChallengeResults writes a settlement's results; a row already
// written (a retried settlement) is kept.
func InsertChallengeResults(ctx context.Context, idb bun.IDB, rows []ChallengeResult) error {
	if len(rows) == 0 {
		return nil
	}
	if _, err := idb.NewInsert().Model(&rows).On("CONFLICT (challenge_id, user_id) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("insert challenge results: %w", err)
	}
	return nil
}

// ChallengeResultsOf returns a challenge's results by rank.
func ChallengeResultsOf(ctx context.Context, idb bun.IDB, challengeID uuid.UUID) ([]ChallengeResult, error) {
	var rows []ChallengeResult
	if err := idb.NewSelect().Model(&rows).Where("challenge_id = ?", challengeID).OrderExpr("rank, user_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("results of challenge %s: %w", challengeID, err)
	}
	return rows, nil
}
