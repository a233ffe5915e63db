package db

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// The conferences domain's rows (migration 20261206000100_conferences).
// Queries live beside them, one file per topic: conferences_*.go
// (conferences, attendees, speakers, the agenda), quests*.go (quests, their
// tasks, the runs' writes, the review queue, leaderboards),
// connections.go and enrichments.go.

// Conference is a multi-day gathering of an organization: its agenda is
// shown in Timezone, and AgendaVersion (bumped by every agenda or speaker
// change) is the public agenda's ETag.
type Conference struct {
	bun.BaseModel `bun:"table:conferences,alias:conf"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	Slug           string    `bun:"slug,notnull"`
	Name           string    `bun:"name,notnull"`
	Description    string    `bun:"description,notnull"`
	// Status is one of enums.Conference*.
	Status        string     `bun:"status,notnull"`
	StartDate     time.Time  `bun:"start_date,type:date,notnull"`
	EndDate       time.Time  `bun:"end_date,type:date,notnull"`
	Timezone      string     `bun:"timezone,notnull"`
	Venue         string     `bun:"venue,notnull"`
	IsFeatured    bool       `bun:"is_featured,notnull"`
	AgendaVersion int64      `bun:"agenda_version,notnull"`
	CreatedBy     *uuid.UUID `bun:"created_by,type:uuid"`
	PublishedAt   *time.Time `bun:"published_at"`
	CancelledAt   *time.Time `bun:"cancelled_at"`
	Timestamps
}

// ConferenceAttendee is a member's registration for a conference; quests
// of the conference and connections made there need one that is
// registered.
type ConferenceAttendee struct {
	bun.BaseModel `bun:"table:conference_attendees,alias:catt"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	ConferenceID   uuid.UUID `bun:"conference_id,type:uuid,notnull"`
	UserID         uuid.UUID `bun:"user_id,type:uuid,notnull"`
	// Status is one of enums.Attendance*.
	Status       string     `bun:"status,notnull"`
	RegisteredAt time.Time  `bun:"registered_at,nullzero,notnull,default:now()"`
	CancelledAt  *time.Time `bun:"cancelled_at"`
	Timestamps
}

// Speaker is a person who speaks at an organization's conferences and
// events, optionally linked to their user account (one speaker per user).
type Speaker struct {
	bun.BaseModel `bun:"table:speakers,alias:spk"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	UserID         *uuid.UUID `bun:"user_id,type:uuid"`
	Name           string     `bun:"name,notnull"`
	Headline       string     `bun:"headline,notnull"`
	Company        string     `bun:"company,notnull"`
	Bio            string     `bun:"bio,notnull"`
	PhotoURL       string     `bun:"photo_url,notnull"`
	TwitterHandle  string     `bun:"twitter_handle,notnull"`
	LinkedInURL    string     `bun:"linkedin_url,notnull"`
	Timestamps
}

// ConferenceSpeaker puts a speaker on a conference's line-up.
type ConferenceSpeaker struct {
	bun.BaseModel `bun:"table:conference_speakers,alias:cspk"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	ConferenceID   uuid.UUID `bun:"conference_id,type:uuid,notnull"`
	SpeakerID      uuid.UUID `bun:"speaker_id,type:uuid,notnull"`
	// Role is one of enums.SpeakerRole*.
	Role      string    `bun:"role,notnull"`
	CreatedAt time.Time `bun:"created_at,nullzero,notnull,default:now()"`
}

// EventSpeaker puts a speaker on an event.
type EventSpeaker struct {
	bun.BaseModel `bun:"table:event_speakers,alias:espk"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	EventID        uuid.UUID `bun:"event_id,type:uuid,notnull"`
	SpeakerID      uuid.UUID `bun:"speaker_id,type:uuid,notnull"`
	Role           string    `bun:"role,notnull"`
	CreatedAt      time.Time `bun:"created_at,nullzero,notnull,default:now()"`
}

// AgendaItem is a slot of a conference's agenda. The database refuses a
// scheduled item that overlaps another in the same room
// (conference_agenda_room_free) or falls outside the conference's dates
// in its zone (conference_agenda_within_dates).
type AgendaItem struct {
	bun.BaseModel `bun:"table:conference_agenda,alias:agi"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	ConferenceID   uuid.UUID `bun:"conference_id,type:uuid,notnull"`
	// Kind is one of enums.Agenda* kinds.
	Kind        string     `bun:"kind,notnull"`
	Title       string     `bun:"title,notnull"`
	Description string     `bun:"description,notnull"`
	Track       string     `bun:"track,notnull"`
	Room        string     `bun:"room,notnull"`
	StartsAt    time.Time  `bun:"starts_at,notnull"`
	EndsAt      time.Time  `bun:"ends_at,notnull"`
	EventID     *uuid.UUID `bun:"event_id,type:uuid"`
	// Status is enums.AgendaScheduled or enums.AgendaCancelled.
	Status      string     `bun:"status,notnull"`
	CancelledAt *time.Time `bun:"cancelled_at"`
	Timestamps
}

