package db

import (
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// The social domain's rows (issue 14, migration 20261207000100_social):
// groups inside events and their chat, RSVPs that take no seat, ratings
// between co-attendees, bans and reports, safety alerts and OIDC
// identities. Vocabularies are in db/enums/social.go.

// Group is a group of an event's attendees with its own chat.
type Group struct {
	bun.BaseModel `bun:"table:groups,alias:g"`

	ID          uuid.UUID  `bun:"id,pk,type:uuid"`
	EventID     uuid.UUID  `bun:"event_id,type:uuid,notnull"`
	CreatedBy   *uuid.UUID `bun:"created_by,type:uuid"`
	Name        string     `bun:"name,notnull"`
	Description string     `bun:"description,notnull"`
	MaxMembers  int32      `bun:"max_members,notnull"`
	IsPrivate   bool       `bun:"is_private,notnull"`
	// MemberCount is written only by AddGroupMember and RemoveGroupMember.
	MemberCount int32 `bun:"member_count,notnull"`
	// LastSeq is the last chat sequence handed out (NextGroupSeq).
	LastSeq   int64      `bun:"last_seq,notnull"`
	DeletedAt *time.Time `bun:"deleted_at"`
	Timestamps
}

// GroupMember is one member of a group.
type GroupMember struct {
	bun.BaseModel `bun:"table:group_members,alias:gm"`

	GroupID  uuid.UUID `bun:"group_id,pk,type:uuid"`
	UserID   uuid.UUID `bun:"user_id,pk,type:uuid"`
	IsAdmin  bool      `bun:"is_admin,notnull"`
	JoinedAt time.Time `bun:"joined_at,nullzero,notnull,default:now()"`
}

// GroupJoinRequest asks to join a private group.
type GroupJoinRequest struct {
	bun.BaseModel `bun:"table:group_join_requests,alias:gjr"`

	ID        uuid.UUID  `bun:"id,pk,type:uuid"`
	GroupID   uuid.UUID  `bun:"group_id,type:uuid,notnull"`
	UserID    uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	Message   string     `bun:"message,notnull"`
	Status    string     `bun:"status,notnull"`
	DecidedBy *uuid.UUID `bun:"decided_by,type:uuid"`
	DecidedAt *time.Time `bun:"decided_at"`
	CreatedAt time.Time  `bun:"created_at,nullzero,notnull,default:now()"`
}

// GroupInvite invites a user into a group.
type GroupInvite struct {
	bun.BaseModel `bun:"table:group_invites,alias:gi"`

	ID          uuid.UUID  `bun:"id,pk,type:uuid"`
	GroupID     uuid.UUID  `bun:"group_id,type:uuid,notnull"`
	UserID      uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	InvitedBy   *uuid.UUID `bun:"invited_by,type:uuid"`
	Status      string     `bun:"status,notnull"`
	CreatedAt   time.Time  `bun:"created_at,nullzero,notnull,default:now()"`
	RespondedAt *time.Time `bun:"responded_at"`
}

// GroupMessage is one chat message (the seed's messages). Seq orders the
// sends of a group, ChangeSeq its changes (send, edit, delete).
type GroupMessage struct {
	bun.BaseModel `bun:"table:group_messages,alias:msg"`

	ID              uuid.UUID  `bun:"id,pk,type:uuid"`
	GroupID         uuid.UUID  `bun:"group_id,type:uuid,notnull"`
	SenderID        uuid.UUID  `bun:"sender_id,type:uuid,notnull"`
	ClientMessageID string     `bun:"client_message_id,notnull"`
	Content         string     `bun:"content,notnull"`
	Seq             int64      `bun:"seq,notnull"`
	ChangeSeq       int64      `bun:"change_seq,notnull"`
	IsEdited        bool       `bun:"is_edited,notnull"`
	SentAt          time.Time  `bun:"sent_at,nullzero,notnull,default:now()"`
	EditedAt        *time.Time `bun:"edited_at"`
	DeletedAt       *time.Time `bun:"deleted_at"`
	DeletedBy       *uuid.UUID `bun:"deleted_by,type:uuid"`
}

// EventRsvp is an RSVP that takes no seat (interested, not going).
type EventRsvp struct {
	bun.BaseModel `bun:"table:event_rsvps,alias:rsvp"`

	EventID uuid.UUID `bun:"event_id,pk,type:uuid"`
	UserID  uuid.UUID `bun:"user_id,pk,type:uuid"`
	Status  string    `bun:"status,notnull"`
	Timestamps
}

// Rating is one attendee's rating of another after an event they both
// attended.
type Rating struct {
	bun.BaseModel `bun:"table:ratings,alias:rt"`

	ID          uuid.UUID `bun:"id,pk,type:uuid"`
	RatedUserID uuid.UUID `bun:"rated_user_id,type:uuid,notnull"`
	RaterUserID uuid.UUID `bun:"rater_user_id,type:uuid,notnull"`
	EventID     uuid.UUID `bun:"event_id,type:uuid,notnull"`
	Rating      int32     `bun:"rating,notnull"`
	Comment     string    `bun:"comment,notnull"`
	CreatedAt   time.Time `bun:"created_at,nullzero,notnull,default:now()"`
}

// Reputation is a user's kept reputation (users.rating_sum, rating_count,
// reputation); the view user_reputation recomputes it from the ratings.
type Reputation struct {
	UserID      uuid.UUID `bun:"id,type:uuid"`
	RatingSum   int64     `bun:"rating_sum"`
	RatingCount int64     `bun:"rating_count"`
	// Reputation is the average to two decimals, 0 without ratings.
	Reputation float64 `bun:"reputation"`
}

// UserBan bars a user from the platform, an event or a group until it
// expires or is lifted.
type UserBan struct {
	bun.BaseModel `bun:"table:user_bans,alias:ban"`

	ID        uuid.UUID  `bun:"id,pk,type:uuid"`
	UserID    uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	Scope     string     `bun:"scope,notnull"`
	EventID   *uuid.UUID `bun:"event_id,type:uuid"`
	GroupID   *uuid.UUID `bun:"group_id,type:uuid"`
	Reason    string     `bun:"reason,notnull"`
	BannedBy  *uuid.UUID `bun:"banned_by,type:uuid"`
	ExpiresAt *time.Time `bun:"expires_at"`
	LiftedAt  *time.Time `bun:"lifted_at"`
	LiftedBy  *uuid.UUID `bun:"lifted_by,type:uuid"`
	CreatedAt time.Time  `bun:"created_at,nullzero,notnull,default:now()"`
}

// Report reports a message or a user to the moderators.
type Report struct {
	bun.BaseModel `bun:"table:reports,alias:rep"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	ReporterID     uuid.UUID  `bun:"reporter_id,type:uuid,notnull"`
	TargetType     string     `bun:"target_type,notnull"`
	MessageID      *uuid.UUID `bun:"message_id,type:uuid"`
	ReportedUserID uuid.UUID  `bun:"reported_user_id,type:uuid,notnull"`
	EventID        *uuid.UUID `bun:"event_id,type:uuid"`
	GroupID        *uuid.UUID `bun:"group_id,type:uuid"`
	Reason         string     `bun:"reason,notnull"`
	Status         string     `bun:"status,notnull"`
	ResolvedBy     *uuid.UUID `bun:"resolved_by,type:uuid"`
	ResolvedAt     *time.Time `bun:"resolved_at"`
	ResolutionNote string     `bun:"resolution_note,notnull"`
	CreatedAt      time.Time  `bun:"created_at,nullzero,notnull,default:now()"`
}

// SafetyAlertBatch is one alert raised to one or more groups: the
// workflow safety-alert/<id>.
type SafetyAlertBatch struct {
	bun.BaseModel `bun:"table:safety_alert_batches,alias:sab"`

	ID              uuid.UUID  `bun:"id,pk,type:uuid"`
	SenderID        uuid.UUID  `bun:"sender_id,type:uuid,notnull"`
	ClientRequestID string     `bun:"client_request_id,notnull"`
	AlertType       string     `bun:"alert_type,notnull"`
	Message         string     `bun:"message,notnull"`
	Latitude        *float64   `bun:"latitude"`
	Longitude       *float64   `bun:"longitude"`
	Status          string     `bun:"status,notnull"`
	AcknowledgedBy  *uuid.UUID `bun:"acknowledged_by,type:uuid"`
	AcknowledgedAt  *time.Time `bun:"acknowledged_at"`
	ResolvedBy      *uuid.UUID `bun:"resolved_by,type:uuid"`
	ResolvedAt      *time.Time `bun:"resolved_at"`
	Outcome         *string    `bun:"outcome"`
	NotifiedCount   int32      `bun:"notified_count,notnull"`
	Timestamps
}

// SafetyAlert is the seed's safety_alerts: one row per target group.
type SafetyAlert struct {
	bun.BaseModel `bun:"table:safety_alerts,alias:sa"`

	ID               uuid.UUID  `bun:"id,pk,type:uuid"`
	BatchID          uuid.UUID  `bun:"batch_id,type:uuid,notnull"`
	UserID           uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	GroupID          uuid.UUID  `bun:"group_id,type:uuid,notnull"`
	EventID          uuid.UUID  `bun:"event_id,type:uuid,notnull"`
	Latitude         *float64   `bun:"latitude"`
	Longitude        *float64   `bun:"longitude"`
	AlertType        string     `bun:"alert_type,notnull"`
	Message          string     `bun:"message,notnull"`
	CreatedAt        time.Time  `bun:"created_at,nullzero,notnull,default:now()"`
	ResolvedAt       *time.Time `bun:"resolved_at"`
	ResolvedByUserID *uuid.UUID `bun:"resolved_by_user_id,type:uuid"`
}

// SafetyAlertAck records who acknowledged an alert.
type SafetyAlertAck struct {
	bun.BaseModel `bun:"table:safety_alert_acks,alias:saa"`

	BatchID        uuid.UUID `bun:"batch_id,pk,type:uuid"`
	UserID         uuid.UUID `bun:"user_id,pk,type:uuid"`
	AcknowledgedAt time.Time `bun:"acknowledged_at,nullzero,notnull,default:now()"`
}

// UserIdentity links a user to a subject at an OIDC issuer.
type UserIdentity struct {
	bun.BaseModel `bun:"table:user_identities,alias:uid"`

	ID          uuid.UUID  `bun:"id,pk,type:uuid"`
	UserID      uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	Issuer      string     `bun:"issuer,notnull"`
	Subject     string     `bun:"subject,notnull"`
	Email       *string    `bun:"email"`
	LastLoginAt *time.Time `bun:"last_login_at"`
	Timestamps
}
