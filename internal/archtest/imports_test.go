// Package archtest keeps the layering rules of docs/architecture.md true:
// which layer may import which, and where SQL may be written. It reads the
// source with go/parser, so it needs no build and runs in milliseconds.
package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/convene/convene"

// pkg is one Go package of the repo: its import path, the imports of its
// non-test files, and the names of those files.
type pkg struct {
	path    string
	imports map[string][]string // import path -> files importing it
	files   []string
}

// rule forbids packages matching from to import packages matching to.
type rule struct {
	name string
	from func(string) bool
	to   func(from, imported string) bool
}

func TestImportRules(t *testing.T) {
	t.Parallel()
	pkgs := loadPackages(t)
	rules := []rule{
		{"an api/<domain> package imports another api/<domain> package", isAPIDomain, func(from, to string) bool {
			return isAPIDomain(to) && apiDomain(to) != apiDomain(from)
		}},
		{"api/rpc imports an api/<domain> package", is("api/rpc"), func(_, to string) bool { return isAPIDomain(to) }},
		{"api imports activities", under("api"), func(_, to string) bool { return under("activities")(to) }},
		{"workflows imports db (SQL); use db/enums for shared vocabularies", under("workflows"), func(_, to string) bool {
			return to == module+"/db"
		}},
		{"db imports a layer above it", under("db"), func(_, to string) bool {
			return under("api")(to) || under("workflows")(to) || under("activities")(to) || under("jobs")(to) || under("worker")(to)
		}},
		{"db/enums imports anything from Convene (it is the shared leaf)", is("db/enums"), func(_, to string) bool {
			return strings.HasPrefix(to, module)
		}},
	}
	for _, p := range pkgs {
		for _, r := range rules {
			if !r.from(p.path) {
				continue
			}
			for imp, files := range p.imports {
				assert.False(t, r.to(p.path, imp), "%s: %s imports %s (in %v)", r.name, p.path, imp, files)
			}
		}
	}
}

// sqlCalls are the Bun and database/sql calls that build or run SQL.
var sqlCalls = []string{".NewSelect(", ".NewInsert(", ".NewUpdate(", ".NewDelete(", ".NewRaw(", ".NewMerge(",
	".ExecContext(", ".QueryContext(", ".QueryRowContext("}

// TestSQLOnlyInDB checks the application layers leave SQL to db/. Test
// helpers, benchmarks and the payment sandbox (a stand-in for an outside
// service, with its own tables) are not application layers.
func TestSQLOnlyInDB(t *testing.T) {
	t.Parallel()
	for _, p := range loadPackages(t) {
		if !under("api")(p.path) && !under("workflows")(p.path) && !under("activities")(p.path) &&
			!under("jobs")(p.path) && !under("worker")(p.path) && !under("cmd")(p.path) {
			continue
		}
		for _, f := range p.files {
			src, err := os.ReadFile(f)
			require.NoError(t, err)
			for _, call := range sqlCalls {
				assert.False(t, strings.Contains(string(src), call), "%s calls %s: move the query to a function in db/", f, call)
			}
		}
	}
}

func TestRulesSeeTheTree(t *testing.T) {
	t.Parallel()
	paths := map[string]bool{}
	for _, p := range loadPackages(t) {
		paths[p.path] = true
	}
	for _, want := range []string{"api", "api/rpc", "workflows", "activities", "db", "db/enums", "jobs", "worker"} {
		assert.True(t, paths[module+"/"+want], "package %s not found: the rules above would check nothing", want)
	}
}

func is(rel string) func(string) bool { return func(p string) bool { return p == module+"/"+rel } }

func under(rel string) func(string) bool {
	return func(p string) bool { return p == module+"/"+rel || strings.HasPrefix(p, module+"/"+rel+"/") }
}

// isAPIDomain reports whether p is a domain package under api/ (not api
// itself, not api/rpc).
func isAPIDomain(p string) bool { return apiDomain(p) != "" }

func apiDomain(p string) string {
	rest, ok := strings.CutPrefix(p, module+"/api/")
	if !ok {
		return ""
	}
	first, _, _ := strings.Cut(rest, "/")
	if first == "rpc" {
		return ""
	}
	return first
}

// loadPackages parses the imports of every non-test, non-generated Go file
// in the repo, grouped by package directory.
func loadPackages(t *testing.T) []pkg {
	t.Helper()
	root := repoRoot(t)
	byDir := map[string]*pkg{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "proto") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		p := byDir[dir]
		if p == nil {
			rel, _ := filepath.Rel(root, dir)
			p = &pkg{path: strings.TrimSuffix(module+"/"+filepath.ToSlash(rel), "/."), imports: map[string][]string{}}
			byDir[dir] = p
		}
		p.files = append(p.files, path)
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			p.imports[ip] = append(p.imports[ip], filepath.Base(path))
		}
		return nil
	})
	require.NoError(t, err)
	out := make([]pkg, 0, len(byDir))
	for _, p := range byDir {
		out = append(out, *p)
	}
	return out
}

// repoRoot is the directory holding go.mod, found upwards from here.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "go.mod not found above the test")
		dir = parent
	}
}
