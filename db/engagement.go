package db

import (
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// The engagement domain's core rows (migration
// 20261204000100_engagement_core). Queries live beside them, one file per
// topic: engagement_ledger.go (points), engagement_badges.go,
// engagement_events.go (the domain event outbox).

// EngagementSettings are one organization's engagement choices; an
// organization without a row has the column defaults.
type EngagementSettings struct {
	bun.BaseModel `bun:"table:engagement_settings,alias:eset"`

	OrganizationID    uuid.UUID `bun:"organization_id,pk,type:uuid"`
	TimeZone          string    `bun:"time_zone,notnull"`
	MonthlyAllowance  int       `bun:"monthly_allowance,notnull"`
	ApprovalThreshold int       `bun:"approval_threshold,notnull"`
	// BuddyMaxLoad is how many hires one buddy looks after at once.
	BuddyMaxLoad int `bun:"buddy_max_load,nullzero,notnull,default:2"`
	Timestamps
}

// MemberProfile is a member's engagement profile (seed UserProfile).
type MemberProfile struct {
	bun.BaseModel `bun:"table:member_profiles,alias:mp"`

	OrganizationID     uuid.UUID `bun:"organization_id,pk,type:uuid"`
	UserID             uuid.UUID `bun:"user_id,pk,type:uuid"`
	Title              string    `bun:"title,notnull"`
	Location           string    `bun:"location,notnull"`
	Skills             []string  `bun:"skills,array,notnull"`
	Interests          []string  `bun:"interests,array,notnull"`
	LeaderboardVisible bool      `bun:"leaderboard_visible,notnull"`
	// OfficeID and BuddyAvailable are onboarding's: where the member works,
	// and whether they volunteer as a buddy.
	OfficeID       *uuid.UUID `bun:"office_id,type:uuid"`
	BuddyAvailable bool       `bun:"buddy_available,notnull"`
	Timestamps
}

// UserPoints are a member's aggregates of the ledger. Only
// PointsLedger.Award changes the points columns (a trigger refuses
// anything else); TeamID is set by team membership.
type UserPoints struct {
	bun.BaseModel `bun:"table:user_points,alias:up"`

	OrganizationID  uuid.UUID  `bun:"organization_id,pk,type:uuid"`
	UserID          uuid.UUID  `bun:"user_id,pk,type:uuid"`
	TotalPoints     int64      `bun:"total_points,notnull"`
	PointsThisMonth int64      `bun:"points_this_month,notnull"`
	MonthKey        time.Time  `bun:"month_key,type:date,notnull"`
	LifetimePoints  int64      `bun:"lifetime_points,notnull"`
	Tier            string     `bun:"tier,scanonly"`
	CurrentStreak   int        `bun:"current_streak,notnull"`
	LongestStreak   int        `bun:"longest_streak,notnull"`
	LastGainOn      *time.Time `bun:"last_gain_on,type:date"`
	TeamID          *uuid.UUID `bun:"team_id,type:uuid"`
	// LeaderboardVisible copies member_profiles' (by its trigger).
	LeaderboardVisible bool `bun:"leaderboard_visible,scanonly"`
	Timestamps
}

// LedgerEntry is one change of a member's points. BalanceAfter is set by
// the database.
type LedgerEntry struct {
	bun.BaseModel `bun:"table:points_ledger,alias:pl"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	UserID         uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	Amount         int64      `bun:"amount,notnull"`
	Type           string     `bun:"type,notnull"`
	ReferenceType  *string    `bun:"reference_type"`
	ReferenceID    *string    `bun:"reference_id"`
	Reason         string     `bun:"reason,notnull"`
	ActorUserID    *uuid.UUID `bun:"actor_user_id,type:uuid"`
	IdempotencyKey string     `bun:"idempotency_key,notnull"`
	BalanceAfter   int64      `bun:"balance_after,notnull"`
	CreatedAt      time.Time  `bun:"created_at,nullzero,notnull,default:now()"`
}

// Badge is something a member can earn once. Badges are archived, never
// deleted.
type Badge struct {
	bun.BaseModel `bun:"table:badges,alias:bdg"`

	ID             uuid.UUID     `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID     `bun:"organization_id,type:uuid,notnull"`
	Name           string        `bun:"name,notnull"`
	Description    string        `bun:"description,notnull"`
	IconURL        string        `bun:"icon_url,notnull"`
	Kind           string        `bun:"kind,notnull"`
	Criteria       BadgeCriteria `bun:"criteria,type:jsonb,notnull"`
	Category       string        `bun:"category,notnull"`
	Rarity         string        `bun:"rarity,notnull"`
	PointsValue    int           `bun:"points_value,notnull"`
	TimesAwarded   int           `bun:"times_awarded,notnull"`
	CreatedBy      *uuid.UUID    `bun:"created_by,type:uuid"`
	ArchivedAt     *time.Time    `bun:"archived_at"`
	Timestamps
}

// BadgeCriteria says when an automatic badge is earned: kind first, the
// first domain event of EventType; threshold, Count events of EventType
// or, without EventType, Points lifetime points; streak, a gain on Days
// days in a row.
type BadgeCriteria struct {
	EventType string `json:"event_type,omitempty"`
	Count     int    `json:"count,omitempty"`
	Points    int64  `json:"points,omitempty"`
	Days      int    `json:"days,omitempty"`
}

// BadgeAward is one member's badge; each badge is awarded to a member at
// most once.
type BadgeAward struct {
	bun.BaseModel `bun:"table:badge_awards,alias:ba"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	BadgeID        uuid.UUID  `bun:"badge_id,type:uuid,notnull"`
	UserID         uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	AwardedBy      *uuid.UUID `bun:"awarded_by,type:uuid"`
	Reason         string     `bun:"reason,notnull"`
	CreatedAt      time.Time  `bun:"created_at,nullzero,notnull,default:now()"`
}

// DomainEvent is a business fact in the outbox (ticket checked in, module
// completed, recognition approved, ...), written in the fact's own
// transaction. CauseDepth counts the rule actions that led to it.
type DomainEvent struct {
	bun.BaseModel `bun:"table:domain_events,alias:dev"`

	ID             uuid.UUID      `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID      `bun:"organization_id,type:uuid,notnull"`
	Type           string         `bun:"type,notnull"`
	SubjectUserID  *uuid.UUID     `bun:"subject_user_id,type:uuid"`
	ReferenceType  *string        `bun:"reference_type"`
	ReferenceID    *string        `bun:"reference_id"`
	Payload        map[string]any `bun:"payload,type:jsonb,notnull"`
	CauseDepth     int            `bun:"cause_depth,notnull"`
	OccurredAt     time.Time      `bun:"occurred_at,nullzero,notnull,default:now()"`
	CreatedAt      time.Time      `bun:"created_at,nullzero,notnull,default:now()"`
}
