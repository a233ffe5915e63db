package questcheck_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/questcheck"
)

// TestValidateConfig_NamesTheBadField: each kind's config is checked
// before it is stored, and a refusal names the field inside the config.
func TestValidateConfig_NamesTheBadField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		kind   string
		config string
		field  string // "" = accepted
	}{
		{"url_visit https", enums.TaskKindURLVisit, `{"url":"https://convene.dev/booth"}`, ""},
		{"url_visit http", enums.TaskKindURLVisit, `{"url":"http://convene.dev/booth"}`, "config.url"},
		{"url_visit javascript", enums.TaskKindURLVisit, `{"url":"javascript:alert(1)"}`, "config.url"},
		{"url_visit relative", enums.TaskKindURLVisit, `{"url":"/booth"}`, "config.url"},
		{"url_visit missing", enums.TaskKindURLVisit, `{}`, "config.url"},
		{"url_visit credentials", enums.TaskKindURLVisit, `{"url":"https://a:b@convene.dev"}`, "config.url"},
		{"url_visit not an object", enums.TaskKindURLVisit, `["https://convene.dev"]`, "config"},
		{"api_check https", enums.TaskKindAPICheck, `{"url":"https://hooks.example.com/check"}`, ""},
		{"api_check http", enums.TaskKindAPICheck, `{"url":"http://hooks.example.com/check"}`, "config.url"},
		{"api_check url not a string", enums.TaskKindAPICheck, `{"url":3}`, "config.url"},
		{"quiz ok", enums.TaskKindQuiz, `{"questions":[{"prompt":"Q","options":["a","b"],"answer":1}],"passPercent":50}`, ""},
		{"quiz no questions", enums.TaskKindQuiz, `{"questions":[]}`, "config.questions"},
		{"quiz one option", enums.TaskKindQuiz, `{"questions":[{"prompt":"Q","options":["a"],"answer":0}]}`, "config.questions[0].options"},
		{"quiz eleven options", enums.TaskKindQuiz, `{"questions":[{"prompt":"Q","options":["1","2","3","4","5","6","7","8","9","10","11"],"answer":0}]}`, "config.questions[0].options"},
		{"quiz empty option", enums.TaskKindQuiz, `{"questions":[{"prompt":"Q","options":["a",""],"answer":0}]}`, "config.questions[0].options[1]"},
		{"quiz answer out of range", enums.TaskKindQuiz, `{"questions":[{"prompt":"Q","options":["a","b"],"answer":0},{"prompt":"R","options":["a","b"],"answer":2}]}`, "config.questions[1].answer"},
		{"quiz answer missing", enums.TaskKindQuiz, `{"questions":[{"prompt":"Q","options":["a","b"]}]}`, "config.questions[0].answer"},
		{"quiz no prompt", enums.TaskKindQuiz, `{"questions":[{"options":["a","b"],"answer":0}]}`, "config.questions[0].prompt"},
		{"quiz pass percent", enums.TaskKindQuiz, `{"questions":[{"prompt":"Q","options":["a","b"],"answer":0}],"passPercent":101}`, "config.passPercent"},
		{"telegram @name", enums.TaskKindTelegramJoin, `{"chatId":"@convene_hq"}`, ""},
		{"telegram -100 id", enums.TaskKindTelegramJoin, `{"chatId":"-1001234567890"}`, ""},
		{"telegram bare name", enums.TaskKindTelegramJoin, `{"chatId":"convene_hq"}`, "config.chatId"},
		{"telegram link", enums.TaskKindTelegramJoin, `{"chatId":"https://t.me/convene_hq"}`, "config.chatId"},
		{"twitter handle", enums.TaskKindTwitterFollow, `{"handle":"convene_dev"}`, ""},
		{"twitter with @", enums.TaskKindTwitterFollow, `{"handle":"@convene"}`, "config.handle"},
		{"twitter too long", enums.TaskKindTwitterFollow, `{"handle":"a_very_long_handle_x"}`, "config.handle"},
		{"manual proof", enums.TaskKindManualProof, `{}`, ""},
		{"secret code, empty config", enums.TaskKindSecretCode, ``, ""},
		{"unknown kind", "poll", `{}`, "config.kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := questcheck.ValidateConfig(tt.kind, json.RawMessage(tt.config))
			if tt.field == "" {
				require.NoError(t, err)
				return
			}
			var ce *questcheck.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Path())
			assert.NotEmpty(t, ce.Reason)
		})
	}
}

// TestPublicConfig_HidesQuizAnswers: members see the questions and
// options, never the answers; other kinds show as stored.
func TestPublicConfig_HidesQuizAnswers(t *testing.T) {
	t.Parallel()
	quiz := json.RawMessage(`{"questions":[{"prompt":"Q","options":["a","b"],"answer":1}],"passPercent":50}`)
	assert.JSONEq(t, `{"questions":[{"prompt":"Q","options":["a","b"]}],"passPercent":50}`,
		string(questcheck.PublicConfig(enums.TaskKindQuiz, quiz)))
	assert.JSONEq(t, `{}`, string(questcheck.PublicConfig(enums.TaskKindQuiz, json.RawMessage(`not json`))))
	url := json.RawMessage(`{"url":"https://convene.dev"}`)
	assert.JSONEq(t, string(url), string(questcheck.PublicConfig(enums.TaskKindURLVisit, url)))
}

// TestTaskURL_OnlyAnHTTPSPageOfAURLVisitTask: the tracked link redirects
// only where a stored url_visit config may point.
func TestTaskURL_OnlyAnHTTPSPageOfAURLVisitTask(t *testing.T) {
	t.Parallel()
	u, err := questcheck.TaskURL(enums.TaskKindURLVisit, json.RawMessage(`{"url":"https://convene.dev/booth"}`))
	require.NoError(t, err)
	assert.Equal(t, "https://convene.dev/booth", u)
	_, err = questcheck.TaskURL(enums.TaskKindURLVisit, json.RawMessage(`{"url":"javascript:alert(1)"}`))
	require.Error(t, err)
	_, err = questcheck.TaskURL(enums.TaskKindAPICheck, json.RawMessage(`{"url":"https://convene.dev"}`))
	require.Error(t, err)
}
