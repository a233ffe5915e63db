package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/engagement"
)

// ErrChallengeMissing: the workflow's challenge row does not exist (its
// organization was deleted); the run ends.
const ErrChallengeMissing = "ChallengeMissing"

// EngagementChallenges are the team-challenge workflow's activities. Each
// is one transaction on the locked challenge row and does nothing if the
// row is already past the step, so Temporal may retry any of them.
type EngagementChallenges struct {
	DB *db.DB
	// Recorder writes challenge.won with its rules job.
	Recorder engagement.Recorder
}

// ChallengeEndMove moves a challenge's end (the extend Update).
type ChallengeEndMove struct {
	ChallengeID string
	EndsAt      time.Time
	ActorUserID string
}

// ChallengeCancel cancels a challenge (the cancel Update).
type ChallengeCancel struct {
	ChallengeID string
	ActorUserID string
}

// ChallengeSettlement is a settled challenge's outcome.
type ChallengeSettlement struct {
	Participants int
	Winners      int
}

// challengeTx runs fn on the locked challenge, unless it is already in one
// of done (nothing to do: a retry).
func (a *EngagementChallenges) challengeTx(ctx context.Context, id string, fn func(context.Context, bun.Tx, *db.TeamChallenge) error, done ...string) error {
	cid, err := uuid.Parse(id)
	if err != nil {
		return temporal.NewNonRetryableApplicationError("bad challenge id "+id, ErrChallengeMissing, err)
	}
	return a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := db.ChallengeByID(ctx, tx, cid, true)
		if errors.Is(err, db.ErrNotFound) {
			return temporal.NewNonRetryableApplicationError("challenge "+id+" is gone", ErrChallengeMissing, err)
		}
		if err != nil {
			return err
		}
		for _, s := range done {
			if c.Status == s {
				return nil
			}
		}
		return fn(ctx, tx, c)
	})
}

// OpenChallenge marks the challenge running and tells its participants.
func (a *EngagementChallenges) OpenChallenge(ctx context.Context, challengeID string) error {
	return a.challengeTx(ctx, challengeID, func(ctx context.Context, tx bun.Tx, c *db.TeamChallenge) error {
		users, err := db.ChallengeParticipants(ctx, tx, c)
		if err != nil {
			return err
		}
		notes := make([]*db.Notification, 0, len(users))
		for _, u := range users {
			notes = append(notes, &db.Notification{RecipientUserID: u, OrganizationID: &c.OrganizationID, Type: db.CategoryAnnouncements,
				Title: "Challenge started: " + c.Name, Message: fmt.Sprintf("%s runs until %s.", c.Name, c.EndsAt.UTC().Format(time.RFC1123)),
				ReferenceType: "challenge", ReferenceID: c.ID.String()})
		}
		if err := db.Notify(ctx, tx, notes...); err != nil {
			return err
		}
		return db.SetChallengeStatus(ctx, tx, c.ID, enums.ChallengeRunning)
	}, enums.ChallengeRunning, enums.ChallengeSettling, enums.ChallengeCompleted, enums.ChallengeCancelled)
}

// MoveChallengeEnd writes a challenge's new end with its audit row.
func (a *EngagementChallenges) MoveChallengeEnd(ctx context.Context, m ChallengeEndMove) error {
	return a.challengeTx(ctx, m.ChallengeID, func(ctx context.Context, tx bun.Tx, c *db.TeamChallenge) error {
		if err := db.SetChallengeEnd(ctx, tx, c.ID, m.EndsAt); err != nil {
			return err
		}
		return auditChallenge(ctx, tx, c, m.ActorUserID, "extend", map[string]any{"from": c.EndsAt, "to": m.EndsAt})
	}, enums.ChallengeCompleted, enums.ChallengeCancelled)
}

