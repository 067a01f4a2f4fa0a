#!/usr/bin/env bash
# stop-for-upgrade.sh: before an upgrade, stops Sentry cleanly so that the data
# volume holds a consistent copy of Postgres, ClickHouse, Kafka and the rest
# for the pre-upgrade snapshot the deploy takes next (on AWS an EBS snapshot
# that Pulumi creates only after this step has finished, and before
# checkout-self-hosted.sh moves the tree to the new version).
#
# What it does depends on $SENTRY_STATE_DIR/installed-version (written by
# install-sentry.sh, on the data volume):
#   absent                 nothing installed yet (a first install): nothing to stop
#   = SENTRY_VERSION       no upgrade (a re-run, a new host on a restored volume): nothing to stop
#   another version        an upgrade: writes $SENTRY_STATE_DIR/maintenance-until
#                          (now + MAINTENANCE_SECONDS, read by heartbeat.sh so the
#                          unhealthy alarm does not fire for the planned downtime),
#                          runs `docker compose stop` in the checkout (each container
#                          gets STOP_TIMEOUT_SECONDS to shut down), checks that no
#                          container of the project still runs, and flushes the
#                          page cache to the volume (sync).
# A second run stops nothing more.
#
# Run by hand as root:
#   SENTRY_DIR=/data/self-hosted SENTRY_STATE_DIR=/data/sentry-deploy SENTRY_VERSION=26.8.0 \
#   bash stop-for-upgrade.sh
#
# Inputs (environment variables):
#   SENTRY_DIR            required. The self-hosted checkout (still at the old version).
#   SENTRY_STATE_DIR      required. Where install-sentry.sh keeps its markers.
#   SENTRY_VERSION        required. The version about to be installed, e.g. 26.8.0.
#   STOP_TIMEOUT_SECONDS  default 120. Grace period per container (docker compose stop -t).
#   MAINTENANCE_SECONDS   default 7200. How long the heartbeat treats Sentry's
#                         downtime as planned (the first healthy answer ends it).
#   HOST_ROOT             default empty. For tests only; leave empty.
#                         Prefix for every absolute host path.
set -euo pipefail

readonly SCRIPT=stop-for-upgrade
HOST_ROOT="${HOST_ROOT:-}"
SENTRY_DIR="${SENTRY_DIR:-}"
SENTRY_STATE_DIR="${SENTRY_STATE_DIR:-}"
SENTRY_VERSION="${SENTRY_VERSION:-}"
STOP_TIMEOUT_SECONDS="${STOP_TIMEOUT_SECONDS:-120}"
MAINTENANCE_SECONDS="${MAINTENANCE_SECONDS:-7200}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

require_abs_path SENTRY_DIR "$SENTRY_DIR" /data/self-hosted
require_abs_path SENTRY_STATE_DIR "$SENTRY_STATE_DIR" /data/sentry-deploy
[[ "$SENTRY_VERSION" =~ $SENTRY_VERSION_RE ]] || die "SENTRY_VERSION='$SENTRY_VERSION' is not a self-hosted release tag like 26.8.0"
require_seconds STOP_TIMEOUT_SECONDS "$STOP_TIMEOUT_SECONDS" 120
require_seconds MAINTENANCE_SECONDS "$MAINTENANCE_SECONDS" 7200

state="$HOST_ROOT$SENTRY_STATE_DIR"
dir="$HOST_ROOT$SENTRY_DIR"
installed=""
if [[ -f "$state/installed-version" ]]; then installed="$(tr -d '[:space:]' <"$state/installed-version")"; fi

if [[ -z "$installed" ]]; then
  log "no Sentry installed on the data volume yet ($SENTRY_STATE_DIR/installed-version absent): a first install, nothing to stop"
  exit 0
fi
if [[ "$installed" == "$SENTRY_VERSION" ]]; then
  log "Sentry $installed is installed and wanted: no upgrade, nothing stopped"
  exit 0
fi
[[ -f "$dir/docker-compose.yml" ]] || die "Sentry $installed is recorded as installed but $SENTRY_DIR has no docker-compose.yml; inspect $SENTRY_STATE_DIR by hand"

printf '%s\n' "$(($(date +%s) + MAINTENANCE_SECONDS))" >"$state/maintenance-until"
log "upgrading Sentry $installed -> $SENTRY_VERSION: stopping it so the data volume is consistent for the pre-upgrade snapshot"
unset_compose_overrides
cd "$dir"
timeout "$((STOP_TIMEOUT_SECONDS + 120))" "${SENTRY_COMPOSE[@]}" stop --timeout "$STOP_TIMEOUT_SECONDS" ||
  die "docker compose stop failed in $SENTRY_DIR; nothing was changed. Start Sentry again with: cd $SENTRY_DIR && ${SENTRY_COMPOSE[*]} up -d"
project="$(compose_project)"
running="$(docker ps --quiet --filter "label=com.docker.compose.project=$project" --filter status=running)"
[[ -z "$running" ]] || die "containers of $project still run after 'docker compose stop': $(tr '\n' ' ' <<<"$running"); the snapshot would not be consistent"
sync
printf '%s\n' "$installed" >"$state/upgrade-from"
log "Sentry $installed stopped cleanly; the data volume is ready for its snapshot"
