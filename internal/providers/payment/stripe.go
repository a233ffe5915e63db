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

	"github.com/stripe/stripe-go/v84"
	"github.com/stripe/stripe-go/v84/webhook"
)

// StripeConfig holds Stripe credentials and redirect URLs.
type StripeConfig struct {
	// SecretKey is the API key (sk_live_… or sk_test_…).
	SecretKey string
	// WebhookSecret is the endpoint's signing secret (whsec_…).
	WebhookSecret string
	// SuccessURL is where Checkout sends the customer after paying; it may
	// contain Stripe's {CHECKOUT_SESSION_ID} template.
	SuccessURL string
	// CancelURL is where the customer's "back" link goes. Optional.
	CancelURL string
	// BackendURL overrides https://api.stripe.com; tests point it at httptest.
	BackendURL string
	// HTTPClient makes API calls. Defaults to a client with a
	// DefaultStripeTimeout timeout (stripe-go's own waits 80 s, which would
	// keep a webhook delivery or an activity waiting that long).
	HTTPClient *http.Client
	// WebhookTolerance is how old a signed webhook may be. Defaults to 5 minutes.
	WebhookTolerance time.Duration
	// Now is the clock used to meet Stripe's expiry bounds. Defaults to time.Now.
	Now func() time.Time
	// Log receives stripe-go's own messages (request errors, retries).
	// Every error is also returned to the caller. Defaults to discarding.
	Log *slog.Logger
}

// DefaultStripeTimeout bounds one Stripe API call when StripeConfig.HTTPClient
// is not set; callers retry (the webhook's provider, the activity's policy).
const DefaultStripeTimeout = 10 * time.Second

// Stripe's bounds on a Checkout Session's expires_at, and how we meet them.
const (
	stripeMinExpiry = 30 * time.Minute
	stripeMaxExpiry = 24 * time.Hour
	// stripeExpiryStep is how far an early ExpiresAt is pushed at a time.
	stripeExpiryStep = 30 * time.Minute
	// stripeClockSlack covers our clock running behind Stripe's and the
	// request's flight time.
	stripeClockSlack = 2 * time.Minute
)

// Stripe takes payments with Stripe Checkout: each checkout is a Checkout
// Session in payment mode, and ProviderPaymentID is the session ID (cs_…).
type Stripe struct {
	cfg    StripeConfig
	client *stripe.Client
}

// NewStripe checks the configuration and builds the API client.
func NewStripe(cfg StripeConfig) (*Stripe, error) {
	if cfg.SecretKey == "" || cfg.WebhookSecret == "" || cfg.SuccessURL == "" {
		return nil, errors.New("stripe payments need a secret key, a webhook signing secret and a success URL")
	}
	if cfg.WebhookTolerance == 0 {
		cfg.WebhookTolerance = DefaultWebhookTolerance
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = discardLogger()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultStripeTimeout}
	}
	bc := &stripe.BackendConfig{HTTPClient: cfg.HTTPClient, LeveledLogger: stripeLogger{cfg.Log}}
	if cfg.BackendURL != "" {
		bc.URL = stripe.String(cfg.BackendURL)
	}
	client := stripe.NewClient(cfg.SecretKey, stripe.WithBackends(stripe.NewBackendsWithConfig(bc)))
	return &Stripe{cfg: cfg, client: client}, nil
}

// Name is "stripe".
func (s *Stripe) Name() string { return "stripe" }

