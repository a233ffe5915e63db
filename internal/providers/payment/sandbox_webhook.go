package payment

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SandboxSignatureHeader carries the sandbox webhook signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>". Several
// v1 entries may be present (as during a secret rotation); one must match.
const SandboxSignatureHeader = "Convene-Sandbox-Signature"

// ErrWebhookNotDelivered is returned when the sandbox's event receiver did
// not answer 2xx. The event stays recorded; DeliverWebhook sends it again.
var ErrWebhookNotDelivered = errors.New("sandbox webhook not delivered: check SandboxConfig.WebhookURL is served and answers 2xx, then DeliverWebhook the event again")

// sandboxWebhook is the JSON body the sandbox POSTs.
type sandboxWebhook struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		PaymentID string `json:"payment_id"`
		OrderID   string `json:"order_id"`
	} `json:"data"`
}

// SignedWebhook builds the body and headers the sandbox would POST for a
// recorded event, signed at the sandbox clock's now, without sending it.
func (s *Sandbox) SignedWebhook(eventID string) (payload []byte, header http.Header, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.signedWebhook(ctx, eventID)
}

func (s *Sandbox) signedWebhook(ctx context.Context, eventID string) ([]byte, http.Header, error) {
	var body sandboxWebhook
	err := s.db.NewSelect().
		TableExpr("sandbox_webhook_events AS e").
		Join("JOIN sandbox_payments AS p ON p.id = e.payment_id").
		ColumnExpr("e.id, e.type, e.payment_id, p.order_id").
		Where("e.id = ?", eventID).
		Scan(ctx, &body.ID, &body.Type, &body.Data.PaymentID, &body.Data.OrderID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("sandbox webhook event %q was never recorded: use the ID returned by Pay or Fail", eventID)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load sandbox webhook event %s: %w", eventID, err)
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, nil, fmt.Errorf("encode sandbox webhook: %w", err)
	}
	t := s.cfg.Now().Unix()
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set(SandboxSignatureHeader, fmt.Sprintf("t=%d,v1=%s", t, hex.EncodeToString(s.sign(t, payload))))
	return payload, header, nil
}

// DeliverWebhook POSTs a recorded event to WebhookURL, signed afresh but
// with the same event ID, so it doubles as a duplicate delivery. An answer
// other than 2xx is an error wrapping ErrWebhookNotDelivered; the caller
// decides whether to retry. Without a WebhookURL it does nothing.
func (s *Sandbox) DeliverWebhook(ctx context.Context, eventID string) error {
	if s.cfg.WebhookURL == "" {
		return nil
	}
	payload, header, err := s.signedWebhook(ctx, eventID)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.WebhookURL, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("build sandbox webhook request: %w", err)
	}
	req.Header = header
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("%w: event %s: %w", ErrWebhookNotDelivered, eventID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%w: event %s: %s answered %d: %s",
			ErrWebhookNotDelivered, eventID, s.cfg.WebhookURL, resp.StatusCode, strings.TrimSpace(string(snippet)))
	}
	_, _ = io.Copy(io.Discard, resp.Body) // let the connection be reused
	return nil
}

// ParseWebhook verifies the Convene-Sandbox-Signature header in constant
// time, rejects timestamps outside WebhookTolerance, and parses the event.
// Any signature problem is ErrBadSignature.
func (s *Sandbox) ParseWebhook(payload []byte, header http.Header) (Event, error) {
	t, sigs, err := parseSandboxSignature(header.Get(SandboxSignatureHeader))
	if err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	if age := s.cfg.Now().Sub(time.Unix(t, 0)); age > s.cfg.WebhookTolerance || age < -s.cfg.WebhookTolerance {
		return Event{}, fmt.Errorf("%w: signed %s ago, tolerance is %s", ErrBadSignature, age.Round(time.Second), s.cfg.WebhookTolerance)
	}
	want := s.sign(t, payload)
	valid := false
	for _, sig := range sigs {
		// Compare every candidate so timing reveals nothing about which matched.
		valid = hmac.Equal(sig, want) || valid
	}
	if !valid {
		return Event{}, fmt.Errorf("%w: no v1 signature matches", ErrBadSignature)
	}
	var body sandboxWebhook
	if err := json.Unmarshal(payload, &body); err != nil {
		return Event{}, fmt.Errorf("parse sandbox webhook: %w", err)
	}
	if body.ID == "" || body.Data.PaymentID == "" {
		return Event{}, errors.New("parse sandbox webhook: id and data.payment_id are required")
	}
	return Event{ID: body.ID, Type: body.Type, ProviderPaymentID: body.Data.PaymentID,
		OrderID: body.Data.OrderID, ProviderType: body.Type}, nil
}

// sign is HMAC-SHA256(secret, "<t>.<payload>").
func (s *Sandbox) sign(t int64, payload []byte) []byte {
	mac := hmac.New(sha256.New, []byte(s.cfg.Secret))
	mac.Write([]byte(strconv.FormatInt(t, 10)))
	mac.Write([]byte("."))
	mac.Write(payload)
	return mac.Sum(nil)
}

// parseSandboxSignature splits "t=…,v1=…[,v1=…]" into the timestamp and the
// decoded signatures; unknown keys are ignored so the scheme can grow.
func parseSandboxSignature(h string) (int64, [][]byte, error) {
	if h == "" {
		return 0, nil, fmt.Errorf("no %s header", SandboxSignatureHeader)
	}
	var (
		t     int64
		haveT bool
		sigs  [][]byte
	)
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return 0, nil, fmt.Errorf("malformed %s header", SandboxSignatureHeader)
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, nil, fmt.Errorf("malformed timestamp in %s header", SandboxSignatureHeader)
			}
			t, haveT = n, true
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	if !haveT || len(sigs) == 0 {
		return 0, nil, fmt.Errorf("%s header needs t and v1", SandboxSignatureHeader)
	}
	return t, sigs, nil
}
