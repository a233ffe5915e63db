// Package sentiment scores short social texts (comments, captions) offline
// and deterministically: a small lexicon of opinion words with negation
// ("not good"), intensifiers ("very good") and emoticons, plus the
// keywords, hashtags and mentions of the text.
//
// Deterministic matters more here than clever: the same comment always
// gets the same score, so a stored analysis can be recomputed and a
// summary checked by hand.
package sentiment

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// Label is the overall opinion of a text.
type Label string

// The labels, as stored in sentiment_analysis.label.
const (
	Positive Label = "positive"
	Neutral  Label = "neutral"
	Negative Label = "negative"
)

// neutralBelowBps is the score under which a text counts as neutral: a
// lone weak word, or opinions that almost cancel out ("good food, awful wifi").
const neutralBelowBps = 2500

// negationWindow is how many words may stand between a negator and the
// opinion word it flips ("not at all good").
const negationWindow = 3

// maxKeywords bounds Result.Keywords.
const maxKeywords = 5

// Result is the analysis of one text.
type Result struct {
	Label Label
	// ScoreBps is the opinion from −10000 (entirely negative) to 10000
	// (entirely positive), in basis points.
	ScoreBps int
	// Keywords are the text's most frequent content words (lowercase,
	// most frequent first, ties in order of appearance), at most 5.
	Keywords []string
	Entities Entities
}

// Entities are what a text tags: hashtags and @mentions, lowercase, each
// once, in order of appearance.
type Entities struct {
	Hashtags []string // with the "#"
	Mentions []string // with the "@"
}

// All lists the hashtags, then the mentions (the shape of the
// sentiment_analysis.entities column).
func (e Entities) All() []string {
	return append(append(make([]string, 0, len(e.Hashtags)+len(e.Mentions)), e.Hashtags...), e.Mentions...)
}

// Analyzer scores texts with the built-in lexicon. The zero value is ready
// to use and safe for concurrent use.
type Analyzer struct{}

// Analyze scores text.
func (Analyzer) Analyze(text string) Result {
	tokens := tokenize(text)
	score := scoreBps(opinionSum(tokens))
	return Result{Label: labelOf(score), ScoreBps: score, Keywords: keywords(tokens), Entities: entities(tokens)}
}

// opinionSum adds the weights of the opinion words and emoticons, each
// flipped by a negator and strengthened by intensifiers shortly before it.
// A sentence boundary ends both.
func opinionSum(tokens []token) int {
	var sum, boost, window int
	negate := false
	reset := func() { negate, boost, window = false, 0, 0 }
	for _, t := range tokens {
		switch {
		case t.kind == kindEmoticon:
			sum += t.weight
			reset()
		case t.kind != kindWord:
		case negators[t.text]:
			negate, window = !negate, negationWindow+1
		case intensifiers[t.text]:
			boost, window = boost+1, negationWindow+1
		case lexicon[t.text] != 0:
			sum += modified(lexicon[t.text], boost, negate)
			reset()
		}
		if window > 0 {
			if window--; window == 0 {
				reset()
			}
		}
		if t.boundary {
			reset()
		}
	}
	return sum
}

// modified is weight made stronger by boost steps, then flipped if negated.
func modified(weight, boost int, negate bool) int {
	if weight > 0 {
		weight += boost
	} else {
		weight -= boost
	}
	if negate {
		return -weight
	}
	return weight
}

// scoreBps squashes a sum of weights into −10000..10000: one ordinary word
// is about ±4472, each further agreeing word moves the score less.
func scoreBps(sum int) int {
	s := float64(sum)
	return int(math.Round(10000 * s / math.Sqrt(s*s+16)))
}

func labelOf(scoreBps int) Label {
	switch {
	case scoreBps >= neutralBelowBps:
		return Positive
	case scoreBps <= -neutralBelowBps:
		return Negative
	default:
		return Neutral
	}
}

// keywords are the most frequent content words: at least three characters
// with a letter, not stopwords, negators or intensifiers.
func keywords(tokens []token) []string {
	count := map[string]int{}
	var order []string
	for _, t := range tokens {
		w := strings.TrimSuffix(t.text, "'s")
		if t.kind != kindWord || len([]rune(w)) < 3 || !strings.ContainsFunc(w, unicode.IsLetter) ||
			stopwords[w] || negators[w] || intensifiers[w] {
			continue
		}
		if count[w] == 0 {
			order = append(order, w)
		}
		count[w]++
	}
	sort.SliceStable(order, func(i, j int) bool { return count[order[i]] > count[order[j]] })
	return order[:min(len(order), maxKeywords)]
}

func entities(tokens []token) Entities {
	var e Entities
	seen := map[string]bool{}
	for _, t := range tokens {
		if seen[t.text] {
			continue
		}
		switch t.kind {
		case kindHashtag:
			e.Hashtags = append(e.Hashtags, t.text)
		case kindMention:
			e.Mentions = append(e.Mentions, t.text)
		default:
			continue
		}
		seen[t.text] = true
	}
	return e
}