// AgendaSpeaker puts a speaker on an agenda item. The trigger
// conference_agenda_speakers_fill copies the item's time and status into
// it (whatever the insert says), and conference_agenda_speakers_free
// refuses a speaker in two scheduled items at once.
type AgendaSpeaker struct {
	bun.BaseModel `bun:"table:conference_agenda_speakers,alias:agspk"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	ConferenceID   uuid.UUID `bun:"conference_id,type:uuid,notnull"`
	AgendaID       uuid.UUID `bun:"agenda_id,type:uuid,notnull"`
	SpeakerID      uuid.UUID `bun:"speaker_id,type:uuid,notnull"`
	Role           string    `bun:"role,notnull"`
	CreatedAt      time.Time `bun:"created_at,nullzero,notnull,default:now()"`
}

// Quest is a set of tasks a member completes for points, once or once per
// recurrence period, inside the window [StartsAt, EndsAt).
type Quest struct {
	bun.BaseModel `bun:"table:quests,alias:qst"`

	ID               uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID   uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	ConferenceID     *uuid.UUID `bun:"conference_id,type:uuid"`
	Title            string     `bun:"title,notnull"`
	Description      string     `bun:"description,notnull"`
	Category         string     `bun:"category,notnull"`
	Featured         bool       `bun:"featured,notnull"`
	Points           int        `bun:"points,notnull"`
	RequiresApproval bool       `bun:"requires_approval,notnull"`
	// Recurrence is one of enums.Recurrence*.
	Recurrence           string    `bun:"recurrence,notnull"`
	StartsAt             time.Time `bun:"starts_at,notnull"`
	EndsAt               time.Time `bun:"ends_at,notnull"`
	MaxParticipants      *int      `bun:"max_participants"`
	ParticipantsCount    int       `bun:"participants_count,notnull"`
	RetryCooldownSeconds int       `bun:"retry_cooldown_seconds,notnull"`
	ReviewSLAHours       int       `bun:"review_sla_hours,notnull"`
	// Status is one of enums.Quest*.
	Status      string     `bun:"status,notnull"`
	CreatedBy   *uuid.UUID `bun:"created_by,type:uuid"`
	PublishedAt *time.Time `bun:"published_at"`
	ArchivedAt  *time.Time `bun:"archived_at"`
	Timestamps
}

// QuestTask is one step of a quest, verified by its Kind's verifier.
// Config holds the kind's settings (see the migration); the secret code
// is kept only as CodeHash and the api_check HMAC secret only sealed.
type QuestTask struct {
	bun.BaseModel `bun:"table:quest_tasks,alias:qtk"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	QuestID        uuid.UUID `bun:"quest_id,type:uuid,notnull"`
	Position       int       `bun:"position,notnull"`
	// Kind is one of enums.TaskKind*.
	Kind             string          `bun:"kind,notnull"`
	Title            string          `bun:"title,notnull"`
	Description      string          `bun:"description,notnull"`
	Required         bool            `bun:"required,notnull"`
	Config           json.RawMessage `bun:"config,type:jsonb,notnull"`
	CodeHash         *string         `bun:"code_hash"`
	SecretCiphertext []byte          `bun:"secret_ciphertext"`
	SecretKeyID      *string         `bun:"secret_key_id"`
	Timestamps
}

// QuestRegistration is a member's request to join a quest that needs
// approval (or the record of a join that did not).
type QuestRegistration struct {
	bun.BaseModel `bun:"table:quest_registration_requests,alias:qreg"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	QuestID        uuid.UUID `bun:"quest_id,type:uuid,notnull"`
	UserID         uuid.UUID `bun:"user_id,type:uuid,notnull"`
	// Status is one of enums.Registration*.
	Status    string     `bun:"status,notnull"`
	DecidedBy *uuid.UUID `bun:"decided_by,type:uuid"`
	DecidedAt *time.Time `bun:"decided_at"`
	Comment   string     `bun:"comment,notnull"`
	Timestamps
}

// UserQuestTask is a member's submission of a task in one period and what
// became of it.
type UserQuestTask struct {
	bun.BaseModel `bun:"table:user_quest_tasks,alias:uqt"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	QuestID        uuid.UUID `bun:"quest_id,type:uuid,notnull"`
	QuestTaskID    uuid.UUID `bun:"quest_task_id,type:uuid,notnull"`
	UserID         uuid.UUID `bun:"user_id,type:uuid,notnull"`
	// Period is the start of the recurrence window (a date).
	Period time.Time `bun:"period,type:date,notnull"`
	// Status is one of enums.UserTask*.
	Status        string          `bun:"status,notnull"`
	Attempts      int             `bun:"attempts,notnull"`
	Submission    json.RawMessage `bun:"submission,type:jsonb,notnull"`
	Result        json.RawMessage `bun:"result,type:jsonb,notnull"`
	ReviewerID    *uuid.UUID      `bun:"reviewer_id,type:uuid"`
	ReviewComment string          `bun:"review_comment,notnull"`
	SubmittedAt   time.Time       `bun:"submitted_at,nullzero,notnull,default:now()"`
	ReviewDueAt   *time.Time      `bun:"review_due_at"`
	ReviewedAt    *time.Time      `bun:"reviewed_at"`
	CompletedAt   *time.Time      `bun:"completed_at"`
	Timestamps
}

