package social

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultSandboxPlatforms are the platform names a Sandbox serves unless
// SandboxConfig.Platforms says otherwise.
var DefaultSandboxPlatforms = []string{"x", "linkedin", "instagram", "facebook"}

// SandboxConfig configures a Sandbox. The zero value works, with the
// defaults below.
type SandboxConfig struct {
	// BaseURL is where Routes are served (the API's public URL), so
	// AuthorizeURL points at <BaseURL>/sandbox/social/<platform>/authorize.
	BaseURL string
	// Platforms are the names served; DefaultSandboxPlatforms when empty.
	Platforms []string
	// PostsPerMinute and Burst bound each account's publishing (a token
	// bucket): beyond them Publish answers *RateLimitedError. 10 a minute,
	// 5 at once by default.
	PostsPerMinute float64
	Burst          int
	// CodeTTL is how long a consent code can be exchanged (5m default);
	// AccessTokenTTL and RefreshTokenTTL how long tokens work (1h and 30
	// days by default).
	CodeTTL         time.Duration
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	// Now is the clock; time.Now when nil. Tests pass one they advance.
	Now func() time.Time
}

// WithDefaults returns the config with unset fields filled in.
func (c SandboxConfig) WithDefaults() SandboxConfig {
	if len(c.Platforms) == 0 {
		c.Platforms = DefaultSandboxPlatforms
	}
	if c.PostsPerMinute <= 0 {
		c.PostsPerMinute = 10
	}
	if c.Burst < 1 {
		c.Burst = 5
	}
	if c.CodeTTL <= 0 {
		c.CodeTTL = 5 * time.Minute
	}
	if c.AccessTokenTTL <= 0 {
		c.AccessTokenTTL = time.Hour
	}
	if c.RefreshTokenTTL <= 0 {
		c.RefreshTokenTTL = 30 * 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c
}

// Sandbox is an in-memory social network serving several platform names,
// for `make run` and tests. It behaves like a real platform: an OAuth
// consent page (Routes), single-use short-lived codes, expiring and
// rotating tokens, idempotent publishing with a per-account rate limit,
// metrics that grow with time and a deterministic set of comments per post.
// FailNext makes the next matching call fail. Safe for concurrent use;
// everything is lost when the process ends.
type Sandbox struct {
	cfg SandboxConfig

	mu        sync.Mutex
	codes     map[string]issuedCode
	access    map[string]issuedToken
	refresh   map[string]issuedToken
	posts     map[postKey]*SandboxPost // by account and idempotency key
	byID      map[string]*SandboxPost
	byAccount map[string][]*SandboxPost
	buckets   map[string]*bucket
	failures  []pendingFailure
	nextPost  int64
}

// issuedCode is a consent code waiting to be exchanged.
type issuedCode struct {
	platform    string
	redirectURI string
	account     Account
	expiresAt   time.Time
}

// issuedToken is an access or refresh token and whom it acts for.
type issuedToken struct {
	platform  string
	account   Account
	expiresAt time.Time
}

// NewSandbox returns an empty sandbox.
func NewSandbox(cfg SandboxConfig) *Sandbox {
	return &Sandbox{
		cfg:       cfg.WithDefaults(),
		codes:     map[string]issuedCode{},
		access:    map[string]issuedToken{},
		refresh:   map[string]issuedToken{},
		posts:     map[postKey]*SandboxPost{},
		byID:      map[string]*SandboxPost{},
		byAccount: map[string][]*SandboxPost{},
		buckets:   map[string]*bucket{},
	}
}

// Platforms returns one Platform per configured name, all backed by s.
func (s *Sandbox) Platforms() []Platform {
	out := make([]Platform, len(s.cfg.Platforms))
	for i, name := range s.cfg.Platforms {
		out[i] = &sandboxPlatform{s: s, name: name}
	}
	return out
}

// serves reports whether name is one of the sandbox's platforms.
func (s *Sandbox) serves(name string) bool {
	for _, p := range s.cfg.Platforms {
		if p == name {
			return true
		}
	}
	return false
}

// SandboxAccount is the account the sandbox gives username on platform:
// its ID is derived from both, so reconnecting yields the same account.
func SandboxAccount(platform, username string) Account {
	sum := sha256.Sum256([]byte(platform + "/" + strings.ToLower(username)))
	return Account{PlatformUserID: platform + "-" + hex.EncodeToString(sum[:6]), Username: username}
}

// IssueCode is what approving the consent page does: a single-use code for
// username's account on platform, bound to redirectURI. Tests that do not
// need the HTTP click-through call it directly.
func (s *Sandbox) IssueCode(platform, redirectURI, username string) (string, error) {
	if !s.serves(platform) {
		return "", fmt.Errorf("%w %q", ErrUnknownPlatform, platform)
	}
	code := "sbx-code-" + rand.Text()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = issuedCode{platform: platform, redirectURI: redirectURI,
		account: SandboxAccount(platform, username), expiresAt: s.cfg.Now().Add(s.cfg.CodeTTL)}
	return code, nil
}

// exchangeCode spends code (once, even when the exchange is refused, as
// real platforms do) and grants tokens.
func (s *Sandbox) exchangeCode(platform, code, redirectURI string) (Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[code]
	delete(s.codes, code)
	switch {
	case !ok || c.platform != platform:
		return Grant{}, fmt.Errorf("%w: authorization code is unknown or already used", ErrRejected)
	case !s.cfg.Now().Before(c.expiresAt):
		return Grant{}, fmt.Errorf("%w: authorization code expired: connect again", ErrRejected)
	case c.redirectURI != redirectURI:
		return Grant{}, fmt.Errorf("%w: redirect_uri differs from the one consent was given for", ErrRejected)
	}
	return s.grantLocked(platform, c.account), nil
}

// refreshToken rotates a refresh token: the old one stops working.
func (s *Sandbox) refreshToken(platform, token string) (Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refresh[token]
	delete(s.refresh, token)
	switch {
	case !ok || t.platform != platform:
		return Grant{}, fmt.Errorf("%w: refresh token is unknown or already used: connect the account again", ErrRejected)
	case !s.cfg.Now().Before(t.expiresAt):
		return Grant{}, fmt.Errorf("%w: refresh token expired: connect the account again", ErrRejected)
	}
	return s.grantLocked(platform, t.account), nil
}

// grantLocked issues a fresh access and refresh token; s.mu is held.
func (s *Sandbox) grantLocked(platform string, a Account) Grant {
	now := s.cfg.Now()
	g := Grant{AccessToken: "sbx-at-" + rand.Text(), RefreshToken: "sbx-rt-" + rand.Text(),
		ExpiresAt: now.Add(s.cfg.AccessTokenTTL), Account: a}
	s.access[g.AccessToken] = issuedToken{platform: platform, account: a, expiresAt: g.ExpiresAt}
	s.refresh[g.RefreshToken] = issuedToken{platform: platform, account: a, expiresAt: now.Add(s.cfg.RefreshTokenTTL)}
	return g
}

// authorize is the account accessToken acts for on platform.
func (s *Sandbox) authorize(platform, accessToken string) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.access[accessToken]
	switch {
	case !ok || t.platform != platform:
		return Account{}, fmt.Errorf("%w: access token is not valid on %s", ErrRejected, platform)
	case !s.cfg.Now().Before(t.expiresAt):
		return Account{}, ErrTokenExpired
	}
	return t.account, nil
}

