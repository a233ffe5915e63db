package db

import (
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// The content domain's rows (migration 20261203000100_content). Queries
// live beside them, one file per topic: content_items.go (content and
// versions), content_approvals.go, content_social.go, content_metrics.go,
// content_events.go.

// Campaign groups content for one goal, optionally around an event.
type Campaign struct {
	bun.BaseModel `bun:"table:campaigns,alias:cmp"`

	ID              uuid.UUID      `bun:"id,pk,type:uuid"`
	OrganizationID  uuid.UUID      `bun:"organization_id,type:uuid,notnull"`
	EventID         *uuid.UUID     `bun:"event_id,type:uuid"`
	CreatedBy       *uuid.UUID     `bun:"created_by,type:uuid"`
	Name            string         `bun:"name,notnull"`
	CampaignType    string         `bun:"campaign_type,notnull"`
	StartDate       time.Time      `bun:"start_date,notnull"`
	EndDate         time.Time      `bun:"end_date,notnull"`
	TargetPlatforms []string       `bun:"target_platforms,array,notnull"`
	KPITargets      map[string]any `bun:"kpi_targets,type:jsonb,notnull"`
	Status          string         `bun:"status,notnull"`
	ArchivedAt      *time.Time     `bun:"archived_at"`
	DeletedAt       *time.Time     `bun:"deleted_at"`
	Timestamps
}

// ContentTemplate is reusable content with {{variable}} placeholders.
type ContentTemplate struct {
	bun.BaseModel `bun:"table:content_templates,alias:ctpl"`

	ID             uuid.UUID         `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID         `bun:"organization_id,type:uuid,notnull"`
	CreatedBy      *uuid.UUID        `bun:"created_by,type:uuid"`
	Name           string            `bun:"name,notnull"`
	ContentType    string            `bun:"content_type,notnull"`
	TemplateData   map[string]string `bun:"template_data,type:jsonb,notnull"`
	ThumbnailURL   string            `bun:"thumbnail_url,notnull"`
	UsageCount     int               `bun:"usage_count,notnull"`
	DeletedAt      *time.Time        `bun:"deleted_at"`
	Timestamps
}

// MediaAsset is one uploaded file; content may use it once it is ready.
type MediaAsset struct {
	bun.BaseModel `bun:"table:media_assets,alias:ma"`

	ID               uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID   uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	UploadedBy       *uuid.UUID `bun:"uploaded_by,type:uuid"`
	Filename         string     `bun:"filename,notnull"`
	FileType         string     `bun:"file_type,notnull"`
	MimeType         string     `bun:"mime_type,notnull"`
	FileSize         int64      `bun:"file_size,notnull"`
	StorageKey       string     `bun:"storage_key,notnull"`
	StorageURL       string     `bun:"storage_url,notnull"`
	CDNURL           string     `bun:"cdn_url,notnull"`
	Width            *int       `bun:"width"`
	Height           *int       `bun:"height"`
	ProcessingStatus string     `bun:"processing_status,notnull"`
	ProcessingError  string     `bun:"processing_error,notnull"`
	AITags           []string   `bun:"ai_tags,array,notnull"`
	DeletedAt        *time.Time `bun:"deleted_at"`
	Timestamps
}

// SocialAccount is an organization's connected account on one platform.
// Its tokens are sealed (internal/secretbox) and never leave the server.
type SocialAccount struct {
	bun.BaseModel `bun:"table:social_accounts,alias:sa"`

	ID                     uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID         uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	EventID                *uuid.UUID `bun:"event_id,type:uuid"`
	ConnectedBy            *uuid.UUID `bun:"connected_by,type:uuid"`
	Platform               string     `bun:"platform,notnull"`
	PlatformUserID         string     `bun:"platform_user_id,notnull"`
	Username               string     `bun:"username,notnull"`
	AccessTokenCiphertext  []byte     `bun:"access_token_ciphertext,notnull"`
	RefreshTokenCiphertext []byte     `bun:"refresh_token_ciphertext"`
	TokenKeyID             string     `bun:"token_key_id,notnull"`
	TokenExpiresAt         *time.Time `bun:"token_expires_at"`
	IsActive               bool       `bun:"is_active,notnull"`
	DisconnectedAt         *time.Time `bun:"disconnected_at"`
	Timestamps
}

// SocialConnectState is one OAuth round trip started by StartConnect.
type SocialConnectState struct {
	bun.BaseModel `bun:"table:social_connect_states,alias:scs"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	UserID         uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	EventID        *uuid.UUID `bun:"event_id,type:uuid"`
	Platform       string     `bun:"platform,notnull"`
	StateHash      []byte     `bun:"state_hash,notnull"`
	ExpiresAt      time.Time  `bun:"expires_at,notnull"`
	UsedAt         *time.Time `bun:"used_at"`
	Timestamps
}

// Content is the stable identity of one piece of content; what it says is
// in its ContentVersions.
type Content struct {
	bun.BaseModel `bun:"table:content,alias:c"`

	ID               uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID   uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	EventID          *uuid.UUID `bun:"event_id,type:uuid"`
	CampaignID       *uuid.UUID `bun:"campaign_id,type:uuid"`
	TemplateID       *uuid.UUID `bun:"template_id,type:uuid"`
	PhaseID          *uuid.UUID `bun:"phase_id,type:uuid"`
	AuthorUserID     uuid.UUID  `bun:"author_user_id,type:uuid,notnull"`
	ContentType      string     `bun:"content_type,notnull"`
	CurrentVersion   int        `bun:"current_version,notnull"`
	WorkflowStatus   string     `bun:"workflow_status,notnull"`
	ApprovalRequired bool       `bun:"approval_required,notnull"`
	ScheduledFor     *time.Time `bun:"scheduled_for"`
	DeletedAt        *time.Time `bun:"deleted_at"`
	Timestamps
}

// ContentVersion is what one version of a content says. Versions form a
// line through ParentVersionID.
type ContentVersion struct {
	bun.BaseModel `bun:"table:content_versions,alias:cv"`

	ID              uuid.UUID  `bun:"id,pk,type:uuid"`
	ContentID       uuid.UUID  `bun:"content_id,type:uuid,notnull"`
	OrganizationID  uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	Version         int        `bun:"version,notnull"`
	ParentVersionID *uuid.UUID `bun:"parent_version_id,type:uuid"`
	Title           string     `bun:"title,notnull"`
	Caption         string     `bun:"caption,notnull"`
	Body            string     `bun:"body,notnull"`
	Hashtags        []string   `bun:"hashtags,array,notnull"`
	CreatedBy       *uuid.UUID `bun:"created_by,type:uuid"`
	Timestamps
}

// ContentVersionMedia places one media asset in a version.
type ContentVersionMedia struct {
	bun.BaseModel `bun:"table:content_version_media,alias:cvm"`

	ContentVersionID uuid.UUID `bun:"content_version_id,pk,type:uuid"`
	MediaAssetID     uuid.UUID `bun:"media_asset_id,pk,type:uuid"`
	Position         int       `bun:"position,notnull"`
	Timestamps
}

// ContentVersionTarget names one social account a version is for.
type ContentVersionTarget struct {
	bun.BaseModel `bun:"table:content_version_targets,alias:cvt"`

	ContentVersionID uuid.UUID `bun:"content_version_id,pk,type:uuid"`
	SocialAccountID  uuid.UUID `bun:"social_account_id,pk,type:uuid"`
	Timestamps
}

// PublishedPost is the one post of a content on one account, from the
// moment its publishing starts.
type PublishedPost struct {
	bun.BaseModel `bun:"table:published_posts,alias:pp"`

	ID               uuid.UUID      `bun:"id,pk,type:uuid"`
	OrganizationID   uuid.UUID      `bun:"organization_id,type:uuid,notnull"`
	ContentID        uuid.UUID      `bun:"content_id,type:uuid,notnull"`
	ContentVersionID uuid.UUID      `bun:"content_version_id,type:uuid,notnull"`
	SocialAccountID  uuid.UUID      `bun:"social_account_id,type:uuid,notnull"`
	Platform         string         `bun:"platform,notnull"`
	IdempotencyKey   string         `bun:"idempotency_key,notnull"`
	PlatformPostID   *string        `bun:"platform_post_id"`
	PlatformURL      string         `bun:"platform_url,notnull"`
	PublishedContent map[string]any `bun:"published_content,type:jsonb,notnull"`
	PublishStatus    string         `bun:"publish_status,notnull"`
	Attempts         int            `bun:"attempts,notnull"`
	LastError        string         `bun:"last_error,notnull"`
	PublishedAt      *time.Time     `bun:"published_at"`
	Timestamps
}

// EngagementMetric is one measurement of a post (partitioned by month).
type EngagementMetric struct {
	bun.BaseModel `bun:"table:engagement_metrics,alias:em"`

	ID                uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID    uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	PublishedPostID   uuid.UUID `bun:"published_post_id,type:uuid,notnull"`
	Platform          string    `bun:"platform,notnull"`
	Impressions       int64     `bun:"impressions,notnull"`
	Reach             int64     `bun:"reach,notnull"`
	Likes             int64     `bun:"likes,notnull"`
	Comments          int64     `bun:"comments,notnull"`
	Shares            int64     `bun:"shares,notnull"`
	EngagementRateBps int       `bun:"engagement_rate_bps,notnull"`
	MeasuredAt        time.Time `bun:"measured_at,pk,notnull"`
	Timestamps
}

// SentimentAnalysis is the analysis of one comment on a post (partitioned
// by the comment's month).
type SentimentAnalysis struct {
	bun.BaseModel `bun:"table:sentiment_analysis,alias:sen"`

	ID                uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID    uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	PublishedPostID   *uuid.UUID `bun:"published_post_id,type:uuid"`
	EventID           *uuid.UUID `bun:"event_id,type:uuid"`
	Platform          string     `bun:"platform,notnull"`
	PlatformCommentID string     `bun:"platform_comment_id,notnull"`
	TextContent       string     `bun:"text_content,notnull"`
	Sentiment         string     `bun:"sentiment,notnull"`
	ScoreBps          int        `bun:"score_bps,notnull"`
	Entities          []any      `bun:"entities,type:jsonb,notnull"`
	Keywords          []string   `bun:"keywords,array,notnull"`
	CommentedAt       time.Time  `bun:"commented_at,pk,notnull"`
	AnalyzedAt        time.Time  `bun:"analyzed_at,notnull"`
	Timestamps
}

// Delegate is a notable attendee of an event, searchable by name,
// designation and organization.
type Delegate struct {
	bun.BaseModel `bun:"table:delegates,alias:dlg"`

	ID               uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID   uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	EventID          uuid.UUID  `bun:"event_id,type:uuid,notnull"`
	Title            string     `bun:"title,notnull"`
	FirstName        string     `bun:"first_name,notnull"`
	LastName         string     `bun:"last_name,notnull"`
	Designation      string     `bun:"designation,notnull"`
	OrganizationName string     `bun:"organization_name,notnull"`
	Country          string     `bun:"country,notnull"`
	DelegateType     string     `bun:"delegate_type,notnull"`
	VIPTier          int        `bun:"vip_tier,notnull"`
	AutoTag          bool       `bun:"auto_tag,notnull"`
	DeletedAt        *time.Time `bun:"deleted_at"`
	Timestamps
}

// EventPhase is one non-overlapping period of an event (e.g. "pre-event").
type EventPhase struct {
	bun.BaseModel `bun:"table:event_phases,alias:eph"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	EventID        uuid.UUID `bun:"event_id,type:uuid,notnull"`
	Name           string    `bun:"name,notnull"`
	StartsAt       time.Time `bun:"starts_at,notnull"`
	EndsAt         time.Time `bun:"ends_at,notnull"`
	Timestamps
}

// ApprovalWorkflow is an organization's approval chain definition; the
// first active one (by priority) whose trigger matches a content applies.
type ApprovalWorkflow struct {
	bun.BaseModel `bun:"table:approval_workflows,alias:aw"`

	ID                uuid.UUID              `bun:"id,pk,type:uuid"`
	OrganizationID    uuid.UUID              `bun:"organization_id,type:uuid,notnull"`
	CreatedBy         *uuid.UUID             `bun:"created_by,type:uuid"`
	Name              string                 `bun:"name,notnull"`
	TriggerConditions TriggerConditions      `bun:"trigger_conditions,type:jsonb,notnull"`
	Priority          int                    `bun:"priority,notnull"`
	IsActive          bool                   `bun:"is_active,notnull"`
	DeletedAt         *time.Time             `bun:"deleted_at"`
	Steps             []ApprovalWorkflowStep `bun:"rel:has-many,join:id=approval_workflow_id"`
	Timestamps
}

// TriggerConditions says which content a definition applies to; an empty
// list matches anything.
type TriggerConditions struct {
	ContentTypes []string    `json:"content_types,omitempty"`
	Platforms    []string    `json:"platforms,omitempty"`
	CampaignIDs  []uuid.UUID `json:"campaign_ids,omitempty"`
	EventIDs     []uuid.UUID `json:"event_ids,omitempty"`
	PhaseIDs     []uuid.UUID `json:"phase_ids,omitempty"`
	MinVIPTier   int         `json:"min_vip_tier,omitempty"`
}

// ApprovalWorkflowStep is one step of a definition.
type ApprovalWorkflowStep struct {
	bun.BaseModel `bun:"table:approval_workflow_steps,alias:aws"`

	ID                 uuid.UUID   `bun:"id,pk,type:uuid"`
	ApprovalWorkflowID uuid.UUID   `bun:"approval_workflow_id,type:uuid,notnull"`
	Position           int         `bun:"position,notnull"`
	Name               string      `bun:"name,notnull"`
	ApproverUserIDs    []uuid.UUID `bun:"approver_user_ids,array,type:uuid[],notnull"`
	ApproverRoles      []string    `bun:"approver_roles,array,notnull"`
	Quorum             string      `bun:"quorum,notnull"`
	QuorumN            int         `bun:"quorum_n,notnull"`
	SLAHours           int         `bun:"sla_hours,notnull"`
	EscalationUserID   *uuid.UUID  `bun:"escalation_user_id,type:uuid"`
	EscalationRole     *string     `bun:"escalation_role"`
	Timestamps
}

// ApprovalRequest is the review of one content version; Steps is the
// definition's snapshot at submission.
type ApprovalRequest struct {
	bun.BaseModel `bun:"table:approval_requests,alias:ar"`

	ID                 uuid.UUID              `bun:"id,pk,type:uuid"`
	OrganizationID     uuid.UUID              `bun:"organization_id,type:uuid,notnull"`
	ApprovalWorkflowID *uuid.UUID             `bun:"approval_workflow_id,type:uuid"`
	ContentID          uuid.UUID              `bun:"content_id,type:uuid,notnull"`
	ContentVersionID   uuid.UUID              `bun:"content_version_id,type:uuid,notnull"`
	Version            int                    `bun:"version,notnull"`
	RequestedBy        *uuid.UUID             `bun:"requested_by,type:uuid"`
	Steps              []ApprovalWorkflowStep `bun:"steps,type:jsonb,notnull"`
	CurrentStep        int                    `bun:"current_step,notnull"`
	Status             string                 `bun:"status,notnull"`
	RequestedAt        time.Time              `bun:"requested_at,notnull"`
	ResolvedAt         *time.Time             `bun:"resolved_at"`
	Timestamps
}

// ApprovalAction is one vote, reminder or escalation on a request.
type ApprovalAction struct {
	bun.BaseModel `bun:"table:approval_actions,alias:aa"`

	ID                   uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID       uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	ApprovalRequestID    uuid.UUID  `bun:"approval_request_id,type:uuid,notnull"`
	StepNumber           int        `bun:"step_number,notnull"`
	Action               string     `bun:"action,notnull"`
	ActorUserID          *uuid.UUID `bun:"actor_user_id,type:uuid"`
	ExternalReviewLinkID *uuid.UUID `bun:"external_review_link_id,type:uuid"`
	OnBehalfOfUserID     *uuid.UUID `bun:"on_behalf_of_user_id,type:uuid"`
	Comment              string     `bun:"comment,notnull"`
	ActionedAt           time.Time  `bun:"actioned_at,notnull"`
	Timestamps
}

// ApprovalAssignment is one row of an approver's inbox.
type ApprovalAssignment struct {
	bun.BaseModel `bun:"table:approval_assignments,alias:asg"`

	ID                uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID    uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	ApprovalRequestID uuid.UUID  `bun:"approval_request_id,type:uuid,notnull"`
	ContentID         uuid.UUID  `bun:"content_id,type:uuid,notnull"`
	StepNumber        int        `bun:"step_number,notnull"`
	AssigneeUserID    uuid.UUID  `bun:"assignee_user_id,type:uuid,notnull"`
	OnBehalfOfUserID  *uuid.UUID `bun:"on_behalf_of_user_id,type:uuid"`
	Reason            string     `bun:"reason,notnull"`
	Status            string     `bun:"status,notnull"`
	DueAt             time.Time  `bun:"due_at,notnull"`
	Timestamps
}

// ApprovalDelegation routes a user's approvals to a delegate while the
// user is out of office.
type ApprovalDelegation struct {
	bun.BaseModel `bun:"table:approval_delegations,alias:adl"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	UserID         uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	DelegateUserID uuid.UUID  `bun:"delegate_user_id,type:uuid,notnull"`
	StartsAt       time.Time  `bun:"starts_at,notnull"`
	EndsAt         time.Time  `bun:"ends_at,notnull"`
	RevokedAt      *time.Time `bun:"revoked_at"`
	Timestamps
}

// ExternalReviewLink lets someone without an account vote on one step;
// only the token's hash is stored.
type ExternalReviewLink struct {
	bun.BaseModel `bun:"table:external_review_links,alias:erl"`

	ID                uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID    uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	ApprovalRequestID uuid.UUID  `bun:"approval_request_id,type:uuid,notnull"`
	StepNumber        int        `bun:"step_number,notnull"`
	TokenHash         []byte     `bun:"token_hash,notnull"`
	ReviewerName      string     `bun:"reviewer_name,notnull"`
	ReviewerEmail     string     `bun:"reviewer_email,notnull"`
	CreatedBy         *uuid.UUID `bun:"created_by,type:uuid"`
	ExpiresAt         time.Time  `bun:"expires_at,notnull"`
	UsedAt            *time.Time `bun:"used_at"`
	RevokedAt         *time.Time `bun:"revoked_at"`
	Timestamps
}
