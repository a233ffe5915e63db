#!/usr/bin/env bash
# Runs every test against one private, throwaway PostgreSQL cluster for the
# whole run (unless TEST_DATABASE_URL is already set). Each test clones a
# fresh database from a migrated template inside it. Temporal runs in-process
# in the test binaries that need it.
#
#   scripts/test.sh [go test flags]   gofmt, go vet, every test, brief fuzzing
#   scripts/test.sh --race            the packages with concurrency, under the race detector
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh

race=false
if [ "${1:-}" = "--race" ]; then
  race=true
  shift
fi

stop_cluster() { :; }
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  pgbin=""
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    pgbin="$(dirname "$(command -v pg_ctl)")"
  else
    pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -t/ -k4 -n -r | head -n1)"
  fi
  # On a RAM disk when there is one with room: every test clones its
  # database from a template (over a thousand relations, thousands of
  # files), which on a disk costs the server about a second of kernel time
  # per test and on tmpfs a few tens of milliseconds.
  base=/tmp
  if [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR==2 {print $4}')" -ge 4194304 ]; then
    base=/dev/shm
  fi
  dir="$(mktemp -d "$base/convene-test-pg.XXXXXX")"
  chmod 755 "$dir"
  as_pg=()
  if [ "$(id -u)" -eq 0 ]; then
    # initdb and postgres refuse to run as root.
    chown postgres: "$dir"
    as_pg=(runuser -u postgres --)
  fi
  "${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  port=""
  for _ in 1 2 3 4 5 6 7 8; do
    candidate=$((20000 + RANDOM % 20000))
    if "${as_pg[@]}" "$pgbin/pg_ctl" start -D "$dir/data" -w -t 60 -l "$dir/server.log" \
      -o "-c listen_addresses=127.0.0.1 -c port=$candidate -c unix_socket_directories='' -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null; then
      port=$candidate
      break
    fi
  done
  if [ -z "$port" ]; then
    echo "could not start the test PostgreSQL cluster; its log:" >&2
    tail -n 20 "$dir/server.log" >&2
    exit 1
  fi
  stop_cluster() {
    "${as_pg[@]}" "$pgbin/pg_ctl" stop -D "$dir/data" -m immediate >/dev/null 2>&1 || true
    rm -rf "$dir"
  }
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
fi
trap stop_cluster EXIT

if $race; then
  # The packages where goroutines meet: the API under concurrent calls, River
  # workers, workflows, the database layer and the rate limiters.
  echo "== go test -race"
  # Under the race detector the in-process Temporal server is many times
  # slower: -short scales the rush and fan-out tests down (same checks, fewer
  # people) and -parallel 1 keeps them from starving each other.
  go test -race -short -count=1 -parallel 1 -timeout 40m "$@" ./api/... ./jobs/... ./workflows/... ./db/... ./internal/ratelimit/... ./internal/inboxwatch/... ./internal/chatwatch/... ./internal/sessions/...
  exit 0
fi

echo "== gofmt and go vet"
unformatted="$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.build/*'))"
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...

# Stripe's API mock, built from source into .bin (pinned; rebuilt only when
# the version changes): internal/providers/payment runs the Stripe adapter
# against it on loopback. If it cannot be built (no module proxy), that test
# skips and says so.
STRIPE_MOCK_VERSION="v0.203.0" # keep in step with stripeMockVersion in stripe_mock_test.go
if [ -x .bin/stripe-mock ] && go version -m .bin/stripe-mock 2>/dev/null |
  awk -v v="$STRIPE_MOCK_VERSION" '$1 == "mod" && $2 == "github.com/stripe/stripe-mock" && $3 == v { found = 1 } END { exit !found }'; then
  :
else
  echo "== building github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION into .bin"
  mkdir -p .bin
  # Outside the repo, so our go.mod is neither consulted nor modified.
  (cd / && GOBIN="$OLDPWD/.bin" GOWORK=off GOFLAGS=-mod=mod go install "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION") ||
    echo "could not build stripe-mock: the Stripe adapter's stripe-mock test will be skipped" >&2
fi
if [ -x .bin/stripe-mock ]; then
  export STRIPE_MOCK_BIN="$PWD/.bin/stripe-mock"
fi

echo "== go test"
go test -count=1 -timeout 20m "$@" ./...

# Every Fuzz target's committed seed corpus already ran above as a test; each
# also fuzzes briefly here so new inputs are tried on every run. Findings
# are written to the package's testdata/fuzz: commit them as regression seeds.
# The budget is a count of inputs, not a duration: Go 1.26's fuzz coordinator
# can report its own -fuzztime deadline as a failure (go.dev/issue/75804,
# fixed in 1.27), which failed CI once with no crasher written.
echo "== go test -fuzz (${FUZZTIME:=5000x} each)"
while read -r pkg target; do
  go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" "$pkg"
done <<'TARGETS'
./internal/tickets FuzzVerify
./internal/tickets FuzzParse
./internal/providers/payment FuzzSandboxParseWebhook
./internal/providers/payment FuzzStripeParseWebhook
./api/rpc FuzzNormalizePhone
./api/notifications FuzzCriteriaFromProto
TARGETS
