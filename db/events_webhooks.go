package db

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// WebhookEvent is a provider event: recorded when its delivery is first
// verified, marked processed once its processing finished. A repeat of a
// processed event is acknowledged and changes nothing; a repeat of an
// unfinished one is processed again.
type WebhookEvent struct {
	bun.BaseModel `bun:"table:payment_webhook_events"`

	Provider  string          `bun:"provider,pk"`
	EventID   string          `bun:"event_id,pk"`
	EventType string          `bun:"event_type,notnull"`
	Payload   json.RawMessage `bun:"payload,type:jsonb,notnull"`
	// ProcessedAt is set when processing finished; Outcome says how.
	ProcessedAt *time.Time `bun:"processed_at"`
	Outcome     string     `bun:"outcome,notnull"`
	// ClaimedUntil is the lease of the delivery processing the event now.
	ClaimedUntil *time.Time `bun:"claimed_until"`
	// Attempts counts the deliveries that claimed the event.
	Attempts int `bun:"attempts,notnull,default:1"`
	Timestamps
}

// WebhookClaim is what ClaimWebhookEvent found.
type WebhookClaim int

const (
	// WebhookClaimed: this delivery now processes the event (first seen,
	// or an earlier attempt failed or its lease ran out).
	WebhookClaimed WebhookClaim = iota + 1
	// WebhookAlreadyProcessed: processing finished before; acknowledge.
	WebhookAlreadyProcessed
	// WebhookInProgress: another delivery holds a live lease on the event;
	// the provider should retry later.
	WebhookInProgress
)

// ClaimWebhookEvent records the event unless it is known, and claims it
// for lease unless it was processed or another delivery holds it. It is
// one statement, so no transaction stays open while the caller calls the
// provider and Temporal.
func ClaimWebhookEvent(ctx context.Context, idb bun.IDB, e *WebhookEvent, lease time.Duration) (WebhookClaim, error) {
	res, err := idb.NewRaw(`INSERT INTO payment_webhook_events AS w (provider, event_id, event_type, payload, claimed_until)
		VALUES (?, ?, ?, ?::jsonb, now() + ?::interval)
		ON CONFLICT (provider, event_id) DO UPDATE
		SET claimed_until = EXCLUDED.claimed_until, attempts = w.attempts + 1, updated_at = now()
		WHERE w.processed_at IS NULL AND (w.claimed_until IS NULL OR w.claimed_until < now())`,
		e.Provider, e.EventID, e.EventType, string(e.Payload), fmt.Sprintf("%d milliseconds", lease.Milliseconds())).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("claim webhook event %s: %w", e.EventID, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return WebhookClaimed, nil
	}
	stored := new(WebhookEvent)
	err = idb.NewSelect().Model(stored).Where("provider = ? AND event_id = ?", e.Provider, e.EventID).Scan(ctx)
	if err != nil {
		return 0, notFound(err, "webhook event %s", e.EventID)
	}
	if stored.ProcessedAt != nil {
		return WebhookAlreadyProcessed, nil
	}
	return WebhookInProgress, nil
}

// FinishWebhookEvent marks a claimed event processed, saying how.
func FinishWebhookEvent(ctx context.Context, idb bun.IDB, provider, eventID, outcome string) error {
	_, err := idb.NewUpdate().Model((*WebhookEvent)(nil)).
		Set("processed_at = now(), outcome = ?, claimed_until = NULL, updated_at = now()", outcome).
		Where("provider = ? AND event_id = ?", provider, eventID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("finish webhook event %s: %w", eventID, err)
	}
	return nil
}

// ReleaseWebhookEvent gives up the claim of an event whose processing
// failed, so the provider's next delivery processes it at once.
func ReleaseWebhookEvent(ctx context.Context, idb bun.IDB, provider, eventID string) error {
	_, err := idb.NewUpdate().Model((*WebhookEvent)(nil)).
		Set("claimed_until = NULL, updated_at = now()").
		Where("provider = ? AND event_id = ? AND processed_at IS NULL", provider, eventID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("release webhook event %s: %w", eventID, err)
	}
	return nil
}
