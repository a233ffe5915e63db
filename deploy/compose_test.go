// Package deploy_test checks docker-compose.yml against the convene binary:
// the variables it sets are ones convene reads, the commands are its
// subcommands, and the API's listen port is the one published.
package deploy_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/convene/convene/internal/config"
)

// composeFile is the stack under test, relative to this package.
var composeFile = filepath.Join("..", "docker-compose.yml")

// serviceSubcommands are the convene subcommands a long-lived or one-shot
// compose service may run. `dev` starts its own Postgres and Temporal, and
// `seed` and `version` are run by hand (`docker compose run --rm migrate seed`).
var serviceSubcommands = []string{"migrate", "api", "worker"}

// migrateDirections are the arguments `convene migrate` accepts.
var migrateDirections = []string{"up", "down", "status"}

func TestCompose_EnvVarsAreReadByConvene(t *testing.T) {
	t.Parallel()
	services := conveneServices(t, loadCompose(t))
	known := config.EnvVars()

	for name, svc := range services {
		require.NotContains(t, svc, "env_file",
			"service %s: env_file hides its variables from this check; list them under environment", name)
		env := environment(t, name, svc)
		require.NotEmpty(t, env, "service %s sets no environment", name)
		for key := range env {
			require.Contains(t, known, key,
				"service %s sets %s, which convene does not read (config.EnvVars); a typo?", name, key)
		}
	}
}

func TestCompose_ServicesAgreeOnDatabaseAndTemporal(t *testing.T) {
	t.Parallel()
	services := conveneServices(t, loadCompose(t))

	// A worker polling another task queue or namespace than the API starts
	// workflows on would leave every workflow waiting forever.
	shared := []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "CONVENE_TASK_QUEUE", "CONVENE_ENV"}
	want := environment(t, "api", services["api"])
	for name, svc := range services {
		env := environment(t, name, svc)
		for _, key := range shared {
			require.Contains(t, env, key, "service %s does not set %s", name, key)
			require.Equal(t, want[key], env[key], "service %s sets %s differently from api", name, key)
		}
	}
}

func TestCompose_CommandsAreConveneSubcommands(t *testing.T) {
	t.Parallel()
	services := conveneServices(t, loadCompose(t))
	for _, want := range serviceSubcommands {
		require.Contains(t, services, want, "no service built from this repository runs `convene %s`", want)
	}

	for name, svc := range services {
		cmd := command(t, name, svc)
		require.NotEmpty(t, cmd, "service %s has no command; the image alone only prints help", name)
		require.Contains(t, serviceSubcommands, cmd[0], "service %s runs `convene %s`", name, strings.Join(cmd, " "))
		if cmd[0] == "migrate" {
			require.Len(t, cmd, 2, "service %s: migrate takes one direction", name)
			require.Contains(t, migrateDirections, cmd[1], "service %s: migrate %s", name, cmd[1])
		}
	}
}

func TestCompose_APIPublishesItsHTTPPort(t *testing.T) {
	t.Parallel()
	services := conveneServices(t, loadCompose(t))
	api, ok := services["api"]
	require.True(t, ok, "no api service built from this repository")

	addr, ok := environment(t, "api", api)["CONVENE_HTTP_ADDR"]
	require.True(t, ok, "api does not set CONVENE_HTTP_ADDR; the default listens on loopback only")
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err, "api CONVENE_HTTP_ADDR %q", addr)
	ip := net.ParseIP(host)
	require.False(t, host == "localhost" || (ip != nil && ip.IsLoopback()),
		"api listens on %s, which a published port cannot reach", addr)

	require.Contains(t, containerPorts(t, "api", api), port,
		"api listens on %s but publishes no port %s", addr, port)
}

// Temporal's frontend and UI have no authentication in this file, so they
// must never be reachable from other hosts: anyone who can signal a workflow
// could forge a payment.
func TestCompose_TemporalPortsBindLoopbackOnly(t *testing.T) {
	t.Parallel()
	all, ok := loadCompose(t)["services"].(map[string]any)
	require.True(t, ok)
	for _, name := range []string{"temporal", "temporal-ui"} {
		svc, ok := all[name].(map[string]any)
		require.True(t, ok, "service %s missing", name)
		ports, _ := svc["ports"].([]any)
		require.NotEmpty(t, ports, "service %s publishes no port", name)
		for _, p := range ports {
			spec, isString := p.(string)
			require.True(t, isString, "service %s: use the short port syntax with a host IP, got %v", name, p)
			assert.True(t, strings.HasPrefix(spec, "127.0.0.1:"), "service %s publishes %q on every interface; bind it to 127.0.0.1", name, spec)
		}
	}
}

func TestCompose_ImagesArePinned(t *testing.T) {
	t.Parallel()
	services, ok := loadCompose(t)["services"].(map[string]any)
	require.True(t, ok, "services is not a mapping")
	for name, v := range services {
		svc, ok := v.(map[string]any)
		require.True(t, ok, "service %s is not a mapping", name)
		image, ok := svc["image"].(string)
		if !ok {
			require.Contains(t, svc, "build", "service %s has neither image nor build", name)
			continue
		}
		_, tag, found := strings.Cut(image[strings.LastIndex(image, "/")+1:], ":")
		require.True(t, found && tag != "" && tag != "latest",
			"service %s: image %s is not pinned to a version", name, image)
	}
}