// CancelChallenge marks a challenge cancelled with its audit row.
func (a *EngagementChallenges) CancelChallenge(ctx context.Context, m ChallengeCancel) error {
	return a.challengeTx(ctx, m.ChallengeID, func(ctx context.Context, tx bun.Tx, c *db.TeamChallenge) error {
		if err := db.SetChallengeStatus(ctx, tx, c.ID, enums.ChallengeCancelled); err != nil {
			return err
		}
		return auditChallenge(ctx, tx, c, m.ActorUserID, "cancel", nil)
	}, enums.ChallengeCompleted, enums.ChallengeCancelled)
}

func auditChallenge(ctx context.Context, tx bun.Tx, c *db.TeamChallenge, actor, action string, payload map[string]any) error {
	var actorID *uuid.UUID
	if id, err := uuid.Parse(actor); err == nil {
		actorID = &id
	}
	return db.WriteAudit(ctx, tx, &db.AuditLog{ActorUserID: actorID, OrganizationID: &c.OrganizationID, ObjectType: "challenge",
		ObjectID: c.ID.String(), Action: action, Payload: payload})
}

// SettleChallenge scores the window, ranks (ties share a rank, so ties at
// the last winning rank all win), writes the results, awards each winner
// their rank's points (ledger key challenge:<id>:<user>), tells them,
// records challenge.won and marks the challenge completed, in one
// transaction.
func (a *EngagementChallenges) SettleChallenge(ctx context.Context, challengeID string) (ChallengeSettlement, error) {
	var out ChallengeSettlement
	err := a.challengeTx(ctx, challengeID, func(ctx context.Context, tx bun.Tx, c *db.TeamChallenge) error {
		rows, err := db.ChallengeStandings(ctx, tx, c)
		if err != nil {
			return err
		}
		out.Participants = len(rows)
		for i := range rows {
			if rows[i].Rank > c.WinnerCount {
				continue
			}
			rows[i].PointsAwarded = int(c.PointsPerRank[rows[i].Rank-1])
			if err := a.payWinner(ctx, tx, c, &rows[i]); err != nil {
				return err
			}
			out.Winners++
		}
		if err := db.InsertChallengeResults(ctx, tx, rows); err != nil {
			return err
		}
		return db.SetChallengeStatus(ctx, tx, c.ID, enums.ChallengeCompleted)
	}, enums.ChallengeCompleted, enums.ChallengeCancelled)
	return out, err
}

// payWinner awards, notifies and records one winner.
func (a *EngagementChallenges) payWinner(ctx context.Context, tx bun.Tx, c *db.TeamChallenge, r *db.ChallengeResult) error {
	ref, id := "challenge", c.ID.String()
	if r.PointsAwarded > 0 {
		_, err := db.PointsLedger{}.Award(ctx, tx, db.LedgerEntry{OrganizationID: c.OrganizationID, UserID: r.UserID,
			Amount: int64(r.PointsAwarded), Type: enums.LedgerChallenge, ReferenceType: &ref, ReferenceID: &id,
			Reason: fmt.Sprintf("%s: rank %d", c.Name, r.Rank), IdempotencyKey: "challenge:" + id + ":" + r.UserID.String()})
		if err != nil && !errors.Is(err, db.ErrAlreadyRecorded) {
			return err
		}
	}
	if err := db.Notify(ctx, tx, &db.Notification{RecipientUserID: r.UserID, OrganizationID: &c.OrganizationID, Type: db.CategoryAnnouncements,
		Title: "You won " + c.Name, Message: fmt.Sprintf("Rank %d with %d: %d points.", r.Rank, r.Score, r.PointsAwarded),
		ReferenceType: ref, ReferenceID: id}); err != nil {
		return err
	}
	return a.Recorder.Emit(ctx, tx, &db.DomainEvent{OrganizationID: c.OrganizationID, Type: enums.EventChallengeWon,
		SubjectUserID: &r.UserID, ReferenceType: &ref, ReferenceID: &id, Payload: map[string]any{
			"challenge_id": id, "metric": c.Metric, "rank": r.Rank, "score": r.Score, "points": r.PointsAwarded}})
}
