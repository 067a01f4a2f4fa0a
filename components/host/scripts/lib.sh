#!/usr/bin/env bash
# lib.sh: the helpers every host script shares. Each script sources it from its
# own directory, so it must sit beside them: in the repository that is
# components/host/scripts/, on a host provisioned by Pulumi it is
# /usr/local/lib/sentry-deploy/ (every step writes it there beside its script).
# To run a script by hand elsewhere, copy lib.sh along with it.
#
# Not run by itself, and it reads no input variables. The sourcing script sets
# SCRIPT (its name, used as the prefix of every message) before sourcing it.
#
# What it provides:
#   log MESSAGE...                       a line on stdout: "<script>: MESSAGE"
#   die MESSAGE...                       "<script>: ERROR: MESSAGE" on stderr, then exit 1
#   require_abs_path NAME VALUE EXAMPLE  die unless VALUE is an absolute path
#                                        without spaces, dot segments or a trailing slash
#   require_seconds NAME VALUE EXAMPLE   die unless VALUE is a whole number of seconds > 0
#   SENTRY_VERSION_RE                    regex of a self-hosted release tag (YY.M.N), e.g. 26.8.0
#   EMAIL_RE                             regex of an email address, e.g. ops@example.com
#   version_lt A B                       true when version A < B (sort -V; a "v" prefix
#                                        and -/+/~ suffixes are ignored)
#   wait_with_heartbeat PID EVERY REPORT wait for the background job PID and return its
#                                        exit status; meanwhile call the function REPORT
#                                        with the seconds elapsed, every EVERY seconds
#   SENTRY_COMPOSE                       readonly array: the compose command for the
#                                        self-hosted checkout (run it from there), e.g.
#                                        "${SENTRY_COMPOSE[@]}" up; an array, so `timeout`
#                                        can run it too
#   unset_compose_overrides              unset the variables .env.custom manages, which
#                                        compose (and install.sh) would take over it
#   compose_ps_report COMPOSE...         "----- docker compose ps -----" and the state of
#                                        every service on stdout, via the compose command
#                                        COMPOSE...; never fails
#   compose_project                      the checkout's compose project name on stdout
#                                        (run from the checkout)
#   remove_inactive_services             stop and remove the project's containers of
#                                        services outside the active profiles
#   TLS_PROXY_NGINX_CONF                 the nginx.conf configure-sentry.sh derives
#                                        behind a TLS proxy, relative to the checkout
#   parse_image_mirrors NAME VALUE       die unless VALUE is a space-separated list of
#                                        REGISTRY=PREFIX pairs (docker.io=mirror.example.cn/hub
#                                        ghcr.io=mirror.example.cn/ghcr); remembers them for
#                                        mirror_image
#   mirror_image REF                     REF (nginx:1.31.3-alpine, ghcr.io/getsentry/relay:26.8.0)
#                                        with its registry replaced by that registry's PREFIX, on
#                                        stdout; REF itself when its registry has no mirror.
#                                        Docker Hub names are spelt out (nginx -> PREFIX/library/nginx)
#   image_registry REF                   the registry REF is pulled from, on stdout: docker.io for
#                                        Docker Hub names (nginx, valkey/valkey), else its host
#   TLS_SERVER_SERVICE, TLS_SERVER_CADDYFILE
#                                        the compose service of the TLS server on the host
#                                        (sentry:tls acme) and its Caddyfile, relative to
#                                        the checkout (configure-sentry.sh writes both)
#   SMTP_PASSWORD_FILE, SMTP_PASSWORD_TARGET
#                                        the root-only SMTP password file (relative to the
#                                        checkout) and where the mail-sending containers see it
#   HOST_ROOT                            for tests only; leave empty (read by the scripts,
#                                        not here: the prefix of every absolute host path)

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  echo "lib.sh holds helpers for the other scripts in its directory; source it, do not run it" >&2
  exit 2
fi
: "${SCRIPT:?set SCRIPT to the script name before sourcing lib.sh}"

log() { printf '%s: %s\n' "$SCRIPT" "$*"; }
die() { printf '%s: ERROR: %s\n' "$SCRIPT" "$*" >&2; exit 1; }

require_abs_path() {
  local name="$1" value="$2" example="$3"
  [[ -n "$value" ]] || die "$name is required, e.g. $example"
  if ! [[ "$value" =~ ^(/[A-Za-z0-9._-]+)+$ ]] || [[ "$value" =~ /\.\.?(/|$) ]]; then
    die "$name='$value' must be an absolute path without spaces or a trailing slash, e.g. $example"
  fi
}

require_seconds() {
  local name="$1" value="$2" example="$3"
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || die "$name='$value' is not a positive whole number of seconds, e.g. $example"
}

# shellcheck disable=SC2034 # used by the scripts that source this file
readonly SENTRY_VERSION_RE='^[0-9]{2}\.([1-9]|1[0-2])\.[0-9]+$'
# shellcheck disable=SC2034 # used by the scripts that source this file
readonly EMAIL_RE='^[A-Za-z0-9._%+-]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$'

version_lt() {
  local a="${1#v}" b="${2#v}"
  a="${a%%[-+~]*}"
  b="${b%%[-+~]*}"
  [[ "$a" != "$b" && "$(printf '%s\n%s\n' "$a" "$b" | sort -V | head -n 1)" == "$a" ]]
}

