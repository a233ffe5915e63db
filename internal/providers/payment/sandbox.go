package payment

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// SandboxConfig configures the sandbox provider.
type SandboxConfig struct {
	// DB holds the sandbox's own tables (sandbox_payments, sandbox_refunds,
	// sandbox_webhook_events), so a dev restart keeps checkouts.
	DB *bun.DB
	// BaseURL is our API's public base URL; checkout pages are served by
	// Handler under <BaseURL>/sandbox/checkout/<id>.
	BaseURL string
	// WebhookURL is where events are POSTed. Empty records events without
	// sending them (DeliverWebhook is then a no-op).
	WebhookURL string
	// Secret is the HMAC key that signs webhooks.
	Secret string
	// WebhookTolerance is how old (or how far in the future) a webhook's
	// signed timestamp may be. Defaults to 5 minutes.
	WebhookTolerance time.Duration
	// HTTPClient delivers webhooks. Defaults to a client with a 10s timeout.
	HTTPClient *http.Client
	// Now is the clock for expiry and webhook timestamps. Defaults to time.Now.
	Now func() time.Time
	// Log reports webhooks that could not be delivered after a refund.
	// Defaults to discarding.
	Log *slog.Logger
	// FailNext, when set, is called before each Provider call with op
	// "create", "get", "cancel" or "refund", and after the change of
	// create/cancel/refund commits with op+":after". A non-nil error is
	// returned to the caller: before simulates an outage, after a response
	// lost on the way back. Tests only.
	FailNext func(op string) error
}

// DefaultWebhookTolerance is how old a signed webhook may be.
const DefaultWebhookTolerance = 5 * time.Minute

// WithDefaults returns the config with unset optional fields filled in.
func (c SandboxConfig) WithDefaults() SandboxConfig {
	if c.WebhookTolerance == 0 {
		c.WebhookTolerance = DefaultWebhookTolerance
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = discardLogger()
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c
}

// Sandbox is a fake hosted-checkout provider: checkouts live in Postgres,
// a small HTML page (Handler) lets a developer pay or fail them, and events
// are signed and POSTed like a real provider's webhooks.
type Sandbox struct {
	cfg SandboxConfig
	db  *bun.DB
	// failNext is SandboxConfig.FailNext, replaceable by InjectFaults.
	failNext atomic.Pointer[func(op string) error]
}

// NewSandbox returns the sandbox provider.
func NewSandbox(cfg SandboxConfig) *Sandbox {
	cfg = cfg.WithDefaults()
	s := &Sandbox{cfg: cfg, db: cfg.DB}
	s.InjectFaults(cfg.FailNext)
	return s
}

// InjectFaults replaces SandboxConfig.FailNext (nil removes it), so a test
// of a running application can make one provider call fail. Tests only.
func (s *Sandbox) InjectFaults(failNext func(op string) error) {
	if failNext == nil {
		s.failNext.Store(nil)
		return
	}
	s.failNext.Store(&failNext)
}

// sandboxPayment is a row of sandbox_payments: one checkout.
type sandboxPayment struct {
	bun.BaseModel `bun:"table:sandbox_payments"`

	ID             string    `bun:"id,pk" json:"id"`
	OrderID        string    `bun:"order_id,notnull" json:"order_id"`
	Amount         int64     `bun:"amount,notnull" json:"amount"`
	Currency       string    `bun:"currency,notnull" json:"currency"`
	Description    string    `bun:"description,notnull" json:"description"`
	Status         Status    `bun:"status,notnull" json:"status"`
	AmountRefunded int64     `bun:"amount_refunded,notnull" json:"amount_refunded"`
	ExpiresAt      time.Time `bun:"expires_at,notnull" json:"expires_at"`
	CreatedAt      time.Time `bun:"created_at,nullzero,notnull,default:now()" json:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at,nullzero,notnull,default:now()" json:"updated_at"`
}

// sandboxRefund is a row of sandbox_refunds, keyed by the caller's
// idempotency key.
type sandboxRefund struct {
	bun.BaseModel `bun:"table:sandbox_refunds"`

	IdempotencyKey string    `bun:"idempotency_key,pk"`
	ID             string    `bun:"id,notnull"`
	PaymentID      string    `bun:"payment_id,notnull"`
	Amount         int64     `bun:"amount,notnull"`
	CreatedAt      time.Time `bun:"created_at,nullzero,notnull,default:now()"`
	UpdatedAt      time.Time `bun:"updated_at,nullzero,notnull,default:now()"`
}

// sandboxEvent is a row of sandbox_webhook_events: an event recorded once
// and delivered any number of times.
type sandboxEvent struct {
	bun.BaseModel `bun:"table:sandbox_webhook_events"`

	ID        string    `bun:"id,pk"`
	PaymentID string    `bun:"payment_id,notnull"`
	Type      string    `bun:"type,notnull"`
	CreatedAt time.Time `bun:"created_at,nullzero,notnull,default:now()"`
	UpdatedAt time.Time `bun:"updated_at,nullzero,notnull,default:now()"`
}

// Name is "sandbox".
func (s *Sandbox) Name() string { return "sandbox" }

// CreateCheckout inserts the checkout unless OrderID already has one, then
// returns the stored one. Reusing an OrderID with another amount or
// currency is ErrInvalidRequest.
func (s *Sandbox) CreateCheckout(ctx context.Context, in CheckoutInput) (Checkout, error) {
	if err := in.validate(); err != nil {
		return Checkout{}, err
	}
	if err := s.inject("create"); err != nil {
		return Checkout{}, err
	}
	currency := strings.ToUpper(in.Currency)
	p := &sandboxPayment{ID: newID("sbpay"), OrderID: in.OrderID, Amount: in.Amount, Currency: currency,
		Description: in.Description, Status: StatusPending, ExpiresAt: in.ExpiresAt}
	if _, err := s.db.NewInsert().Model(p).On("CONFLICT (order_id) DO NOTHING").Exec(ctx); err != nil {
		return Checkout{}, fmt.Errorf("insert sandbox checkout: %w", err)
	}
	stored := new(sandboxPayment)
	if err := s.db.NewSelect().Model(stored).Where("order_id = ?", in.OrderID).Scan(ctx); err != nil {
		return Checkout{}, fmt.Errorf("load sandbox checkout for order %s: %w", in.OrderID, err)
	}
	if stored.Amount != in.Amount || stored.Currency != currency {
		return Checkout{}, fmt.Errorf("%w: order %s already has a checkout for %d %s, not %d %s: use a new OrderID for a new amount",
			ErrInvalidRequest, in.OrderID, stored.Amount, stored.Currency, in.Amount, currency)
	}
	if err := s.inject("create:after"); err != nil {
		return Checkout{}, err
	}
	return Checkout{ProviderPaymentID: stored.ID, CheckoutURL: s.CheckoutURL(stored.ID), ExpiresAt: stored.ExpiresAt}, nil
}

// CheckoutURL is the page where the customer pays checkout id.
func (s *Sandbox) CheckoutURL(id string) string {
	return s.cfg.BaseURL + "/sandbox/checkout/" + url.PathEscape(id)
}

// GetPayment loads the checkout; a pending one past its expiry reads as
// expired.
func (s *Sandbox) GetPayment(ctx context.Context, providerPaymentID string) (Payment, error) {
	if err := s.inject("get"); err != nil {
		return Payment{}, err
	}
	p, err := loadSandboxPayment(ctx, s.db, providerPaymentID, false)
	if err != nil {
		return Payment{}, err
	}
	return s.payment(p)
}

// CancelCheckout expires a pending checkout. Expired, cancelled and failed
// checkouts are left as they are; a paid or refunded one is ErrAlreadyPaid.
func (s *Sandbox) CancelCheckout(ctx context.Context, providerPaymentID string) error {
	if err := s.inject("cancel"); err != nil {
		return err
	}
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		p, err := loadSandboxPayment(ctx, tx, providerPaymentID, true)
		if err != nil {
			return err
		}
		switch s.statusOf(p) {
		case StatusPaid, StatusRefunded:
			return fmt.Errorf("cancel sandbox checkout %s: %w", p.ID, ErrAlreadyPaid)
		}
		if p.Status != StatusPending {
			return nil
		}
		p.Status = StatusExpired
		return s.update(ctx, tx, p)
	})
	if err != nil {
		return err
	}
	return s.inject("cancel:after")
}

