#!/usr/bin/env bash
# install-sentry.sh: runs self-hosted's ./install.sh unattended, once per
# version and profile.
#
# The installer stops every container and rebuilds and migrates on each run
# (downtime), so it runs only when $SENTRY_STATE_DIR/installed does not hold
# "<SENTRY_VERSION> <SENTRY_PROFILE>" yet. It runs as
#   timeout $INSTALL_TIMEOUT_SECONDS ./install.sh --skip-user-creation \
#     --no-report-self-hosted-issues --apply-automatic-config-updates \
#     --skip-commit-check </dev/null
# (each flag answers one of its questions; stdin is closed so a new question
# fails fast instead of hanging). Its output goes to
# $SENTRY_STATE_DIR/install-<version>.log; on failure or timeout the path and
# the last 60 lines are printed. On success it writes
#   $SENTRY_STATE_DIR/installed          "<version> <profile>"
#   $SENTRY_STATE_DIR/installed-version  "<version>" (read by checkout-self-hosted.sh)
# and after an upgrade prunes dangling images. Start Sentry with start-sentry.sh.
# Before the installer, the containers of services outside the active profiles
# (after a switch from feature-complete to errors-only) are stopped and removed
# (lib.sh's remove_inactive_services), as start-sentry.sh does.
#
# Run by hand as root:
#   SENTRY_DIR=/data/self-hosted SENTRY_VERSION=26.8.0 SENTRY_PROFILE=errors-only \
#   SENTRY_STATE_DIR=/data/sentry-deploy bash install-sentry.sh
#
# Inputs (environment variables):
#   SENTRY_DIR               required. The self-hosted checkout (at SENTRY_VERSION).
#   SENTRY_VERSION           required. Release being installed, e.g. 26.8.0.
#   SENTRY_PROFILE           required. errors-only or feature-complete; must
#                            match COMPOSE_PROFILES in .env.custom (configure-sentry.sh).
#   SENTRY_STATE_DIR         required. Where the markers and logs go.
#   INSTALL_TIMEOUT_SECONDS  default 3600. Limit for install.sh.
#   INSTALL_HEARTBEAT_SECONDS default 60. How often to report that install.sh is still running.
#   SENTRY_IMAGE_MIRRORS     default empty. Registry mirrors as configure-sentry.sh
#                            takes them (REGISTRY=PREFIX ...). The images install.sh
#                            uses without compose (busybox for its requirement checks,
#                            the FROM of jq/Dockerfile, geoipupdate when geoip/GeoIP.conf
#                            exists), read from the checkout, are pulled from the
#                            mirror first and tagged with the name install.sh uses, so
#                            it finds them locally and pulls nothing itself.
#   SENTRY_BUILD_PROXY       default empty. An HTTP(S) proxy, e.g. http://proxy.example.cn:3128,
#                            not on loopback (the builds run on Docker's bridge network),
#                            for the downloads of install.sh's image builds that no mirror
#                            setting reaches (sentry/Dockerfile's pip install from GitHub and
#                            PyPI, cron's and jq's apt-get from Debian): exported to install.sh
#                            as HTTP_PROXY/HTTPS_PROXY (and lower case), which it passes to
#                            every build as build arguments, with NO_PROXY/no_proxy set to
#                            localhost, 127.0.0.1, ::1 and every service of docker-compose.yml
#                            (install.sh also hands them to `compose exec`; the services must
#                            keep reaching each other directly).
#   HOST_ROOT                default empty. For tests only; leave empty.
#                            Prefix for every absolute host path.
set -euo pipefail

readonly SCRIPT=install-sentry
HOST_ROOT="${HOST_ROOT:-}"
SENTRY_DIR="${SENTRY_DIR:-}"
SENTRY_VERSION="${SENTRY_VERSION:-}"
SENTRY_PROFILE="${SENTRY_PROFILE:-}"
SENTRY_STATE_DIR="${SENTRY_STATE_DIR:-}"
INSTALL_TIMEOUT_SECONDS="${INSTALL_TIMEOUT_SECONDS:-3600}"
INSTALL_HEARTBEAT_SECONDS="${INSTALL_HEARTBEAT_SECONDS:-60}"
SENTRY_IMAGE_MIRRORS="${SENTRY_IMAGE_MIRRORS:-}"
SENTRY_BUILD_PROXY="${SENTRY_BUILD_PROXY:-}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

