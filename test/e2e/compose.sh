#!/usr/bin/env bash
# Builds (once) the Docker Compose v2 CLI plugin from the Go module proxy and prints the
# path of the cached binary. `go install` refuses github.com/docker/compose/v2 (its go.mod
# has exclude directives), so the module is downloaded with `go mod download -json` and
# `./cmd` is built inside the downloaded module directory.
#
# Usage: compose.sh            prints the binary's path (builds it on the first call)
# Environment: PULUMI_E2E_CACHE (default $HOME/.cache/sentry-e2e) holds the binary;
# E2E_COMPOSE_VERSION (default v2.40.3); the Go toolchain's own GOPROXY/GOMODCACHE/GOCACHE.
set -euo pipefail

CACHE_DIR="${PULUMI_E2E_CACHE:-$HOME/.cache/sentry-e2e}"
VERSION="${E2E_COMPOSE_VERSION:-v2.40.3}"
MODULE=github.com/docker/compose/v2
out="$CACHE_DIR/docker-compose-$VERSION-$(go env GOOS)-$(go env GOARCH)"

if [ -x "$out" ]; then echo "$out"; exit 0; fi
command -v go >/dev/null || { echo "compose.sh: go not found (needed to build Docker Compose $VERSION)" >&2; exit 1; }
mkdir -p "$CACHE_DIR"
# Suites run two at a time: the second waits for the first one's build and takes it.
exec 8>"$out.lock"
flock 8
if [ -x "$out" ]; then echo "$out"; exit 0; fi
start=$SECONDS
export GOSUMDB=off GOFLAGS=-mod=mod
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# `go mod download` needs a module of its own to run in.
(cd "$tmp" && go mod init sentry-e2e-compose >/dev/null 2>&1 && go mod download -json "$MODULE@$VERSION") >"$tmp/download.json"
dir=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Dir"])' "$tmp/download.json")
[ -d "$dir" ] || { cat "$tmp/download.json" >&2; echo "compose.sh: download of $MODULE@$VERSION failed" >&2; exit 1; }
echo "compose.sh: building $MODULE $VERSION (once; cached at $out)" >&2
(cd "$dir" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$VERSION" \
    -o "$tmp/docker-compose" ./cmd)
mv "$tmp/docker-compose" "$out"
echo "compose.sh: built in $((SECONDS - start)) s" >&2
echo "$out"
