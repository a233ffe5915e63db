package social_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/providers/social"
)

// consentBundle serves the sandbox's consent page and records where it
// sends the browser back.
type consentBundle struct {
	sandbox  *social.Sandbox
	server   *httptest.Server
	callback string
	client   *http.Client
}

func setupConsent(t *testing.T) *consentBundle {
	t.Helper()
	b := &consentBundle{}
	mux := http.NewServeMux()
	mux.Handle("/sandbox/social/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.sandbox.Routes().ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET /oauth/callback/{platform}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "connected")
	})
	b.server = httptest.NewServer(mux)
	t.Cleanup(b.server.Close)
	b.sandbox = social.NewSandbox(social.SandboxConfig{BaseURL: b.server.URL})
	b.callback = b.server.URL + "/oauth/callback/linkedin?from=test"
	b.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return b
}

func TestSandbox_ConsentClickThrough(t *testing.T) {
	t.Parallel()
	b := setupConsent(t)
	linkedin := platform(t, b.sandbox, "linkedin")
	authorize := linkedin.AuthorizeURL("state-123", b.callback)
	require.True(t, strings.HasPrefix(authorize, b.server.URL+"/sandbox/social/linkedin/authorize?"), authorize)

	page, err := http.Get(authorize)
	require.NoError(t, err)
	body, _ := io.ReadAll(page.Body)
	_ = page.Body.Close()
	require.Equal(t, http.StatusOK, page.StatusCode)
	assert.Contains(t, string(body), `<button name="decision" value="approve">Approve</button>`)

	res, err := b.client.PostForm(authorize, url.Values{"decision": {"approve"}, "username": {"grace"}})
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	back, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "/oauth/callback/linkedin", back.Path)
	assert.Equal(t, "state-123", back.Query().Get("state"))
	assert.Equal(t, "test", back.Query().Get("from"), "the redirect URI's own query is kept")

	g, err := linkedin.ExchangeCode(context.Background(), back.Query().Get("code"), b.callback)
	require.NoError(t, err)
	assert.Equal(t, social.SandboxAccount("linkedin", "grace"), g.Account)
	assert.NotEmpty(t, g.AccessToken)
}

func TestSandbox_ConsentRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		path       string
		query      url.Values
		form       url.Values
		wantStatus int
		wantError  string // the error query parameter of the redirect
	}{
		{name: "unknown platform", path: "/sandbox/social/myspace/authorize",
			query: url.Values{"state": {"s"}, "redirect_uri": {"https://a.test/cb"}}, wantStatus: http.StatusNotFound},
		{name: "relative redirect", path: "/sandbox/social/x/authorize",
			query: url.Values{"state": {"s"}, "redirect_uri": {"/cb"}}, wantStatus: http.StatusBadRequest},
		{name: "no state", path: "/sandbox/social/x/authorize",
			query: url.Values{"redirect_uri": {"https://a.test/cb"}}, wantStatus: http.StatusBadRequest},
		{name: "bad username", path: "/sandbox/social/x/authorize",
			query: url.Values{"state": {"s"}, "redirect_uri": {"https://a.test/cb"}},
			form:  url.Values{"decision": {"approve"}, "username": {"<script>"}}, wantStatus: http.StatusBadRequest},
		{name: "denied", path: "/sandbox/social/x/authorize",
			query: url.Values{"state": {"s"}, "redirect_uri": {"https://a.test/cb"}},
			form:  url.Values{"decision": {"deny"}}, wantStatus: http.StatusSeeOther, wantError: "access_denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupConsent(t)
			target := b.server.URL + tt.path + "?" + tt.query.Encode()
			var (
				res *http.Response
				err error
			)
			if tt.form == nil {
				res, err = b.client.Get(target)
			} else {
				res, err = b.client.PostForm(target, tt.form)
			}
			require.NoError(t, err)
			_ = res.Body.Close()
			require.Equal(t, tt.wantStatus, res.StatusCode)
			if tt.wantError != "" {
				back, err := url.Parse(res.Header.Get("Location"))
				require.NoError(t, err)
				assert.Equal(t, tt.wantError, back.Query().Get("error"))
				assert.Empty(t, back.Query().Get("code"))
			}
		})
	}
}