// Refund refunds amount of a paid checkout. A key seen before returns its
// refund without refunding again (ErrInvalidRequest if it was for another
// payment or amount). It records a payment.refunded event and delivers it
// best-effort: a failed delivery is logged, not returned, since the refund
// itself happened.
func (s *Sandbox) Refund(ctx context.Context, providerPaymentID string, amount int64, idempotencyKey string) (string, error) {
	if err := validateRefund(amount, idempotencyKey); err != nil {
		return "", err
	}
	if err := s.inject("refund"); err != nil {
		return "", err
	}
	var (
		refund = new(sandboxRefund)
		event  *Event
	)
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		p, err := loadSandboxPayment(ctx, tx, providerPaymentID, true)
		if err != nil {
			return err
		}
		err = tx.NewSelect().Model(refund).Where("idempotency_key = ?", idempotencyKey).Scan(ctx)
		if err == nil {
			if refund.PaymentID != p.ID || refund.Amount != amount {
				return fmt.Errorf("%w: idempotency key %q already refunded %d of %s: use a new key for a different refund",
					ErrInvalidRequest, idempotencyKey, refund.Amount, refund.PaymentID)
			}
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("look up sandbox refund: %w", err)
		}
		if st := s.statusOf(p); st != StatusPaid {
			return fmt.Errorf("%w: only a paid payment can be refunded, %s is %s", ErrInvalidRequest, p.ID, st)
		}
		if left := p.Amount - p.AmountRefunded; amount > left {
			return fmt.Errorf("%w: refund of %d exceeds the %d %s left to refund on %s", ErrInvalidRequest, amount, left, p.Currency, p.ID)
		}
		*refund = sandboxRefund{IdempotencyKey: idempotencyKey, ID: newID("sbre"), PaymentID: p.ID, Amount: amount}
		if _, err := tx.NewInsert().Model(refund).Exec(ctx); err != nil {
			return fmt.Errorf("insert sandbox refund: %w", err)
		}
		p.AmountRefunded += amount
		if p.AmountRefunded == p.Amount {
			p.Status = StatusRefunded
		}
		if err := s.update(ctx, tx, p); err != nil {
			return err
		}
		ev, err := s.recordEvent(ctx, tx, p, EventPaymentRefunded)
		event = &ev
		return err
	})
	if err != nil {
		return "", err
	}
	if event != nil {
		if err := s.DeliverWebhook(ctx, event.ID); err != nil {
			s.cfg.Log.Warn("sandbox refund webhook not delivered", "event_id", event.ID, "err", err)
		}
	}
	if err := s.inject("refund:after"); err != nil {
		return "", err
	}
	return refund.ID, nil
}

