package notifications

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/convene/convene/api/rpc"
)

// Limits a notification's rendered title and body must fit, in characters,
// and the longest profile name that fills {{name}}: the protovalidate rules
// of CreateNotificationJobRequest's title and body and of
// UpdateProfileRequest's name say the same.
const (
	maxTitleLen       = 200
	maxBodyLen        = 4000
	maxProfileNameLen = 100
)

// checkRenderedFits refuses templates that, filled in for the recipient with
// the longest name, would be longer than a literal title or body may be.
// Placeholders are replaced once, never in what replaced them (as the
// worker renders), so filling them in with the values is the worst case.
func checkRenderedFits(title, body string, variables map[string]string) error {
	pairs := []string{"{{name}}", strings.Repeat("x", maxProfileNameLen)}
	for k, v := range variables {
		pairs = append(pairs, "{{"+k+"}}", v)
	}
	r := strings.NewReplacer(pairs...)
	if n := utf8.RuneCountInString(r.Replace(title)); n > maxTitleLen {
		return rpc.InvalidField("title", fmt.Sprintf(
			"with its variables filled in (and {{name}} as a %d-character name) the title has %d characters; at most %d are allowed",
			maxProfileNameLen, n, maxTitleLen))
	}
	if n := utf8.RuneCountInString(r.Replace(body)); n > maxBodyLen {
		return rpc.InvalidField("body", fmt.Sprintf(
			"with its variables filled in (and {{name}} as a %d-character name) the body has %d characters; at most %d are allowed",
			maxProfileNameLen, n, maxBodyLen))
	}
	return nil
}
