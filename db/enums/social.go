package enums

// Event types: events.event_type (the seed's list), filtered on by
// ListEvents.
const (
	EventTypeBar        = "bar"
	EventTypeClub       = "club"
	EventTypeConcert    = "concert"
	EventTypeParty      = "party"
	EventTypeRestaurant = "restaurant"
	EventTypeOutdoor    = "outdoor"
	EventTypeSports     = "sports"
	EventTypeOther      = "other"
)

// EventTypes lists the event types in the schema's order.
var EventTypes = []string{EventTypeBar, EventTypeClub, EventTypeConcert, EventTypeParty, EventTypeRestaurant,
	EventTypeOutdoor, EventTypeSports, EventTypeOther}

// RSVP statuses. RsvpGoing is never stored in event_rsvps: going is a
// ticket order (event_requests), so going_count stays exact.
const (
	RsvpGoing      = "going"
	RsvpInterested = "interested"
	RsvpNotGoing   = "not_going"
)

// Join request statuses: group_join_requests.status.
const (
	JoinRequestPending   = "pending"
	JoinRequestApproved  = "approved"
	JoinRequestDeclined  = "declined"
	JoinRequestCancelled = "cancelled"
)

// Group invite statuses: group_invites.status.
const (
	GroupInvitePending   = "pending"
	GroupInviteAccepted  = "accepted"
	GroupInviteDeclined  = "declined"
	GroupInviteCancelled = "cancelled"
)

// Chat change kinds: what a WatchMessages event says happened.
const (
	ChatCreated   = "created"
	ChatEdited    = "edited"
	ChatDeleted   = "deleted"
	ChatRemoved   = "removed"
	ChatHeartbeat = "heartbeat"
)

// Ban scopes: user_bans.scope.
const (
	BanScopePlatform = "platform"
	BanScopeEvent    = "event"
	BanScopeGroup    = "group"
)

// Report targets and statuses: reports.target_type, reports.status.
const (
	ReportTargetMessage = "message"
	ReportTargetUser    = "user"

	ReportOpen      = "open"
	ReportDismissed = "dismissed"
	ReportActioned  = "actioned"
)

// Safety alert types: safety_alert_batches.alert_type and
// safety_alerts.alert_type.
const (
	AlertTypeHelp       = "help"
	AlertTypeMedical    = "medical"
	AlertTypeHarassment = "harassment"
	AlertTypeOther      = "other"
)

// AlertTypes lists the alert types in the schema's order.
var AlertTypes = []string{AlertTypeHelp, AlertTypeMedical, AlertTypeHarassment, AlertTypeOther}

// Safety alert statuses: safety_alert_batches.status and the
// safety-alert workflow's ConveneStatus. Operators list escalations with
// ConveneStatus = "escalated_staff".
const (
	AlertOpen           = "open"
	AlertAcknowledged   = "acknowledged"
	AlertEscalatedHost  = "escalated_host"
	AlertEscalatedStaff = "escalated_staff"
	AlertResolved       = "resolved"
)

// Safety alert outcomes: safety_alert_batches.outcome. The sender may
// resolve only with AlertOutcomeSafe.
const (
	AlertOutcomeSafe       = "safe"
	AlertOutcomeAssisted   = "assisted"
	AlertOutcomeFalseAlarm = "false_alarm"
	AlertOutcomeOther      = "other"
)

// AlertOutcomes lists the outcomes in the schema's order.
var AlertOutcomes = []string{AlertOutcomeSafe, AlertOutcomeAssisted, AlertOutcomeFalseAlarm, AlertOutcomeOther}
