#!/usr/bin/env bash
# npm run test:e2e: the end-to-end test (see README.md beside this file). Needs root
# (network namespaces, chroot, systemd-nspawn, loop devices) and no stdin. Caches in ${PULUMI_E2E_CACHE:-~/.cache/sentry-e2e}.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE/../.."
[ "$(id -u)" -eq 0 ] || { echo "test:e2e must run as root (it creates a network namespace and a chroot)" >&2; exit 1; }
start=$SECONDS
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
rc=0
npx vitest run --config "$HERE/vitest.config.ts" "$@" </dev/null || rc=$?
echo "e2e: finished in $((SECONDS - start)) s (exit $rc)" >&2
exit $rc
