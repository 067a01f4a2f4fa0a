#!/usr/bin/env bash
# docker29/build.sh: builds (once) a Docker Engine 29 with the containerd, runc, CLI and
# Compose plugin it ships with, all from the Go module proxy, and prints the cache
# directory. Its bin/ holds, built from these modules:
#
#   dockerd, docker-proxy    github.com/moby/moby/v2 v2.0.0-beta.24   = Docker Engine 29.8.1
#   docker                   github.com/docker/cli v29.8.1+incompatible (no go.mod: built with
#                            its vendor.mod as go.mod, as upstream's scripts/with-go-mod.sh does)
#   containerd, ctr,         github.com/containerd/containerd/v2 v2.3.5 (the containerd moby
#   containerd-shim-runc-v2  v2.0.0-beta.24's Dockerfile pins as CONTAINERD_VERSION)
#   runc                     github.com/opencontainers/runc v1.5.1 (moby's RUNC_VERSION), static,
#                            -tags seccomp (needs libseccomp-dev: installed with apt-get if missing)
#   docker-compose           github.com/docker/compose/v2 v2.40.3 (the CLI plugin)
#   docker-buildx            github.com/docker/buildx v0.38.2 (the CLI plugin docker-buildx-plugin
#                            ships: `docker build` and Compose's builds go through BuildKit)
# and units/ the packages' systemd units (moby's docker.service and docker.socket,
# containerd's containerd.service).
#
# Which beta is which Docker (inferred; the proxy gives no commit hash): moby's Go module tags
# v2.0.0-beta.N carry no Docker version. beta.24 (proxy time 2026-09-15T15:28Z, the day
# docker/cli v29.8.1 was tagged, 11:21Z) has releases/versions.yaml "last 29.8.0, next 29.8.1";
# beta.23 (2026-09-03, 37 min before cli v29.8.0) says "next 29.8.0". Both require the
# moby/moby/api v1.56.0 + client v0.6.0 that cli v29.8.x vendors. So beta.24 is Docker 29.8.1,
# the newest 29.x with a module tag. dockerversion.Version is set with the -X ldflags of
# upstream's hack/make/.go-autogen, so `dockerd --version` and `docker version` say 29.8.1.
#
# `build.sh registry` instead builds (once) the registry the mirror checks run in the sandbox,
# in a directory of its own, and prints that directory (bin/registry):
#
#   registry                 github.com/distribution/distribution/v3 v3.1.2, ./cmd/registry: the
#                            CNCF Distribution registry (what Docker Hub and most mirrors run),
#                            standing in for a company's mirror of ghcr.io and Docker Hub
#
# Usage: build.sh [registry]  (prints the directory; builds what is missing; per-piece build
#                             times go to stderr)
# Environment: PULUMI_E2E_CACHE (default $HOME/.cache/sentry-e2e); the Go toolchain's own
# GOPROXY/GOMODCACHE/GOCACHE. Modules are fetched with `go mod download -json` and built inside
# the module directory (`go install` refuses modules with replace/exclude directives), with
# GOFLAGS=-mod=mod GOSUMDB=off.
set -euo pipefail

readonly MOBY_MODULE=github.com/moby/moby/v2 MOBY_VERSION=v2.0.0-beta.24 DOCKER_VERSION=29.8.1
readonly CLI_MODULE=github.com/docker/cli CLI_VERSION=v29.8.1+incompatible
readonly CONTAINERD_MODULE=github.com/containerd/containerd/v2 CONTAINERD_VERSION=v2.3.5
readonly RUNC_MODULE=github.com/opencontainers/runc RUNC_VERSION=v1.5.1
readonly COMPOSE_MODULE=github.com/docker/compose/v2 COMPOSE_VERSION=v2.40.3
readonly BUILDX_MODULE=github.com/docker/buildx BUILDX_VERSION=v0.38.2
readonly REGISTRY_MODULE=github.com/distribution/distribution/v3 REGISTRY_VERSION=v3.1.2
readonly BUILD_REV=1 # bump when the way a binary is built changes

