package sentiment_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/convene/convene/internal/sentiment"
)

func TestAnalyze(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want sentiment.Result
	}{
		{name: "two positive words", text: "Love this, great lineup!", // 3 + 2 = 5
			want: result(sentiment.Positive, 7809, "love", "great", "lineup")},
		{name: "one ordinary word", text: "The food was good.", // 2
			want: result(sentiment.Positive, 4472, "food", "good")},
		{name: "negation flips", text: "The food was not good.", // −2
			want: result(sentiment.Negative, -4472, "food", "good")},
		{name: "contraction negates", text: "It wasn't bad at all", // +2
			want: result(sentiment.Positive, 4472, "bad")},
		{name: "negation reaches over three words", text: "Not at all boring, really enjoyed it", // +2 + 3
			want: result(sentiment.Positive, 7809, "boring", "enjoyed")},
		{name: "negation stops at the sentence end", text: "Not good. Great!", // −2 + 2
			want: result(sentiment.Neutral, 0, "good", "great")},
		{name: "intensifier strengthens", text: "The talks were very good!", // 3
			want: result(sentiment.Positive, 6000, "talks", "good")},
		{name: "negation, intensifier and emoticon", text: "This is not good, the venue was too crowded :(", // −2 −3 −2
			want: result(sentiment.Negative, -8682, "good", "venue", "crowded")},
		{name: "mixed opinions are neutral", text: "Good food, awful wifi", // 2 − 3
			want: result(sentiment.Neutral, -2425, "good", "food", "awful", "wifi")},
		{name: "emoji", text: "Worst. Queue. Ever. 😡😡", // −3 −3 −3
			want: result(sentiment.Negative, -9138, "worst", "queue", "ever")},
		{name: "emoji glued to words", text: "amazing😍😍", // 3 + 3 + 3
			want: result(sentiment.Positive, 9138, "amazing")},
		{name: "no opinion", text: "Doors open at 9am in Hall B",
			want: result(sentiment.Neutral, 0, "doors", "open", "9am", "hall")},
		{name: "keywords by frequency, at most five",
			text: "The keynote keynote speaker's keynote was great; the panel panel was boring", // 2 − 2
			want: result(sentiment.Neutral, 0, "keynote", "panel", "speaker", "great", "boring")},
		{name: "empty", text: "", want: result(sentiment.Neutral, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, sentiment.Analyzer{}.Analyze(tt.text))
		})
	}
}

func TestAnalyze_Entities(t *testing.T) {
	t.Parallel()
	got := sentiment.Analyzer{}.Analyze("Tickets for #IBW2026 are out. Thanks @Convene and (@convene_team)! #ibw2026 #Web3")
	assert.Equal(t, sentiment.Result{
		Label: sentiment.Positive, ScoreBps: 4472, Keywords: []string{"tickets", "thanks"},
		Entities: sentiment.Entities{Hashtags: []string{"#ibw2026", "#web3"}, Mentions: []string{"@convene", "@convene_team"}},
	}, got)
	assert.Equal(t, []string{"#ibw2026", "#web3", "@convene", "@convene_team"}, got.Entities.All())
	assert.Equal(t, []string{}, sentiment.Entities{}.All(), "never null in the jsonb column")
}

func result(label sentiment.Label, scoreBps int, keywords ...string) sentiment.Result {
	return sentiment.Result{Label: label, ScoreBps: scoreBps, Keywords: keywords}
}
