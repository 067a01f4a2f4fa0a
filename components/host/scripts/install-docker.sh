#!/usr/bin/env bash
# install-docker.sh: installs Docker Engine and the Compose v2 plugin from
# Docker's apt repository (Ubuntu/Debian) and configures the daemon, containerd
# and their systemd units so that every byte they store lands on the data
# volume, and neither runs without it.
#
# Where images live. Docker Engine up to 28 keeps images in its graph driver
# (overlay2) under data-root; fresh installs of Docker 29 use the containerd
# image store instead, whose content and snapshots live under containerd's own
# root (default /var/lib/containerd, on the root disk): docker-ce's unit runs
# dockerd with --containerd=/run/containerd/containerd.sock, the system
# containerd, which `data-root` does not move. This script moves both:
#   /etc/docker/daemon.json          data-root = DOCKER_DATA_ROOT
#   /etc/containerd/config.toml      root = CONTAINERD_ROOT
# and leaves the image store at Docker's default for its version. Turning the
# containerd store off ("features": {"containerd-snapshotter": false}) would
# cover images only while graph drivers last, and containerd would still keep
# its metadata and any content it pulls on the root disk; moving containerd's
# root covers both stores. Both files are written BEFORE the packages are
# installed (dpkg keeps our config.toml: --force-confold), so the first start
# of either daemon already uses the data volume.
# daemon.json also sets the `local` log driver with size caps and Docker's
# default address pools (the built-in 172.17-172.31 pools collide with AWS
# default VPCs, 172.31.0.0/16). Both files are owned by this script: other
# keys in them are replaced (the old file is kept once as
# <file>.before-install-docker).
#
# Reboots. The data volume is mounted with `nofail`, which gives no ordering: a
# Docker started before the mount would create an empty data root on the root
# disk and start Sentry's containers there with no data. Systemd drop-ins,
# written before Docker is first installed, bind both daemons to the mount:
#   /etc/systemd/system/docker.service.d/sentry-data-mount.conf
#   /etc/systemd/system/containerd.service.d/sentry-data-mount.conf
# each `[Unit] RequiresMountsFor=DOCKER_DATA_ROOT CONTAINERD_ROOT`: systemd
# orders the daemon after every mount on those paths and fails its start when
# a mount fails (a missing device fails after its device timeout, 90 s by
# default) instead of running without it. docker.socket gets none: the socket
# holds no data, and a connection to it starts docker.service, which then
# waits for the mount like any other start.
#
# The final check asks the running daemon which image store it uses (`docker
# info` Driver/DriverStatus) and requires DockerRootDir = DOCKER_DATA_ROOT and
# containerd's root = CONTAINERD_ROOT, both on the filesystem of
# DOCKER_DATA_ROOT's parent (the data volume).
#
# Packages are installed only when docker or compose are missing or older than
# the minimums; the daemons are restarted only when their configuration changed
# while they were running. On a host where containerd already ran with another
# root, Docker is stopped, containerd's content is copied to CONTAINERD_ROOT
# (the old copy is left for you to remove) and both are started again. A second
# run changes nothing.
#
# Run by hand as root:  DOCKER_DATA_ROOT=/data/docker bash install-docker.sh
#
# Inputs (environment variables):
#   DOCKER_DATA_ROOT           required, e.g. /data/docker. Docker's data-root;
#                              its parent must exist (run prepare-data.sh first).
#   CONTAINERD_ROOT            default <parent of DOCKER_DATA_ROOT>/containerd,
#                              e.g. /data/containerd. containerd's root; its
#                              parent must be the same data volume.
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
#   DOCKER_APT_KEY_URL         default $DOCKER_APT_REPO_URL/<ubuntu|debian>/gpg.
#                              URL of the repository's GPG key (a mirror may
#                              serve it elsewhere).
#   UBUNTU_APT_MIRROR          default empty (the host's sources unchanged). Base
#                              URL of an Ubuntu archive mirror, e.g.
#                              https://mirrors.tuna.tsinghua.edu.cn/ubuntu: every
#                              archive.ubuntu.com, <region>.ec2.archive.ubuntu.com,
#                              security.ubuntu.com and ports.ubuntu.com URI in
#                              /etc/apt/sources.list and sources.list.d/*.sources|list
#                              is pointed at it before apt runs (the old file is
#                              kept once as <file>.before-install-docker).
#   DOCKER_REGISTRY_MIRRORS    default empty. Space-separated Docker Hub mirror
#                              URLs for daemon.json's "registry-mirrors" (Docker
#                              uses them for Docker Hub images only).
#   DOCKER_START_WAIT_SECONDS  default 60. How long to wait for the daemon.
#   HOST_ROOT                  default empty. For tests only; leave empty.
#                              Prefix for every absolute host path.
set -euo pipefail

