package questcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// DefaultTwitterBaseURL is the X API's address.
const DefaultTwitterBaseURL = "https://api.twitter.com"

// maxFollowingPages bounds the pages of follows read for one check (1000
// accounts a page).
const maxFollowingPages = 15

// Reasons a twitter_follow check gives the member.
const (
	reasonLinkTwitter = "link your X account first"
	reasonNotFollows  = "you do not follow the account yet"
)

// TwitterFollow checks a twitter_follow task with the X API v2: it looks
// the member's handle up, then pages through whom they follow.
type TwitterFollow struct {
	token   string
	baseURL string
	client  *http.Client
}

// NewTwitterFollow asks the X API at baseURL (DefaultTwitterBaseURL when
// empty) with the app's bearer token; without a token every check is
// ErrUnconfigured (the submission goes to review).
func NewTwitterFollow(token, baseURL string, client *http.Client) *TwitterFollow {
	if baseURL == "" {
		baseURL = DefaultTwitterBaseURL
	}
	return &TwitterFollow{token: token, baseURL: strings.TrimRight(baseURL, "/"), client: client}
}

type twitterUser struct {
	ID       string `json:"id"`
	Username string `json:"username"`
}

type twitterUserAnswer struct {
	Data *twitterUser `json:"data"`
}

type twitterFollowingAnswer struct {
	Data []twitterUser `json:"data"`
	Meta struct {
		NextToken string `json:"next_token"`
	} `json:"meta"`
}

// Verify answers whether the member's X account follows the task's
// handle. A refusal of the token (401, 403) is ErrUnconfigured; a rate
// limit or an outage is a transient error.
func (t *TwitterFollow) Verify(ctx context.Context, c Check) (Verdict, error) {
	if t.token == "" {
		return Verdict{}, fmt.Errorf("twitter_follow: no bearer token: %w", ErrUnconfigured)
	}
	var cfg twitterConfig
	if err := json.Unmarshal(c.Task.Config, &cfg); err != nil {
		return Verdict{}, fmt.Errorf("read twitter_follow config of task %s: %w", c.Task.ID, err)
	}
	handle := strings.TrimPrefix(c.Accounts.TwitterHandle, "@")
	if handle == "" {
		return Verdict{Reason: reasonLinkTwitter}, nil
	}
	var member twitterUserAnswer
	if err := t.get(ctx, "/2/users/by/username/"+url.PathEscape(handle), &member); err != nil {
		return Verdict{}, err
	}
	if member.Data == nil {
		return Verdict{Reason: fmt.Sprintf("X account @%s was not found", handle)}, nil
	}
	return t.follows(ctx, member.Data.ID, cfg.Handle)
}

// follows pages through the accounts userID follows, looking for target.
func (t *TwitterFollow) follows(ctx context.Context, userID, target string) (Verdict, error) {
	next := ""
	for range maxFollowingPages {
		q := url.Values{"max_results": {"1000"}}
		if next != "" {
			q.Set("pagination_token", next)
		}
		var page twitterFollowingAnswer
		if err := t.get(ctx, "/2/users/"+url.PathEscape(userID)+"/following?"+q.Encode(), &page); err != nil {
			return Verdict{}, err
		}
		for _, u := range page.Data {
			if strings.EqualFold(u.Username, target) {
				return Verdict{Valid: true}, nil
			}
		}
		if next = page.Meta.NextToken; next == "" {
			break
		}
	}
	return Verdict{Reason: reasonNotFollows}, nil
}

// get calls the X API and decodes a 200 into out.
func (t *TwitterFollow) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.baseURL+path, nil)
	if err != nil {
		return fmt.Errorf("build X request %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+t.token)
	resp, err := t.client.Do(req)
	if err != nil {
		return fmt.Errorf("X %s: %w", path, withoutURL(err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("X %s: %d: %w", path, resp.StatusCode, ErrUnconfigured)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("X %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
		return fmt.Errorf("X %s: answer not JSON: %w", path, err)
	}
	return nil
}

// TwitterSandbox answers twitter_follow checks from memory, for dev and
// tests: SetFollows says who follows whom (handles, any case).
type TwitterSandbox struct {
	mu      sync.RWMutex
	follows map[[2]string]bool
}

// NewTwitterSandbox is an empty sandbox: nobody follows anyone.
func NewTwitterSandbox() *TwitterSandbox {
	return &TwitterSandbox{follows: map[[2]string]bool{}}
}

func followKey(handle, target string) [2]string {
	norm := func(h string) string { return strings.ToLower(strings.TrimPrefix(h, "@")) }
	return [2]string{norm(handle), norm(target)}
}

// SetFollows makes handle follow target, or unfollow it.
func (s *TwitterSandbox) SetFollows(handle, target string, follows bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.follows[followKey(handle, target)] = follows
}

// Verify answers like the live adapter.
func (s *TwitterSandbox) Verify(_ context.Context, c Check) (Verdict, error) {
	var cfg twitterConfig
	if err := json.Unmarshal(c.Task.Config, &cfg); err != nil {
		return Verdict{}, fmt.Errorf("read twitter_follow config of task %s: %w", c.Task.ID, err)
	}
	if strings.TrimPrefix(c.Accounts.TwitterHandle, "@") == "" {
		return Verdict{Reason: reasonLinkTwitter}, nil
	}
	s.mu.RLock()
	ok := s.follows[followKey(c.Accounts.TwitterHandle, cfg.Handle)]
	s.mu.RUnlock()
	if ok {
		return Verdict{Valid: true}, nil
	}
	return Verdict{Reason: reasonNotFollows}, nil
}
