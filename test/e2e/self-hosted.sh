#!/usr/bin/env bash
# self-hosted.sh: the real getsentry/self-hosted repository, cloned once into the cache as a
# bare repository with the release tags the suites run (26.7.2 and 26.8.0), and prints its path.
#
# Where it comes from: E2E_SELF_HOSTED_SOURCE (a git URL or a bundle); by default GitHub
# (https://github.com/getsentry/self-hosted) where reachable, else
# ../shared/upstream/self-hosted.bundle beside the repository.
#
# Suites run two at a time and may both find the cache cold: a lock makes the second one wait
# for the first one's clone instead of writing the same files; the clone is made into .partial
# and then moved, so a cut-off run leaves nothing that looks complete.
#
# Usage: self-hosted.sh   (prints the bare repository's path)
# Environment: PULUMI_E2E_CACHE (default $HOME/.cache/sentry-e2e), E2E_SELF_HOSTED_SOURCE.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${PULUMI_E2E_CACHE:-$HOME/.cache/sentry-e2e}"
versions=(26.7.2 26.8.0)

source="${E2E_SELF_HOSTED_SOURCE:-}"
if [[ -z "$source" ]]; then
    if timeout 10 git ls-remote -q https://github.com/getsentry/self-hosted.git 26.8.0 >/dev/null 2>&1; then
        source=https://github.com/getsentry/self-hosted.git
    else
        source="$(cd "$HERE/../../.." && pwd)/shared/upstream/self-hosted.bundle"
    fi
fi
install -d "$CACHE_DIR"
exec 8>"$CACHE_DIR/self-hosted.lock"
flock 8
cache_git="$CACHE_DIR/self-hosted-$(printf '%s' "$source" | sha256sum | cut -c1-12).git"
if [[ ! -d "$cache_git" ]]; then
    rm -rf "$cache_git.partial"
    git clone -q --bare "$source" "$cache_git.partial"
    mv "$cache_git.partial" "$cache_git"
fi
for v in "${versions[@]}"; do
    git --git-dir="$cache_git" rev-parse -q --verify "refs/tags/$v" >/dev/null ||
        git --git-dir="$cache_git" fetch -q "$source" "refs/tags/$v:refs/tags/$v"
done
echo "self-hosted.sh: self-hosted from $source" >&2
echo "$cache_git"
