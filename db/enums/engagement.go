package enums

// Ledger entry types: points_ledger.type, what a change of points is for.
const (
	LedgerRule                = "rule"
	LedgerBadge               = "badge"
	LedgerRecognitionSent     = "recognition_sent"
	LedgerRecognitionReceived = "recognition_received"
	LedgerRecognitionRefund   = "recognition_refund"
	LedgerModule              = "module"
	LedgerPath                = "path"
	LedgerChallenge           = "challenge"
	LedgerQuest               = "quest"
	LedgerOnboarding          = "onboarding"
	LedgerActivity            = "activity"
	LedgerManual              = "manual"
)

// Badge kinds: badges.kind (db.BadgeCriteria says what each needs).
const (
	BadgeFirst     = "first"
	BadgeThreshold = "threshold"
	BadgeStreak    = "streak"
	BadgeManual    = "manual"
)

// Badge rarities: badges.rarity, how rare a badge is meant to be.
const (
	RarityCommon    = "common"
	RarityUncommon  = "uncommon"
	RarityRare      = "rare"
	RarityEpic      = "epic"
	RarityLegendary = "legendary"
)

// Points tiers: user_points.tier, generated from total_points.
const (
	TierBronze   = "bronze"
	TierSilver   = "silver"
	TierGold     = "gold"
	TierPlatinum = "platinum"
)

// Domain event types: domain_events.type, the facts rules and badges react
// to. The schema checks only their shape (dotted lower case), so a new
// feature adds its type here.
const (
	EventTicketCheckedIn     = "ticket.checked_in"
	EventBadgeAwarded        = "badge.awarded"
	EventPointsAdjusted      = "points.adjusted"
	EventRecognitionSent     = "recognition.sent"
	EventRecognitionApproved = "recognition.approved"
	EventTeamJoined          = "team.joined"
	EventChannelJoined       = "channel.joined"
	EventChallengeWon        = "challenge.won"
	EventModuleCompleted     = "module.completed"
	EventQuizPassed          = "quiz.passed"
	EventMilestoneCompleted  = "milestone.completed"
	EventPathCompleted       = "path.completed"
	EventActivityRSVP        = "activity.rsvp"
	EventActivityAttended    = "activity.attended"
	EventActivityFeedback    = "activity.feedback"
	EventQuestCompleted      = "quest.completed"
	EventOnboardingCompleted = "onboarding.completed"
)
