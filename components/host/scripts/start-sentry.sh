#!/usr/bin/env bash
# start-sentry.sh: starts (or keeps running) the self-hosted compose stack and
# waits until every service is running/healthy, restarting only what a change
# needs.
#
# Always runs `docker compose --env-file .env --env-file .env.custom ...`:
# plain `docker compose up` reads only .env and would silently undo the
# overrides in .env.custom (e.g. switch errors-only back to feature-complete).
#
# In order:
#  1. Containers of services outside the active profiles (after a switch from
#     feature-complete to errors-only) are stopped and removed: compose does not
#     count them as orphans. They are found by the project's compose labels and
#     `docker compose config --services`.
#  2. What changed since the last successful start, per file, from the
#     checksums in $SENTRY_STATE_DIR/started-config.sha256 (written after
#     success, one "<sha256|absent> <file>" line each):
#       $SENTRY_STATE_DIR/installed (install.sh ran): every container is
#         recreated (`up --force-recreate`); also on the first start, and when
#         the stamp is missing or from an older version of this script.
#       sentry/config.yml, sentry/sentry.conf.py, nginx.behind-tls-proxy.conf,
#       tls-server.Caddyfile, sentry-deploy-secrets/smtp-password (checksums
#       only; the file itself is never read into the output):
#         bind-mounted, so compose cannot see them change. The services whose
#         containers mount the file (or a directory holding it; `docker inspect`
#         of the project's containers) are recreated alone:
#         `up --force-recreate --no-deps <services>`, together with the services
#         that depend on them with `restart: true` (nginx on web), as compose
#         itself would. In 26.8.0 ./sentry is mounted by the Sentry services
#         (web, workers, consumers, cron: 7 in errors-only, 20 in
#         feature-complete), not by Kafka, ClickHouse, Postgres, Redis, Snuba or
#         Relay; the derived nginx.conf only by nginx; the Caddyfile only by the
#         TLS server (a certificate renewal touches none of these files); the SMTP
#         password file by web and taskworker.
#       .env.custom, docker-compose.override.yml: compose sees these itself and
#         recreates exactly the services whose configuration they change.
#  3. `up --remove-orphans` of the whole project, which starts anything not
#     running and applies the compose-visible changes of step 2.
#
# Run by hand as root:
#   SENTRY_DIR=/data/self-hosted SENTRY_STATE_DIR=/data/sentry-deploy bash start-sentry.sh
#
# Inputs (environment variables):
#   SENTRY_DIR                    required. The self-hosted checkout.
#   SENTRY_STATE_DIR              required. Holds the installed marker and the stamp;
#                                 on the data volume, so without the volume mounted
#                                 the marker is missing and nothing starts.
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
[[ -f "$state/installed" ]] ||
  die "$SENTRY_STATE_DIR/installed is missing: Sentry was never installed here, or the data volume holding it is not mounted (check 'findmnt $(dirname "$SENTRY_STATE_DIR")'); run install-sentry.sh first"
cd "$dir"

unset_compose_overrides

# ------------------------------------------------------ 1. inactive profiles
remove_inactive_services

# ------------------------------------------------------------- 2. what changed
# Bind-mounted files compose cannot see; .env.custom and the override it can.
readonly BIND_FILES=(sentry/config.yml sentry/sentry.conf.py "$TLS_PROXY_NGINX_CONF" "$TLS_SERVER_CADDYFILE" "$SMTP_PASSWORD_FILE")
stamp_file="$state/started-config.sha256"
stamp_line() { # FILE NAME
  if [[ -f "$1" ]]; then
    printf '%s %s\n' "$(sha256sum <"$1" | cut -d' ' -f1)" "$2"
  else
    printf 'absent %s\n' "$2"
  fi
}
stamp="$(
  stamp_line "$state/installed" installed
  for f in .env.custom docker-compose.override.yml "${BIND_FILES[@]}"; do stamp_line "$f" "$f"; done
)"
previous="$(cat "$stamp_file" 2>/dev/null || true)"
line_of() { awk -v n="$1" '$2 == n' <<<"$2"; } # NAME TEXT: the stamp line of NAME
previous_line() { line_of "$1" "$previous"; }
changed() { [[ "$(previous_line "$1")" != "$(line_of "$1" "$stamp")" ]]; }

recreate_all=0
if [[ -z "$(previous_line installed)" ]]; then
  log "first start (or no per-file stamp yet): recreating every container"
  recreate_all=1
elif changed installed; then
  log "install.sh ran since the last start: recreating every container"
  recreate_all=1
fi

