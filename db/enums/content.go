package enums

// Content statuses: content.workflow_status, one piece of content's place
// between its first draft and its posts.
const (
	ContentDraft              = "draft"
	ContentInReview           = "in_review"
	ContentChangesRequested   = "changes_requested"
	ContentApproved           = "approved"
	ContentRejected           = "rejected"
	ContentScheduled          = "scheduled"
	ContentPublishing         = "publishing"
	ContentPublished          = "published"
	ContentPartiallyPublished = "partially_published"
	ContentFailed             = "failed"
	ContentExpired            = "expired"
	ContentWithdrawn          = "withdrawn"
)

// Approval request statuses: approval_requests.status. Pending and
// escalated requests are open (approval_requests_one_open_idx).
const (
	ApprovalPending          = "pending"
	ApprovalEscalated        = "escalated"
	ApprovalApproved         = "approved"
	ApprovalRejected         = "rejected"
	ApprovalChangesRequested = "changes_requested"
	ApprovalSuperseded       = "superseded"
	ApprovalWithdrawn        = "withdrawn"
	ApprovalExpired          = "expired"
)

// Approval actions: approval_actions.action. The first three are votes.
const (
	ActionApprove        = "approve"
	ActionReject         = "reject"
	ActionRequestChanges = "request_changes"
	ActionEscalate       = "escalate"
	ActionRemind         = "remind"
)

// Step quorums: approval_workflow_steps.quorum.
const (
	QuorumAny = "any"
	QuorumAll = "all"
	QuorumN   = "n"
)

// Assignment statuses: approval_assignments.status, one row of an
// approver's inbox.
const (
	AssignmentOpen   = "open"
	AssignmentDone   = "done"
	AssignmentClosed = "closed"
)

// Assignment reasons: approval_assignments.reason, why that person may act.
const (
	AssignedListed     = "listed"
	AssignedRole       = "role"
	AssignedDelegate   = "delegate"
	AssignedEscalation = "escalation"
)

// Post statuses: published_posts.publish_status.
const (
	PostPublishing     = "publishing"
	PostPublished      = "published"
	PostFailed         = "failed"
	PostNeedsAttention = "needs_attention"
)

// Media processing statuses: media_assets.processing_status.
const (
	MediaPending = "pending"
	MediaReady   = "ready"
	MediaFailed  = "failed"
)

// Campaign statuses: campaigns.status.
const (
	CampaignDraft     = "draft"
	CampaignActive    = "active"
	CampaignPaused    = "paused"
	CampaignCompleted = "completed"
)
