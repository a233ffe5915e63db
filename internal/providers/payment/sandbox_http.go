package payment

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Handler serves the sandbox's hosted checkout pages:
//
//	GET  /sandbox/checkout/{id}       the page: amount, description, status
//	POST /sandbox/checkout/{id}/pay   pay, deliver payment.succeeded, 303 to the page
//	POST /sandbox/checkout/{id}/fail  fail, deliver payment.failed, 303 to the page
//
// Paying or failing a checkout that is expired, cancelled, failed or paid is
// refused with 409 and a page that says why. Mount it at "/sandbox/".
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sandbox/checkout/{id}", s.showCheckout)
	mux.HandleFunc("POST /sandbox/checkout/{id}/pay", s.act(s.Pay))
	mux.HandleFunc("POST /sandbox/checkout/{id}/fail", s.act(s.Fail))
	return mux
}

// checkoutPage is what the template renders.
type checkoutPage struct {
	ID          string
	Amount      string
	Currency    string
	Description string
	Status      Status
	ExpiresAt   string
	Payable     bool
	PayURL      string
	FailURL     string
	Message     string
}

func (s *Sandbox) showCheckout(w http.ResponseWriter, r *http.Request) {
	var msg string
	if r.URL.Query().Get("webhook") == "failed" {
		msg = "The webhook could not be delivered to " + s.cfg.WebhookURL + "; the payment state changed anyway. Check that the API is running."
	}
	s.render(w, r, r.PathValue("id"), http.StatusOK, msg)
}

// act runs a customer action, then sends the browser back to the page
// (303, so a reload does not repeat the POST).
func (s *Sandbox) act(fn func(context.Context, string) (Event, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		page := "/sandbox/checkout/" + url.PathEscape(id)
		_, err := fn(r.Context(), id)
		switch {
		case err == nil:
			http.Redirect(w, r, page, http.StatusSeeOther)
		case errors.Is(err, ErrWebhookNotDelivered):
			s.cfg.Log.Warn("sandbox webhook not delivered", "checkout", id, "err", err)
			http.Redirect(w, r, page+"?webhook=failed", http.StatusSeeOther)
		case errors.Is(err, ErrAlreadyPaid):
			s.render(w, r, id, http.StatusConflict, "Refused: this checkout is already paid.")
		case errors.Is(err, ErrCheckoutClosed):
			s.render(w, r, id, http.StatusConflict, "Payment refused: this checkout was closed (it expired, was cancelled or failed) before payment.")
		default:
			s.render(w, r, id, http.StatusInternalServerError, err.Error())
		}
	}
}

func (s *Sandbox) render(w http.ResponseWriter, r *http.Request, id string, status int, msg string) {
	p, err := loadSandboxPayment(r.Context(), s.db, id, false)
	if errors.Is(err, ErrNotFound) {
		http.Error(w, "no such sandbox checkout", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	st := s.statusOf(p)
	base := "/sandbox/checkout/" + url.PathEscape(p.ID)
	data := checkoutPage{ID: p.ID, Amount: formatMinor(p.Amount, p.Currency), Currency: p.Currency,
		Description: p.Description, Status: st, ExpiresAt: p.ExpiresAt.UTC().Format(time.RFC1123),
		Payable: st == StatusPending, PayURL: base + "/pay", FailURL: base + "/fail", Message: msg}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := checkoutTemplate.Execute(w, data); err != nil {
		s.cfg.Log.Warn("render sandbox checkout", "err", err)
	}
}

// zeroDecimal lists the common currencies without minor units.
var zeroDecimal = map[string]bool{"JPY": true, "KRW": true, "VND": true, "CLP": true, "ISK": true, "UGX": true}

// formatMinor renders minor units as a decimal amount, e.g. 150050 INR → "1500.50".
func formatMinor(amount int64, currency string) string {
	if zeroDecimal[strings.ToUpper(currency)] {
		return fmt.Sprintf("%d", amount)
	}
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	return fmt.Sprintf("%s%d.%02d", sign, amount/100, amount%100)
}

var checkoutTemplate = template.Must(template.New("checkout").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Convene sandbox checkout</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
.amount{font-size:2rem;margin:.5rem 0}.msg{background:#fff3cd;padding:.75rem;border-radius:.25rem}
form{display:inline-block;margin-right:.5rem}button{font-size:1rem;padding:.5rem 1rem}</style></head>
<body>
<p><small>Convene sandbox — no real money moves.</small></p>
<h1>Checkout</h1>
{{with .Message}}<p class="msg" role="alert">{{.}}</p>{{end}}
<p>{{.Description}}</p>
<p class="amount">{{.Amount}} {{.Currency}}</p>
<p>Status: <strong id="status">{{.Status}}</strong></p>
<p><small>Checkout {{.ID}}, open until {{.ExpiresAt}}.</small></p>
{{if .Payable}}
<form method="post" action="{{.PayURL}}"><button type="submit">Pay</button></form>
<form method="post" action="{{.FailURL}}"><button type="submit">Fail payment</button></form>
{{else}}
<p>This checkout is {{.Status}} and no longer accepts payment.</p>
{{end}}
</body>
</html>
`))
