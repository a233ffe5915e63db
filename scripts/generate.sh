#!/usr/bin/env bash
# Regenerates the Go code for the Connect/protobuf contract under proto/.
#
# Fully offline apart from the Go module proxy: buf and the protoc plugins are
# built from source into ./.bin (GOBIN), and protovalidate's
# buf/validate/validate.proto is taken from the Go module
# github.com/bufbuild/protovalidate and copied into ./.build/protovalidate,
# which buf.yaml declares as a second, import-only module (no BSR access).
#
# Idempotent: a second run skips every install whose binary already has the
# pinned version and only runs `buf lint` + `buf generate`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BIN="$ROOT/.bin"
BUILD="$ROOT/.build"

# Pinned tool versions. protoc-gen-go follows google.golang.org/protobuf in go.mod
# so generated code always matches the runtime we link.
BUF_VERSION="v1.75.0"
CONNECT_GO_VERSION="v1.21.1"
PROTOVALIDATE_VERSION="v1.2.2" # newest github.com/bufbuild/protovalidate the proxy serves; see buf.yaml
PROTOBUF_VERSION="$(awk '$1 == "google.golang.org/protobuf" { print $2; exit }' go.mod)"
if [[ -z "$PROTOBUF_VERSION" ]]; then
  echo "generate.sh: google.golang.org/protobuf not found in go.mod" >&2
  exit 1
fi

export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOWORK=off

log() { echo "generate.sh: $*" >&2; }

# install_tool BINARY MODULE PACKAGE VERSION
# Builds PACKAGE@VERSION into .bin unless .bin/BINARY was already built from MODULE@VERSION.
install_tool() {
  local binary="$1" module="$2" pkg="$3" version="$4"
  if [[ -x "$BIN/$binary" ]] &&
    go version -m "$BIN/$binary" 2>/dev/null | awk -v m="$module" -v v="$version" '$1 == "mod" && $2 == m && $3 == v { found = 1 } END { exit !found }'; then
    return 0
  fi
  log "installing $pkg@$version into .bin"
  mkdir -p "$BIN"
  # Run outside the repo so our go.mod is neither consulted nor modified.
  (cd / && GOBIN="$BIN" GOFLAGS=-mod=mod go install "$pkg@$version")
}

install_tool buf github.com/bufbuild/buf github.com/bufbuild/buf/cmd/buf "$BUF_VERSION"
install_tool protoc-gen-go google.golang.org/protobuf google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOBUF_VERSION"
install_tool protoc-gen-connect-go connectrpc.com/connect connectrpc.com/connect/cmd/protoc-gen-connect-go "$CONNECT_GO_VERSION"

# protovalidate's validate.proto, copied from the Go module cache (read-only there).
PV_DIR="$BUILD/protovalidate"
PV_STAMP="$PV_DIR/.version"
if [[ ! -f "$PV_DIR/buf/validate/validate.proto" || "$(cat "$PV_STAMP" 2>/dev/null)" != "$PROTOVALIDATE_VERSION" ]]; then
  log "fetching github.com/bufbuild/protovalidate@$PROTOVALIDATE_VERSION"
  # `go mod download` outside any module: our go.mod/go.sum stay untouched.
  mod_dir="$(cd / && go mod download -json "github.com/bufbuild/protovalidate@$PROTOVALIDATE_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  src="$mod_dir/proto/protovalidate/buf/validate/validate.proto"
  if [[ -z "$mod_dir" || ! -f "$src" ]]; then
    echo "generate.sh: cannot find buf/validate/validate.proto in github.com/bufbuild/protovalidate@$PROTOVALIDATE_VERSION" >&2
    exit 1
  fi
  rm -rf "$PV_DIR"
  mkdir -p "$PV_DIR/buf/validate"
  cp "$src" "$PV_DIR/buf/validate/validate.proto"
  chmod 0644 "$PV_DIR/buf/validate/validate.proto"
  echo "$PROTOVALIDATE_VERSION" >"$PV_STAMP"
fi

export PATH="$BIN:$PATH"

log "buf lint"
buf lint proto
log "buf generate"
# Drop previously generated files first so code for a deleted .proto does not linger.
find proto -type f \( -name '*.pb.go' -o -name '*.connect.go' \) -delete
buf generate
