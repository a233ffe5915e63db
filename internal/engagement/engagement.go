// Package engagement holds what every feature that rewards members shares:
// recording a domain event together with the job that evaluates the
// rules on it (Recorder.Emit), and the badge award transaction
// (Recorder.AwardBadge). Points are written only through
// db.PointsLedger.Award. The API, the rules job and the workflows'
// activities (challenges, quests, onboarding) all go through here, so a
// badge or a domain event is recorded one way.
package engagement

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
)

// MaxCauseDepth is how many rule actions may lead to a domain event; the
// rules engine does not act on events at this depth, so rules cannot
// trigger each other forever.
const MaxCauseDepth = 3

// EvaluateRulesArgs is the River job that runs the active rules of the
// event's organization against one domain event and then checks the
// automatic badges of its subject (jobs/engagement_rules.go).
type EvaluateRulesArgs struct {
	DomainEventID uuid.UUID `json:"domain_event_id"`
}

// Kind names the job in River.
func (EvaluateRulesArgs) Kind() string { return "engagement.evaluate_rules" }

// Recorder writes engagement facts inside the caller's transaction.
type Recorder struct {
	River *river.Client[*sql.Tx]
}

// Emit appends ev to the outbox and enqueues its rules evaluation in tx,
// so the reaction is never lost and never runs for a rolled-back fact.
func (r Recorder) Emit(ctx context.Context, tx bun.Tx, ev *db.DomainEvent) error {
	if err := db.InsertDomainEvent(ctx, tx, ev); err != nil {
		return err
	}
	if _, err := r.River.InsertTx(ctx, tx.Tx, EvaluateRulesArgs{DomainEventID: ev.ID}, nil); err != nil {
		return fmt.Errorf("enqueue rules for %s %s: %w", ev.Type, ev.ID, err)
	}
	return nil
}

// BadgeGrant is one award of a badge to a member.
type BadgeGrant struct {
	OrganizationID uuid.UUID
	BadgeID        uuid.UUID
	UserID         uuid.UUID
	// AwardedBy is the person who gave it; nil for automatic badges and
	// rule actions.
	AwardedBy *uuid.UUID
	Reason    string
	// CauseDepth is the depth of the domain event that led here (0 for a
	// person's award); badge.awarded is recorded one deeper.
	CauseDepth int
}

// ErrBadgeArchived is returned for an award of an archived badge.
var ErrBadgeArchived = errors.New("badge is archived")

// AwardBadge is the badge award transaction's body, run in tx: the award
// row (a member who has the badge ends it: false, nil), the badge's
// points through the ledger, the member's inbox notice, the audit row and
// the badge.awarded domain event.
func (r Recorder) AwardBadge(ctx context.Context, tx bun.Tx, g BadgeGrant) (bool, error) {
	badge, err := db.BadgeInOrg(ctx, tx, g.OrganizationID, g.BadgeID)
	if err != nil {
		return false, err
	}
	if badge.ArchivedAt != nil {
		return false, fmt.Errorf("award badge %s: %w", badge.ID, ErrBadgeArchived)
	}
	awarded, err := db.InsertBadgeAward(ctx, tx, &db.BadgeAward{OrganizationID: g.OrganizationID, BadgeID: g.BadgeID,
		UserID: g.UserID, AwardedBy: g.AwardedBy, Reason: g.Reason})
	if err != nil || !awarded {
		return false, err
	}
	if badge.PointsValue > 0 {
		if err := awardBadgePoints(ctx, tx, badge, g); err != nil {
			return false, err
		}
	}
	if err := db.Notify(ctx, tx, badgeNotice(badge, g)); err != nil {
		return false, err
	}
	if err := db.WriteAudit(ctx, tx, &db.AuditLog{ActorUserID: g.AwardedBy, OrganizationID: &g.OrganizationID,
		ObjectType: "badge", ObjectID: badge.ID.String(), Action: "badge.award",
		Payload: map[string]any{"user_id": g.UserID.String(), "reason": g.Reason}}); err != nil {
		return false, err
	}
	refType, refID := "badge", badge.ID.String()
	return true, r.Emit(ctx, tx, &db.DomainEvent{OrganizationID: g.OrganizationID, Type: "badge.awarded",
		SubjectUserID: &g.UserID, ReferenceType: &refType, ReferenceID: &refID,
		Payload:    map[string]any{"badge_id": refID, "badge_kind": badge.Kind, "points": badge.PointsValue},
		CauseDepth: min(g.CauseDepth+1, MaxCauseDepth)})
}

func awardBadgePoints(ctx context.Context, tx bun.Tx, badge *db.Badge, g BadgeGrant) error {
	refType, refID := "badge", badge.ID.String()
	_, err := db.PointsLedger{}.Award(ctx, tx, db.LedgerEntry{OrganizationID: g.OrganizationID, UserID: g.UserID,
		Amount: int64(badge.PointsValue), Type: "badge", ReferenceType: &refType, ReferenceID: &refID,
		Reason: "badge: " + badge.Name, ActorUserID: g.AwardedBy,
		IdempotencyKey: "badge:" + badge.ID.String() + ":" + g.UserID.String()})
	if err != nil && !errors.Is(err, db.ErrAlreadyRecorded) {
		return fmt.Errorf("points for badge %s: %w", badge.ID, err)
	}
	return nil
}

func badgeNotice(badge *db.Badge, g BadgeGrant) *db.Notification {
	msg := "You earned the " + badge.Name + " badge."
	if badge.PointsValue > 0 {
		msg = fmt.Sprintf("You earned the %s badge and %d points.", badge.Name, badge.PointsValue)
	}
	return &db.Notification{RecipientUserID: g.UserID, SenderUserID: g.AwardedBy, OrganizationID: &g.OrganizationID,
		Type: "badge_awarded", Title: "New badge: " + badge.Name, Message: msg,
		ReferenceType: "badge", ReferenceID: badge.ID.String()}
}
