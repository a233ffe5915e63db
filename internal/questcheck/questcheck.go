// Package questcheck verifies quest task submissions. Each task kind has
// one Verifier: quiz, secret_code and url_visit are decided inline from
// what the server holds; telegram_join, twitter_follow and api_check ask
// an outside service and are retried by the workflow. A kind whose
// service is not configured answers ErrUnconfigured, and the submission
// goes to review: an unconfigured check never passes.
package questcheck

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/convene/convene/db/enums"
)

// ErrUnconfigured: the kind's outside service is not configured here, so
// the submission waits for a reviewer.
var ErrUnconfigured = errors.New("verifier not configured")

// Task is the task as the verifier needs it: its kind's config (with the
// quiz answers), the secret code's hash and the api_check HMAC secret
// (unsealed).
type Task struct {
	ID       string
	QuestID  string
	Kind     string
	Config   json.RawMessage
	CodeHash string
	Secret   []byte
}

// Submission is what the member sent: quiz answers (the chosen option of
// each question, in order), a secret code, or a proof (text or a link).
type Submission struct {
	Answers []int  `json:"answers,omitempty"`
	Code    string `json:"code,omitempty"`
	Proof   string `json:"proof,omitempty"`
}

// Accounts are the member's linked accounts a check may need.
type Accounts struct {
	TelegramID    string `json:"telegramId,omitempty"`
	TwitterHandle string `json:"twitterHandle,omitempty"`
	WalletAddress string `json:"walletAddress,omitempty"`
}

// Check is one verification: the task, the member, their submission and
// accounts. RequestID is the same on every retry of one submission, so
// the api_check receiver can tell a retry from a new submission. Visited
// is whether the member followed the url_visit task's tracked link.
type Check struct {
	Task       Task
	UserID     string
	RequestID  string
	Submission Submission
	Accounts   Accounts
	Visited    bool
}

// Verdict is a verifier's answer: Valid or not, and why, for the member.
type Verdict struct {
	Valid  bool   `json:"valid"`
	Reason string `json:"reason,omitempty"`
}

// Verifier decides one kind of task. An error other than ErrUnconfigured
// is transient (the service did not answer): the workflow retries it.
type Verifier interface {
	Verify(ctx context.Context, c Check) (Verdict, error)
}

// Set holds the verifier of each task kind; a kind without one is
// unconfigured.
type Set map[string]Verifier

// Verify runs the verifier of c's task kind.
func (s Set) Verify(ctx context.Context, c Check) (Verdict, error) {
	v, ok := s[c.Task.Kind]
	if !ok || v == nil {
		return Verdict{}, ErrUnconfigured
	}
	return v.Verify(ctx, c)
}

// Inline reports the kinds decided from what the server holds, within
// the submission's own transaction; the others call out and are retried.
func Inline(kind string) bool {
	return kind == enums.TaskKindQuiz || kind == enums.TaskKindSecretCode || kind == enums.TaskKindURLVisit
}

// NeedsReview reports the kinds a person decides (manual_proof).
func NeedsReview(kind string) bool { return kind == enums.TaskKindManualProof }
