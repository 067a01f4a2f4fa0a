#!/usr/bin/env bash
# Lints .github/workflows with actionlint (github.com/rhysd/actionlint), built from the Go
# module proxy into a cache on first use. actionlint also runs shellcheck on every `run:`
# script when shellcheck is on PATH (CI installs it). Usage: bash .github/lint.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION="v1.7.12"
CACHE="${ACTIONLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sentry-aws/actionlint-${ACTIONLINT_VERSION}}"
BIN="$CACHE/actionlint"

if [[ ! -x "$BIN" ]]; then
  if ! command -v go >/dev/null; then
    echo "lint.sh: actionlint is not cached at $BIN and go is not installed to build it" >&2
    echo "         install Go (https://go.dev/dl/) or put actionlint ${ACTIONLINT_VERSION} at that path" >&2
    exit 2
  fi
  echo "lint.sh: building actionlint ${ACTIONLINT_VERSION} into $CACHE"
  mkdir -p "$CACHE"
  GOBIN="$CACHE" go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
fi

# (This file itself is shell-checked by .ci/run with the repository's other shell files.)
command -v shellcheck >/dev/null || echo "lint.sh: shellcheck not found; workflow run: scripts are not shell-checked"

echo "lint.sh: actionlint $("$BIN" -version | head -n 1)"
"$BIN" -no-color .github/workflows/*.yml
echo "lint.sh: workflows lint clean"