readonly SCRIPT=install-docker
HOST_ROOT="${HOST_ROOT:-}"
DOCKER_DATA_ROOT="${DOCKER_DATA_ROOT:-}"
CONTAINERD_ROOT="${CONTAINERD_ROOT:-}"
DOCKER_ADDRESS_POOL_BASE="${DOCKER_ADDRESS_POOL_BASE:-10.250.0.0/16}"
DOCKER_ADDRESS_POOL_SIZE="${DOCKER_ADDRESS_POOL_SIZE:-24}"
DOCKER_LOG_MAX_SIZE="${DOCKER_LOG_MAX_SIZE:-20m}"
DOCKER_LOG_MAX_FILE="${DOCKER_LOG_MAX_FILE:-5}"
MIN_DOCKER_VERSION="${MIN_DOCKER_VERSION:-19.03.6}"
MIN_COMPOSE_VERSION="${MIN_COMPOSE_VERSION:-2.32.2}"
DOCKER_APT_REPO_URL="${DOCKER_APT_REPO_URL:-https://download.docker.com/linux}"
DOCKER_APT_KEY_URL="${DOCKER_APT_KEY_URL:-}"
UBUNTU_APT_MIRROR="${UBUNTU_APT_MIRROR:-}"
DOCKER_REGISTRY_MIRRORS="${DOCKER_REGISTRY_MIRRORS:-}"
DOCKER_START_WAIT_SECONDS="${DOCKER_START_WAIT_SECONDS:-60}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

