package db

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// PaymentOrder is one checkout of a join request at a provider.
type PaymentOrder struct {
	bun.BaseModel `bun:"table:payment_orders,alias:po"`

	ID                uuid.UUID       `bun:"id,pk,type:uuid"`
	OrderReference    string          `bun:"order_reference,notnull"`
	RequestID         uuid.UUID       `bun:"request_id,type:uuid,notnull"`
	UserID            uuid.UUID       `bun:"user_id,type:uuid,notnull"`
	EventID           uuid.UUID       `bun:"event_id,type:uuid,notnull"`
	AmountMinor       int64           `bun:"amount_minor,notnull"`
	Currency          string          `bun:"currency,notnull"`
	Provider          string          `bun:"provider,notnull"`
	ProviderPaymentID *string         `bun:"provider_payment_id"`
	CheckoutURL       string          `bun:"checkout_url,notnull"`
	ProviderResponse  json.RawMessage `bun:"provider_response,type:jsonb,notnull"`
	Status            string          `bun:"status,notnull"`
	RefundedMinor     int64           `bun:"refunded_minor,notnull"`
	PaidAt            *time.Time      `bun:"paid_at"`
	Timestamps
}

// PaymentRefund is one refund of a payment order.
type PaymentRefund struct {
	bun.BaseModel `bun:"table:payment_refunds"`

	ID               uuid.UUID `bun:"id,pk,type:uuid"`
	PaymentOrderID   uuid.UUID `bun:"payment_order_id,type:uuid,notnull"`
	IdempotencyKey   string    `bun:"idempotency_key,notnull"`
	ProviderRefundID string    `bun:"provider_refund_id,notnull"`
	AmountMinor      int64     `bun:"amount_minor,notnull"`
	Reason           string    `bun:"reason,notnull"`
	Timestamps
}

// InsertPaymentOrderIfAbsent stores a payment order unless the request has one.
func InsertPaymentOrderIfAbsent(ctx context.Context, idb bun.IDB, p *PaymentOrder) error {
	if _, err := idb.NewInsert().Model(p).On("CONFLICT (request_id) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("insert payment order: %w", err)
	}
	return nil
}

// PaymentOrderByRequest loads the payment order of a request, or ErrNotFound.
func PaymentOrderByRequest(ctx context.Context, idb bun.IDB, requestID uuid.UUID) (*PaymentOrder, error) {
	p := new(PaymentOrder)
	if err := idb.NewSelect().Model(p).Where("po.request_id = ?", requestID).Scan(ctx); err != nil {
		return nil, notFound(err, "payment order of request %s", requestID)
	}
	return p, nil
}

// PaymentOrderByProviderID finds the order of a provider payment.
func PaymentOrderByProviderID(ctx context.Context, idb bun.IDB, provider, providerPaymentID string) (*PaymentOrder, error) {
	p := new(PaymentOrder)
	err := idb.NewSelect().Model(p).Where("po.provider = ? AND po.provider_payment_id = ?", provider, providerPaymentID).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "payment order for %s payment", provider)
	}
	return p, nil
}

// SetPaymentStatus records a payment's status; paid also stamps paid_at.
func SetPaymentStatus(ctx context.Context, idb bun.IDB, id uuid.UUID, status string) error {
	q := idb.NewUpdate().Model((*PaymentOrder)(nil)).Set("status = ?, updated_at = now()", status).Where("id = ?", id)
	if status == enums.PaymentPaid {
		q = q.Set("paid_at = coalesce(paid_at, now())")
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("set payment status: %w", err)
	}
	return nil
}

// RecordRefund stores a refund once per idempotency key and adds it to the
// order's refunded amount; it reports whether it was new.
func RecordRefund(ctx context.Context, tx bun.Tx, r *PaymentRefund) (bool, error) {
	res, err := tx.NewInsert().Model(r).On("CONFLICT (idempotency_key) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("insert refund: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	_, err = tx.NewUpdate().Model((*PaymentOrder)(nil)).
		Set("refunded_minor = refunded_minor + ?", r.AmountMinor).
		Set("status = CASE WHEN refunded_minor + ? >= amount_minor THEN ? ELSE status END, updated_at = now()", r.AmountMinor, enums.PaymentRefunded).
		Where("id = ?", r.PaymentOrderID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("add refund to order: %w", err)
	}
	return true, nil
}

// RefundByKey loads the refund recorded under an idempotency key, or ErrNotFound.
func RefundByKey(ctx context.Context, idb bun.IDB, key string) (*PaymentRefund, error) {
	r := new(PaymentRefund)
	if err := idb.NewSelect().Model(r).Where("idempotency_key = ?", key).Scan(ctx); err != nil {
		return nil, notFound(err, "refund %s", key)
	}
	return r, nil
}