CACHE_DIR="${PULUMI_E2E_CACHE:-$HOME/.cache/sentry-e2e}"
what="${1:-docker}"
case "$what" in
docker) out="$CACHE_DIR/docker29-$DOCKER_VERSION-containerd${CONTAINERD_VERSION#v}-runc${RUNC_VERSION#v}-compose${COMPOSE_VERSION#v}-$BUILD_REV" ;;
registry) out="$CACHE_DIR/registry-${REGISTRY_VERSION#v}-$BUILD_REV" ;;
*) echo "usage: build.sh [registry]" >&2; exit 2 ;;
esac
bin="$out/bin"

log() { echo "docker29/build.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

export GOSUMDB=off GOFLAGS=-mod=mod

# module_dir MODULE@VERSION: the module's directory in the module cache (downloaded if needed).
module_dir() {
    local json dir
    json=$(cd "$scratch" && go mod download -json "$1" 2>&1) || die "go mod download $1 failed: $json"
    dir=$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("Dir", ""))')
    [ -d "$dir" ] || die "go mod download $1 gave no directory: $json"
    echo "$dir"
}

# build NAME DIR [ENV=VALUE...] -- GO-BUILD-ARGS...: `go build -o bin/NAME` in DIR, once.
build() {
    local name="$1" dir="$2" start=$SECONDS
    shift 2
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    if [ -x "$bin/$name" ]; then return 0; fi
    log "building $name in $dir"
    (cd "$dir" && env "${envs[@]}" go build -trimpath -o "$bin/$name.partial" "$@") ||
        die "building $name failed (in $dir: go build $*)"
    mv "$bin/$name.partial" "$bin/$name"
    log "built $name in $((SECONDS - start)) s"
}

# Complete when VERSIONS names every piece (a piece added later is built into the same directory).
if [ -s "$out/VERSIONS" ] && { [ "$what" != docker ] || grep -q "^$BUILDX_MODULE@$BUILDX_VERSION:" "$out/VERSIONS"; }; then echo "$out"; exit 0; fi
command -v go >/dev/null || die "go not found (needed to build the $what binaries from the Go module proxy)"
mkdir -p "$bin"
# A module of our own for `go mod download` to run in, and the CLI's writable copy.
scratch=$(mktemp -d)
trap 'chmod -R u+w "$scratch"; rm -rf "$scratch"' EXIT
(cd "$scratch" && go mod init sentry-e2e-docker29 >/dev/null 2>&1)
total=$SECONDS

if [ "$what" = registry ]; then
    registry=$(module_dir "$REGISTRY_MODULE@$REGISTRY_VERSION")
    build registry "$registry" CGO_ENABLED=0 -- -ldflags "-s -w" ./cmd/registry
    { echo "$REGISTRY_MODULE@$REGISTRY_VERSION: registry"; go version; } >"$out/VERSIONS.partial"
    mv "$out/VERSIONS.partial" "$out/VERSIONS"
    log "built in $((SECONDS - total)) s: $out"
    echo "$out"
    exit 0
fi

moby=$(module_dir "$MOBY_MODULE@$MOBY_VERSION")
v=github.com/moby/moby/v2/dockerversion
moby_ldflags="-X $v.Version=$DOCKER_VERSION -X $v.GitCommit=$MOBY_VERSION -X '$v.PlatformName=Docker Engine - Community'"
build dockerd "$moby" CGO_ENABLED=0 -- -tags "netgo osusergo static_build" -ldflags "$moby_ldflags" ./cmd/dockerd
build docker-proxy "$moby" CGO_ENABLED=0 -- -ldflags "$moby_ldflags" ./cmd/docker-proxy

