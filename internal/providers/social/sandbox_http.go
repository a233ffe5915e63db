package social

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
)

// Routes serves the sandbox's OAuth consent page, so a developer can click
// through connecting an account under `make run`:
//
//	GET  /sandbox/social/{platform}/authorize   the page: which app, a username, Approve / Deny
//	POST /sandbox/social/{platform}/authorize   the decision: 303 to redirect_uri?code=…&state=…
//	                                            (or ?error=access_denied&state=…)
//
// Both take AuthorizeURL's query (redirect_uri, state). Mount it at
// "/sandbox/social/".
func (s *Sandbox) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sandbox/social/{platform}/authorize", s.showConsent)
	mux.HandleFunc("POST /sandbox/social/{platform}/authorize", s.decideConsent)
	return mux
}

// DefaultSandboxUsername is the username the consent page suggests.
const DefaultSandboxUsername = "convene_demo"

// validUsername is what the sandbox accepts as a handle.
var validUsername = regexp.MustCompile(`^[A-Za-z0-9_]{1,30}$`)

// consentRequest is the authorize query, checked.
type consentRequest struct {
	Platform    string
	RedirectURI string
	State       string
}

// parseConsent checks the platform and the authorize query; a bad one gets
// a 400 page, never a redirect (the redirect URI cannot be trusted).
func (s *Sandbox) parseConsent(w http.ResponseWriter, r *http.Request) (consentRequest, bool) {
	c := consentRequest{Platform: r.PathValue("platform"), RedirectURI: r.URL.Query().Get("redirect_uri"),
		State: r.URL.Query().Get("state")}
	if !s.serves(c.Platform) {
		http.Error(w, "the sandbox serves no platform named "+c.Platform, http.StatusNotFound)
		return c, false
	}
	u, err := url.Parse(c.RedirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		http.Error(w, "redirect_uri must be an absolute http(s) URL", http.StatusBadRequest)
		return c, false
	}
	if c.State == "" {
		http.Error(w, "state is required", http.StatusBadRequest)
		return c, false
	}
	return c, true
}

func (s *Sandbox) showConsent(w http.ResponseWriter, r *http.Request) {
	c, ok := s.parseConsent(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = consentPage.Execute(w, consentView{consentRequest: c, Username: DefaultSandboxUsername,
		Action: r.URL.RequestURI()})
}

func (s *Sandbox) decideConsent(w http.ResponseWriter, r *http.Request) {
	c, ok := s.parseConsent(w, r)
	if !ok {
		return
	}
	q := url.Values{"state": {c.State}}
	if r.PostFormValue("decision") != "approve" {
		q.Set("error", "access_denied")
		http.Redirect(w, r, withQuery(c.RedirectURI, q), http.StatusSeeOther)
		return
	}
	username := r.PostFormValue("username")
	if !validUsername.MatchString(username) {
		http.Error(w, "username must be 1 to 30 letters, digits or underscores", http.StatusBadRequest)
		return
	}
	code, err := s.IssueCode(c.Platform, c.RedirectURI, username)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	q.Set("code", code)
	http.Redirect(w, r, withQuery(c.RedirectURI, q), http.StatusSeeOther)
}

// withQuery adds q to rawURL's own query (parsed already by parseConsent).
func withQuery(rawURL string, q url.Values) string {
	u, _ := url.Parse(rawURL)
	merged := u.Query()
	for k, vs := range q {
		merged[k] = vs
	}
	u.RawQuery = merged.Encode()
	return u.String()
}

// consentView is what the consent page renders.
type consentView struct {
	consentRequest
	Username string
	Action   string
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox {{.Platform}}: connect Convene</title></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 3rem auto">
<h1>Sandbox {{.Platform}}</h1>
<p><strong>Convene</strong> asks to publish posts and read their metrics on your {{.Platform}} account.
This is the sandbox: no real account is involved.</p>
<form method="post" action="{{.Action}}">
<label>Username <input name="username" value="{{.Username}}" pattern="[A-Za-z0-9_]{1,30}" required></label>
<p><button name="decision" value="approve">Approve</button>
<button name="decision" value="deny" formnovalidate>Deny</button></p>
</form>
<p><small>You will return to {{.RedirectURI}}</small></p>
</body></html>
`))
