package activities

import (
	"context"
	"errors"
	"time"

	"github.com/convene/convene/db"
	"github.com/convene/convene/jobs"
)

// Safety holds the safety-alert workflow's activities. Each writes in one
// transaction and is idempotent: the batch is keyed by (sender, client
// request ID), its rows by (batch, group), acknowledgements by (batch,
// user), and every notice by safety-alert/<batch>/…, so a retry sends
// nothing twice. Notices go in category db.CategorySafety: quiet hours
// and opt-outs do not hold them.
type Safety struct {
	DB      *db.DB
	Notices *jobs.Notices
	Now     func() time.Time
}

// RecordAlertInput is the alert as the sender raised it.
type RecordAlertInput struct {
	BatchID         string
	SenderID        string
	ClientRequestID string
	GroupIDs        []string
	AlertType       string
	Message         string
	Latitude        *float64
	Longitude       *float64
}

// AlertRecord is what RecordAlert wrote: the batch's time and the events
// of its groups (sorted).
type AlertRecord struct {
	CreatedAt time.Time
	EventIDs  []string
}

// AlertDecision is an acknowledgement or a resolution by UserID.
type AlertDecision struct {
	BatchID string
	UserID  string
	// Outcome and Note are set on a resolution only.
	Outcome string
	Note    string
}

var errSafetyNotBuilt = errors.New("safety activities are not built yet")

// RecordAlert writes the batch, one safety_alerts row per group and the
// audit row in one transaction (step 1). The sender must be a member of
// every group: a non-retryable error otherwise.
func (a *Safety) RecordAlert(ctx context.Context, in RecordAlertInput) (AlertRecord, error) {
	return AlertRecord{}, errSafetyNotBuilt
}

// NotifyAlertMembers tells every distinct member of the batch's groups
// but the sender, once each (in-app and push), and returns how many were
// told (step 2).
func (a *Safety) NotifyAlertMembers(ctx context.Context, batchID string) (int, error) {
	return 0, errSafetyNotBuilt
}

// EscalateAlertToHosts tells the hosts of the batch's events (and their
// organizations' owners and admins) and marks it escalated_host.
func (a *Safety) EscalateAlertToHosts(ctx context.Context, batchID string) error {
	return errSafetyNotBuilt
}

// EscalateAlertToStaff tells every platform staff member (round names the
// repeat, so each round is sent once) and marks it escalated_staff.
func (a *Safety) EscalateAlertToStaff(ctx context.Context, batchID string, round int) error {
	return errSafetyNotBuilt
}

// AcknowledgeAlert records the acknowledgement and marks the batch
// acknowledged (the first acknowledger is kept).
func (a *Safety) AcknowledgeAlert(ctx context.Context, in AlertDecision) error {
	return errSafetyNotBuilt
}

// ResolveAlert marks the batch and its rows resolved by in.UserID with
// in.Outcome, audits it, and tells the sender, every member told and
// every host or staff member escalated to.
func (a *Safety) ResolveAlert(ctx context.Context, in AlertDecision) error {
	return errSafetyNotBuilt
}