containerd=$(module_dir "$CONTAINERD_MODULE@$CONTAINERD_VERSION")
v=github.com/containerd/containerd/v2/version
ctrd_ldflags="-X $v.Version=$CONTAINERD_VERSION -X $v.Revision=$CONTAINERD_VERSION -X $v.Package=github.com/containerd/containerd/v2"
build containerd "$containerd" CGO_ENABLED=0 -- -tags "urfave_cli_no_docs osusergo netgo static_build" -ldflags "$ctrd_ldflags" ./cmd/containerd
build ctr "$containerd" CGO_ENABLED=0 -- -tags "urfave_cli_no_docs osusergo netgo static_build" -ldflags "$ctrd_ldflags" ./cmd/ctr
build containerd-shim-runc-v2 "$containerd" CGO_ENABLED=0 -- -tags "urfave_cli_no_docs no_grpc" -ldflags "$ctrd_ldflags" ./cmd/containerd-shim-runc-v2

if [ ! -e /usr/lib/x86_64-linux-gnu/libseccomp.a ] && ! dpkg -s libseccomp-dev >/dev/null 2>&1; then
    log "installing libseccomp-dev from Debian's packages (runc's seccomp support)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q libseccomp-dev >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libseccomp-dev >/dev/null; } ||
        die "apt-get install libseccomp-dev failed (runc needs it for -tags seccomp)"
fi
runc=$(module_dir "$RUNC_MODULE@$RUNC_VERSION")
# Static like upstream's `make static`, so the binary runs on any test root file system.
build runc "$runc" CGO_ENABLED=1 -- -tags "seccomp urfave_cli_no_docs netgo osusergo" \
    -ldflags "-X main.gitCommit=$RUNC_VERSION -extldflags -static" .

# The CLI has no go.mod: build a writable copy with its vendor.mod/vendor.sum as go.mod/go.sum
# (the module zip has no vendor/ but modules.txt, so the dependencies come from the proxy).
cli_src=$(module_dir "$CLI_MODULE@$CLI_VERSION")
if [ ! -x "$bin/docker" ]; then
    cp -r "$cli_src" "$scratch/cli"
    chmod -R u+w "$scratch/cli"
    cp "$scratch/cli/vendor.mod" "$scratch/cli/go.mod"
    cp "$scratch/cli/vendor.sum" "$scratch/cli/go.sum"
    rm -rf "$scratch/cli/vendor"
fi
v=github.com/docker/cli/cli/version
build docker "$scratch/cli" CGO_ENABLED=0 -- -tags "osusergo netgo static_build" \
    -ldflags "-X $v.Version=$DOCKER_VERSION -X $v.GitCommit=$CLI_VERSION -X '$v.PlatformName=Docker Engine - Community'" ./cmd/docker

compose=$(module_dir "$COMPOSE_MODULE@$COMPOSE_VERSION")
build docker-compose "$compose" CGO_ENABLED=0 -- -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" ./cmd

buildx=$(module_dir "$BUILDX_MODULE@$BUILDX_VERSION")
build docker-buildx "$buildx" CGO_ENABLED=0 -- -ldflags "-s -w -X github.com/docker/buildx/version.Version=$BUILDX_VERSION" ./cmd/buildx

# The packages' systemd units, from the same sources (docker-ce ships moby's, containerd.io
# containerd's with ExecStart=/usr/bin/containerd: sandbox.sh makes that one change).
install -d "$out/units"
install -m 0644 "$moby/contrib/init/systemd/docker.service" "$moby/contrib/init/systemd/docker.socket" \
    "$containerd/containerd.service" "$out/units/"

{
    echo "$MOBY_MODULE@$MOBY_VERSION (Docker $DOCKER_VERSION): dockerd docker-proxy"
    echo "$CLI_MODULE@$CLI_VERSION: docker"
    echo "$CONTAINERD_MODULE@$CONTAINERD_VERSION: containerd ctr containerd-shim-runc-v2"
    echo "$RUNC_MODULE@$RUNC_VERSION: runc"
    echo "$COMPOSE_MODULE@$COMPOSE_VERSION: docker-compose"
    echo "$BUILDX_MODULE@$BUILDX_VERSION: docker-buildx"
    go version
} >"$out/VERSIONS.partial"
mv "$out/VERSIONS.partial" "$out/VERSIONS"
log "all built in $((SECONDS - total)) s (pieces already built count 0): $out"
echo "$out"