// QuestLinkVisit records that a member followed a url_visit task's
// tracked link.
type QuestLinkVisit struct {
	bun.BaseModel `bun:"table:quest_link_visits,alias:qlv"`

	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	QuestTaskID    uuid.UUID `bun:"quest_task_id,pk,type:uuid"`
	UserID         uuid.UUID `bun:"user_id,pk,type:uuid"`
	VisitedAt      time.Time `bun:"visited_at,nullzero,notnull,default:now()"`
}

// QuestCompletion is a member's completion of a quest in one period; its
// points are the ledger entry keyed quest:<quest>:<user>:<period>.
type QuestCompletion struct {
	bun.BaseModel `bun:"table:quest_completions,alias:qcmp"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	QuestID        uuid.UUID `bun:"quest_id,type:uuid,notnull"`
	UserID         uuid.UUID `bun:"user_id,type:uuid,notnull"`
	Period         time.Time `bun:"period,type:date,notnull"`
	Points         int       `bun:"points,notnull"`
	CompletedAt    time.Time `bun:"completed_at,nullzero,notnull,default:now()"`
}

// Connection links two members, one row per pair whoever asked first.
type Connection struct {
	bun.BaseModel `bun:"table:connections,alias:conn"`

	ID           uuid.UUID  `bun:"id,pk,type:uuid"`
	RequesterID  uuid.UUID  `bun:"requester_id,type:uuid,notnull"`
	RecipientID  uuid.UUID  `bun:"recipient_id,type:uuid,notnull"`
	ConferenceID *uuid.UUID `bun:"conference_id,type:uuid"`
	// Status is one of enums.Connection*.
	Status      string     `bun:"status,notnull"`
	Message     string     `bun:"message,notnull"`
	BlockedBy   *uuid.UUID `bun:"blocked_by,type:uuid"`
	RespondedAt *time.Time `bun:"responded_at"`
	Timestamps
}

// ConnectionQuota counts the connection requests a member sent on a UTC
// day; the CHECK refuses the one past Limit.
type ConnectionQuota struct {
	bun.BaseModel `bun:"table:connection_quota,alias:cq"`

	UserID uuid.UUID `bun:"user_id,pk,type:uuid"`
	Day    time.Time `bun:"day,pk,type:date"`
	Count  int       `bun:"count,notnull"`
	Limit  int       `bun:"limit,notnull"`
}

// Enrichment is the state every enrichment row shares: its status (one
// of enums.Enrichment*), the hash of the input it was made from (a
// changed input makes it pending again), the provider's result or error.
type Enrichment struct {
	Status     string          `bun:"status,notnull"`
	InputHash  string          `bun:"input_hash,notnull"`
	Result     json.RawMessage `bun:"result,type:jsonb,notnull"`
	Error      string          `bun:"error,notnull"`
	EnrichedAt *time.Time      `bun:"enriched_at"`
}

// LinkedInMeta is a member's LinkedIn profile and its enrichment.
type LinkedInMeta struct {
	bun.BaseModel `bun:"table:linkedin_meta,alias:lim"`

	ID         uuid.UUID `bun:"id,pk,type:uuid"`
	UserID     uuid.UUID `bun:"user_id,type:uuid,notnull"`
	ProfileURL string    `bun:"profile_url,notnull"`
	Headline   string    `bun:"headline,notnull"`
	Company    string    `bun:"company,notnull"`
	Enrichment
	Timestamps
}

// TwitterMeta is a member's Twitter (X) handle.
type TwitterMeta struct {
	bun.BaseModel `bun:"table:twitter_meta,alias:twm"`

	ID     uuid.UUID `bun:"id,pk,type:uuid"`
	UserID uuid.UUID `bun:"user_id,type:uuid,notnull"`
	Handle string    `bun:"handle,notnull"`
	Timestamps
}

// TwitterEnrichment is what the provider found about a member's handle.
type TwitterEnrichment struct {
	bun.BaseModel `bun:"table:twitter_enrichments,alias:twe"`

	ID     uuid.UUID `bun:"id,pk,type:uuid"`
	UserID uuid.UUID `bun:"user_id,type:uuid,notnull"`
	Enrichment
	Timestamps
}

// CryptoEnrichment is what the provider found about a member's wallet.
type CryptoEnrichment struct {
	bun.BaseModel `bun:"table:crypto_enrichments,alias:cre"`

	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	UserID        uuid.UUID `bun:"user_id,type:uuid,notnull"`
	WalletAddress string    `bun:"wallet_address,notnull"`
	Enrichment
	Timestamps
}
