#!/usr/bin/env bash
# Builds the stand-in images inside a booted test host (run as root there, with Docker
# running), tagged with exactly the names the given self-hosted releases' docker-compose.yml
# and .env use, so that `docker compose up` never pulls (no registry is reachable here):
#   web role      (ghcr.io/getsentry/sentry:*, sentry-self-hosted-local,
#                  sentry-cleanup-self-hosted-local): ./sentry as `sentry`, ./docker-entrypoint.sh
#   nginx role    (nginx:*): Debian's real nginx, run as upstream's image runs it (user
#                  nginx, logs to the container's stdout/stderr)
#   snuba role    (*/snuba:*): the generic one whose default command is `api`, as snuba's
#   vroom role    (*/vroom:*): the generic one whose default command is `vroom`, which answers
#                  upstream's healthcheck (GET /health on :8085)
#   busybox, debian:* (install.sh's checks, the jq image's FROM): the base with ./offline as
#                  apt-get, pip and apk
#   everything else: ./standin (sleeps; keeps /tmp/health.txt fresh) as the entrypoint, as
#                  every compose `entrypoint:` name and as cron, with ./healthy standing in
#                  for the healthchecks' client tools
# All come FROM one base imported from BASE_TARBALL (a stripped copy of the host's own
# Debian root, made by prepare-host.sh). A reference pinned by digest (name:tag@sha256:...)
# cannot be tagged; it is written into Docker's reference store (repositories.json) while
# the daemon is stopped, which is what a pull of that digest would have left there.
# A second run rebuilds nothing that exists.
#
# Usage: build.sh BASE_TARBALL GIT_DIR VERSION...
#   BASE_TARBALL  the base image's root file system (tar)
#   GIT_DIR       the self-hosted repository (bare) holding the VERSION tags
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
base_tar="${1:?usage: build.sh BASE_TARBALL GIT_DIR VERSION...}"
git_dir="${2:?usage: build.sh BASE_TARBALL GIT_DIR VERSION...}"
shift 2
[ "$#" -gt 0 ] || { echo "build.sh: name at least one self-hosted version" >&2; exit 2; }
log() { echo "images/build.sh: $*" >&2; }
start=$SECONDS
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every image and `entrypoint:` of every service, in every profile, of each release, the
# images its builds start FROM (build args naming an image: SENTRY_IMAGE, BASE_IMAGE) and
# every *_IMAGE of its .env; `busybox`, which install.sh runs for its checks, is the base.
for v in "$@"; do
    mkdir -p "$work/$v"
    git --git-dir="$git_dir" archive "$v" | tar -x -C "$work/$v"
    for profile in feature-complete errors-only; do
        (cd "$work/$v" && COMPOSE_PROFILES=$profile docker compose --env-file .env config --format json) |
            jq -r '.services[] | ([.image, ((.entrypoint // [""])[0])] | @tsv),
                (.healthcheck.test // [] | select(.[0] == "CMD" and .[1] != "python3") | "healthcheck-cmd\t\(.[1])"),
                ((.build.args // {}) | to_entries[] | select(.key | test("IMAGE")) | .value | select(. != null and . != ""))'
    done
    sed -n 's/^[A-Z_]*_IMAGE=//p' "$work/$v/.env"
    # The literal FROM images of its Dockerfiles (debian:bookworm-slim for the jq image).
    find "$work/$v" -name Dockerfile -exec awk '$1 == "FROM" && $2 !~ /\$/ { print $2 }' {} +
done | sort -u >"$work/services.tsv"

base=sentry-e2e/base:latest
if ! docker image inspect "$base" >/dev/null 2>&1; then
    docker import "$base_tar" "$base" >/dev/null
fi
entrypoints=$(awk -F'\t' 'NF > 1 && $1 != "healthcheck-cmd" && $2 != "" && $2 !~ /^\// { print $2 }' "$work/services.tsv" | sort -u | tr '\n' ' ')
# The programs exec-form healthchecks run that the base lacks (/bin/symbolicator healthcheck
# ...; not /bin/bash, which web's own healthcheck runs).
checkers=$(awk -F'\t' '$1 == "healthcheck-cmd" { print $2 }' "$work/services.tsv" | sort -u | tr '\n' ' ')
cp "$HERE/standin" "$HERE/healthy" "$HERE/offline" "$HERE/sentry" "$HERE/docker-entrypoint.sh" "$work/"
cat >"$work/offline.Dockerfile" <<DOCKERFILE
FROM $base
COPY offline /usr/local/sbin/apt-get
COPY offline /usr/local/bin/pip
COPY offline /usr/local/sbin/apk
RUN mkdir -p -m 1777 /tmp /var/tmp && mkdir -p /var/log /var/cache /run /var/lib/apt/lists/partial
DOCKERFILE
cat >"$work/generic.Dockerfile" <<DOCKERFILE
FROM sentry-e2e/offline:latest
COPY standin /usr/local/bin/e2e-standin
COPY healthy /usr/local/sbin/e2e-healthy
RUN set -e; for t in valkey-cli redis-cli pg_isready psql nc wget s3cmd clickhouse-client; do ln -sf e2e-healthy /usr/local/sbin/\$t; done; \
    for e in $entrypoints cron; do ln -sf /usr/local/bin/e2e-standin /usr/local/bin/\$e; done; \
    for c in $checkers; do command -v "\$c" >/dev/null || case "\$c" in /*) ln -s /usr/local/sbin/e2e-healthy "\$c" ;; *) ln -s e2e-healthy /usr/local/sbin/\$c ;; esac; done
ENTRYPOINT ["/usr/local/bin/e2e-standin"]
DOCKERFILE
cat >"$work/web.Dockerfile" <<DOCKERFILE
FROM sentry-e2e/generic:latest
COPY sentry /usr/local/bin/sentry
COPY docker-entrypoint.sh /docker-entrypoint.sh
ENTRYPOINT ["/docker-entrypoint.sh"]
CMD ["run", "web"]
DOCKERFILE
cat >"$work/nginx.Dockerfile" <<DOCKERFILE
FROM sentry-e2e/generic:latest
RUN useradd --system --no-create-home --shell /usr/sbin/nologin nginx && mkdir -p /var/cache/nginx /var/lib/nginx /var/log/nginx && \
    ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
STOPSIGNAL SIGQUIT
ENTRYPOINT []
CMD ["nginx", "-g", "daemon off;"]
DOCKERFILE
cat >"$work/snuba.Dockerfile" <<DOCKERFILE
FROM sentry-e2e/generic:latest
CMD ["api"]
DOCKERFILE
cat >"$work/vroom.Dockerfile" <<DOCKERFILE
FROM sentry-e2e/generic:latest
CMD ["vroom"]
DOCKERFILE
for role in offline generic snuba vroom web nginx; do
    docker build -q -t "sentry-e2e/$role:latest" -f "$work/$role.Dockerfile" "$work" >/dev/null
done

digested=()
grep -v '^healthcheck-cmd' "$work/services.tsv" >"$work/images.tsv"
while IFS=$'\t' read -r image _; do
    case "$image" in
    */sentry:* | sentry-self-hosted-local | sentry-cleanup-self-hosted-local) role=web ;;
    nginx:*) role=nginx ;;
    */snuba:*) role=snuba ;;
    */vroom:*) role=vroom ;;
    busybox | busybox:* | debian:*) role=offline ;;
    *) role=generic ;;
    esac
    name="${image%@*}"
    docker tag "sentry-e2e/$role:latest" "$name"
    if [ "$name" != "$image" ]; then digested+=("$image"); fi
