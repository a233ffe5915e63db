package activities

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
)

// checkJoinable refuses a join the quest does not allow now: not
// published, not started or ended, or of another organization.
func checkJoinable(q *db.Quest, orgID string, now time.Time) error {
	switch {
	case q.OrganizationID.String() != orgID:
		return wrongState("quest %s is not of organization %s", q.ID, orgID)
	case q.Status != enums.QuestPublished:
		return wrongState("quest %s is %s, not open to join", q.Title, q.Status)
	case now.Before(q.StartsAt):
		return wrongState("quest %s starts at %s", q.Title, q.StartsAt.UTC().Format(time.RFC3339))
	case !now.Before(q.EndsAt):
		return wrongState("quest %s ended at %s", q.Title, q.EndsAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// register writes the member's registration, or finds the one they
// have; it reports whether it is new (and so needs a place).
func (a *Quests) register(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID) (*db.QuestRegistration, bool, error) {
	now := a.now()
	r := &db.QuestRegistration{OrganizationID: q.OrganizationID, QuestID: q.ID, UserID: userID, Status: enums.RegistrationPending}
	if !q.RequiresApproval {
		r.Status, r.DecidedAt = enums.RegistrationApproved, &now
	}
	stored, err := db.InsertQuestRegistration(ctx, tx, r)
	if err != nil || stored {
		return r, stored, err
	}
	r, err = heldPlace(ctx, tx, q, userID)
	return r, false, err
}

// takePlace counts a new registration in and audits the join. It is the
// transaction's last write: the quest's row stays locked only until the
// commit, not across the other statements of concurrent joins.
func takePlace(ctx context.Context, tx bun.Tx, q *db.Quest, r *db.QuestRegistration) error {
	err := db.TakeQuestPlace(ctx, tx, q.ID)
	if errors.Is(err, db.ErrQuestFull) {
		return exhausted("quest %s is full (%d places)", q.Title, *q.MaxParticipants)
	}
	if err != nil {
		return err
	}
	return auditQuest(ctx, tx, q, r.UserID, &r.UserID, "join", map[string]any{"registration": r.Status})
}

// heldPlace is the member's existing registration: pending or approved
// keeps its place, rejected or expired may not join again.
func heldPlace(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID) (*db.QuestRegistration, error) {
	r, err := db.QuestRegistrationOf(ctx, tx, q.ID, userID, false)
	if err != nil {
		return nil, err
	}
	switch r.Status {
	case enums.RegistrationRejected:
		return nil, wrongState("your registration for quest %s was rejected", q.Title)
	case enums.RegistrationExpired:
		return nil, wrongState("your registration for quest %s expired", q.Title)
	}
	return r, nil
}

// decide writes a reviewer's decision on a pending registration; a
// rejection frees the place.
func (a *Quests) decide(ctx context.Context, tx bun.Tx, q *db.Quest, r *db.QuestRegistration, actor uuid.UUID, d RegistrationDecisionRecord) error {
	now := a.now()
	r.Status, r.DecidedBy, r.DecidedAt, r.Comment = enums.RegistrationRejected, &actor, &now, d.Comment
	if d.Approve {
		r.Status = enums.RegistrationApproved
	}
	if err := db.UpdateQuestRegistration(ctx, tx, r, "status", "decided_by", "decided_at", "comment"); err != nil {
		return err
	}
	if !d.Approve {
		if err := db.FreeQuestPlace(ctx, tx, q.ID); err != nil {
			return err
		}
	}
	if err := auditQuest(ctx, tx, q, r.UserID, &actor, "decide_registration", map[string]any{"decision": r.Status, "comment": d.Comment}); err != nil {
		return err
	}
	title, body := "You joined "+q.Title, "Your registration was approved: the tasks are open."
	if !d.Approve {
		title, body = "Your registration for "+q.Title+" was declined", "Your registration was not approved."
		if d.Comment != "" {
			body = "Your registration was not approved: " + d.Comment
		}
	}
	return a.notify(ctx, tx, q, r.UserID.String()+"/registration/"+r.Status, r.UserID, title, body)
}

// expirePending expires a registration still pending, frees its place
// and audits it as verb with payload; it reports whether it did (a
// decided registration stays).
func (a *Quests) expirePending(ctx context.Context, tx bun.Tx, q *db.Quest, userID uuid.UUID, verb string, payload map[string]any) (bool, error) {
	r, err := db.QuestRegistrationOf(ctx, tx, q.ID, userID, true)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil || r.Status != enums.RegistrationPending {
		return false, err
	}
	now := a.now()
	r.Status, r.DecidedAt = enums.RegistrationExpired, &now
	if err := db.UpdateQuestRegistration(ctx, tx, r, "status", "decided_at"); err != nil {
		return false, err
	}
	if err := db.FreeQuestPlace(ctx, tx, q.ID); err != nil {
		return false, err
	}
	payload["registration"] = r.Status
	return true, auditQuest(ctx, tx, q, userID, nil, verb, payload)
}

// questRunTx runs fn in one transaction on the run's quest. fn's error
// is returned as it is: a typed refusal wrapped would reach Temporal as a
// retryable error.
func (a *Quests) questRunTx(ctx context.Context, questID, userID string, fn func(context.Context, bun.Tx, *db.Quest, uuid.UUID) error) error {
	qid, uid, err := runIDs(questID, userID)
	if err != nil {
		return err
	}
	return a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q, err := loadRunQuest(ctx, tx, qid)
		if err != nil {
			return err
		}
		return fn(ctx, tx, q, uid)
	})
}
