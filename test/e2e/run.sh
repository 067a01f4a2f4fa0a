#!/usr/bin/env bash
# npm run test:e2e: the end-to-end test (see README.md beside this file). Needs root
# (network namespaces, chroot, systemd-nspawn, loop devices) and no stdin. Caches in ${PULUMI_E2E_CACHE:-~/.cache/sentry-e2e}.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE/../.."
[ "$(id -u)" -eq 0 ] || { echo "test:e2e must run as root (it creates a network namespace and a chroot)" >&2; exit 1; }
start=$SECONDS
# The engine plugins: the team's prebuilt ones beside the checkout where they exist (CI lays
# ../shared beside the clone), else the user's own Pulumi install (toolchain.sh looks on PATH).
# With plugins supplied, a missing one fails the run instead of skipping the engine suite.
SHARED_PLUGINS="$HERE/../../../shared/pulumi-plugins"
if [ -z "${PULUMI_E2E_PREBUILT_DIR:-}" ] && [ -d "$SHARED_PLUGINS" ]; then
    PULUMI_E2E_PREBUILT_DIR="$(cd "$SHARED_PLUGINS" && pwd)"
    export PULUMI_E2E_PREBUILT_DIR
fi
if [ -n "${PULUMI_E2E_PREBUILT_DIR:-}" ]; then
    export E2E_REQUIRE_ENGINE="${E2E_REQUIRE_ENGINE:-1}"
    echo "e2e: engine plugins from $PULUMI_E2E_PREBUILT_DIR (the engine suite must run)" >&2
else
    echo "e2e: no PULUMI_E2E_PREBUILT_DIR and no ../shared/pulumi-plugins: plugins from PATH, or the engine suite is skipped" >&2
fi
# Warm both caches first so that their cost shows separately from the test's. The engine
# suite takes the toolchain's bin dir from E2E_TOOLCHAIN_BIN (exit 3: <bin>/MISSING says
# which plugin is missing and the suite is skipped).
E2E_TOOLCHAIN_BIN=$(bash "$HERE/toolchain.sh") || [ $? -eq 3 ]
export E2E_TOOLCHAIN_BIN
echo "e2e: toolchain ready after $((SECONDS - start)) s" >&2
bash "$HERE/host.sh" rootfs chroot >/dev/null
echo "e2e: chroot host root file system ready after $((SECONDS - start)) s" >&2
bash "$HERE/host.sh" rootfs boot >/dev/null
echo "e2e: booted host root file system (systemd, docker.io) ready after $((SECONDS - start)) s" >&2
bash "$HERE/compose.sh" >/dev/null
echo "e2e: Docker Compose plugin ready after $((SECONDS - start)) s" >&2
bash "$HERE/docker29/build.sh" >/dev/null
bash "$HERE/docker29/build.sh" registry >/dev/null
bash "$HERE/docker29/sandbox.sh" rootfs >/dev/null
echo "e2e: Docker 29 binaries, the mirror registry and the sandbox root file system ready after $((SECONDS - start)) s" >&2
bash "$HERE/self-hosted.sh" >/dev/null
echo "e2e: the real getsentry/self-hosted repository ready after $((SECONDS - start)) s" >&2
bash "$HERE/acme/build.sh" >/dev/null
echo "e2e: Caddy and Pebble (the front-door suite) ready after $((SECONDS - start)) s" >&2
rc=0
npx vitest run --config "$HERE/vitest.config.ts" "$@" </dev/null || rc=$?
echo "e2e: finished in $((SECONDS - start)) s (exit $rc)" >&2
exit $rc