# A long step (the installer, compose waiting for health) writes its output to a
# log file. Without a line now and then, `pulumi up` shows nothing for half an
# hour and an idle timeout on the way (NAT, firewall) may close the SSH session.
wait_with_heartbeat() {
  local pid="$1" every="$2" report="$3"
  local start=$SECONDS next=$((SECONDS + every)) rc=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS >= next)) && kill -0 "$pid" 2>/dev/null; then
      "$report" "$((SECONDS - start))"
      next=$((SECONDS + every))
    fi
  done
  wait "$pid" || rc=$?
  return "$rc"
}

# Plain `docker compose` reads only .env and would silently drop the overrides
# in .env.custom (e.g. switch errors-only back to feature-complete).
# shellcheck disable=SC2034 # used by the scripts that source this file
readonly SENTRY_COMPOSE=(docker compose --ansi never --env-file .env --env-file .env.custom)

# configure-sentry.sh writes it (untracked, in the checkout); start-sentry.sh
# recreates nginx when it changes.
# shellcheck disable=SC2034 # used by the scripts that source this file
readonly TLS_PROXY_NGINX_CONF=nginx.behind-tls-proxy.conf
# shellcheck disable=SC2034 # used by the scripts that source this file
readonly TLS_SERVER_SERVICE=tls-server TLS_SERVER_CADDYFILE=tls-server.Caddyfile
# shellcheck disable=SC2034 # used by the scripts that source this file
readonly SMTP_PASSWORD_FILE=sentry-deploy-secrets/smtp-password SMTP_PASSWORD_TARGET=/run/secrets/sentry-deploy-smtp-password

# Compose takes variables from its environment over the env files: keep the ones
# .env.custom manages out of it.
unset_compose_overrides() {
  unset COMPOSE_PROFILES SENTRY_BIND SENTRY_EVENT_RETENTION_DAYS SENTRY_MAIL_HOST COMPOSE_ENV_FILES
}

compose_ps_report() {
  echo "----- docker compose ps -----"
  "$@" ps --all --format 'table {{.Service}}\t{{.State}}\t{{.Status}}' || true
}

# compose_project: the compose project name of the checkout (run it from there), as
# `docker compose config` resolves it (COMPOSE_PROJECT_NAME in .env: sentry-self-hosted).
compose_project() {
  local name
  name="$("${SENTRY_COMPOSE[@]}" config 2>/dev/null | sed -n 's/^name:[[:space:]]*//p' | head -n 1)"
  [[ "$name" =~ ^[a-z0-9][a-z0-9_-]*$ ]] ||
    die "docker compose config names no project in $PWD (found '${name}'); run '${SENTRY_COMPOSE[*]} config' there to see why"
  printf '%s\n' "$name"
}

# remove_inactive_services: stops and removes the project's containers whose service
# is not in the active profiles (`config --services`). Compose does not count them
# as orphans, so `up --remove-orphans` and install.sh's `down` leave a switched-off
# profile running; the containers are found by their compose labels instead.
# Volumes are kept.
remove_inactive_services() {
  local project active id service
  local -a ids=() names=()
  project="$(compose_project)"
  active="$("${SENTRY_COMPOSE[@]}" config --services)" ||
    die "'docker compose config --services' failed in $PWD; run it by hand to see why"
  while read -r id service; do
    [[ -n "$id" ]] || continue
    grep -qxF -- "$service" <<<"$active" && continue
    ids+=("$id")
    names+=("$service")
  done < <(docker ps --all --filter "label=com.docker.compose.project=$project" --filter label=com.docker.compose.oneoff=False \
    --format '{{.ID}} {{.Label "com.docker.compose.service"}}')
  ((${#ids[@]} > 0)) || return 0
  log "stopping and removing ${#ids[@]} container(s) of services outside the active profile: ${names[*]}"
  docker stop "${ids[@]}" >/dev/null
  docker rm "${ids[@]}" >/dev/null
}

# Registry mirrors (parse_image_mirrors, mirror_image). A mirror serves the same
# repository paths under its prefix (a pull-through cache, or a registry you sync).
declare -gA IMAGE_MIRRORS=()
parse_image_mirrors() {
  local name="$1" value="$2" pair registry prefix
  IMAGE_MIRRORS=()
  for pair in $value; do
    registry="${pair%%=*}" prefix="${pair#*=}"
    [[ "$pair" == *=* && "$registry" =~ ^[a-z0-9.-]+(:[0-9]+)?$ && "$prefix" =~ ^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*$ ]] ||
      die "$name contains '$pair', not REGISTRY=PREFIX such as ghcr.io=mirror.example.cn/ghcr (a registry host, then a mirror host and optional path, no scheme)"
    IMAGE_MIRRORS["$registry"]="$prefix"
  done
}
# image_split REF: sets image_host and image_path (Docker Hub names spelt out).
image_split() {
  local ref="$1" first
  first="${ref%%/*}"
  if [[ "$ref" == */* && ( "$first" == *.* || "$first" == *:* || "$first" == localhost ) ]]; then
    image_host="$first" image_path="${ref#*/}"
  else
    image_host=docker.io image_path="$ref"
    [[ "$image_path" == */* ]] || image_path="library/$image_path"
  fi
  [[ "$image_host" == index.docker.io || "$image_host" == registry-1.docker.io ]] && image_host=docker.io
  return 0
}
image_registry() {
  local image_host image_path
  image_split "$1"
  printf '%s\n' "$image_host"
}
mirror_image() {
  local image_host image_path
  image_split "$1"
  if [[ -n "${IMAGE_MIRRORS[$image_host]:-}" ]]; then
    printf '%s/%s\n' "${IMAGE_MIRRORS[$image_host]}" "$image_path"
  else
    printf '%s\n' "$1"
  fi
}
