package engagement

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
)

// AwardEarnedBadges awards, in tx, every automatic badge the member has
// earned and does not hold yet, and returns how many it awarded. depth is
// the cause depth of the domain event that prompted the check.
func (r Recorder) AwardEarnedBadges(ctx context.Context, tx bun.Tx, orgID, userID uuid.UUID, depth int) (int, error) {
	badges, err := db.AutomaticBadgesNotHeld(ctx, tx, orgID, userID)
	if err != nil || len(badges) == 0 {
		return 0, err
	}
	points, err := db.UserPointsOf(ctx, tx, orgID, userID)
	if err != nil {
		return 0, err
	}
	awarded := 0
	for i := range badges {
		earned, err := badgeEarned(ctx, tx, &badges[i], points)
		if err != nil {
			return awarded, err
		}
		if !earned {
			continue
		}
		ok, err := r.AwardBadge(ctx, tx, BadgeGrant{OrganizationID: orgID, BadgeID: badges[i].ID, UserID: userID,
			Reason: "earned automatically", CauseDepth: depth})
		if err != nil {
			return awarded, fmt.Errorf("award earned badge %s: %w", badges[i].ID, err)
		}
		if ok {
			awarded++
		}
	}
	return awarded, nil
}

// badgeEarned applies the criteria of badge's kind (db.BadgeCriteria).
func badgeEarned(ctx context.Context, tx bun.Tx, b *db.Badge, points *db.UserPoints) (bool, error) {
	c := b.Criteria
	switch b.Kind {
	case "first", "threshold":
		if c.EventType == "" {
			return b.Kind == "threshold" && c.Points > 0 && points.LifetimePoints >= c.Points, nil
		}
		n, err := db.CountSubjectEvents(ctx, tx, b.OrganizationID, points.UserID, c.EventType)
		if err != nil {
			return false, err
		}
		return n >= max(c.Count, 1), nil
	case "streak":
		return c.Days > 0 && points.CurrentStreak >= c.Days, nil
	}
	return false, nil
}
