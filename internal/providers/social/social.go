// Package social connects Convene to social platforms: OAuth to link an
// organization's account, publishing a post, and reading a post's metrics
// and comments.
//
// Convene depends only on Platform; a Registry maps platform names ("x",
// "linkedin", …) to adapters. The Sandbox serves every platform name from
// memory and behaves like a real platform (consent page, expiring tokens,
// idempotent publishing, rate limits, growing metrics, comments), with
// failures on demand for tests.
//
// Publishing is the one call that must never happen twice for the same
// content: Publish takes an idempotency key and a platform returns the same
// post for the same key. When a Publish times out the caller cannot tell
// whether the post exists, so it asks LookupPost by the same key before
// trying again.
//
// Errors a caller branches on: *RateLimitedError (wait RetryAfter, then
// retry), ErrRejected (permanent: retrying the same call will not help),
// ErrUnavailable (transient: retry later) and ErrNotFound. A timeout is the
// caller's own context deadline (context.DeadlineExceeded).
package social

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Platform is one social platform as Convene uses it. Implementations are
// safe for concurrent use.
type Platform interface {
	// Name is the platform's name in Convene ("x", "linkedin", …), stored
	// with each social account.
	Name() string
	// AuthorizeURL is the platform's consent page; after consent the
	// platform sends the browser to redirectURI?code=…&state=state.
	AuthorizeURL(state, redirectURI string) string
	// ExchangeCode trades the single-use code from the consent redirect
	// (with the same redirectURI) for tokens and the account they act for.
	ExchangeCode(ctx context.Context, code, redirectURI string) (Grant, error)
	// RefreshToken trades a refresh token for fresh tokens. The old
	// refresh token may stop working: store the returned one.
	RefreshToken(ctx context.Context, refreshToken string) (Grant, error)
	// Publish posts p on the account of accessToken. The same
	// IdempotencyKey on the same account returns the same post, never a
	// second one.
	Publish(ctx context.Context, accessToken string, p Post) (Published, error)
	// LookupPost finds the post published with idempotencyKey. found is
	// false when there is none; an error means the answer is unknown.
	LookupPost(ctx context.Context, accessToken, idempotencyKey string) (post Published, found bool, err error)
	// Metrics are a post's engagement figures now.
	Metrics(ctx context.Context, accessToken, postID string) (Metrics, error)
	// Comments are a post's comments, oldest first, after the comment ID
	// after ("" for the first page).
	Comments(ctx context.Context, accessToken, postID, after string) ([]Comment, error)
}

// Grant is what an OAuth exchange or refresh yields.
type Grant struct {
	AccessToken  string
	RefreshToken string
	// ExpiresAt is when AccessToken stops working.
	ExpiresAt time.Time
	// Account is who the tokens act for.
	Account Account
}

// Account is a user on a platform.
type Account struct {
	// PlatformUserID is the platform's stable ID for the user; with the
	// platform name it identifies a social account across reconnects.
	PlatformUserID string
	// Username is the handle, which the user may change.
	Username string
}

// Post is what Convene asks a platform to publish.
type Post struct {
	// IdempotencyKey makes Publish safe to repeat: the same key on the same
	// account yields the same post. Required.
	IdempotencyKey string
	Text           string
	// MediaURLs are public http(s) URLs the platform fetches.
	MediaURLs []string
}

// Published is a post as it exists on a platform.
type Published struct {
	PostID      string
	URL         string
	PublishedAt time.Time
}

// Metrics are a post's engagement figures at MeasuredAt.
type Metrics struct {
	Impressions int64
	Reach       int64
	Likes       int64
	Comments    int64
	Shares      int64
	MeasuredAt  time.Time
}

// Comment is one comment on a post.
type Comment struct {
	ID   string
	Text string
	At   time.Time
}

// Sentinel errors a caller branches on with errors.Is; adapters wrap them
// with detail.
var (
	// ErrRejected: the platform refused the call for good (content refused,
	// token invalid or revoked, code used or expired). Retrying the same
	// call will not help.
	ErrRejected = errors.New("refused by the social platform")
	// ErrTokenExpired: the access token expired; refresh it and try again.
	// It is also ErrRejected, for callers that do not refresh.
	ErrTokenExpired = fmt.Errorf("%w: access token expired: refresh it", ErrRejected)
	// ErrUnavailable: the platform is down or overloaded (503); retry later.
	ErrUnavailable = errors.New("social platform unavailable: retry later")
	// ErrNotFound: no such post on this account (deleted, or published by
	// another account).
	ErrNotFound = errors.New("post not found on the social platform: it was deleted or belongs to another account")
	// ErrUnknownPlatform: no adapter is registered under the name.
	ErrUnknownPlatform = errors.New("unknown social platform")
)

// RateLimitedError is the platform's 429: too many calls; wait RetryAfter
// before the next one.
type RateLimitedError struct {
	RetryAfter time.Duration
}

// Error says how long to wait.
func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("rate limited by the social platform: retry after %s", e.RetryAfter)
}

// AsRateLimited returns the *RateLimitedError in err's chain, if any.
func AsRateLimited(err error) (*RateLimitedError, bool) {
	var rl *RateLimitedError
	ok := errors.As(err, &rl)
	return rl, ok
}

// Registry maps platform names to adapters. It is built once and read
// concurrently.
type Registry struct {
	platforms map[string]Platform
}

// NewRegistry registers each platform under its Name; two with one name
// are refused.
func NewRegistry(platforms ...Platform) (*Registry, error) {
	r := &Registry{platforms: make(map[string]Platform, len(platforms))}
	for _, p := range platforms {
		if _, dup := r.platforms[p.Name()]; dup {
			return nil, fmt.Errorf("social platform %q registered twice", p.Name())
		}
		r.platforms[p.Name()] = p
	}
	return r, nil
}

// Get returns the platform registered under name.
func (r *Registry) Get(name string) (Platform, error) {
	p, ok := r.platforms[name]
	if !ok {
		return nil, fmt.Errorf("%w %q: supported are %v", ErrUnknownPlatform, name, r.Names())
	}
	return p, nil
}

// Names lists the registered platform names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.platforms))
	for name := range r.platforms {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