# services_mounting FILE...: the services whose containers bind-mount one of the
# files (or a directory holding it), one per line.
services_mounting() {
  local project line service src f
  local -a ids
  project="$(compose_project)"
  mapfile -t ids < <(docker ps --all --quiet --filter "label=com.docker.compose.project=$project" --filter label=com.docker.compose.oneoff=False)
  ((${#ids[@]} > 0)) || return 0
  while read -r line; do
    read -r service line <<<"$line"
    for src in $line; do
      for f in "$@"; do
        if [[ "$SENTRY_DIR/$f" == "$src" || "$SENTRY_DIR/$f" == "$src"/* ]]; then echo "$service"; fi
      done
    done
  done < <(docker inspect --format '{{index .Config.Labels "com.docker.compose.service"}}{{range .Mounts}}{{if eq .Type "bind"}} {{.Source}}{{end}}{{end}}' "${ids[@]}") | sort -u
}

# restarted_with SERVICE...: SERVICE... and, transitively, the services that depend
# on one of them with `restart: true` (upstream's nginx on web and relay: nginx
# resolves web's address once, so a recreated web needs a restarted nginx, which
# compose does only when it recreates web itself, never under --no-deps). Reads
# `docker compose config`'s normalized YAML; one service per line.
restarted_with() {
  local edges
  edges="$("${SENTRY_COMPOSE[@]}" config | awk '
    /^services:/ { s = 1; next }
    s && /^[^[:space:]]/ { s = 0 }
    !s { next }
    /^  [^[:space:]]/ { svc = $1; sub(/:$/, "", svc); deps = 0; next }
    /^    depends_on:/ { deps = 1; next }
    /^    [^[:space:]]/ { deps = 0; next }
    deps && /^      [^[:space:]]/ { dep = $1; sub(/:$/, "", dep); next }
    deps && /^        restart: true[[:space:]]*$/ { print dep, svc }
  ')" || die "'docker compose config' failed in $SENTRY_DIR; run it by hand to see why"
  local -A seen=()
  local -a todo=("$@")
  local s dep svc
  while ((${#todo[@]} > 0)); do
    s="${todo[0]}"
    todo=("${todo[@]:1}")
    [[ -n "${seen[$s]:-}" ]] && continue
    seen[$s]=1
    echo "$s"
    while read -r dep svc; do
      [[ "$dep" == "$s" ]] && todo+=("$svc")
    done <<<"$edges"
  done
}

recreate=()
if ((!recreate_all)); then
  files=()
  for f in "${BIND_FILES[@]}"; do changed "$f" && files+=("$f"); done
  if ((${#files[@]} > 0)); then
    mapfile -t mounting < <(services_mounting "${files[@]}")
    if ((${#mounting[@]} > 0)); then
      mapfile -t recreate < <(restarted_with "${mounting[@]}")
    fi
    log "changed since the last start: ${files[*]}; recreating the services that mount them: ${mounting[*]:-none running}${recreate[*]:+ (with what restarts with them: ${recreate[*]})}"
  fi
  for f in .env.custom docker-compose.override.yml; do
    changed "$f" && log "changed since the last start: $f (compose recreates the services it affects)"
  done
fi

# --------------------------------------------------------------------- 3. up
# Compose's output goes to start.log; waiting for health can take many minutes, so
# `pulumi up` shows this line once a minute meanwhile.
report_compose() { log "still waiting for services to turn healthy ($1 s of at most ${COMPOSE_WAIT_TIMEOUT_SECONDS} s)"; }
start=$SECONDS
compose_up() {
  local rc=0 pid
  timeout --kill-after=60 "$((COMPOSE_WAIT_TIMEOUT_SECONDS + 600))" \
    "${SENTRY_COMPOSE[@]}" up --detach --wait --wait-timeout "$COMPOSE_WAIT_TIMEOUT_SECONDS" "$@" >>"$state/start.log" 2>&1 </dev/null &
  pid=$!
  wait_with_heartbeat "$pid" 60 report_compose || rc=$?
  if ((rc != 0)); then
    tail -n 20 "$state/start.log" >&2 || true
    compose_ps_report "${SENTRY_COMPOSE[@]}" >&2
    die "docker compose up $* failed (exit $rc) after $((SECONDS - start))s; full output in $SENTRY_STATE_DIR/start.log. Inspect with: cd $SENTRY_DIR && docker compose --env-file .env --env-file .env.custom logs <service>"
  fi
}

: >"$state/start.log"
if ((${#recreate[@]} > 0)); then
  compose_up --no-deps --force-recreate "${recreate[@]}"
fi
if ((recreate_all)); then
  compose_up --remove-orphans --force-recreate
else
  compose_up --remove-orphans
fi

printf '%s\n' "$stamp" >"$stamp_file.tmp"
mv -f "$stamp_file.tmp" "$stamp_file"
log "all services up after $((SECONDS - start))s ($(sed -n 's/^COMPOSE_PROFILES=//p' .env.custom | tail -n 1))"
