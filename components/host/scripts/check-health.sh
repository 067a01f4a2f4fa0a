#!/usr/bin/env bash
# check-health.sh: polls Sentry's health endpoint until it answers HTTP 200
# with the body `ok`. On timeout it fails with the last answer seen and, when
# SENTRY_DIR is set, prints `docker compose ps` and the last web/nginx log lines.
#
# Run by hand:  HEALTH_URL=http://127.0.0.1:9000/_health/ bash check-health.sh
#
# Inputs (environment variables):
#   HEALTH_URL               default http://127.0.0.1:9000/_health/
#   HEALTH_TIMEOUT_SECONDS   default 600. Give up after this long.
#   HEALTH_INTERVAL_SECONDS  default 5. Pause between attempts (fractions allowed).
#   SENTRY_DIR               default empty. The self-hosted checkout, for
#                            diagnostics on failure only.
#   HOST_ROOT                default empty. For tests only; leave empty.
#                            Prefix for every absolute host path.
set -euo pipefail

readonly SCRIPT=check-health
HOST_ROOT="${HOST_ROOT:-}"
HEALTH_URL="${HEALTH_URL:-http://127.0.0.1:9000/_health/}"
HEALTH_TIMEOUT_SECONDS="${HEALTH_TIMEOUT_SECONDS:-600}"
HEALTH_INTERVAL_SECONDS="${HEALTH_INTERVAL_SECONDS:-5}"
SENTRY_DIR="${SENTRY_DIR:-}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

[[ "$HEALTH_URL" =~ ^https?://[^[:space:]/]+(/[^[:space:]]*)?$ ]] ||
  die "HEALTH_URL='$HEALTH_URL' is not an http(s) URL, e.g. http://127.0.0.1:9000/_health/"
require_seconds HEALTH_TIMEOUT_SECONDS "$HEALTH_TIMEOUT_SECONDS" 600
if ! [[ "$HEALTH_INTERVAL_SECONDS" =~ ^[0-9]*\.?[0-9]+$ ]] || [[ "$HEALTH_INTERVAL_SECONDS" =~ ^[0.]+$ ]]; then
  die "HEALTH_INTERVAL_SECONDS='$HEALTH_INTERVAL_SECONDS' is not a positive number of seconds, e.g. 5"
fi
if [[ -n "$SENTRY_DIR" ]] && ! [[ "$SENTRY_DIR" =~ ^(/[A-Za-z0-9._-]+)+$ ]]; then
  die "SENTRY_DIR='$SENTRY_DIR' must be an absolute path, e.g. /data/self-hosted (or empty)"
fi

deadline=$((SECONDS + HEALTH_TIMEOUT_SECONDS))
attempts=0
last=""
while :; do
  attempts=$((attempts + 1))
  rc=0
  response="$(curl --silent --show-error --max-time 10 --output - --write-out '\n%{http_code}' "$HEALTH_URL" 2>&1)" || rc=$?
  code="${response##*$'\n'}"
  body="${response%$'\n'*}"
  body="${body//[[:space:]]/}"
  if ((rc == 0)) && [[ "$code" == 200 && "$body" == ok ]]; then
    log "Sentry is healthy at $HEALTH_URL (attempt $attempts, ${SECONDS}s)"
    exit 0
  fi
  if ((rc != 0)); then
    last="curl exit $rc: $(printf '%s' "$body" | head -c 200)"
  else
    last="HTTP $code, body '$(printf '%s' "$body" | head -c 200)'"
  fi
  ((SECONDS < deadline)) || break
  sleep "$HEALTH_INTERVAL_SECONDS"
done

if [[ -n "$SENTRY_DIR" && -f "$HOST_ROOT$SENTRY_DIR/docker-compose.yml" ]]; then
  (
    cd "$HOST_ROOT$SENTRY_DIR"
    unset_compose_overrides
    compose=("${SENTRY_COMPOSE[@]}")
    # Before configure-sentry.sh has run there is no .env.custom: drop its
    # --env-file (the last two words) and use .env alone.
    [[ -f .env.custom ]] || compose=("${compose[@]:0:${#compose[@]}-2}")
    compose_ps_report "${compose[@]}"
    echo "----- last log lines of web and nginx -----"
    "${compose[@]}" logs --no-color --tail 30 web nginx || true
  ) >&2
fi
die "Sentry did not answer 200 'ok' at $HEALTH_URL within ${HEALTH_TIMEOUT_SECONDS}s ($attempts attempts; last: $last). Check the containers: docker compose --env-file .env --env-file .env.custom ps"