// CreateCheckout creates a Checkout Session with idempotency key
// "checkout-<OrderID>", so a retry returns the same session while Stripe
// keeps the key (at least 24 hours, longer than any session lives).
//
// Stripe only accepts expires_at 30 minutes to 24 hours ahead. An earlier
// ExpiresAt is pushed later in whole 30-minute steps until it is far enough
// ahead, and the returned Checkout.ExpiresAt says when the session really
// expires; the workflow should CancelCheckout when its own hold ends. The
// steps keep retries sending identical parameters (Stripe rejects a reused
// key with different ones); when a retry lands after a step boundary, the
// earlier attempt's value is tried again. An ExpiresAt beyond 24 hours is
// ErrInvalidRequest.
func (s *Stripe) CreateCheckout(ctx context.Context, in CheckoutInput) (Checkout, error) {
	if err := in.validate(); err != nil {
		return Checkout{}, err
	}
	now := s.cfg.Now()
	if in.ExpiresAt.Sub(now) > stripeMaxExpiry {
		return Checkout{}, fmt.Errorf("%w: stripe checkouts expire within %s, ExpiresAt %s is later", ErrInvalidRequest, stripeMaxExpiry, in.ExpiresAt.Format(time.RFC3339))
	}
	steps := 0
	if short := now.Add(stripeMinExpiry + stripeClockSlack).Sub(in.ExpiresAt); short > 0 {
		steps = int((short + stripeExpiryStep - 1) / stripeExpiryStep)
	}
	var err error
	for i := steps; i >= 0 && i > steps-maxExpiryRetries; i-- {
		var sess *stripe.CheckoutSession
		sess, err = s.client.V1CheckoutSessions.Create(ctx, s.checkoutParams(in, in.ExpiresAt.Add(time.Duration(i)*stripeExpiryStep)))
		if err == nil {
			return Checkout{ProviderPaymentID: sess.ID, CheckoutURL: sess.URL, ExpiresAt: time.Unix(sess.ExpiresAt, 0)}, nil
		}
		if !isIdempotencyMismatch(err) {
			return Checkout{}, stripeErr("create stripe checkout for order "+in.OrderID, err)
		}
	}
	return Checkout{}, fmt.Errorf("%w: order %s already has a stripe checkout with another amount, currency or description: use a new OrderID: %w",
		ErrInvalidRequest, in.OrderID, err)
}

// maxExpiryRetries bounds the earlier expires_at values CreateCheckout
// tries after an idempotency error: one per step in Stripe's 24h window.
const maxExpiryRetries = int(stripeMaxExpiry/stripeExpiryStep) + 1

func (s *Stripe) checkoutParams(in CheckoutInput, expiresAt time.Time) *stripe.CheckoutSessionCreateParams {
	name := in.Description
	if name == "" {
		name = "Order " + in.OrderID
	}
	meta := map[string]string{"order_id": in.OrderID}
	p := &stripe.CheckoutSessionCreateParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModePayment)),
		ClientReferenceID: stripe.String(in.OrderID),
		SuccessURL:        stripe.String(s.cfg.SuccessURL),
		ExpiresAt:         stripe.Int64(expiresAt.Unix()),
		Metadata:          meta,
		// Copied onto the PaymentIntent and from there onto its charge, so
		// charge.refunded events carry the order ID too.
		PaymentIntentData: &stripe.CheckoutSessionCreatePaymentIntentDataParams{Metadata: meta},
		LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{
			PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{
				Currency:    stripe.String(strings.ToLower(in.Currency)),
				UnitAmount:  stripe.Int64(in.Amount),
				ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String(name)},
			},
			Quantity: stripe.Int64(1),
		}},
	}
	if s.cfg.CancelURL != "" {
		p.CancelURL = stripe.String(s.cfg.CancelURL)
	}
	p.SetIdempotencyKey("checkout-" + in.OrderID)
	return p
}

// GetPayment retrieves the session with its PaymentIntent and latest
// charge, which carries the refunded amount.
func (s *Stripe) GetPayment(ctx context.Context, providerPaymentID string) (Payment, error) {
	sess, err := s.session(ctx, providerPaymentID)
	if err != nil {
		return Payment{}, err
	}
	p := Payment{ProviderPaymentID: sess.ID, OrderID: sess.ClientReferenceID, Status: stripeStatus(sess),
		Amount: sess.AmountTotal, AmountRefunded: stripeRefunded(sess), Currency: strings.ToUpper(string(sess.Currency))}
	if p.OrderID == "" {
		p.OrderID = sess.Metadata["order_id"]
	}
	if sess.LastResponse != nil {
		p.Raw = json.RawMessage(sess.LastResponse.RawJSON)
	}
	return p, nil
}

// CancelCheckout expires an open session. A paid one is ErrAlreadyPaid; one
// whose payment is still settling (complete but unpaid) is
// ErrPaymentProcessing; an expired or failed one is left alone. If the
// expire call fails, the session is read again in case the customer paid
// meanwhile.
func (s *Stripe) CancelCheckout(ctx context.Context, providerPaymentID string) error {
	var expireErr error
	for range 2 {
		sess, err := s.session(ctx, providerPaymentID)
		if err != nil {
			return err
		}
		switch stripeStatus(sess) {
		case StatusPaid, StatusRefunded:
			return fmt.Errorf("cancel stripe checkout %s: %w", sess.ID, ErrAlreadyPaid)
		case StatusExpired, StatusFailed:
			return nil
		}
		if sess.Status != stripe.CheckoutSessionStatusOpen {
			return fmt.Errorf("cancel stripe checkout %s: %w", sess.ID, ErrPaymentProcessing)
		}
		if _, expireErr = s.client.V1CheckoutSessions.Expire(ctx, sess.ID, nil); expireErr == nil {
			return nil
		}
	}
	return stripeErr("expire stripe checkout "+providerPaymentID, expireErr)
}

