package conferences

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEscapeICalText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"Rust, Go; C", `Rust\, Go\; C`},
		{`back\slash`, `back\\slash`},
		{"two\nlines", `two\nlines`},
		{"windows\r\nline", `windows\nline`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, escapeICalText(tt.in), tt.in)
	}
}

func TestFoldICalLine_At75OctetsWithoutSplittingCharacters(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"short", "SUMMARY:Opening"},
		{"exactly 75 octets", "SUMMARY:" + strings.Repeat("a", 67)},
		{"long ASCII", "DESCRIPTION:" + strings.Repeat("abcdefghij", 30)},
		{"long multi-byte", "SUMMARY:" + strings.Repeat("東京の開発者会議", 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			folded := foldICalLine(tt.in)
			assert.True(t, strings.HasSuffix(folded, "\r\n"))
			lines := strings.Split(strings.TrimSuffix(folded, "\r\n"), "\r\n")
			var unfolded strings.Builder
			for i, line := range lines {
				assert.LessOrEqual(t, len(line), icalLineOctets, "line %d", i)
				assert.True(t, strings.ToValidUTF8(line, "?") == line, "line %d splits a character", i)
				if i > 0 {
					assert.True(t, strings.HasPrefix(line, " "), "a continuation starts with a space")
					line = line[1:]
				}
				unfolded.WriteString(line)
			}
			assert.Equal(t, tt.in, unfolded.String(), "unfolding gives the line back")
		})
	}
}
