#!/usr/bin/env bash
# Obtains the Pulumi engine pieces the end-to-end test runs, matched to the npm SDKs in
# node_modules, and prints the directory that holds them:
#   pulumi                    CLI        github.com/pulumi/pulumi/pkg/v3 cmd/pulumi        v3.248.0
#   pulumi-language-nodejs    lang host  github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
#   pulumi-resource-command   provider   github.com/pulumi/pulumi-command/provider         v1.2.1
#
# Where each comes from, first match wins:
#   1. the bin dir in the cache, if it holds a binary that reports the right version;
#   2. a binary of that name in $PULUMI_E2E_PREBUILT_DIR (checked against its SHA256SUMS) or on
#      PATH that reports the right version, e.g. an official Pulumi install, which ships the
#      language host beside the CLI; it is copied into the bin dir (see find_existing);
#   3. a build from the Go module proxy: the CLI through the wrapper module in ./toolchain
#      (pkg/v3's go.mod replaces sdk/v3 with ../sdk, so `go install pkg@version` cannot work),
#      the others by `go mod download` of the exact module version.
#
# The bin dir is printed on stdout. Exit 0: all three present. Exit 3: the CLI is there but a
# plugin could not be had; <bin>/MISSING says which and the exact error. Other: failure.
#
# Cache: ${PULUMI_E2E_CACHE:-$HOME/.cache/sentry-e2e}/toolchain-<versions>/ (bin/, gocache/).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE_DIR="${PULUMI_E2E_CACHE:-$HOME/.cache/sentry-e2e}"

