package testenv

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/auth"
)

// Peer is a second API process on a's database, clock and token secret:
// its own server and handlers (so its own chat hub and LISTEN connection),
// without a worker. Tokens of a's users work on it.
func (a *API) Peer(t testing.TB) *API {
	t.Helper()
	p := &API{DB: a.DB, SMS: a.SMS, Clock: a.Clock, Temporal: a.Temporal, TaskQueue: a.TaskQueue,
		NotifyRates: a.NotifyRates, NotifyBurst: a.NotifyBurst, Push: a.Push, Email: a.Email, Telegram: a.Telegram,
		pushTimes: a.pushTimes}
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	p.URL, p.HTTP = srv.URL, srv.Client()
	built := p.build(t, apiOptions{otpLimits: auth.OTPLimits{PerPhonePerHour: 1000, PerIPPerHour: 100000}, notifyRates: a.NotifyRates})
	h, err := built.Handler()
	require.NoError(t, err)
	handler = h
	p.connectClients()
	return p
}
