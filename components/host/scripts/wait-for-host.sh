#!/usr/bin/env bash
# wait-for-host.sh: first step on a new host. Waits until cloud-init has
# finished (so apt, users and mounts from user data are settled), checks that
# bash is new enough for the self-hosted installer and prints a one-line host
# summary. Changes nothing on the host.
#
# Run by hand as root:  CLOUD_INIT_TIMEOUT_SECONDS=900 bash wait-for-host.sh
#
# Inputs (environment variables):
#   CLOUD_INIT_TIMEOUT_SECONDS  default 900. Seconds to wait for
#                               `cloud-init status --wait`. Exit codes 0 (done)
#                               and 2 (done with recoverable errors, cloud-init
#                               >= 23.4) count as finished; anything else fails.
#                               Hosts without cloud-init skip the wait.
#   HOST_ROOT                   default empty. For tests only; leave empty.
#                               Prefix for every absolute host path.
set -euo pipefail

readonly SCRIPT=wait-for-host
HOST_ROOT="${HOST_ROOT:-}"
CLOUD_INIT_TIMEOUT_SECONDS="${CLOUD_INIT_TIMEOUT_SECONDS:-900}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

require_seconds CLOUD_INIT_TIMEOUT_SECONDS "$CLOUD_INIT_TIMEOUT_SECONDS" 900

# The self-hosted installer needs bash >= 4.4 (install/_min-requirements.sh).
if ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 4))); then
  die "bash ${BASH_VERSION} is too old: the Sentry installer needs bash >= 4.4; upgrade bash or use a newer OS image"
fi

if command -v cloud-init >/dev/null 2>&1; then
  log "waiting up to ${CLOUD_INIT_TIMEOUT_SECONDS}s for cloud-init to finish"
  rc=0
  timeout "$CLOUD_INIT_TIMEOUT_SECONDS" cloud-init status --wait >/dev/null 2>&1 || rc=$?
  case "$rc" in
  0) log "cloud-init finished" ;;
  2) log "cloud-init finished with recoverable errors (exit 2); continuing. Details: cloud-init status --long" ;;
  124)
    die "cloud-init did not finish within ${CLOUD_INIT_TIMEOUT_SECONDS}s; raise CLOUD_INIT_TIMEOUT_SECONDS or look at /var/log/cloud-init-output.log on the host"
    ;;
  *)
    printf '%s\n' "$(cloud-init status --long 2>&1 | head -n 20 || true)" >&2
    die "cloud-init failed (cloud-init status --wait exited $rc); see /var/log/cloud-init.log and /var/log/cloud-init-output.log on the host"
    ;;
  esac
else
  log "cloud-init not installed; nothing to wait for"
fi

# One-line summary: what the sizing checks of the installer will look at.
os="unknown OS"
if [[ -r "$HOST_ROOT/etc/os-release" ]]; then
  os="$(sed -n 's/^PRETTY_NAME=//p' "$HOST_ROOT/etc/os-release" | tr -d '"' | head -n 1)"
fi
mem_kb="$(awk '/^MemTotal:/ {print $2; exit}' "$HOST_ROOT/proc/meminfo" 2>/dev/null || true)"
swap_kb="$(awk '/^SwapTotal:/ {print $2; exit}' "$HOST_ROOT/proc/meminfo" 2>/dev/null || true)"
mem_mb=$((${mem_kb:-0} / 1024))
swap_mb=$((${swap_kb:-0} / 1024))
log "host: ${os:-unknown OS}, arch $(uname -m), bash ${BASH_VERSINFO[0]}.${BASH_VERSINFO[1]}, $(nproc) CPUs, ${mem_mb} MB memory, ${swap_mb} MB swap"
