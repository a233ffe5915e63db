// Package payment takes money for ticket orders through a hosted checkout.
// Convene depends only on Provider; the `sandbox` adapter is a fake hosted
// checkout kept in Postgres (dev and tests), the `stripe` adapter talks to
// Stripe Checkout.
//
// The ticket-order workflow calls Provider from activities, so every method
// is idempotent and safe to retry: CreateCheckout by OrderID, Refund by its
// idempotency key, CancelCheckout and GetPayment by nature. Errors a caller
// should not retry wrap ErrInvalidRequest, ErrNotFound, ErrAlreadyPaid,
// ErrCheckoutClosed or ErrPaymentProcessing; anything else (network, 5xx)
// is worth retrying.
//
// The webhook handler calls ParseWebhook, which verifies the provider's
// signature and returns a provider-neutral Event; the handler should route
// it by Event.OrderID and treat the payment's state from GetPayment as the
// truth, since providers deliver events at least once and out of order.
package payment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Status of a payment at the provider.
type Status string

// The statuses a payment moves through. Pending is the only one that can
// still become paid; failed and expired are final; paid becomes refunded
// once the whole amount is refunded.
const (
	StatusPending  Status = "pending"
	StatusPaid     Status = "paid"
	StatusFailed   Status = "failed"
	StatusExpired  Status = "expired"
	StatusRefunded Status = "refunded"
)

// Event types: every adapter maps its own event names onto these, so the
// webhook handler needs no provider-specific branches.
const (
	// EventPaymentSucceeded means the payment is paid.
	EventPaymentSucceeded = "payment.succeeded"
	// EventPaymentProcessing means the customer submitted a payment that
	// settles later (e.g. a bank debit); a succeeded or failed event follows.
	EventPaymentProcessing = "payment.processing"
	// EventPaymentFailed means the payment failed; the checkout is done.
	EventPaymentFailed = "payment.failed"
	// EventPaymentRefunded means some or all of the payment was refunded.
	EventPaymentRefunded = "payment.refunded"
	// EventCheckoutExpired means the checkout closed without payment.
	EventCheckoutExpired = "checkout.expired"
)

// Sentinel errors a caller branches on. Adapters wrap them with detail, so
// compare with errors.Is.
var (
	// ErrBadSignature: the webhook is not from the provider or was altered.
	ErrBadSignature = errors.New("webhook signature is missing, invalid or too old: check the webhook signing secret and the server clock, and never modify the body before verifying it")
	// ErrAlreadyPaid: the customer paid, so the checkout can no longer be
	// cancelled; refund it instead.
	ErrAlreadyPaid = errors.New("payment is already paid: refund it instead of cancelling")
	// ErrNotFound: the provider does not know the payment ID.
	ErrNotFound = errors.New("payment not found at the provider: check the provider payment ID and that the same provider (and account) created it")
	// ErrInvalidRequest: the provider refused the request as it stands
	// (bad input, an idempotency key reused with other parameters, a refund
	// beyond what was paid); retrying the same request will not help.
	ErrInvalidRequest = errors.New("payment request refused")
	// ErrCheckoutClosed: the checkout expired, was cancelled or failed and
	// accepts no payment; create a checkout for a new order instead.
	ErrCheckoutClosed = errors.New("checkout no longer accepts payment: it expired, was cancelled or failed; start a new order")
	// ErrPaymentProcessing: the customer submitted a payment that settles
	// later, so the checkout can no longer be cancelled; wait for the
	// payment.succeeded or payment.failed event.
	ErrPaymentProcessing = errors.New("payment is being processed and can no longer be cancelled: wait for its outcome")
)

// CheckoutInput describes what the customer pays for.
type CheckoutInput struct {
	// OrderID is our payment order id and also the idempotency key: the
	// same OrderID returns the same checkout.
	OrderID string
	// Amount in minor units (paise, cents).
	Amount int64
	// Currency is an ISO 4217 code, e.g. "INR", "USD".
	Currency string
	// Description is shown to the customer on the checkout page.
	Description string
	// ExpiresAt is when the checkout stops accepting payment. Providers may
	// impose a minimum (see Stripe); the workflow should CancelCheckout when
	// its own hold ends rather than rely on provider expiry.
	ExpiresAt time.Time
}