// Pay marks a pending checkout paid, as if the customer paid on the page,
// records a payment.succeeded event and delivers it. A paid checkout is
// ErrAlreadyPaid; an expired, cancelled or failed one ErrCheckoutClosed.
// If only the delivery fails the error wraps ErrWebhookNotDelivered and
// the returned Event is valid (the checkout is paid).
func (s *Sandbox) Pay(ctx context.Context, providerPaymentID string) (Event, error) {
	return s.settle(ctx, providerPaymentID, StatusPaid, EventPaymentSucceeded)
}

// Fail marks a pending checkout failed, as if the customer's payment was
// declined, records a payment.failed event and delivers it. Errors are as
// for Pay.
func (s *Sandbox) Fail(ctx context.Context, providerPaymentID string) (Event, error) {
	return s.settle(ctx, providerPaymentID, StatusFailed, EventPaymentFailed)
}

func (s *Sandbox) settle(ctx context.Context, id string, to Status, eventType string) (Event, error) {
	var ev Event
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		p, err := loadSandboxPayment(ctx, tx, id, true)
		if err != nil {
			return err
		}
		switch st := s.statusOf(p); st {
		case StatusPending:
		case StatusPaid, StatusRefunded:
			return fmt.Errorf("sandbox checkout %s: %w", id, ErrAlreadyPaid)
		default:
			return fmt.Errorf("sandbox checkout %s is %s: %w", id, st, ErrCheckoutClosed)
		}
		p.Status = to
		if err := s.update(ctx, tx, p); err != nil {
			return err
		}
		ev, err = s.recordEvent(ctx, tx, p, eventType)
		return err
	})
	if err != nil {
		return Event{}, err
	}
	return ev, s.DeliverWebhook(ctx, ev.ID)
}

// statusOf is the status a customer would see: a pending checkout past its
// expiry is expired even before anything writes that down.
func (s *Sandbox) statusOf(p *sandboxPayment) Status {
	if p.Status == StatusPending && !s.cfg.Now().Before(p.ExpiresAt) {
		return StatusExpired
	}
	return p.Status
}

func (s *Sandbox) payment(p *sandboxPayment) (Payment, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return Payment{}, fmt.Errorf("encode sandbox payment: %w", err)
	}
	return Payment{ProviderPaymentID: p.ID, OrderID: p.OrderID, Status: s.statusOf(p), Amount: p.Amount,
		AmountRefunded: p.AmountRefunded, Currency: p.Currency, Raw: raw}, nil
}

func (s *Sandbox) update(ctx context.Context, idb bun.IDB, p *sandboxPayment) error {
	p.UpdatedAt = s.cfg.Now()
	_, err := idb.NewUpdate().Model(p).Column("status", "amount_refunded", "updated_at").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("update sandbox payment %s: %w", p.ID, err)
	}
	return nil
}

func (s *Sandbox) recordEvent(ctx context.Context, idb bun.IDB, p *sandboxPayment, eventType string) (Event, error) {
	e := &sandboxEvent{ID: newID("sbevt"), PaymentID: p.ID, Type: eventType}
	if _, err := idb.NewInsert().Model(e).Exec(ctx); err != nil {
		return Event{}, fmt.Errorf("record sandbox event: %w", err)
	}
	return Event{ID: e.ID, Type: eventType, ProviderPaymentID: p.ID, OrderID: p.OrderID, ProviderType: eventType}, nil
}

func (s *Sandbox) inject(op string) error {
	failNext := s.failNext.Load()
	if failNext == nil {
		return nil
	}
	return (*failNext)(op)
}

// loadSandboxPayment reads checkout id, locking its row when forUpdate.
func loadSandboxPayment(ctx context.Context, idb bun.IDB, id string, forUpdate bool) (*sandboxPayment, error) {
	p := new(sandboxPayment)
	q := idb.NewSelect().Model(p).Where("id = ?", id)
	if forUpdate {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("sandbox checkout %q: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("load sandbox checkout %s: %w", id, err)
	}
	return p, nil
}

// newID returns prefix_<24 hex digits>, like a provider's opaque IDs.
func newID(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails: crypto/rand aborts the program instead
	return prefix + "_" + hex.EncodeToString(b)
}