// authorizeURL is platform's consent page for state and redirectURI.
func (s *Sandbox) authorizeURL(platform, state, redirectURI string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {"convene"}, "redirect_uri": {redirectURI},
		"state": {state}, "scope": {"publish read_metrics"}}
	return s.cfg.BaseURL + "/sandbox/social/" + url.PathEscape(platform) + "/authorize?" + q.Encode()
}

// sandboxPlatform is one platform name served by a Sandbox.
type sandboxPlatform struct {
	s    *Sandbox
	name string
}

var _ Platform = (*sandboxPlatform)(nil)

func (p *sandboxPlatform) Name() string { return p.name }

func (p *sandboxPlatform) AuthorizeURL(state, redirectURI string) string {
	return p.s.authorizeURL(p.name, state, redirectURI)
}

func (p *sandboxPlatform) ExchangeCode(ctx context.Context, code, redirectURI string) (Grant, error) {
	if err := ctx.Err(); err != nil {
		return Grant{}, err
	}
	return p.s.exchangeCode(p.name, code, redirectURI)
}

func (p *sandboxPlatform) RefreshToken(ctx context.Context, refreshToken string) (Grant, error) {
	if err := ctx.Err(); err != nil {
		return Grant{}, err
	}
	return p.s.refreshToken(p.name, refreshToken)
}
