package questcheck_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/questcheck"
)

func quizTask(passPercent string) questcheck.Task {
	cfg := `{"questions":[
	{"prompt":"Venue?","options":["Hall A","Hall B"],"answer":1},
	{"prompt":"Day one keynote?","options":["Ada","Grace","Linus"],"answer":0},
	{"prompt":"Wifi?","options":["convene","guest"],"answer":0}]` + passPercent + `}`
	return questcheck.Task{ID: "t1", Kind: enums.TaskKindQuiz, Config: json.RawMessage(cfg)}
}

// TestQuiz_PassesOnTheShareOfRightAnswers: all right passes by default,
// one wrong fails unless passPercent allows it, and a submission that does
// not answer every question once is invalid with a reason.
func TestQuiz_PassesOnTheShareOfRightAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pass    string
		answers []int
		valid   bool
		reason  string
	}{
		{name: "all right", answers: []int{1, 0, 0}, valid: true},
		{name: "one wrong, default 100%", answers: []int{1, 2, 0}, reason: "2 of 3 answers are right; 100% are needed"},
		{name: "one wrong, 66% needed", pass: `,"passPercent":66`, answers: []int{1, 2, 0}, valid: true},
		{name: "one wrong, 67% needed", pass: `,"passPercent":67`, answers: []int{1, 2, 0}, reason: "2 of 3 answers are right; 67% are needed"},
		{name: "none right, 0% needed", pass: `,"passPercent":0`, answers: []int{0, 1, 1}, valid: true},
		{name: "too few answers", answers: []int{1, 0}, reason: "answer each of the 3 questions once (got 2 answers)"},
		{name: "too many answers", answers: []int{1, 0, 0, 0}, reason: "answer each of the 3 questions once (got 4 answers)"},
		{name: "out of range answer", answers: []int{1, 0, 9}, reason: "2 of 3 answers are right; 100% are needed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := questcheck.Quiz{}.Verify(context.Background(), questcheck.Check{Task: quizTask(tt.pass),
				Submission: questcheck.Submission{Answers: tt.answers}})
			require.NoError(t, err)
			assert.Equal(t, questcheck.Verdict{Valid: tt.valid, Reason: tt.reason}, v)
		})
	}
}

// TestSecretCode_IgnoresCaseAndSurroundingSpace: the stored hash is of the
// trimmed, upper-cased code, so members may type it any way.
func TestSecretCode_IgnoresCaseAndSurroundingSpace(t *testing.T) {
	t.Parallel()
	task := questcheck.Task{ID: "t1", Kind: enums.TaskKindSecretCode, CodeHash: questcheck.HashCode("BOOTH-42")}
	tests := []struct {
		code  string
		valid bool
	}{
		{"BOOTH-42", true},
		{"booth-42", true},
		{"  Booth-42\n", true},
		{"BOOTH 42", false},
		{"BOOTH-4", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			v, err := questcheck.SecretCode{}.Verify(context.Background(), questcheck.Check{Task: task,
				Submission: questcheck.Submission{Code: tt.code}})
			require.NoError(t, err)
			assert.Equal(t, tt.valid, v.Valid)
			if !tt.valid {
				assert.NotEmpty(t, v.Reason)
			}
		})
	}
	assert.Regexp(t, `^[0-9a-f]{64}$`, questcheck.HashCode("x"), "the form the schema's code_hash check takes")
}

// TestURLVisit_ValidOnceVisited: the verdict follows Check.Visited.
func TestURLVisit_ValidOnceVisited(t *testing.T) {
	t.Parallel()
	v, err := questcheck.URLVisit{}.Verify(context.Background(), questcheck.Check{Visited: true})
	require.NoError(t, err)
	assert.True(t, v.Valid)
	v, err = questcheck.URLVisit{}.Verify(context.Background(), questcheck.Check{})
	require.NoError(t, err)
	assert.Equal(t, questcheck.Verdict{Reason: "open the task's link first"}, v)
}

// TestSet_RoutesByKindAndManualProofIsUnconfigured: New gives every kind
// but manual_proof a verifier; a kind without one answers
// ErrUnconfigured (review, never a pass).
func TestSet_RoutesByKindAndManualProofIsUnconfigured(t *testing.T) {
	t.Parallel()
	set, sb := questcheck.New(questcheck.Options{Mode: questcheck.ModeSandbox})
	require.NotNil(t, sb)
	for _, kind := range enums.TaskKinds {
		_, ok := set[kind]
		assert.Equal(t, !questcheck.NeedsReview(kind), ok, kind)
	}
	_, err := set.Verify(context.Background(), questcheck.Check{Task: questcheck.Task{Kind: enums.TaskKindManualProof}})
	require.ErrorIs(t, err, questcheck.ErrUnconfigured)

	v, err := set.Verify(context.Background(), questcheck.Check{Task: quizTask(""),
		Submission: questcheck.Submission{Answers: []int{1, 0, 0}}})
	require.NoError(t, err)
	assert.True(t, v.Valid)

	live, sb := questcheck.New(questcheck.Options{Mode: questcheck.ModeLive})
	assert.Nil(t, sb)
	_, err = live.Verify(context.Background(), questcheck.Check{Task: questcheck.Task{Kind: enums.TaskKindTelegramJoin,
		Config: json.RawMessage(`{"chatId":"@convene_hq"}`)}, Accounts: questcheck.Accounts{TelegramID: "42"}})
	require.ErrorIs(t, err, questcheck.ErrUnconfigured, "live without a bot token: review")
	_, err = live.Verify(context.Background(), questcheck.Check{Task: questcheck.Task{Kind: enums.TaskKindTwitterFollow,
		Config: json.RawMessage(`{"handle":"convene"}`)}, Accounts: questcheck.Accounts{TwitterHandle: "ada"}})
	require.ErrorIs(t, err, questcheck.ErrUnconfigured, "live without a bearer token: review")
}