log() { echo "toolchain.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

# The versions come from the npm SDKs the program runs with.
npm_version() {
    local pkg="$1" file="$REPO/node_modules/$1/package.json"
    [ -f "$file" ] || die "$file not found: run npm ci first"
    sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$file" | head -n 1
}
PULUMI_VERSION="$(npm_version @pulumi/pulumi)"
COMMAND_VERSION="$(npm_version @pulumi/command)"
[ "$PULUMI_VERSION" = "3.248.0" ] || log "warning: @pulumi/pulumi is $PULUMI_VERSION; toolchain/go.mod pins pkg/v3 v3.248.0"

BIN="$CACHE_DIR/toolchain-pulumi$PULUMI_VERSION-command$COMMAND_VERSION/bin"
GOCACHE_DIR="$CACHE_DIR/gocache"
mkdir -p "$BIN"
rm -f "$BIN/MISSING"

export GOFLAGS=-mod=mod
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOCACHE="${PULUMI_E2E_GOCACHE:-$GOCACHE_DIR}"
command -v go >/dev/null || die "go is not on PATH"

VERSION_LDFLAG="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"

# --- version probes ---------------------------------------------------------------------
cli_version() { "$1" version 2>/dev/null | head -n 1; }
langhost_version() { "$1" -version 2>/dev/null | head -n 1; }
# The command provider has no version flag: ask it over gRPC (GetPluginInfo), with the
# protobufs and client that @pulumi/pulumi ships.
provider_version() { node "$HERE/plugin-version.js" "$1" 2>/dev/null | head -n 1; }

# find_existing NAME WANT PROBE: put a matching binary into $BIN, return 0 if found.
# The binary is COPIED, never linked: the CLI resolves its own path (/proc/self/exe) and
# looks for the language host beside the real file, so a link from $BIN to a CLI elsewhere
# would make it load whatever language host sits in that other folder (or none), not ours.
find_existing() {
    local name="$1" want="$2" probe="$3" cand got
    if [ -f "$BIN/$name" ] && [ ! -L "$BIN/$name" ] && [ -x "$BIN/$name" ] && [ "$($probe "$BIN/$name")" = "$want" ]; then return 0; fi
    rm -f "$BIN/$name"
    for cand in ${PULUMI_E2E_PREBUILT_DIR:+"$PULUMI_E2E_PREBUILT_DIR/$name"} $(type -ap "$name" 2>/dev/null); do
        [ -x "$cand" ] || continue
        got="$($probe "$cand")"
        if [ "$got" = "$want" ]; then
            install -m 0755 "$(readlink -f "$cand")" "$BIN/$name.tmp"
            mv -f "$BIN/$name.tmp" "$BIN/$name"
            log "$name $want: copied from $cand"
            return 0
        fi
        log "$name at $cand reports '${got:-?}', want $want: not used"
    done
    return 1
}

# Binaries from $PULUMI_E2E_PREBUILT_DIR are used only if they match the SHA256SUMS beside
# them (when there is one), so a damaged or swapped copy fails loudly instead of half-working.
if [ -n "${PULUMI_E2E_PREBUILT_DIR:-}" ]; then
    [ -d "$PULUMI_E2E_PREBUILT_DIR" ] || die "PULUMI_E2E_PREBUILT_DIR=$PULUMI_E2E_PREBUILT_DIR is not a directory"
    if [ -f "$PULUMI_E2E_PREBUILT_DIR/SHA256SUMS" ]; then
        (cd "$PULUMI_E2E_PREBUILT_DIR" && sha256sum --quiet -c SHA256SUMS) >&2 ||
            die "$PULUMI_E2E_PREBUILT_DIR: binaries do not match its SHA256SUMS"
        log "$PULUMI_E2E_PREBUILT_DIR: SHA256SUMS verified"
    fi
fi

missing() { # NAME MODULE@VERSION ERROR...
    local name="$1" mod="$2"; shift 2
    {
        echo "$name ($mod): cannot be had here"
        printf '  %s\n' "$@"
    } >>"$BIN/MISSING"
    log "$name: $mod cannot be had here: $*"
}

# --- 1. the CLI ---------------------------------------------------------------------------
if ! find_existing pulumi "v$PULUMI_VERSION" cli_version; then
    log "building pulumi v$PULUMI_VERSION from the Go module proxy (cold: about 4-5 min on 2 cores)"
    start=$SECONDS
    (
        cd "$HERE/toolchain"
        go build -trimpath -ldflags "-s -w $VERSION_LDFLAG" -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    ) >&2 || die "building the pulumi CLI failed"
    mv "$BIN/pulumi.tmp" "$BIN/pulumi"
    [ "$(cli_version "$BIN/pulumi")" = "v$PULUMI_VERSION" ] || die "built pulumi reports '$(cli_version "$BIN/pulumi")'"
    log "pulumi v$PULUMI_VERSION built in $((SECONDS - start)) s"
fi

# --- 2/3. plugins: only from an exact module version on the proxy --------------------------
# build_from_proxy NAME MODULE VERSION PACKAGE LDFLAGS
build_from_proxy() {
    local name="$1" mod="$2" ver="$3" pkg="$4" ldflags="$5" tmp out
    tmp=$(mktemp -d)
    if ! out=$(cd "$tmp" && GOFLAGS='' go mod download -json "$mod@$ver" 2>&1); then
        missing "$name" "$mod@$ver" "go mod download $mod@$ver:" "$(grep -o '"Error": *"[^"]*' <<<"$out" | sed 's/"Error": *"//; s/\\n\\t/ /g' || echo "$out")"
        rm -rf "$tmp"
        return 1
    fi
    # Served: build it in a throwaway wrapper module so that the module's own local
    # `replace` directives (../../..) do not apply, with sdk/pkg pinned to the CLI's version.
    (
        cd "$tmp"
        printf 'module e2e-plugin-wrapper\n\ngo 1.25\n\nreplace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e\n' >go.mod
        go get "$mod@$ver" >&2
        go build -trimpath -ldflags "-s -w $ldflags" -o "$BIN/$name.tmp" "$pkg" >&2
    ) || { missing "$name" "$mod@$ver" "go build $pkg failed (see above)"; rm -rf "$tmp"; return 1; }
    mv "$BIN/$name.tmp" "$BIN/$name"
    rm -rf "$tmp"
}

LANGHOST_MOD=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
if ! find_existing pulumi-language-nodejs "v$PULUMI_VERSION" langhost_version; then
    build_from_proxy pulumi-language-nodejs "$LANGHOST_MOD" "v$PULUMI_VERSION" "$LANGHOST_MOD" "$VERSION_LDFLAG" || true
fi

PROVIDER_MOD=github.com/pulumi/pulumi-command/provider
if ! find_existing pulumi-resource-command "$COMMAND_VERSION" provider_version; then
    build_from_proxy pulumi-resource-command "$PROVIDER_MOD" "v$COMMAND_VERSION" \
        "$PROVIDER_MOD/cmd/pulumi-resource-command" \
        "-X github.com/pulumi/pulumi-command/provider/pkg/version.Version=v$COMMAND_VERSION" || true
fi

echo "$BIN"
if [ -s "$BIN/MISSING" ]; then exit 3; fi
