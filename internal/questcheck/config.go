package questcheck

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"

	"github.com/convene/convene/db/enums"
)

// ConfigError is a task config refused by ValidateConfig: Field is the
// path inside the config ("url", "questions[2].answer"), so the API can
// answer InvalidArgument naming it.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string { return e.Path() + ": " + e.Reason }

// Path is the field as the request names it: "config" or "config.<field>".
func (e *ConfigError) Path() string {
	if e.Field == "" {
		return "config"
	}
	return "config." + e.Field
}

// Quiz and handle limits: a quiz question offers 2-10 options.
const (
	minQuizOptions = 2
	maxQuizOptions = 10
	maxQuizItems   = 50
)

var (
	// telegramChat is a public chat's @username or a private supergroup's
	// or channel's numeric id (-100…), as getChatMember takes them.
	telegramChat = regexp.MustCompile(`^(@[A-Za-z0-9_]{5,32}|-100[0-9]{5,16})$`)
	// twitterHandle is an X username without the @.
	twitterHandle = regexp.MustCompile(`^[A-Za-z0-9_]{1,15}$`)
)

// urlConfig is the config of the kinds that name an address.
type urlConfig struct {
	URL string `json:"url"`
}

type telegramConfig struct {
	ChatID string `json:"chatId"`
}

type twitterConfig struct {
	Handle string `json:"handle"`
}

// ValidateConfig checks a task's config for its kind before it is stored:
// url_visit and api_check need an https URL, a quiz 1-50 questions of 2-10
// options with the answer's index among them, telegram_join a chatId
// ("@name" or "-100…"), twitter_follow a handle. manual_proof and
// secret_code take any object (the code is stored apart, hashed). The
// error is a *ConfigError naming the field.
func ValidateConfig(kind string, config json.RawMessage) error {
	if len(config) == 0 {
		config = json.RawMessage("{}")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(config, &obj); err != nil || obj == nil {
		return &ConfigError{Reason: "must be a JSON object"}
	}
	switch kind {
	case enums.TaskKindURLVisit, enums.TaskKindAPICheck:
		var c urlConfig
		if err := json.Unmarshal(config, &c); err != nil {
			return &ConfigError{Field: "url", Reason: "must be a string"}
		}
		return validateHTTPSURL(c.URL)
	case enums.TaskKindQuiz:
		return validateQuiz(config)
	case enums.TaskKindTelegramJoin:
		var c telegramConfig
		if err := json.Unmarshal(config, &c); err != nil || !telegramChat.MatchString(c.ChatID) {
			return &ConfigError{Field: "chatId", Reason: `must be a public chat's "@username" or a numeric id starting with -100`}
		}
	case enums.TaskKindTwitterFollow:
		var c twitterConfig
		if err := json.Unmarshal(config, &c); err != nil || !twitterHandle.MatchString(c.Handle) {
			return &ConfigError{Field: "handle", Reason: "must be 1-15 letters, digits or underscores, without the @"}
		}
	case enums.TaskKindManualProof, enums.TaskKindSecretCode:
	default:
		return &ConfigError{Field: "kind", Reason: fmt.Sprintf("unknown task kind %q", kind)}
	}
	return nil
}

// validateHTTPSURL accepts an absolute https URL with a host and no
// credentials in it.
func validateHTTPSURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return &ConfigError{Field: "url", Reason: "is required"}
	case err != nil || !u.IsAbs() || u.Host == "":
		return &ConfigError{Field: "url", Reason: "must be an absolute URL"}
	case u.Scheme != "https":
		return &ConfigError{Field: "url", Reason: "must be an https URL"}
	case u.User != nil:
		return &ConfigError{Field: "url", Reason: "must not carry credentials"}
	}
	return nil
}

// validateQuiz checks the questions, their options and answers, and the
// pass percentage.
func validateQuiz(config json.RawMessage) error {
	var c QuizConfig
	if err := json.Unmarshal(config, &c); err != nil {
		return &ConfigError{Field: "questions", Reason: "must be a list of {prompt, options, answer}"}
	}
	if len(c.Questions) == 0 || len(c.Questions) > maxQuizItems {
		return &ConfigError{Field: "questions", Reason: fmt.Sprintf("must hold 1-%d questions", maxQuizItems)}
	}
	for i, q := range c.Questions {
		if err := validateQuestion(q); err != nil {
			err.Field = fmt.Sprintf("questions[%d].%s", i, err.Field)
			return err
		}
	}
	if p := c.PassPercent; p != nil && (*p < 0 || *p > 100) {
		return &ConfigError{Field: "passPercent", Reason: "must be between 0 and 100"}
	}
	return nil
}

func validateQuestion(q QuizQuestion) *ConfigError {
	if q.Prompt == "" {
		return &ConfigError{Field: "prompt", Reason: "is required"}
	}
	if len(q.Options) < minQuizOptions || len(q.Options) > maxQuizOptions {
		return &ConfigError{Field: "options", Reason: fmt.Sprintf("must hold %d-%d options", minQuizOptions, maxQuizOptions)}
	}
	for j, o := range q.Options {
		if o == "" {
			return &ConfigError{Field: fmt.Sprintf("options[%d]", j), Reason: "must not be empty"}
		}
	}
	if q.Answer == nil || *q.Answer < 0 || *q.Answer >= len(q.Options) {
		return &ConfigError{Field: "answer", Reason: fmt.Sprintf("must be the index of an option (0-%d)", len(q.Options)-1)}
	}
	return nil
}

// PublicConfig is the config as members see it (GetQuest): a quiz without
// its answers; the other kinds as stored (their secrets are not in the
// config). A quiz config that does not parse shows as {}, never as is.
func PublicConfig(kind string, config json.RawMessage) json.RawMessage {
	if kind != enums.TaskKindQuiz {
		return config
	}
	var c QuizConfig
	if err := json.Unmarshal(config, &c); err != nil {
		return json.RawMessage("{}")
	}
	for i := range c.Questions {
		c.Questions[i].Answer = nil
	}
	out, err := json.Marshal(c)
	if err != nil {
		return json.RawMessage("{}")
	}
	return out
}
