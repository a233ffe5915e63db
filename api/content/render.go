package content

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/convene/convene/api/rpc"
)

// placeholder is a template variable: {{name}}, spaces inside the braces
// allowed.
var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}`)

// renderTemplate fills the {{variable}} placeholders of each text with
// vars in one pass (a value is never expanded again). A placeholder
// without a value, or a value no placeholder uses, is InvalidArgument on
// "variables" naming the variable: a silent blank or a typo'd name would
// reach the audience.
func renderTemplate(texts map[string]string, vars map[string]string) (map[string]string, error) {
	names := placeholderNames(texts)
	for _, name := range names {
		if _, ok := vars[name]; !ok {
			return nil, rpc.InvalidField("variables", fmt.Sprintf("the template uses {{%s}}; give it a value", name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		if !slices.Contains(names, name) {
			return nil, rpc.InvalidField("variables", fmt.Sprintf("unknown variable %q: the template has no {{%s}}", name, name))
		}
	}
	out := make(map[string]string, len(texts))
	for field, text := range texts {
		out[field] = placeholder.ReplaceAllStringFunc(text, func(m string) string {
			return vars[strings.TrimSpace(strings.Trim(m, "{}"))]
		})
	}
	return out, nil
}

// placeholderNames lists the variables the texts use, sorted, each once.
func placeholderNames(texts map[string]string) []string {
	used := map[string]bool{}
	for _, text := range texts {
		for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
			used[m[1]] = true
		}
	}
	return slices.Sorted(maps.Keys(used))
}