// TestEnvironment_Forms pins down the parsing the tests above rely on: both
// forms of `environment:`, and anchors, aliases and merge keys, which the
// yaml.v3 decoder resolves when it decodes into map[string]any.
func TestEnvironment_Forms(t *testing.T) {
	t.Parallel()
	doc := `
x-env: &env
  DATABASE_URL: postgres://db
  CONVENE_ENV: dev
services:
  as-map:
    environment:
      CONVENE_ENV: dev
      CONVENE_TRUST_FORWARDED_FOR: false
      TWILIO_FROM:
  as-list:
    environment:
      - CONVENE_ENV=dev
      - DATABASE_URL=postgres://u:p@db/x?a=b
      - TWILIO_FROM
  as-alias:
    environment: *env
  as-merge:
    environment:
      <<: *env
      CONVENE_ENV: prod
`
	var compose map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(doc), &compose))
	services := compose["services"].(map[string]any)
	env := func(name string) map[string]string {
		return environment(t, name, services[name].(map[string]any))
	}

	require.Equal(t, map[string]string{
		"CONVENE_ENV": "dev", "CONVENE_TRUST_FORWARDED_FOR": "false", "TWILIO_FROM": "",
	}, env("as-map"))
	require.Equal(t, map[string]string{
		"CONVENE_ENV": "dev", "DATABASE_URL": "postgres://u:p@db/x?a=b", "TWILIO_FROM": "",
	}, env("as-list"))
	require.Equal(t, map[string]string{
		"DATABASE_URL": "postgres://db", "CONVENE_ENV": "dev",
	}, env("as-alias"))
	// The merge key is resolved, not kept as a "<<" entry, and keys written
	// beside it win over the anchor's.
	require.Equal(t, map[string]string{
		"DATABASE_URL": "postgres://db", "CONVENE_ENV": "prod",
	}, env("as-merge"))
}

func TestContainerPorts_Forms(t *testing.T) {
	t.Parallel()
	doc := `
ports:
  - "8080:8080"
  - 127.0.0.1:9090:9091
  - "7000"
  - 7001
  - 7100-7101:7200-7201/tcp
  - target: 8443
    published: 443
`
	var svc map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(doc), &svc))
	require.Equal(t, []string{"8080", "9091", "7000", "7001", "7200-7201", "8443"}, containerPorts(t, "fixture", svc))
}

// loadCompose parses docker-compose.yml into plain maps and slices.
func loadCompose(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(composeFile)
	require.NoError(t, err)
	var compose map[string]any
	require.NoError(t, yaml.Unmarshal(data, &compose), "parse %s", composeFile)
	return compose
}

// conveneServices returns the services built from this repository (those with
// a build section): the ones that run the convene binary.
func conveneServices(t *testing.T, compose map[string]any) map[string]map[string]any {
	t.Helper()
	all, ok := compose["services"].(map[string]any)
	require.True(t, ok, "%s: services is not a mapping", composeFile)
	out := make(map[string]map[string]any)
	for name, v := range all {
		svc, ok := v.(map[string]any)
		require.True(t, ok, "service %s is not a mapping", name)
		if _, built := svc["build"]; built {
			out[name] = svc
		}
	}
	require.NotEmpty(t, out, "%s: no service is built from this repository", composeFile)
	return out
}

// environment returns a service's environment, written either as a mapping
// (KEY: value, a null value meaning "pass through from the host") or as a list
// of KEY=value or KEY entries.
func environment(t *testing.T, name string, svc map[string]any) map[string]string {
	t.Helper()
	env := make(map[string]string)
	switch v := svc["environment"].(type) {
	case nil:
	case map[string]any:
		for key, value := range v {
			require.NotEqual(t, "<<", key, "service %s: merge key not resolved", name)
			if value != nil {
				env[key] = fmt.Sprint(value)
			} else {
				env[key] = ""
			}
		}
	case []any:
		for _, item := range v {
			s, ok := item.(string)
			require.True(t, ok, "service %s: environment entry %v is not a string", name, item)
			key, value, _ := strings.Cut(s, "=")
			env[key] = value
		}
	default:
		require.Failf(t, "bad environment", "service %s: environment is a %T", name, v)
	}
	return env
}

// command returns a service's command as arguments to the convene binary.
func command(t *testing.T, name string, svc map[string]any) []string {
	t.Helper()
	switch v := svc["command"].(type) {
	case nil:
		return nil
	case string:
		return strings.Fields(v)
	case []any:
		out := make([]string, 0, len(v))
		for _, arg := range v {
			out = append(out, fmt.Sprint(arg))
		}
		return out
	default:
		require.Failf(t, "bad command", "service %s: command is a %T", name, v)
		return nil
	}
}

// containerPorts returns the container side of every port a service
// publishes, from the short syntax ([[ip:]host:]container[/proto]) or the
// long one (target:).
func containerPorts(t *testing.T, name string, svc map[string]any) []string {
	t.Helper()
	ports, _ := svc["ports"].([]any)
	out := make([]string, 0, len(ports))
	for _, p := range ports {
		switch v := p.(type) {
		case map[string]any:
			require.Contains(t, v, "target", "service %s: port %v has no target", name, v)
			out = append(out, fmt.Sprint(v["target"]))
		default:
			spec := fmt.Sprint(v)
			spec, _, _ = strings.Cut(spec, "/")
			out = append(out, spec[strings.LastIndex(spec, ":")+1:])
		}
	}
	return out
}