// Refund refunds the session's PaymentIntent with idempotency key
// "refund-<idempotencyKey>" and records the key in the refund's metadata.
// Before creating, it looks for a refund with that metadata, so a retry
// after Stripe has forgotten the key (24h+) still cannot refund twice.
func (s *Stripe) Refund(ctx context.Context, providerPaymentID string, amount int64, idempotencyKey string) (string, error) {
	if err := validateRefund(amount, idempotencyKey); err != nil {
		return "", err
	}
	sess, err := s.session(ctx, providerPaymentID)
	if err != nil {
		return "", err
	}
	if st := stripeStatus(sess); (st != StatusPaid && st != StatusRefunded) || sess.PaymentIntent == nil {
		return "", fmt.Errorf("%w: only a paid payment can be refunded, stripe checkout %s is %s", ErrInvalidRequest, sess.ID, st)
	}
	pi := sess.PaymentIntent.ID
	for r, err := range s.client.V1Refunds.List(ctx, &stripe.RefundListParams{PaymentIntent: stripe.String(pi)}) {
		if err != nil {
			return "", stripeErr("list stripe refunds of "+pi, err)
		}
		if r.Metadata["idempotency_key"] != idempotencyKey {
			continue
		}
		if r.Amount != amount {
			return "", fmt.Errorf("%w: idempotency key %q already refunded %d on %s: use a new key for a different refund",
				ErrInvalidRequest, idempotencyKey, r.Amount, sess.ID)
		}
		return r.ID, nil
	}
	params := &stripe.RefundCreateParams{PaymentIntent: stripe.String(pi), Amount: stripe.Int64(amount),
		Metadata: map[string]string{"idempotency_key": idempotencyKey, "order_id": sess.ClientReferenceID, "checkout_session": sess.ID}}
	params.SetIdempotencyKey("refund-" + idempotencyKey)
	r, err := s.client.V1Refunds.Create(ctx, params)
	if err != nil {
		return "", stripeErr("refund stripe checkout "+sess.ID, err)
	}
	return r.ID, nil
}

