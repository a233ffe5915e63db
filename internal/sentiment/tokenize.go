package sentiment

import (
	"strings"
	"unicode"
)

type tokenKind int

const (
	kindWord tokenKind = iota
	kindHashtag
	kindMention
	kindEmoticon
)

// token is a lowercase word, hashtag or mention, or an emoticon with its
// weight; boundary marks the end of a sentence or clause after it.
type token struct {
	kind     tokenKind
	text     string
	weight   int
	boundary bool
}

// clauseEnd is punctuation that ends the reach of a negation.
const clauseEnd = ".!?;,"

// tokenize splits text at white space, then each field into emoji and
// words.
func tokenize(text string) []token {
	var out []token
	for _, field := range strings.Fields(strings.ReplaceAll(text, "’", "'")) {
		if w, ok := emoticons[field]; ok {
			out = append(out, token{kind: kindEmoticon, text: field, weight: w})
			continue
		}
		out = append(out, splitField(field)...)
	}
	return out
}

// splitField separates a field's emoji from its words.
func splitField(field string) []token {
	var out []token
	start := 0
	for i, r := range field {
		if w, ok := emoji[r]; ok {
			out = append(out, fieldTokens(field[start:i])...)
			out = append(out, token{kind: kindEmoticon, text: string(r), weight: w})
			start = i + len(string(r))
		}
	}
	return append(out, fieldTokens(field[start:])...)
}

// fieldTokens reads a hashtag, a mention or words ("well-organized" is
// two), marking a boundary after the last when the field ends a clause.
func fieldTokens(s string) []token {
	boundary := strings.ContainsAny(lastRune(strings.TrimRightFunc(s, isQuote)), clauseEnd)
	s = strings.TrimFunc(s, func(r rune) bool { return !isWordRune(r) && r != '#' && r != '@' })
	var out []token
	switch {
	case s == "":
	case s[0] == '#' || s[0] == '@':
		if tag := leadingWord(s[1:]); tag != "" {
			kind := kindHashtag
			if s[0] == '@' {
				kind = kindMention
			}
			out = append(out, token{kind: kind, text: s[:1] + strings.ToLower(tag)})
		}
	default:
		for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !isWordRune(r) && r != '\'' }) {
			if w = strings.Trim(w, "'"); w != "" {
				out = append(out, token{kind: kindWord, text: w})
			}
		}
	}
	if len(out) > 0 {
		out[len(out)-1].boundary = boundary
	}
	return out
}

// leadingWord is the letters, digits and underscores s starts with.
func leadingWord(s string) string {
	end := strings.IndexFunc(s, func(r rune) bool { return !isWordRune(r) && r != '_' })
	if end < 0 {
		return s
	}
	return s[:end]
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func isQuote(r rune) bool { return r == '"' || r == '\'' || r == ')' }

func lastRune(s string) string {
	if s == "" {
		return ""
	}
	r := []rune(s)
	return string(r[len(r)-1])
}
