#!/usr/bin/env bash
# install-docker.sh: installs Docker Engine and the Compose v2 plugin from
# Docker's apt repository (Ubuntu/Debian) and configures the daemon.
#
# /etc/docker/daemon.json is written BEFORE Docker is first installed, so the
# first daemon start already uses DOCKER_DATA_ROOT (the data volume) and no
# image, container or volume ever lands on the root disk. It also sets the
# `local` log driver with size caps and Docker's default address pools (the
# built-in 172.17-172.31 pools collide with AWS default VPCs, 172.31.0.0/16).
# The file is owned by this script: other keys in it are replaced (the old
# file is kept once as daemon.json.before-install-docker).
#
# Packages are installed only when docker or compose are missing or older than
# the minimums; Docker is restarted only when daemon.json changed while it was
# running. A second run changes nothing.
#
# Run by hand as root:  DOCKER_DATA_ROOT=/data/docker bash install-docker.sh
#
# Inputs (environment variables):
#   DOCKER_DATA_ROOT           required, e.g. /data/docker. Docker's data-root;
#                              its parent must exist (run prepare-data.sh first).
#   DOCKER_ADDRESS_POOL_BASE   default 10.250.0.0/16. CIDR Docker carves
#                              networks from; must not overlap your VPC.
#   DOCKER_ADDRESS_POOL_SIZE   default 24. Prefix length of each network.
#   DOCKER_LOG_MAX_SIZE        default 20m. Per-container log file size cap.
#   DOCKER_LOG_MAX_FILE        default 5. Log files kept per container.
#   MIN_DOCKER_VERSION         default 19.03.6 (self-hosted's minimum).
#   MIN_COMPOSE_VERSION        default 2.32.2 (self-hosted's minimum; the
#                              standalone v1 `docker-compose` does not count).
#   DOCKER_APT_REPO_URL        default https://download.docker.com/linux.
#                              Base URL of Docker's apt repository (a mirror).
#   DOCKER_START_WAIT_SECONDS  default 60. How long to wait for the daemon.
#   HOST_ROOT                  default empty. For tests only; leave empty.
#                              Prefix for every absolute host path.
set -euo pipefail

readonly SCRIPT=install-docker
HOST_ROOT="${HOST_ROOT:-}"
DOCKER_DATA_ROOT="${DOCKER_DATA_ROOT:-}"
DOCKER_ADDRESS_POOL_BASE="${DOCKER_ADDRESS_POOL_BASE:-10.250.0.0/16}"
DOCKER_ADDRESS_POOL_SIZE="${DOCKER_ADDRESS_POOL_SIZE:-24}"
DOCKER_LOG_MAX_SIZE="${DOCKER_LOG_MAX_SIZE:-20m}"
DOCKER_LOG_MAX_FILE="${DOCKER_LOG_MAX_FILE:-5}"
MIN_DOCKER_VERSION="${MIN_DOCKER_VERSION:-19.03.6}"
MIN_COMPOSE_VERSION="${MIN_COMPOSE_VERSION:-2.32.2}"
DOCKER_APT_REPO_URL="${DOCKER_APT_REPO_URL:-https://download.docker.com/linux}"
DOCKER_START_WAIT_SECONDS="${DOCKER_START_WAIT_SECONDS:-60}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