# ---------------------------------------------------------------- validation
require_abs_path DOCKER_DATA_ROOT "$DOCKER_DATA_ROOT" /data/docker
data_root_parent="$(dirname "$DOCKER_DATA_ROOT")"
[[ -n "$CONTAINERD_ROOT" ]] || CONTAINERD_ROOT="${data_root_parent%/}/containerd"
require_abs_path CONTAINERD_ROOT "$CONTAINERD_ROOT" /data/containerd
[[ "$CONTAINERD_ROOT" != "$DOCKER_DATA_ROOT" && "$CONTAINERD_ROOT" != "$DOCKER_DATA_ROOT"/* && "$DOCKER_DATA_ROOT" != "$CONTAINERD_ROOT"/* ]] ||
  die "CONTAINERD_ROOT='$CONTAINERD_ROOT' must be a directory of its own, neither DOCKER_DATA_ROOT=$DOCKER_DATA_ROOT nor inside it, e.g. ${data_root_parent%/}/containerd"
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
readonly URL_RE='^https?://[^[:space:]"'"'"'\\]+[^/]$'
if [[ -n "$DOCKER_APT_KEY_URL" && ! "$DOCKER_APT_KEY_URL" =~ $URL_RE ]]; then
  die "DOCKER_APT_KEY_URL='$DOCKER_APT_KEY_URL' must be an http(s) URL, e.g. https://mirrors.example.cn/docker-ce/linux/ubuntu/gpg"
fi
if [[ -n "$UBUNTU_APT_MIRROR" && ! "$UBUNTU_APT_MIRROR" =~ $URL_RE ]]; then
  die "UBUNTU_APT_MIRROR='$UBUNTU_APT_MIRROR' must be an http(s) URL without a trailing slash, e.g. https://mirrors.tuna.tsinghua.edu.cn/ubuntu"
fi
read -r -a registry_mirrors <<<"$DOCKER_REGISTRY_MIRRORS"
for m in "${registry_mirrors[@]}"; do
  [[ "$m" =~ $URL_RE ]] || die "DOCKER_REGISTRY_MIRRORS contains '$m', not an http(s) URL without a trailing slash, e.g. https://hub-mirror.example.cn"
done
[[ "$DOCKER_START_WAIT_SECONDS" =~ ^[0-9]+$ ]] || die "DOCKER_START_WAIT_SECONDS='$DOCKER_START_WAIT_SECONDS' is not a whole number of seconds"
if [[ -z "$HOST_ROOT" && "$EUID" -ne 0 ]]; then
  die "must run as root (it installs packages and writes /etc/docker); use sudo"
fi
[[ -d "$HOST_ROOT$data_root_parent" ]] ||
  die "$data_root_parent (parent of DOCKER_DATA_ROOT) does not exist; run prepare-data.sh first so Docker's data lands on the data volume"

readonly DAEMON_JSON="$HOST_ROOT/etc/docker/daemon.json"
readonly CONTAINERD_TOML="$HOST_ROOT/etc/containerd/config.toml"
readonly UNIT_DIR="$HOST_ROOT/etc/systemd/system"
readonly DROP_IN=sentry-data-mount.conf
readonly APT_LOG="$HOST_ROOT/var/log/sentry-install-docker.log"

# ------------------------------------------------------------------- helpers
client_version() { docker version --format '{{.Client.Version}}' 2>/dev/null || true; }
server_version() { docker version --format '{{.Server.Version}}' 2>/dev/null || true; }
compose_version() { docker compose version --short 2>/dev/null || true; }
os_release_get() { sed -n "s/^$1=//p" "$HOST_ROOT/etc/os-release" 2>/dev/null | tr -d "\"'" | head -n 1; }

apt_get() {
  if ! DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600 \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >>"$APT_LOG" 2>&1; then
    tail -n 30 "$APT_LOG" >&2 || true
    die "apt-get $* failed; full log in /var/log/sentry-install-docker.log"
  fi
}

install_docker_packages() {
  local os_id codename arch keyring list line key_url
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
    key_url="${DOCKER_APT_KEY_URL:-$DOCKER_APT_REPO_URL/$os_id/gpg}"
    curl -fsSL --retry 5 "$key_url" -o "$keyring.partial" ||
      die "could not download Docker's apt key from $key_url; check outbound internet or set DOCKER_APT_REPO_URL (and DOCKER_APT_KEY_URL) to a mirror"
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

# write_owned NEW TARGET: installs NEW as TARGET (mode 0644) when it differs,
# keeping the file found there first as TARGET.before-install-docker; returns 1
# when nothing changed.
write_owned() {
  local new="$1" target="$2"
  cmp -s "$new" "$target" && return 1
  mkdir -p "$(dirname "$target")"
  if [[ -e "$target" && ! -e "$target.before-$SCRIPT" ]]; then
    cp -p "$target" "$target.before-$SCRIPT"
  fi
  install -m 0644 "$new" "$target"
  log "wrote ${target#"$HOST_ROOT"}"
}

# fs_of PATH: the device number of the filesystem holding PATH, or of its
# nearest existing parent (a daemon creates its root on first use).
fs_of() {
  local p="$1"
  while [[ ! -e "$HOST_ROOT$p" && "$p" != / ]]; do p="$(dirname "$p")"; done
  stat -L -c %d "$HOST_ROOT$p"
}

unit_active() { command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$1"; }

# containerd_root: the root containerd's configuration gives (containerd 1.7 prints
# root = "...", 2.x root = '...'); empty without containerd.
containerd_root() {
  command -v containerd >/dev/null 2>&1 || return 0
  containerd config dump 2>/dev/null | sed -n -E "s/^root = [\"']([^\"']*)[\"']\$/\1/p" | head -n 1
}

# ------------------------------------------------------ Ubuntu's apt mirror
# Rewrites the archive URIs of the host's own sources (cloud-init writes
# <region>.ec2.archive.ubuntu.com on EC2), so every apt-get below (and later ones)
# fetches from the mirror.
if [[ -n "$UBUNTU_APT_MIRROR" ]]; then
  for f in "$HOST_ROOT/etc/apt/sources.list" "$HOST_ROOT"/etc/apt/sources.list.d/*.sources "$HOST_ROOT"/etc/apt/sources.list.d/*.list; do
    [[ -f "$f" && "$f" != */docker.list ]] || continue
    sed -E "s#https?://([a-z0-9-]+\.)*(archive|security)\.ubuntu\.com/ubuntu/?([[:space:]]|\$)#$UBUNTU_APT_MIRROR\3#g; s#https?://ports\.ubuntu\.com/ubuntu-ports/?([[:space:]]|\$)#$UBUNTU_APT_MIRROR\1#g" "$f" >"$f.mirror"
    if cmp -s "$f" "$f.mirror"; then
      rm -f "$f.mirror"
      continue
    fi
    [[ -e "$f.before-$SCRIPT" ]] || cp -p "$f" "$f.before-$SCRIPT"
    chmod --reference="$f" "$f.mirror"
    mv -f "$f.mirror" "$f"
    log "apt sources ${f#"$HOST_ROOT"} now use the Ubuntu mirror $UBUNTU_APT_MIRROR"
  done
