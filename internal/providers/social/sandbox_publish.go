package social

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"
)

// maxTextRunes is how long a post's text may be on each platform;
// defaultMaxTextRunes for the others.
var maxTextRunes = map[string]int{"x": 280, "instagram": 2200, "linkedin": 3000}

const defaultMaxTextRunes = 5000

// SandboxPost is a post the sandbox holds, as tests inspect it.
type SandboxPost struct {
	Published
	Platform       string
	AccountID      string
	IdempotencyKey string
	Text           string
	MediaURLs      []string
}

// postKey identifies a post by who published it and with which key:
// idempotency keys are scoped to an account, as on real platforms.
type postKey struct {
	account string
	key     string
}

// Posts are the posts published by the account whose PlatformUserID is
// accountID, oldest first.
func (s *Sandbox) Posts(accountID string) []SandboxPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SandboxPost, len(s.byAccount[accountID]))
	for i, p := range s.byAccount[accountID] {
		out[i] = *p
		out[i].MediaURLs = append([]string(nil), p.MediaURLs...)
	}
	return out
}

func (p *sandboxPlatform) Publish(ctx context.Context, accessToken string, post Post) (Published, error) {
	if err := ctx.Err(); err != nil {
		return Published{}, err
	}
	acct, err := p.s.authorize(p.name, accessToken)
	if err != nil {
		return Published{}, err
	}
	var out Published
	err = p.s.guard(ctx, call{op: OpPublish, account: acct.PlatformUserID, ref: post.IdempotencyKey, text: post.Text},
		func() (err error) {
			out, err = p.s.publish(p.name, acct.PlatformUserID, post)
			return err
		})
	if err != nil {
		return Published{}, err
	}
	return out, nil
}

func (p *sandboxPlatform) LookupPost(ctx context.Context, accessToken, idempotencyKey string) (Published, bool, error) {
	if err := ctx.Err(); err != nil {
		return Published{}, false, err
	}
	acct, err := p.s.authorize(p.name, accessToken)
	if err != nil {
		return Published{}, false, err
	}
	var (
		out   Published
		found bool
	)
	err = p.s.guard(ctx, call{op: OpLookup, account: acct.PlatformUserID, ref: idempotencyKey}, func() error {
		p.s.mu.Lock()
		defer p.s.mu.Unlock()
		if post, ok := p.s.posts[postKey{acct.PlatformUserID, idempotencyKey}]; ok {
			out, found = post.Published, true
		}
		return nil
	})
	if err != nil {
		return Published{}, false, err
	}
	return out, found, nil
}

// publish returns the account's post with post's idempotency key, or
// creates it when the content is acceptable and the rate limit allows.
func (s *Sandbox) publish(platform, account string, post Post) (Published, error) {
	if err := checkPost(platform, post); err != nil {
		return Published{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := postKey{account, post.IdempotencyKey}
	if existing, ok := s.posts[key]; ok {
		return existing.Published, nil
	}
	now := s.cfg.Now()
	if wait := s.bucketLocked(account).take(now); wait > 0 {
		return Published{}, &RateLimitedError{RetryAfter: wait}
	}
	s.nextPost++
	id := strconv.FormatInt(1_000_000+s.nextPost, 10)
	created := &SandboxPost{
		Published: Published{PostID: id, PublishedAt: now,
			URL: "https://sandbox.social/" + url.PathEscape(platform) + "/posts/" + id},
		Platform: platform, AccountID: account, IdempotencyKey: post.IdempotencyKey,
		Text: post.Text, MediaURLs: append([]string(nil), post.MediaURLs...),
	}
	s.posts[key] = created
	s.byID[id] = created
	s.byAccount[account] = append(s.byAccount[account], created)
	return created.Published, nil
}

// checkPost refuses what the platform would: no idempotency key, nothing
// to post, text over the platform's length, media that is not a URL.
func checkPost(platform string, p Post) error {
	limit, ok := maxTextRunes[platform]
	if !ok {
		limit = defaultMaxTextRunes
	}
	switch {
	case p.IdempotencyKey == "":
		return fmt.Errorf("%w: idempotency key is required", ErrRejected)
	case p.Text == "" && len(p.MediaURLs) == 0:
		return fmt.Errorf("%w: a post needs text or media", ErrRejected)
	case utf8.RuneCountInString(p.Text) > limit:
		return fmt.Errorf("%w: text is %d characters, %s allows %d", ErrRejected,
			utf8.RuneCountInString(p.Text), platform, limit)
	}
	for _, m := range p.MediaURLs {
		if u, err := url.Parse(m); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("%w: media %q is not an http(s) URL", ErrRejected, m)
		}
	}
	return nil
}

// bucketLocked is account's publishing bucket; s.mu is held.
func (s *Sandbox) bucketLocked(account string) *bucket {
	b, ok := s.buckets[account]
	if !ok {
		interval := time.Duration(float64(time.Minute) / s.cfg.PostsPerMinute)
		b = &bucket{interval: interval, tolerance: time.Duration(s.cfg.Burst-1) * interval}
		s.buckets[account] = b
	}
	return b
}

// bucket is a token bucket in GCRA form (one timestamp: the theoretical
// arrival time of the next call at the steady rate), which also says how
// long a refused call must wait.
type bucket struct {
	interval  time.Duration
	tolerance time.Duration
	tat       time.Time
}

// take spends a token at now and returns 0, or returns how long to wait
// (rounded up to whole seconds, as Retry-After is) and spends nothing.
func (b *bucket) take(now time.Time) time.Duration {
	tat := b.tat
	if tat.Before(now) {
		tat = now
	}
	if wait := tat.Sub(now) - b.tolerance; wait > 0 {
		return (wait + time.Second - 1).Truncate(time.Second)
	}
	b.tat = tat.Add(b.interval)
	return 0
}
