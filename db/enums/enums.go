// Package enums names the closed vocabularies Convene stores in text
// columns: each value is written here once, beside the CHECK constraint it
// must match in db/migrations. It is a leaf (no Convene or Bun imports) so
// that the deterministic workflows, which must not import db, share the
// same words as db, activities, jobs and the providers.
package enums

import "slices"

// Request statuses: event_requests.status, one join request's (ticket
// order's) place in its lifecycle.
const (
	// RequestPending waits for the host's decision.
	RequestPending = "pending"
	// RequestWaitlisted waits for a seat to free up.
	RequestWaitlisted = "waitlisted"
	// RequestOffered holds seats freed up for a waitlisted request.
	RequestOffered = "offered"
	// RequestAwaitingPayment holds seats until the buyer pays.
	RequestAwaitingPayment = "awaiting_payment"
	// RequestAccepted has a ticket.
	RequestAccepted = "accepted"
	// RequestDeclined was declined by the host.
	RequestDeclined = "declined"
	// RequestCancelled was withdrawn by the buyer or ended by the event's
	// cancellation.
	RequestCancelled = "cancelled"
	// RequestExpired ran out of time (host decision, hold or waitlist).
	RequestExpired = "expired"
)

// OpenRequestStatuses are the request statuses whose order can still
// change; a person has at most one open request per event (the partial
// index event_requests_one_open_idx lists the same statuses). Read it,
// never modify it.
var OpenRequestStatuses = []string{RequestPending, RequestWaitlisted, RequestOffered, RequestAwaitingPayment, RequestAccepted}

// IsOpenRequestStatus reports whether status is one of OpenRequestStatuses.
func IsOpenRequestStatus(status string) bool { return slices.Contains(OpenRequestStatuses, status) }

// Attendee statuses: event_attendees.status.
const (
	AttendeeGoing     = "going"
	AttendeeCheckedIn = "checked_in"
	AttendeeCancelled = "cancelled"
)

// Payment order statuses: payment_orders.status.
const (
	PaymentCreated  = "created"
	PaymentPaid     = "paid"
	PaymentFailed   = "failed"
	PaymentExpired  = "expired"
	PaymentRefunded = "refunded"
)

// Notification channels: notification_preferences.channel,
// notification_job_items.channel and the entries of
// notification_jobs.channels; the external ones are also notify.Sender
// channels.
const (
	ChannelInApp    = "in_app"
	ChannelPush     = "push"
	ChannelEmail    = "email"
	ChannelSMS      = "sms"
	ChannelTelegram = "telegram"
)

// Notification job statuses: notification_jobs.status.
const (
	JobDraft     = "draft"
	JobScheduled = "scheduled"
	JobRunning   = "running"
	JobCompleted = "completed"
	JobCancelled = "cancelled"
	JobFailed    = "failed"
)

// IsTerminalJobStatus reports whether a job in status is over (its
// completed_at is stamped).
func IsTerminalJobStatus(status string) bool {
	return status == JobCompleted || status == JobCancelled || status == JobFailed
}

// Notification item statuses: notification_job_items.status, one
// recipient × channel of a job.
const (
	ItemPending   = "pending"
	ItemSent      = "sent"
	ItemFailed    = "failed"
	ItemSkipped   = "skipped"
	ItemCancelled = "cancelled"
)
