#!/usr/bin/env bash
# Prepares a test host started by host.sh.
#
# A booted host (host.sh boot: systemd, Debian's docker.io installed but not started):
#   /usr/libexec/docker/cli-plugins/docker-compose   the real Compose v2 plugin (compose.sh)
#   /srv/git/self-hosted.git     the real getsentry/self-hosted (tags 26.7.2 and 26.8.0), a
#                                clone of self-hosted.sh's cached one (E2E_SELF_HOSTED_SOURCE:
#                                a git URL or a bundle; default GitHub where reachable, else
#                                ../shared/upstream/self-hosted.bundle beside the repo)
#   /usr/local/lib/sentry-e2e/images/, /var/lib/sentry-e2e/image-base.tar
#                                what images/build.sh needs to make the stand-in images once
#                                Docker runs (the base is a stripped copy of the host's own
#                                root, cached in PULUMI_E2E_CACHE)
#
# A chroot host (host.sh start) gets the stand-ins (Docker cannot run there; everything else
# on the host is real):
#   /usr/local/bin/containerd        test/fixtures/bin/containerd (answers config dump)
#   /usr/local/bin/docker            standins/docker -> test/fixtures/bin/docker (records calls,
#                                    answers Docker 28 / Compose 2.40) + a real HTTP /_health/
#   /srv/git/self-hosted.git         test/fixtures/self-hosted published as a git repository
#                                    with the release tags 26.7.2 and 26.8.0
#   /var/lib/sentry-e2e/record/      what the stand-ins recorded (calls, installer runs)
# Usage: prepare-host.sh <host dir>
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FIXTURES="${E2E_FIXTURES:-$HERE/../fixtures}"
dir="${1:?usage: prepare-host.sh <host dir>}"
# shellcheck disable=SC1091
. "$dir/host.env"
root="$HOST_ROOT"

if [[ "${HOST_KIND:-}" == boot ]]; then
    CACHE_DIR="${PULUMI_E2E_CACHE:-$HOME/.cache/sentry-e2e}"
    compose=$(bash "$HERE/compose.sh")
    install -D -m 0755 "$compose" "$root/usr/libexec/docker/cli-plugins/docker-compose"

    cache_git=$(bash "$HERE/self-hosted.sh")
    # Suites run two at a time and may both find the cache cold: the lock makes the second
    # one wait for the first one's image base instead of writing the same file.
    install -d "$CACHE_DIR"
    exec 8>"$CACHE_DIR/prepare-host.lock"
    flock 8
    rm -rf "$root/srv/git/self-hosted.git"
    install -d -m 0755 "$root/srv/git"
    git clone -q --bare "$cache_git" "$root/srv/git/self-hosted.git"
    chown -R 0:0 "$root/srv/git"

    # The stand-in images' base: the host's own Debian root without Docker, docs and state.
    base="$CACHE_DIR/image-base-$(basename "$(bash "$HERE/host.sh" rootfs boot)" .tar.gz).tar"
    if [[ ! -s "$base" ]]; then
        tar --numeric-owner -C "$root" -cf "$base.partial" \
            --exclude=./usr/share/doc --exclude=./usr/share/man --exclude=./usr/share/locale --exclude=./usr/share/info \
            --exclude='./usr/bin/docker*' --exclude=./usr/sbin/dockerd --exclude='./usr/bin/containerd*' --exclude=./usr/bin/ctr \
            --exclude=./usr/sbin/runc --exclude=./usr/sbin/docker-proxy --exclude=./usr/sbin/docker-init --exclude=./usr/libexec/docker \
            --exclude=./var/lib/apt --exclude=./var/cache --exclude=./var/log --exclude='./home/*' --exclude='./etc/ssh/ssh_host_*' \
            --exclude=./srv --exclude=./data --exclude=./proc --exclude=./sys --exclude=./dev --exclude=./run --exclude=./tmp \
            --exclude=./usr/local/lib/sentry-e2e --exclude=./var/lib/sentry-e2e --exclude=./etc/systemd/system-generators .
        mv "$base.partial" "$base"
    fi
    exec 8>&-
    install -d -m 0755 "$root/var/lib/sentry-e2e" "$root/usr/local/lib/sentry-e2e"
    ln -f "$base" "$root/var/lib/sentry-e2e/image-base.tar" 2>/dev/null || cp "$base" "$root/var/lib/sentry-e2e/image-base.tar"
    rm -rf "$root/usr/local/lib/sentry-e2e/images"
    cp -r "$HERE/images" "$root/usr/local/lib/sentry-e2e/images"
    echo "file:///srv/git/self-hosted.git"
    exit 0
fi

[[ -x "$FIXTURES/bin/docker" ]] || { echo "prepare-host.sh: $FIXTURES/bin/docker not found" >&2; exit 1; }
[[ -f "$FIXTURES/self-hosted/install.sh" ]] || { echo "prepare-host.sh: $FIXTURES/self-hosted not found" >&2; exit 1; }

lib="$root/usr/local/lib/sentry-e2e"
install -d -m 0755 "$lib"
install -m 0755 "$FIXTURES/bin/docker" "$lib/docker-standin"
install -m 0755 "$HERE/standins/docker" "$lib/docker"
install -m 0644 "$HERE/standins/fake-web.py" "$lib/fake-web.py"
ln -sfn /usr/local/lib/sentry-e2e/docker "$root/usr/local/bin/docker"
# install-docker.sh asks containerd where its root is (containerd config dump).
install -m 0755 "$FIXTURES/bin/containerd" "$root/usr/local/bin/containerd"
install -d -m 0755 "$root/var/lib/sentry-e2e"
install -d -m 1777 "$root/var/lib/sentry-e2e/record"
# The installer stand-in runs under sudo (which drops STANDIN_RECORD_DIR): its default
# record location leads to the same place.
ln -sfn /var/lib/sentry-e2e/record "$root/tmp/standin-record"

# The self-hosted stand-in as a git repository with two release tags. Each tag's tracked
# .env names its own image version, as upstream's does.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=e2e GIT_AUTHOR_EMAIL=e2e@example.invalid GIT_COMMITTER_NAME=e2e GIT_COMMITTER_EMAIL=e2e@example.invalid
export GIT_AUTHOR_DATE="2026-08-15T00:00:00Z" GIT_COMMITTER_DATE="2026-08-15T00:00:00Z"
git init -q -b master "$work/repo"
cp -a "$FIXTURES/self-hosted/." "$work/repo/"
for v in 26.7.2 26.8.0; do
    sed -i -E "s#^((SENTRY|SNUBA|RELAY)_IMAGE=.*:)[0-9]+\.[0-9]+\.[0-9]+\$#\1$v#" "$work/repo/.env"
    grep -q "^SENTRY_IMAGE=.*:$v\$" "$work/repo/.env" || { echo "prepare-host.sh: could not set $v in .env" >&2; exit 1; }
    git -C "$work/repo" add -A
    git -C "$work/repo" commit -q --allow-empty -m "self-hosted stand-in $v"
    git -C "$work/repo" tag "$v"
done
rm -rf "$root/srv/git/self-hosted.git"
install -d -m 0755 "$root/srv/git"
git clone -q --bare "$work/repo" "$root/srv/git/self-hosted.git"
chown -R 0:0 "$root/srv/git"
echo "file:///srv/git/self-hosted.git"
