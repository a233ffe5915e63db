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

// Learning path statuses: learning_paths.status. Modules change only while
// a path is a draft; members enroll only in published paths.
const (
	PathDraft     = "draft"
	PathPublished = "published"
	PathArchived  = "archived"
)

// Learning module kinds: learning_modules.kind.
const (
	ModuleLesson = "lesson"
	ModuleQuiz   = "quiz"
)

// Learning progress statuses: learning_path_progress.status.
const (
	ProgressEnrolled   = "enrolled"
	ProgressInProgress = "in_progress"
	ProgressCompleted  = "completed"
)

// Recognition statuses: recognitions.status. Pending ones wait for an
// approver; rejected and expired ones gave the allowance back.
const (
	RecognitionPending  = "pending"
	RecognitionApproved = "approved"
	RecognitionRejected = "rejected"
	RecognitionExpired  = "expired"
)

// Recognition visibilities: recognitions.visibility, who sees one in the
// feed besides its sender and recipient.
const (
	RecognitionPublic  = "public"
	RecognitionTeam    = "team"
	RecognitionPrivate = "private"
)

// Rule cap periods: gamification_rules.cap_period, the window a rule's
// per-member cap counts in (organization zone).
const (
	CapDay   = "day"
	CapWeek  = "week"
	CapMonth = "month"
	CapTotal = "total"
)

// Rule execution outcomes: rule_executions.outcome, what one rule did with
// one domain event.
const (
	RuleFired           = "fired"
	RuleConditionsFalse = "conditions_false"
	RuleCapped          = "capped"
	RuleDepthLimit      = "depth_limit"
)

// Team roles: team_memberships.role. Leaders and moderators manage their
// own team's members and channels.
const (
	TeamRoleMember    = "member"
	TeamRoleModerator = "moderator"
	TeamRoleLeader    = "leader"
)

// Challenge metrics: team_challenges.metric, what a participant's score
// counts over the window.
const (
	ChallengeMetricPoints   = "points"
	ChallengeMetricCheckIns = "check_ins"
	ChallengeMetricModules  = "modules"
)

// Challenge statuses: team_challenges.status, set by the team-challenge
// workflow.
const (
	ChallengeScheduled = "scheduled"
	ChallengeRunning   = "running"
	ChallengeSettling  = "settling"
	ChallengeCompleted = "completed"
	ChallengeCancelled = "cancelled"
)
