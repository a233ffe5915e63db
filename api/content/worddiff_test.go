package content

import (
	"testing"

	"connectrpc.com/connect"
	"github.com/sergi/go-diff/diffmatchpatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDiffWords_ReplacesWholeWords diffs texts word by word: changed words
// are deleted and inserted whole, and both sides reassemble exactly.
func TestDiffWords_ReplacesWholeWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, from, to string
		want           []string // "=text", "-text", "+text"
	}{
		{"one word changed", "Doors open at seven", "Doors open at eight",
			[]string{"=Doors open at ", "-seven", "+eight"}},
		{"word inserted", "Join us tonight", "Join us early tonight",
			[]string{"=Join us ", "+early ", "=tonight"}},
		{"identical", "same text", "same text", []string{"=same text"}},
		{"from empty", "", "hello world", []string{"+hello world"}},
		{"similar words are not mixed", "cart", "card", []string{"-cart", "+card"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			diffs := diffWords(tc.from, tc.to)
			assert.Equal(t, tc.want, render(diffs))
			dmp := diffmatchpatch.New()
			assert.Equal(t, tc.from, dmp.DiffText1(diffs))
			assert.Equal(t, tc.to, dmp.DiffText2(diffs))
		})
	}
}

// TestSymbolRune_SkipsSurrogates numbers symbols past the UTF-16
// surrogate range, which a Go string cannot carry, and back.
func TestSymbolRune_SkipsSurrogates(t *testing.T) {
	t.Parallel()
	for _, i := range []int{0, 1, surrogateFirst - 1, surrogateFirst, surrogateFirst + 1, 100000} {
		r := symbolRune(i)
		assert.False(t, r >= surrogateFirst && r < surrogateFirst+surrogateCount, "symbol %d is a surrogate", i)
		assert.Equal(t, r, []rune(string(r))[0], "symbol %d survives a string", i)
		assert.Equal(t, i, symbolIndex(r))
	}
}

func render(diffs []diffmatchpatch.Diff) []string {
	marks := map[diffmatchpatch.Operation]string{diffmatchpatch.DiffEqual: "=", diffmatchpatch.DiffDelete: "-", diffmatchpatch.DiffInsert: "+"}
	out := make([]string, len(diffs))
	for i, d := range diffs {
		out[i] = marks[d.Type] + d.Text
	}
	return out
}

// TestRenderTemplate fills placeholders and refuses a missing or unknown
// variable, naming it.
func TestRenderTemplate(t *testing.T) {
	t.Parallel()
	texts := map[string]string{"title": "{{event}} day {{ n }}", "body": "See you at {{event}}!"}
	tests := []struct {
		name    string
		vars    map[string]string
		want    map[string]string
		errPart string
	}{
		{"all given", map[string]string{"event": "GopherCon", "n": "2"},
			map[string]string{"title": "GopherCon day 2", "body": "See you at GopherCon!"}, ""},
		{"values are not expanded again", map[string]string{"event": "{{n}}", "n": "2"},
			map[string]string{"title": "{{n}} day 2", "body": "See you at {{n}}!"}, ""},
		{"missing", map[string]string{"event": "GopherCon"}, nil, "{{n}}"},
		{"unknown", map[string]string{"event": "GopherCon", "n": "2", "venue": "Hall"}, nil, `"venue"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := renderTemplate(texts, tc.vars)
			if tc.errPart != "" {
				require.Error(t, err)
				assert.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
				assert.Contains(t, err.Error(), "variables")
				assert.Contains(t, err.Error(), tc.errPart)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
