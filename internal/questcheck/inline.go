package questcheck

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// QuizQuestion is one question of a quiz task: Answer is the index of the
// right option, kept on the server (PublicConfig drops it).
type QuizQuestion struct {
	Prompt  string   `json:"prompt"`
	Options []string `json:"options"`
	Answer  *int     `json:"answer,omitempty"`
}

// QuizConfig is a quiz task's config. PassPercent (0-100, default 100) is
// the share of right answers that passes.
type QuizConfig struct {
	Questions   []QuizQuestion `json:"questions"`
	PassPercent *int           `json:"passPercent,omitempty"`
}

// passPercent is the share of right answers that passes: all of them
// unless the config says otherwise.
func (c QuizConfig) passPercent() int {
	if c.PassPercent == nil {
		return 100
	}
	return *c.PassPercent
}

// Quiz decides a quiz from the member's answers: one chosen option per
// question, in order.
type Quiz struct{}

// Verify counts the right answers; a submission that does not answer each
// question once is invalid, not an error.
func (Quiz) Verify(_ context.Context, c Check) (Verdict, error) {
	var cfg QuizConfig
	if err := json.Unmarshal(c.Task.Config, &cfg); err != nil {
		return Verdict{}, fmt.Errorf("read quiz config of task %s: %w", c.Task.ID, err)
	}
	if len(c.Submission.Answers) != len(cfg.Questions) {
		return Verdict{Reason: fmt.Sprintf("answer each of the %d questions once (got %d answers)",
			len(cfg.Questions), len(c.Submission.Answers))}, nil
	}
	right := 0
	for i, q := range cfg.Questions {
		if q.Answer != nil && c.Submission.Answers[i] == *q.Answer {
			right++
		}
	}
	if right*100/len(cfg.Questions) >= cfg.passPercent() {
		return Verdict{Valid: true}, nil
	}
	return Verdict{Reason: fmt.Sprintf("%d of %d answers are right; %d%% are needed",
		right, len(cfg.Questions), cfg.passPercent())}, nil
}

// HashCode is how a secret code is stored and compared: the hex SHA-256
// of the code trimmed and upper-cased, so "  abc-1 " matches "ABC-1".
func HashCode(code string) string {
	sum := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(code))))
	return hex.EncodeToString(sum[:])
}

// SecretCode decides a secret_code task by the hash of the code sent.
type SecretCode struct{}

// Verify compares the hashes in constant time, so the time taken tells
// nothing about how close a guess was.
func (SecretCode) Verify(_ context.Context, c Check) (Verdict, error) {
	if strings.TrimSpace(c.Submission.Code) == "" {
		return Verdict{Reason: "enter the code"}, nil
	}
	sent := HashCode(c.Submission.Code)
	if subtle.ConstantTimeCompare([]byte(sent), []byte(c.Task.CodeHash)) == 1 {
		return Verdict{Valid: true}, nil
	}
	return Verdict{Reason: "the code is not right"}, nil
}

// URLVisit decides a url_visit task: done once the member followed their
// tracked link (the caller looks the visit up and sets Check.Visited).
type URLVisit struct{}

// Verify answers whether the visit was recorded.
func (URLVisit) Verify(_ context.Context, c Check) (Verdict, error) {
	if c.Visited {
		return Verdict{Valid: true}, nil
	}
	return Verdict{Reason: "open the task's link first"}, nil
}