done <"$work/images.tsv"
docker tag sentry-e2e/offline:latest busybox:latest

if [ "${#digested[@]}" -gt 0 ]; then
    root_dir=$(docker info --format '{{.DockerRootDir}}')
    driver=$(docker info --format '{{.Driver}}')
    store="$root_dir/image/$driver/repositories.json"
    edits=()
    for image in "${digested[@]}"; do
        repo="${image%%:*}"
        id=$(docker image inspect --format '{{.Id}}' "${image%@*}")
        edits+=("$repo" "$repo@${image#*@}" "$id")
    done
    systemctl stop docker.socket docker.service
    args=()
    for ((i = 0; i < ${#edits[@]}; i += 3)); do
        args+=(--arg "r$i" "${edits[i]}" --arg "k$i" "${edits[i + 1]}" --arg "v$i" "${edits[i + 2]}")
    done
    filter='.'
    for ((i = 0; i < ${#edits[@]}; i += 3)); do filter+=" | .Repositories[\$r$i][\$k$i] = \$v$i"; done
    jq "${args[@]}" "$filter" "$store" >"$work/repositories.json"
    install -m 0600 "$work/repositories.json" "$store"
    systemctl start docker.socket docker.service
    for image in "${digested[@]}"; do docker image inspect "$image" >/dev/null; done
fi
log "$(wc -l <"$work/images.tsv") service images for $* ready in $((SECONDS - start)) s"
