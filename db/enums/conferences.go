package enums

// Conference statuses: conferences.status. Drafts are seen only by their
// organization's owners and admins; the public agenda shows the others
// except cancelled.
const (
	ConferenceDraft     = "draft"
	ConferencePublished = "published"
	ConferenceLive      = "live"
	ConferenceCompleted = "completed"
	ConferenceCancelled = "cancelled"
)

// ConferencePublic reports a conference the public agenda shows.
func ConferencePublic(status string) bool {
	return status == ConferencePublished || status == ConferenceLive || status == ConferenceCompleted
}

// Attendance statuses: conference_attendees.status.
const (
	AttendanceRegistered = "registered"
	AttendanceCancelled  = "cancelled"
)

// Speaker roles: conference_speakers, event_speakers and
// conference_agenda_speakers.role.
const (
	SpeakerRoleKeynote      = "keynote"
	SpeakerRoleSpeaker      = "speaker"
	SpeakerRolePanelist     = "panelist"
	SpeakerRoleModerator    = "moderator"
	SpeakerRoleHost         = "host"
	SpeakerRoleWorkshopLead = "workshop_lead"
)

// SpeakerRoles lists the speaker roles in the schema's order.
var SpeakerRoles = []string{SpeakerRoleKeynote, SpeakerRoleSpeaker, SpeakerRolePanelist, SpeakerRoleModerator,
	SpeakerRoleHost, SpeakerRoleWorkshopLead}

// Agenda item kinds: conference_agenda.kind.
const (
	AgendaKeynote    = "keynote"
	AgendaTalk       = "talk"
	AgendaPanel      = "panel"
	AgendaWorkshop   = "workshop"
	AgendaBreak      = "break"
	AgendaNetworking = "networking"
	AgendaOther      = "other"
)

// AgendaKinds lists the agenda item kinds in the schema's order.
var AgendaKinds = []string{AgendaKeynote, AgendaTalk, AgendaPanel, AgendaWorkshop, AgendaBreak, AgendaNetworking,
	AgendaOther}

// Agenda item statuses: conference_agenda.status. Only scheduled items
// hold their room and speakers.
const (
	AgendaScheduled = "scheduled"
	AgendaCancelled = "cancelled"
)

// Quest statuses: quests.status. Tasks change only while a quest is a
// draft; members join only published quests inside their window.
const (
	QuestDraft     = "draft"
	QuestPublished = "published"
	QuestArchived  = "archived"
)

// Quest recurrences: quests.recurrence. A recurring quest is done once
// per period (the window's start: the UTC day, ISO week's Monday or
// month's first day); a one-off quest has one period, the UTC date of its
// start.
const (
	RecurrenceNone    = "none"
	RecurrenceDaily   = "daily"
	RecurrenceWeekly  = "weekly"
	RecurrenceMonthly = "monthly"
)

// Quest task kinds: quest_tasks.kind.
const (
	TaskKindURLVisit      = "url_visit"
	TaskKindQuiz          = "quiz"
	TaskKindTelegramJoin  = "telegram_join"
	TaskKindTwitterFollow = "twitter_follow"
	TaskKindAPICheck      = "api_check"
	TaskKindManualProof   = "manual_proof"
	TaskKindSecretCode    = "secret_code"
)

// TaskKinds lists the quest task kinds in the schema's order.
var TaskKinds = []string{TaskKindURLVisit, TaskKindQuiz, TaskKindTelegramJoin, TaskKindTwitterFollow,
	TaskKindAPICheck, TaskKindManualProof, TaskKindSecretCode}

// Quest registration statuses: quest_registration_requests.status.
const (
	RegistrationPending  = "pending"
	RegistrationApproved = "approved"
	RegistrationRejected = "rejected"
	RegistrationExpired  = "expired"
)

// A member's task statuses: user_quest_tasks.status. Failed may be
// submitted again after the quest's cooldown; completed is final for the
// period.
const (
	UserTaskSubmitted = "submitted"
	UserTaskVerifying = "verifying"
	UserTaskInReview  = "in_review"
	UserTaskCompleted = "completed"
	UserTaskFailed    = "failed"
)

// Connection statuses: connections.status. Pending and accepted hold the
// pair; declined and cancelled let either ask again; blocked refuses both
// ways until the blocker unblocks.
const (
	ConnectionPending   = "pending"
	ConnectionAccepted  = "accepted"
	ConnectionDeclined  = "declined"
	ConnectionCancelled = "cancelled"
	ConnectionBlocked   = "blocked"
)

// Enrichment statuses: the status of linkedin_meta and the *_enrichments
// tables.
const (
	EnrichmentPending = "pending"
	EnrichmentDone    = "done"
	EnrichmentFailed  = "failed"
)

// Enrichment kinds: what RefreshEnrichment and the enrichment job take.
const (
	EnrichmentLinkedIn = "linkedin"
	EnrichmentTwitter  = "twitter"
	EnrichmentCrypto   = "crypto"
)
