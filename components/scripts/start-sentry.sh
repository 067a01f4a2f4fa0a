#!/usr/bin/env bash
# start-sentry.sh: starts (or keeps running) the self-hosted compose stack and
# waits until every service is running/healthy.
#
# Always runs `docker compose --env-file .env --env-file .env.custom ...`:
# plain `docker compose up` reads only .env and would silently undo the
# overrides in .env.custom (e.g. switch errors-only back to feature-complete).
#
# The configuration files are bind-mounted into the containers, so compose
# does not notice when they change. This script keeps a checksum of
#   .env.custom sentry/config.yml sentry/sentry.conf.py
#   docker-compose.override.yml $SENTRY_STATE_DIR/installed
# and when it differs from the one saved after the last successful start it
# runs `up --force-recreate`; otherwise a plain `up` (a no-op when all runs).
# The checksum is saved in $SENTRY_STATE_DIR/started-config.sha256 after success.
#
# Run by hand as root:
#   SENTRY_DIR=/data/self-hosted SENTRY_STATE_DIR=/data/sentry-deploy bash start-sentry.sh
#
# Inputs (environment variables):
#   SENTRY_DIR                    required. The self-hosted checkout.
#   SENTRY_STATE_DIR              required. Holds the installed marker and the stamp.
#   COMPOSE_WAIT_TIMEOUT_SECONDS  default 1200. --wait-timeout for `up`
#                                 (web alone may take minutes to turn healthy).
#   HOST_ROOT                     default empty. For tests only; leave empty.
#                                 Prefix for every absolute host path.
set -euo pipefail

readonly SCRIPT=start-sentry
HOST_ROOT="${HOST_ROOT:-}"
SENTRY_DIR="${SENTRY_DIR:-}"
SENTRY_STATE_DIR="${SENTRY_STATE_DIR:-}"
COMPOSE_WAIT_TIMEOUT_SECONDS="${COMPOSE_WAIT_TIMEOUT_SECONDS:-1200}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

require_abs_path SENTRY_DIR "$SENTRY_DIR" /data/self-hosted
require_abs_path SENTRY_STATE_DIR "$SENTRY_STATE_DIR" /data/sentry-deploy
require_seconds COMPOSE_WAIT_TIMEOUT_SECONDS "$COMPOSE_WAIT_TIMEOUT_SECONDS" 1200

dir="$HOST_ROOT$SENTRY_DIR"
state="$HOST_ROOT$SENTRY_STATE_DIR"
[[ -f "$dir/docker-compose.yml" ]] || die "$SENTRY_DIR is not a self-hosted checkout (no docker-compose.yml); check SENTRY_DIR"
[[ -f "$dir/.env.custom" ]] || die "$SENTRY_DIR/.env.custom is missing; run configure-sentry.sh first"
[[ -f "$state/installed" ]] || die "$SENTRY_STATE_DIR/installed is missing: Sentry was never installed here; run install-sentry.sh first"
cd "$dir"

unset_compose_overrides

stamp_file="$state/started-config.sha256"
checksum="$(
  for f in .env.custom sentry/config.yml sentry/sentry.conf.py docker-compose.override.yml "$state/installed"; do
    if [[ -f "$f" ]]; then
      printf '%s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "${f##*/}"
    else
      printf 'absent %s\n' "${f##*/}"
    fi
  done | sha256sum | cut -d' ' -f1
)"
previous="$(cat "$stamp_file" 2>/dev/null || true)"

up_args=(up --detach --remove-orphans --wait --wait-timeout "$COMPOSE_WAIT_TIMEOUT_SECONDS")
if [[ "$checksum" != "$previous" ]]; then
  log "configuration or installation changed since the last start: recreating containers"
  up_args+=(--force-recreate)
else
  log "configuration unchanged: making sure every service runs"
fi

# Compose's output goes to start.log; waiting for health can take many minutes, so
# `pulumi up` shows this line once a minute meanwhile.
report_compose() { log "still waiting for services to turn healthy ($1 s of at most ${COMPOSE_WAIT_TIMEOUT_SECONDS} s)"; }

start=$SECONDS
rc=0
timeout --kill-after=60 "$((COMPOSE_WAIT_TIMEOUT_SECONDS + 600))" \
  "${SENTRY_COMPOSE[@]}" "${up_args[@]}" >"$state/start.log" 2>&1 </dev/null &
compose=$!
wait_with_heartbeat "$compose" 60 report_compose || rc=$?
if ((rc != 0)); then
  tail -n 20 "$state/start.log" >&2 || true
  compose_ps_report "${SENTRY_COMPOSE[@]}" >&2
  die "docker compose up failed (exit $rc) after $((SECONDS - start))s; full output in $SENTRY_STATE_DIR/start.log. Inspect with: cd $SENTRY_DIR && docker compose --env-file .env --env-file .env.custom logs <service>"
fi

printf '%s\n' "$checksum" >"$stamp_file.tmp"
mv -f "$stamp_file.tmp" "$stamp_file"
log "all services up after $((SECONDS - start))s ($(sed -n 's/^COMPOSE_PROFILES=//p' .env.custom | tail -n 1))"
