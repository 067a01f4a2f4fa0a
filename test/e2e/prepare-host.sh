#!/usr/bin/env bash
# Puts the stand-ins on a test host started by host.sh (Docker cannot run here and no
# registry or GitHub is reachable; everything else on the host is real):
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