func (in CheckoutInput) validate() error {
	switch {
	case in.OrderID == "":
		return fmt.Errorf("%w: checkout needs an OrderID", ErrInvalidRequest)
	case in.Amount <= 0:
		return fmt.Errorf("%w: checkout amount must be positive minor units, got %d", ErrInvalidRequest, in.Amount)
	case len(in.Currency) != 3:
		return fmt.Errorf("%w: checkout currency must be a 3-letter ISO 4217 code, got %q", ErrInvalidRequest, in.Currency)
	case in.ExpiresAt.IsZero():
		return fmt.Errorf("%w: checkout needs an ExpiresAt", ErrInvalidRequest)
	}
	return nil
}

// Checkout is a hosted checkout page the customer is sent to.
type Checkout struct {
	ProviderPaymentID string
	CheckoutURL       string
	ExpiresAt         time.Time
}

// Payment is the provider's view of one checkout's payment.
type Payment struct {
	ProviderPaymentID string
	OrderID           string
	Status            Status
	Amount            int64
	AmountRefunded    int64
	Currency          string
	// Raw is the provider's own representation, for logs and support.
	Raw json.RawMessage
}

// Event is a verified webhook event.
type Event struct {
	// ID is the provider's event ID; the same event redelivered keeps it,
	// so handlers can deduplicate on it.
	ID string
	// Type is one of the Event* constants, or empty for provider events
	// Convene does not act on (acknowledge those with a 2xx and move on).
	Type string
	// ProviderPaymentID is the checkout the event is about; Stripe's
	// charge.refunded events leave it empty (see Stripe.ParseWebhook).
	ProviderPaymentID string
	// OrderID is the CheckoutInput.OrderID the payment was created with.
	OrderID string
	// ProviderType is the provider's own event name.
	ProviderType string
}

// Provider takes payments through a hosted checkout. Every method is
// idempotent and safe to retry.
type Provider interface {
	// Name is "sandbox" or "stripe".
	Name() string
	// CreateCheckout creates the checkout for in.OrderID, or returns the one
	// already created for it.
	CreateCheckout(ctx context.Context, in CheckoutInput) (Checkout, error)
	// GetPayment reports the payment's current state at the provider.
	GetPayment(ctx context.Context, providerPaymentID string) (Payment, error)
	// CancelCheckout stops an unpaid checkout from being paid; no-op if
	// already expired/cancelled; ErrAlreadyPaid if it was paid.
	CancelCheckout(ctx context.Context, providerPaymentID string) error
	// Refund refunds amount (minor units) of a paid payment; idempotent by
	// idempotencyKey (same key → same refund id, no second refund).
	Refund(ctx context.Context, providerPaymentID string, amount int64, idempotencyKey string) (refundID string, err error)
	// ParseWebhook verifies the signature (ErrBadSignature if not valid)
	// and parses the event.
	ParseWebhook(payload []byte, header http.Header) (Event, error)
}

var (
	_ Provider = (*Sandbox)(nil)
	_ Provider = (*Stripe)(nil)
)

// New builds the provider named by name ("sandbox" or "stripe").
func New(name string, sandbox SandboxConfig, stripe StripeConfig) (Provider, error) {
	switch name {
	case "sandbox":
		return NewSandbox(sandbox), nil
	case "stripe":
		return NewStripe(stripe)
	default:
		return nil, fmt.Errorf("unknown payment provider %q: use sandbox or stripe", name)
	}
}

func validateRefund(amount int64, idempotencyKey string) error {
	if amount <= 0 {
		return fmt.Errorf("%w: refund amount must be positive minor units, got %d", ErrInvalidRequest, amount)
	}
	if strings.TrimSpace(idempotencyKey) == "" {
		return fmt.Errorf("%w: refund needs an idempotency key so a retry cannot refund twice", ErrInvalidRequest)
	}
	return nil
}

// discardLogger is used when a config leaves Log nil.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