# ---------------------------------------------------------------- validation
require_abs_path DOCKER_DATA_ROOT "$DOCKER_DATA_ROOT" /data/docker
if ! [[ "$DOCKER_ADDRESS_POOL_BASE" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})/([0-9]{1,2})$ ]] ||
  ((10#${BASH_REMATCH[1]} > 255 || 10#${BASH_REMATCH[2]} > 255 || 10#${BASH_REMATCH[3]} > 255 ||
    10#${BASH_REMATCH[4]} > 255 || 10#${BASH_REMATCH[5]} < 8 || 10#${BASH_REMATCH[5]} > 28)); then
  die "DOCKER_ADDRESS_POOL_BASE='$DOCKER_ADDRESS_POOL_BASE' is not an IPv4 CIDR with a /8../28 prefix, e.g. 10.250.0.0/16"
fi
pool_prefix="$((10#${DOCKER_ADDRESS_POOL_BASE##*/}))"
if ! [[ "$DOCKER_ADDRESS_POOL_SIZE" =~ ^[1-9][0-9]?$ ]] || ((DOCKER_ADDRESS_POOL_SIZE < pool_prefix || DOCKER_ADDRESS_POOL_SIZE > 29)); then
  die "DOCKER_ADDRESS_POOL_SIZE='$DOCKER_ADDRESS_POOL_SIZE' must be a prefix length between $pool_prefix (the pool's own) and 29, e.g. 24"
fi
[[ "$DOCKER_LOG_MAX_SIZE" =~ ^[1-9][0-9]*[kmg]$ ]] ||
  die "DOCKER_LOG_MAX_SIZE='$DOCKER_LOG_MAX_SIZE' must be a size like 20m (units k, m or g)"
[[ "$DOCKER_LOG_MAX_FILE" =~ ^[1-9][0-9]*$ ]] ||
  die "DOCKER_LOG_MAX_FILE='$DOCKER_LOG_MAX_FILE' must be a positive whole number, e.g. 5"
[[ "$MIN_DOCKER_VERSION" =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "MIN_DOCKER_VERSION='$MIN_DOCKER_VERSION' is not a version like 19.03.6"
[[ "$MIN_COMPOSE_VERSION" =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "MIN_COMPOSE_VERSION='$MIN_COMPOSE_VERSION' is not a version like 2.32.2"
[[ "$DOCKER_APT_REPO_URL" =~ ^https?://[^[:space:]\"\']+[^/]$ ]] ||
  die "DOCKER_APT_REPO_URL='$DOCKER_APT_REPO_URL' must be an http(s) URL without a trailing slash, e.g. https://download.docker.com/linux"
[[ "$DOCKER_START_WAIT_SECONDS" =~ ^[0-9]+$ ]] || die "DOCKER_START_WAIT_SECONDS='$DOCKER_START_WAIT_SECONDS' is not a whole number of seconds"
if [[ -z "$HOST_ROOT" && "$EUID" -ne 0 ]]; then
  die "must run as root (it installs packages and writes /etc/docker); use sudo"
fi
data_root_parent="$(dirname "$DOCKER_DATA_ROOT")"
[[ -d "$HOST_ROOT$data_root_parent" ]] ||
  die "$data_root_parent (parent of DOCKER_DATA_ROOT) does not exist; run prepare-data.sh first so Docker's data lands on the data volume"

readonly DAEMON_JSON="$HOST_ROOT/etc/docker/daemon.json"
readonly APT_LOG="$HOST_ROOT/var/log/sentry-install-docker.log"

# ------------------------------------------------------------------- helpers
client_version() { docker version --format '{{.Client.Version}}' 2>/dev/null || true; }
server_version() { docker version --format '{{.Server.Version}}' 2>/dev/null || true; }
compose_version() { docker compose version --short 2>/dev/null || true; }
os_release_get() { sed -n "s/^$1=//p" "$HOST_ROOT/etc/os-release" 2>/dev/null | tr -d "\"'" | head -n 1; }

apt_get() {
  if ! DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600 "$@" >>"$APT_LOG" 2>&1; then
    tail -n 30 "$APT_LOG" >&2 || true
    die "apt-get $* failed; full log in /var/log/sentry-install-docker.log"
  fi
}

install_docker_packages() {
  local os_id codename arch keyring list line
  os_id="$(os_release_get ID)"
  codename="$(os_release_get VERSION_CODENAME)"
  [[ -n "$codename" ]] || codename="$(os_release_get UBUNTU_CODENAME)"
  case "$os_id" in
  ubuntu | debian) ;;
  *) die "this script installs Docker on Ubuntu or Debian only (found ID='${os_id:-unknown}'); install Docker >= $MIN_DOCKER_VERSION and Compose >= $MIN_COMPOSE_VERSION yourself and re-run" ;;
  esac
  [[ -n "$codename" ]] || die "no VERSION_CODENAME in /etc/os-release; cannot pick Docker's apt suite"
  arch="$(dpkg --print-architecture)"
  mkdir -p "$(dirname "$APT_LOG")"

  if ! command -v curl >/dev/null 2>&1; then
    apt_get update
    apt_get install ca-certificates curl
  fi
  keyring="$HOST_ROOT/etc/apt/keyrings/docker.asc"
  if [[ ! -s "$keyring" ]]; then
    install -d -m 0755 "$(dirname "$keyring")"
    curl -fsSL --retry 5 "$DOCKER_APT_REPO_URL/$os_id/gpg" -o "$keyring.partial" ||
      die "could not download Docker's apt key from $DOCKER_APT_REPO_URL/$os_id/gpg; check outbound internet or set DOCKER_APT_REPO_URL to a mirror"
    chmod 0644 "$keyring.partial"
    mv -f "$keyring.partial" "$keyring"
  fi
  list="$HOST_ROOT/etc/apt/sources.list.d/docker.list"
  line="deb [arch=$arch signed-by=/etc/apt/keyrings/docker.asc] $DOCKER_APT_REPO_URL/$os_id $codename stable"
  if [[ "$(cat "$list" 2>/dev/null || true)" != "$line" ]]; then
    mkdir -p "$(dirname "$list")"
    printf '%s\n' "$line" >"$list"
  fi
  log "installing docker-ce and docker-compose-plugin from Docker's apt repository ($os_id $codename, $arch)"
  apt_get update
  apt_get install docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
}

# --------------------------------------------------------------- daemon.json
was_active=0
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker; then
  was_active=1
fi

daemon_json_changed=0
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
cat >"$tmp" <<EOF
{
  "data-root": "$DOCKER_DATA_ROOT",
  "log-driver": "local",
  "log-opts": {
    "max-size": "$DOCKER_LOG_MAX_SIZE",
    "max-file": "$DOCKER_LOG_MAX_FILE"
  },
  "default-address-pools": [
    {
      "base": "$DOCKER_ADDRESS_POOL_BASE",
      "size": $DOCKER_ADDRESS_POOL_SIZE
    }
  ]
}
EOF
if ! cmp -s "$tmp" "$DAEMON_JSON"; then
  mkdir -p "$(dirname "$DAEMON_JSON")"
  if [[ -e "$DAEMON_JSON" && ! -e "$DAEMON_JSON.before-$SCRIPT" ]]; then
    cp -p "$DAEMON_JSON" "$DAEMON_JSON.before-$SCRIPT"
  fi
  install -m 0644 "$tmp" "$DAEMON_JSON"
  daemon_json_changed=1
  log "wrote /etc/docker/daemon.json (data-root $DOCKER_DATA_ROOT, local logs $DOCKER_LOG_MAX_SIZE x $DOCKER_LOG_MAX_FILE, address pools $DOCKER_ADDRESS_POOL_BASE split into /$DOCKER_ADDRESS_POOL_SIZE)"
fi

# ------------------------------------------------------------------ packages
client="$(client_version)"
compose="$(compose_version)"
if [[ -z "$client" ]] || version_lt "$client" "$MIN_DOCKER_VERSION" ||
  [[ -z "$compose" ]] || version_lt "$compose" "$MIN_COMPOSE_VERSION"; then
  log "docker ${client:-missing}, compose ${compose:-missing}: need docker >= $MIN_DOCKER_VERSION and compose >= $MIN_COMPOSE_VERSION"
  install_docker_packages
else
  log "docker $client and compose $compose already installed"
fi

# ------------------------------------------------------------------- service
if command -v systemctl >/dev/null 2>&1; then
  systemctl is-enabled --quiet docker || systemctl enable --quiet docker
  if ! systemctl is-active --quiet docker; then
    log "starting docker"
    systemctl start docker
  elif ((daemon_json_changed && was_active)); then
    log "restarting docker to apply the new daemon.json"
    systemctl restart docker
  fi
fi

server=""
deadline=$((SECONDS + DOCKER_START_WAIT_SECONDS))
while :; do
  server="$(server_version)"
  [[ -n "$server" ]] && break
  ((SECONDS < deadline)) || break
  sleep 1
done
[[ -n "$server" ]] ||
  die "the Docker daemon does not answer (docker version shows no server); check 'systemctl status docker' and 'journalctl -u docker'"
if version_lt "$server" "$MIN_DOCKER_VERSION"; then
  die "Docker Engine $server is older than MIN_DOCKER_VERSION=$MIN_DOCKER_VERSION; upgrade docker-ce from Docker's apt repository"
fi

compose="$(compose_version)"
if [[ -z "$compose" ]]; then
  hint=""
  command -v docker-compose >/dev/null 2>&1 && hint=" (the standalone docker-compose found on PATH does not count)"
  die "the Docker Compose v2 plugin ('docker compose') is not installed$hint; install docker-compose-plugin from Docker's apt repository"
fi
if version_lt "$compose" "$MIN_COMPOSE_VERSION"; then
  die "Docker Compose $compose is older than MIN_COMPOSE_VERSION=$MIN_COMPOSE_VERSION; install docker-compose-plugin from Docker's apt repository"
fi

root_dir="$(docker info --format '{{.DockerRootDir}}' 2>/dev/null || true)"
if [[ "$root_dir" != "$DOCKER_DATA_ROOT" ]]; then
  die "Docker uses data root '${root_dir:-unknown}', not DOCKER_DATA_ROOT=$DOCKER_DATA_ROOT; check /etc/docker/daemon.json and dockerd flags, then 'systemctl restart docker'"
fi
log "Docker Engine $server, Compose $compose, data root $DOCKER_DATA_ROOT"