// ParseWebhook verifies the Stripe-Signature header with stripe-go's
// webhook package (any failure, including a stale timestamp, is
// ErrBadSignature) and maps the Checkout events Convene acts on:
//
//	checkout.session.completed                paid → payment.succeeded, else payment.processing
//	checkout.session.async_payment_succeeded  payment.succeeded
//	checkout.session.async_payment_failed     payment.failed
//	checkout.session.expired                  checkout.expired
//	charge.refunded                           payment.refunded
//
// For session events ProviderPaymentID is the session ID and OrderID its
// client_reference_id. A charge knows nothing of its session, so for
// charge.refunded ProviderPaymentID is empty and OrderID comes from the
// charge's metadata (set through payment_intent_data at checkout). Other
// events parse with an empty Type. The endpoint's API version may differ
// from stripe-go's: only the fields above are read, which every version has.
func (s *Stripe) ParseWebhook(payload []byte, header http.Header) (Event, error) {
	ev, err := webhook.ConstructEventWithOptions(payload, header.Get("Stripe-Signature"), s.cfg.WebhookSecret,
		webhook.ConstructEventOptions{Tolerance: s.cfg.WebhookTolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		for _, sigErr := range []error{webhook.ErrNotSigned, webhook.ErrInvalidHeader, webhook.ErrNoValidSignature, webhook.ErrTooOld} {
			if errors.Is(err, sigErr) {
				return Event{}, fmt.Errorf("%w: %w", ErrBadSignature, err)
			}
		}
		return Event{}, fmt.Errorf("parse stripe webhook: %w", err)
	}
	out := Event{ID: ev.ID, ProviderType: string(ev.Type)}
	if ev.Data == nil {
		return out, nil
	}
	var obj struct {
		ID                string            `json:"id"`
		ClientReferenceID string            `json:"client_reference_id"`
		PaymentStatus     string            `json:"payment_status"`
		Metadata          map[string]string `json:"metadata"`
	}
	if err := json.Unmarshal(ev.Data.Raw, &obj); err != nil {
		return Event{}, fmt.Errorf("parse stripe webhook %s object: %w", ev.ID, err)
	}
	switch ev.Type {
	case stripe.EventTypeCheckoutSessionCompleted:
		out.Type = EventPaymentProcessing
		if paid(stripe.CheckoutSessionPaymentStatus(obj.PaymentStatus)) {
			out.Type = EventPaymentSucceeded
		}
	case stripe.EventTypeCheckoutSessionAsyncPaymentSucceeded:
		out.Type = EventPaymentSucceeded
	case stripe.EventTypeCheckoutSessionAsyncPaymentFailed:
		out.Type = EventPaymentFailed
	case stripe.EventTypeCheckoutSessionExpired:
		out.Type = EventCheckoutExpired
	case stripe.EventTypeChargeRefunded:
		out.Type, out.OrderID = EventPaymentRefunded, obj.Metadata["order_id"]
		return out, nil
	default:
		return out, nil
	}
	out.ProviderPaymentID, out.OrderID = obj.ID, obj.ClientReferenceID
	if out.OrderID == "" {
		out.OrderID = obj.Metadata["order_id"]
	}
	return out, nil
}

// session retrieves a Checkout Session with its PaymentIntent and latest charge.
func (s *Stripe) session(ctx context.Context, id string) (*stripe.CheckoutSession, error) {
	params := &stripe.CheckoutSessionRetrieveParams{}
	params.AddExpand("payment_intent.latest_charge")
	sess, err := s.client.V1CheckoutSessions.Retrieve(ctx, id, params)
	if err != nil {
		return nil, stripeErr("retrieve stripe checkout "+id, err)
	}
	return sess, nil
}

// stripeStatus maps a session (with its PaymentIntent expanded) onto Status.
func stripeStatus(sess *stripe.CheckoutSession) Status {
	switch {
	case paid(sess.PaymentStatus):
		if r := stripeRefunded(sess); r > 0 && r >= sess.AmountTotal {
			return StatusRefunded
		}
		return StatusPaid
	case sess.Status == stripe.CheckoutSessionStatusExpired:
		return StatusExpired
	case sess.Status == stripe.CheckoutSessionStatusComplete && sess.PaymentIntent != nil &&
		(sess.PaymentIntent.Status == stripe.PaymentIntentStatusCanceled ||
			sess.PaymentIntent.Status == stripe.PaymentIntentStatusRequiresPaymentMethod):
		// A delayed payment (e.g. bank debit) that failed after checkout.
		return StatusFailed
	default:
		return StatusPending
	}
}

func paid(ps stripe.CheckoutSessionPaymentStatus) bool {
	return ps == stripe.CheckoutSessionPaymentStatusPaid || ps == stripe.CheckoutSessionPaymentStatusNoPaymentRequired
}

// stripeRefunded is the amount refunded on the session's latest charge, or
// 0 when it was not expanded.
func stripeRefunded(sess *stripe.CheckoutSession) int64 {
	if sess.PaymentIntent == nil || sess.PaymentIntent.LatestCharge == nil {
		return 0
	}
	return sess.PaymentIntent.LatestCharge.AmountRefunded
}

// stripeErr wraps a stripe-go error, marking the ones retrying cannot fix:
// 404 is ErrNotFound, 400 and 402 (refused parameters, a card declined) are
// ErrInvalidRequest. Everything else (401 until the key is fixed, 409 lock
// conflicts, 429 rate limits, 5xx, network) stays plain, worth retrying.
func stripeErr(op string, err error) error {
	var se *stripe.Error
	if errors.As(err, &se) {
		switch se.HTTPStatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("%s: %w: %s", op, ErrNotFound, se.Msg)
		case http.StatusBadRequest, http.StatusPaymentRequired:
			return fmt.Errorf("%s: %w: %s", op, ErrInvalidRequest, se.Msg)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// isIdempotencyMismatch reports Stripe refusing a reused idempotency key
// because the parameters differ (400), as opposed to a concurrent request
// holding the key (409), which is worth retrying.
func isIdempotencyMismatch(err error) bool {
	var se *stripe.Error
	return errors.As(err, &se) && se.Type == stripe.ErrorTypeIdempotency && se.HTTPStatusCode == http.StatusBadRequest
}

// stripeLogger sends stripe-go's leveled log lines to slog.
type stripeLogger struct{ log *slog.Logger }

func (l stripeLogger) Debugf(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l stripeLogger) Infof(format string, v ...any)  { l.log.Info(fmt.Sprintf(format, v...)) }
func (l stripeLogger) Warnf(format string, v ...any)  { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l stripeLogger) Errorf(format string, v ...any) { l.log.Error(fmt.Sprintf(format, v...)) }
