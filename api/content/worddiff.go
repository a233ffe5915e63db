package content

import (
	"strings"
	"unicode"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// diffWords compares two texts word by word: each word and each run of
// whitespace becomes one symbol (a rune, as go-diff's line mode does for
// lines), the symbol strings are diffed, mapped back to text and cleaned
// up semantically, so a change reads as whole words replaced rather than
// letters shuffled between unrelated words.
func diffWords(from, to string) []diffmatchpatch.Diff {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0 // texts are bounded (50,000 characters); a complete diff beats a fast one
	symbols := symbolTable{index: map[string]rune{}}
	a, b := symbols.encode(from), symbols.encode(to)
	// Cleaned up while still symbols: on text, the cleanup would factor
	// common letters out of replaced words ("car" + "t"→"d").
	diffs := dmp.DiffCleanupSemantic(dmp.DiffMainRunes(a, b, false))
	for i := range diffs {
		diffs[i].Text = symbols.decode(diffs[i].Text)
	}
	return diffs
}

// symbolTable numbers the distinct tokens of both texts.
type symbolTable struct {
	index  map[string]rune
	tokens []string
}

// encode turns text into one rune per token.
func (s *symbolTable) encode(text string) []rune {
	toks := tokenize(text)
	out := make([]rune, len(toks))
	for i, tok := range toks {
		r, ok := s.index[tok]
		if !ok {
			r = symbolRune(len(s.tokens))
			s.index[tok] = r
			s.tokens = append(s.tokens, tok)
		}
		out[i] = r
	}
	return out
}

// decode turns a string of symbol runes back into the tokens' text.
func (s *symbolTable) decode(symbols string) string {
	var b strings.Builder
	for _, r := range symbols {
		b.WriteString(s.tokens[symbolIndex(r)])
	}
	return b.String()
}

// The symbols skip the UTF-16 surrogate range: go-diff hands diffs back as
// Go strings, in which a surrogate rune would become U+FFFD and lose its
// token.
const (
	surrogateFirst = 0xD800
	surrogateCount = 0x800
)

func symbolRune(i int) rune {
	if i >= surrogateFirst {
		i += surrogateCount
	}
	return rune(i)
}

func symbolIndex(r rune) int {
	i := int(r)
	if i >= surrogateFirst+surrogateCount {
		i -= surrogateCount
	}
	return i
}

// tokenize splits text into words and the whitespace between them, so the
// tokens concatenate back to text exactly.
func tokenize(text string) []string {
	var toks []string
	start, inSpace := 0, false
	for i, r := range text {
		space := unicode.IsSpace(r)
		if i > start && space != inSpace {
			toks = append(toks, text[start:i])
			start = i
		}
		inSpace = space
	}
	if start < len(text) {
		toks = append(toks, text[start:])
	}
	return toks
}
