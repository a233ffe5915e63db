#!/usr/bin/env bash
# Makes sure what `make run` and `make test` need is installed: Go, and
# PostgreSQL's server binaries (initdb, pg_ctl, postgres) from Debian's
# packages. Installs them with apt-get when running as root or with sudo;
# otherwise says in one line what to install. Never downloads a binary.
set -euo pipefail

if ! command -v go >/dev/null 2>&1; then
  echo "Go is not installed: install Go 1.26 (https://go.dev/doc/install) and re-run." >&2
  exit 1
fi

pg_bin_dir() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
    return 0
  fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

if pg_bin_dir >/dev/null; then
  exit 0
fi

install_cmd=(apt-get)
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    install_cmd=(sudo apt-get)
  else
    echo "PostgreSQL server binaries are missing: run 'sudo apt-get install postgresql' and re-run." >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL server binaries are missing: install PostgreSQL 15+ (initdb, pg_ctl) with your package manager and re-run." >&2
  exit 1
fi
echo "Installing PostgreSQL server binaries with apt-get..." >&2
export DEBIAN_FRONTEND=noninteractive
"${install_cmd[@]}" update -qq
"${install_cmd[@]}" install -y -qq postgresql >/dev/null
pg_bin_dir >/dev/null || { echo "apt-get installed postgresql but initdb/pg_ctl were not found." >&2; exit 1; }