fi

# ------------------------------------------- daemon.json, containerd, units
docker_was_active=0 containerd_was_active=0
unit_active docker && docker_was_active=1
unit_active containerd && containerd_was_active=1
previous_containerd_root="$(containerd_root)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
registry_mirrors_json=""
if ((${#registry_mirrors[@]} > 0)); then
  registry_mirrors_json="$(printf '"%s", ' "${registry_mirrors[@]}")"
  registry_mirrors_json="
  \"registry-mirrors\": [${registry_mirrors_json%, }],"
fi
cat >"$work/daemon.json" <<EOF
{
  "data-root": "$DOCKER_DATA_ROOT",$registry_mirrors_json
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
daemon_json_changed=0
if write_owned "$work/daemon.json" "$DAEMON_JSON"; then
  daemon_json_changed=1
  log "daemon.json: data-root $DOCKER_DATA_ROOT, local logs $DOCKER_LOG_MAX_SIZE x $DOCKER_LOG_MAX_FILE, address pools $DOCKER_ADDRESS_POOL_BASE split into /$DOCKER_ADDRESS_POOL_SIZE"
fi

# Version 2 is read by containerd 1.7 and 2.x alike (2.x migrates it); CRI is
# off as in the config.toml that Docker's containerd.io package ships (Docker
# does not use it), by its full plugin id: 2.x refuses the short "cri" in a
# version 2 file.
cat >"$work/config.toml" <<EOF
# Managed by install-docker.sh; edits are overwritten.
# containerd's root holds Docker's images and layers when Docker uses the
# containerd image store (the default of fresh Docker 29 installs): it is on
# the data volume, like Docker's data-root.
version = 2
root = "$CONTAINERD_ROOT"
state = "/run/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
EOF
containerd_changed=0
write_owned "$work/config.toml" "$CONTAINERD_TOML" && containerd_changed=1

units_changed=0
for unit in docker containerd; do
  cat >"$work/$unit.conf" <<EOF
# Managed by install-docker.sh; edits are overwritten.
# The data volume is mounted with nofail, which orders nothing: without this,
# $unit could start before it after a reboot, fill an empty directory on the
# root disk and run Sentry without its data. Start only after the mounts
# holding these paths, and fail (not run on the root disk) when one fails.
[Unit]
RequiresMountsFor=$DOCKER_DATA_ROOT $CONTAINERD_ROOT
EOF
  write_owned "$work/$unit.conf" "$UNIT_DIR/$unit.service.d/$DROP_IN" && units_changed=1
done
if ((units_changed)) && command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload
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
  if ((containerd_changed && containerd_was_active)); then
    # Docker stops its containers through containerd: stop it first, while
    # containerd still knows them. Content already under the old root (images of
    # the containerd image store, which a build on this host made and no
    # registry has) is copied over, so Docker finds it again; the old copy stays
    # for you to remove.
    if systemctl is-active --quiet docker; then
      log "stopping docker to move containerd's root"
      systemctl stop docker
    fi
    systemctl stop containerd
    old_root="$HOST_ROOT$previous_containerd_root"
    new_root="$HOST_ROOT$CONTAINERD_ROOT"
    if [[ -n "$previous_containerd_root" && "$previous_containerd_root" != "$CONTAINERD_ROOT" && -d "$old_root" ]] &&
      [[ -n "$(find "$old_root" -mindepth 1 -maxdepth 1 -print -quit)" ]] &&
      [[ -z "$(find "$new_root" -mindepth 1 -maxdepth 1 -print -quit 2>/dev/null)" ]]; then
      log "copying containerd's content ($(du -sm "$old_root" | cut -f1) MB) from $previous_containerd_root to $CONTAINERD_ROOT; remove $previous_containerd_root once Sentry runs"
      mkdir -p "$new_root"
      chmod 0711 "$new_root"
      cp -a "$old_root/." "$new_root/"
    fi
    log "starting containerd with the new config.toml (root $CONTAINERD_ROOT)"
    systemctl start containerd
  fi
  if ! systemctl is-active --quiet docker; then
    log "starting docker"
    systemctl start docker
  elif (((daemon_json_changed || containerd_changed) && docker_was_active)); then
    log "restarting docker to apply the new configuration"
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

# ------------------------------------------------- where images really are
info="$(docker info --format '{{.DockerRootDir}}|{{.Driver}}|{{json .DriverStatus}}' 2>/dev/null || true)"
IFS='|' read -r root_dir driver driver_status <<<"$info"
store="graph driver ${driver:-unknown}"
[[ "$driver_status" == *io.containerd.snapshotter* ]] && store="containerd image store ($driver snapshotter)"
if [[ "$root_dir" != "$DOCKER_DATA_ROOT" ]]; then
  die "Docker uses data root '${root_dir:-unknown}', not DOCKER_DATA_ROOT=$DOCKER_DATA_ROOT; check /etc/docker/daemon.json and dockerd flags, then 'systemctl restart docker'"
fi
command -v containerd >/dev/null 2>&1 ||
  die "containerd is not installed, yet Docker runs on it; install containerd.io from Docker's apt repository"
containerd_root="$(containerd_root)"
if [[ "$containerd_root" != "$CONTAINERD_ROOT" ]]; then
  die "containerd uses root '${containerd_root:-unknown}', not CONTAINERD_ROOT=$CONTAINERD_ROOT, so Docker's $store would put images on the root disk; check /etc/containerd/config.toml ('containerd config dump'), then 'systemctl restart containerd docker'"
fi
data_fs="$(fs_of "$data_root_parent")"
for p in "$DOCKER_DATA_ROOT" "$CONTAINERD_ROOT"; do
  [[ "$(fs_of "$p")" == "$data_fs" ]] ||
    die "$p is not on the filesystem of $data_root_parent (the data volume); mount the data volume there (prepare-data.sh), then 'systemctl restart containerd docker'"
done
log "Docker Engine $server, Compose $compose, $store; data root $DOCKER_DATA_ROOT and containerd root $CONTAINERD_ROOT on the data volume"