# ---------------------------------------------------------------- validation
require_abs_path SENTRY_DIR "$SENTRY_DIR" /data/self-hosted
require_abs_path SENTRY_STATE_DIR "$SENTRY_STATE_DIR" /data/sentry-deploy
[[ -n "$SENTRY_VERSION" ]] || die "SENTRY_VERSION is required, e.g. 26.8.0"
[[ "$SENTRY_VERSION" =~ $SENTRY_VERSION_RE ]] ||
  die "SENTRY_VERSION='$SENTRY_VERSION' is not a self-hosted release tag like 26.8.0"
case "$SENTRY_PROFILE" in
errors-only | feature-complete) ;;
"") die "SENTRY_PROFILE is required: errors-only or feature-complete" ;;
*) die "SENTRY_PROFILE='$SENTRY_PROFILE' must be errors-only or feature-complete" ;;
esac
require_seconds INSTALL_HEARTBEAT_SECONDS "$INSTALL_HEARTBEAT_SECONDS" 60
require_seconds INSTALL_TIMEOUT_SECONDS "$INSTALL_TIMEOUT_SECONDS" 3600
parse_image_mirrors SENTRY_IMAGE_MIRRORS "$SENTRY_IMAGE_MIRRORS"
if [[ -n "$SENTRY_BUILD_PROXY" && ! "$SENTRY_BUILD_PROXY" =~ ^https?://[A-Za-z0-9.-]+(:[0-9]+)?/?$ ]]; then
  die "SENTRY_BUILD_PROXY='$SENTRY_BUILD_PROXY' must be a proxy URL like http://proxy.example.cn:3128 (no credentials, no path)"
fi
if [[ "$SENTRY_BUILD_PROXY" =~ ^https?://(localhost|127\.[0-9.]+|0\.0\.0\.0)(:[0-9]+)?/?$ ]]; then
  die "SENTRY_BUILD_PROXY='$SENTRY_BUILD_PROXY' is a loopback address: install.sh's image builds run in containers on Docker's bridge network, where it is the container itself; give the proxy's LAN address or, for a proxy on this host, its Docker bridge address (ip -4 addr show docker0), with the proxy listening there"
fi

dir="$HOST_ROOT$SENTRY_DIR"
state="$HOST_ROOT$SENTRY_STATE_DIR"
[[ -x "$dir/install.sh" ]] || die "$SENTRY_DIR/install.sh not found; run checkout-self-hosted.sh first (SENTRY_DIR=$SENTRY_DIR)"
mkdir -p "$state"
chmod 0700 "$state"

wanted="$SENTRY_VERSION $SENTRY_PROFILE"
if [[ -f "$state/installed" && "$(cat "$state/installed")" == "$wanted" ]]; then
  log "Sentry $SENTRY_VERSION ($SENTRY_PROFILE) is already installed; not re-running install.sh (it would stop Sentry and migrate again)"
  exit 0
fi

# The checkout must be the version we record, and .env.custom must carry the
# profile: the installer reads COMPOSE_PROFILES from it.
image_tag="$(sed -n 's/^SENTRY_IMAGE=.*:\([^:]*\)$/\1/p' "$dir/.env" | head -n 1)"
if [[ -n "$image_tag" && "$image_tag" != "$SENTRY_VERSION" ]]; then
  die "$SENTRY_DIR is at $image_tag (SENTRY_IMAGE in .env), not SENTRY_VERSION=$SENTRY_VERSION; run checkout-self-hosted.sh first"
fi
env_profile="$(sed -n 's/^COMPOSE_PROFILES=//p' "$dir/.env.custom" 2>/dev/null | tail -n 1)"
if [[ "$env_profile" != "$SENTRY_PROFILE" ]]; then
  die "$SENTRY_DIR/.env.custom sets COMPOSE_PROFILES='${env_profile}', not SENTRY_PROFILE=$SENTRY_PROFILE; run configure-sentry.sh first"
fi

previous_version=""
if [[ -f "$state/installed-version" ]]; then previous_version="$(tr -d '[:space:]' <"$state/installed-version")"; fi
log_path="$SENTRY_STATE_DIR/install-$SENTRY_VERSION.log" # as the host names it, for messages
logfile="$HOST_ROOT$log_path"
log "running install.sh for $SENTRY_VERSION ($SENTRY_PROFILE${previous_version:+, upgrading from $previous_version}); this takes 20-30 minutes. Log: $log_path"

# Variables that the installer (and compose) would take over .env.custom and
# over its flags if they were set in this environment.
unset_compose_overrides
unset SKIP_USER_PROMPT SKIP_USER_CREATION REPORT_SELF_HOSTED_ISSUES MINIMIZE_DOWNTIME

# After a profile switch the old profile's containers would keep running through the
# installer (its `down` leaves services of inactive profiles alone), on a host that may
# now be sized for the smaller profile.
(cd "$dir" && remove_inactive_services)

# installer_images: the images install.sh runs or builds from without compose, as this
# checkout names them (26.8.0: busybox, debian:bookworm-slim, ghcr.io/maxmind/geoipupdate).
installer_images() {
  if grep -Eqs 'run (--rm|-i --rm) busybox' "$dir"/install/*.sh; then echo busybox; fi
  sed -n -E 's/^FROM[[:space:]]+([^[:space:]$]+)[[:space:]]*$/\1/p' "$dir/jq/Dockerfile" 2>/dev/null || true
  if [[ -f "$dir/geoip/GeoIP.conf" ]]; then
    grep -Eoh '"[a-z0-9.-]+/[a-z0-9/_.-]*geoipupdate:[A-Za-z0-9._-]+"' "$dir/install/geoip.sh" 2>/dev/null | tr -d '"' || true
  fi
}
if ((${#IMAGE_MIRRORS[@]} > 0)); then
  while read -r ref; do
    [[ -n "$ref" ]] || continue
    mirrored="$(mirror_image "$ref")"
    [[ "$mirrored" != "$ref" ]] || continue
    log "pulling $ref from the mirror as $mirrored"
    docker pull -q "$mirrored" >/dev/null || die "could not pull $mirrored (the mirror of $ref); check SENTRY_IMAGE_MIRRORS and that the mirror serves it"
    docker tag "$mirrored" "$ref"
  done < <(installer_images | sort -u)
fi

# The installer's output goes to its log; this line, every INSTALL_HEARTBEAT_SECONDS, is
# what `pulumi up` shows meanwhile.
report_installer() {
  local last
  last="$(tail -n 1 "$logfile" 2>/dev/null | tr -d '\r' | cut -c1-120 || true)"
  log "install.sh still running ($1 s)${last:+; last log line: $last}"
}

# The proxy only for install.sh (and so its image builds), never for this script's own calls.
proxy_env=()
if [[ -n "$SENTRY_BUILD_PROXY" ]]; then
  services="$(awk '/^services:/ { s = 1; next } /^[^[:space:]#]/ { s = 0 } s && /^  [a-z0-9][a-z0-9_.-]*:[[:space:]]*$/ { sub(/:.*/, ""); sub(/^  /, ""); printf ",%s", $0 }' "$dir/docker-compose.yml")"
  no_proxy="localhost,127.0.0.1,::1$services"
  proxy_env=(HTTP_PROXY="$SENTRY_BUILD_PROXY" HTTPS_PROXY="$SENTRY_BUILD_PROXY" http_proxy="$SENTRY_BUILD_PROXY" https_proxy="$SENTRY_BUILD_PROXY"
    NO_PROXY="$no_proxy" no_proxy="$no_proxy")
  log "install.sh's image builds go through the proxy $SENTRY_BUILD_PROXY (not for: $no_proxy)"
fi

start=$SECONDS
rc=0
(
  cd "$dir"
  ((${#proxy_env[@]} == 0)) || export "${proxy_env[@]}"
  exec timeout --kill-after=120 "$INSTALL_TIMEOUT_SECONDS" ./install.sh \
    --skip-user-creation \
    --no-report-self-hosted-issues \
    --apply-automatic-config-updates \
    --skip-commit-check
) </dev/null >"$logfile" 2>&1 &
installer=$!
wait_with_heartbeat "$installer" "$INSTALL_HEARTBEAT_SECONDS" report_installer || rc=$?
elapsed=$((SECONDS - start))

if ((rc != 0)); then
  echo "----- last 60 lines of $log_path -----" >&2
  tail -n 60 "$logfile" >&2 || true
  echo "-----" >&2
  if ((rc == 124 || rc == 137)); then
    die "install.sh did not finish within INSTALL_TIMEOUT_SECONDS=$INSTALL_TIMEOUT_SECONDS; full log: $log_path"
  fi
  die "install.sh failed (exit $rc) after ${elapsed}s; full log: $log_path"
fi

printf '%s\n' "$wanted" >"$state/installed.tmp"
printf '%s\n' "$SENTRY_VERSION" >"$state/installed-version.tmp"
mv -f "$state/installed.tmp" "$state/installed"
mv -f "$state/installed-version.tmp" "$state/installed-version"
log "install.sh finished in ${elapsed}s"

if [[ -n "$previous_version" && "$previous_version" != "$SENTRY_VERSION" ]]; then
  log "upgraded from $previous_version: removing dangling images"
  docker image prune --force --filter dangling=true | tail -n 1 || log "image prune failed; continuing"
fi
