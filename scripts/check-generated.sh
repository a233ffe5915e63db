#!/usr/bin/env bash
# Fails if the committed generated code under proto/ is out of date with the
# .proto files (for CI). Regenerates first, then asks git what changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/generate.sh"

changes="$(git status --porcelain --untracked-files=all -- proto/)"
if [[ -n "$changes" ]]; then
  echo "check-generated.sh: generated code under proto/ is stale or not committed:" >&2
  echo "$changes" >&2
  echo "check-generated.sh: run scripts/generate.sh and commit the result." >&2
  exit 1
fi
echo "check-generated.sh: generated code is up to date." >&2
