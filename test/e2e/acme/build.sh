#!/usr/bin/env bash
# acme/build.sh: builds (once) the two programs the HTTPS end-to-end check needs, from the Go
# module proxy, and prints the cache directory. Its bin/ holds:
#
#   caddy    github.com/caddyserver/caddy/v2 v2.11.9, ./cmd/caddy: the TLS server the host runs
#            with sentry:tls acme (what the host's image sentry-deploy's caddy image would hold)
#   pebble   github.com/letsencrypt/pebble/v2 v2.10.3, ./cmd/pebble: Let's Encrypt's test ACME
#            CA, standing in for Let's Encrypt (nothing outside is reachable here); with its
#            test/ folder (the CA's own TLS certificate and key, pebble-config.json) in share/
#
# Both static (CGO_ENABLED=0), so they run in any test image or root file system.
#
# Usage: build.sh        (prints the directory; builds what is missing; build times to stderr)
# Environment: PULUMI_E2E_CACHE (default $HOME/.cache/sentry-e2e); the Go toolchain's own
# GOPROXY/GOMODCACHE/GOCACHE. Modules are fetched with `go mod download -json` and built inside
# the module directory (`go install` refuses modules with replace/exclude directives), with
# GOFLAGS=-mod=mod GOSUMDB=off.
set -euo pipefail

readonly CADDY_MODULE=github.com/caddyserver/caddy/v2 CADDY_VERSION=v2.11.9
readonly PEBBLE_MODULE=github.com/letsencrypt/pebble/v2 PEBBLE_VERSION=v2.10.3
readonly BUILD_REV=1 # bump when the way a binary is built changes

CACHE_DIR="${PULUMI_E2E_CACHE:-$HOME/.cache/sentry-e2e}"
out="$CACHE_DIR/acme-caddy${CADDY_VERSION#v}-pebble${PEBBLE_VERSION#v}-$BUILD_REV"
bin="$out/bin"

log() { echo "acme/build.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

export GOSUMDB=off GOFLAGS=-mod=mod

if [ -s "$out/VERSIONS" ]; then echo "$out"; exit 0; fi
command -v go >/dev/null || die "go not found (needed to build Caddy and Pebble from the Go module proxy)"
mkdir -p "$bin" "$out/share"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && go mod init sentry-e2e-acme >/dev/null 2>&1)

# module_dir MODULE@VERSION: the module's directory in the module cache (downloaded if needed).
module_dir() {
    local json dir
    json=$(cd "$scratch" && go mod download -json "$1" 2>&1) || die "go mod download $1 failed: $json"
    dir=$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("Dir", ""))')
    [ -d "$dir" ] || die "go mod download $1 gave no directory: $json"
    echo "$dir"
}

# build NAME DIR PACKAGE [GO-BUILD-ARGS...]: `go build -o bin/NAME PACKAGE` in DIR, once.
build() {
    local name="$1" dir="$2" pkg="$3" start=$SECONDS
    shift 3
    if [ -x "$bin/$name" ]; then return 0; fi
    log "building $name in $dir"
    (cd "$dir" && CGO_ENABLED=0 go build -trimpath -o "$bin/$name.partial" "$@" "$pkg") ||
        die "building $name failed (in $dir: go build $* $pkg)"
    mv "$bin/$name.partial" "$bin/$name"
    log "built $name in $((SECONDS - start)) s"
}

total=$SECONDS
pebble=$(module_dir "$PEBBLE_MODULE@$PEBBLE_VERSION")
build pebble "$pebble" ./cmd/pebble
# Pebble's own listener certificate (for localhost/pebble) and sample config; the test makes
# its own certificate for the CA's address, but keeps these for running Pebble by hand.
cp -r "$pebble/test" "$out/share/pebble-test"
chmod -R u+w "$out/share/pebble-test"

caddy=$(module_dir "$CADDY_MODULE@$CADDY_VERSION")
build caddy "$caddy" ./cmd/caddy -ldflags "-s -w"

{
    echo "$CADDY_MODULE@$CADDY_VERSION: caddy"
    echo "$PEBBLE_MODULE@$PEBBLE_VERSION: pebble"
    go version
} >"$out/VERSIONS.partial"
mv "$out/VERSIONS.partial" "$out/VERSIONS"
log "all built in $((SECONDS - total)) s (pieces already built count 0): $out"
echo "$out"
