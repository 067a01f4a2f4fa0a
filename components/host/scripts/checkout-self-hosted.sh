#!/usr/bin/env bash
# checkout-self-hosted.sh: clones getsentry/self-hosted at a release tag, or
# moves an existing checkout to a new tag, after checking that the upgrade
# path is allowed. Nothing is changed when a check fails.
#
# Checks, in order, before touching anything:
#   - SENTRY_VERSION and $SENTRY_STATE_DIR/installed-version (written by
#     install-sentry.sh; absent = fresh install) are calendar versions;
#   - SENTRY_VERSION is not a known-bad release;
#   - no downgrade (Sentry's database migrations only go forward);
#   - no hard stop is skipped: every hard stop s with installed < s < target
#     must be installed first. The message lists the whole path.
#   - no tracked file in the checkout is modified (a modified tracked file,
#     typically .env, breaks `git checkout <tag>`; overrides belong in
#     .env.custom, sentry/config.yml, sentry/sentry.conf.py and
#     docker-compose.override.yml, which git ignores).
# Already at the tag: no-op (no network access).
#
# Run by hand as root:
#   SENTRY_DIR=/data/self-hosted SENTRY_VERSION=26.8.0 \
#   SENTRY_STATE_DIR=/data/sentry-deploy bash checkout-self-hosted.sh
#
# Inputs (environment variables):
#   SENTRY_DIR                 required, e.g. /data/self-hosted. Checkout path.
#   SENTRY_VERSION             required, release tag like 26.8.0.
#   SENTRY_REPO_URL            default https://github.com/getsentry/self-hosted.git
#   SENTRY_STATE_DIR           required, e.g. /data/sentry-deploy (holds
#                              installed-version).
#   SENTRY_HARD_STOPS          default "23.6.2 23.11.0 24.8.0 25.5.1 26.5.0 26.5.1 26.7.0".
#                              Releases an upgrade may not skip.
#   SENTRY_KNOWN_BAD_VERSIONS  default "25.12.0 26.3.0 26.4.0". Releases to avoid.
#   GIT_TIMEOUT_SECONDS        default 600. Limit for each clone/fetch.
#   HOST_ROOT                  default empty. For tests only; leave empty.
#                              Prefix for every absolute host path.
set -euo pipefail

readonly SCRIPT=checkout-self-hosted
HOST_ROOT="${HOST_ROOT:-}"
SENTRY_DIR="${SENTRY_DIR:-}"
SENTRY_VERSION="${SENTRY_VERSION:-}"
SENTRY_REPO_URL="${SENTRY_REPO_URL:-https://github.com/getsentry/self-hosted.git}"
SENTRY_STATE_DIR="${SENTRY_STATE_DIR:-}"
SENTRY_HARD_STOPS="${SENTRY_HARD_STOPS:-23.6.2 23.11.0 24.8.0 25.5.1 26.5.0 26.5.1 26.7.0}"
SENTRY_KNOWN_BAD_VERSIONS="${SENTRY_KNOWN_BAD_VERSIONS:-25.12.0 26.3.0 26.4.0}"
GIT_TIMEOUT_SECONDS="${GIT_TIMEOUT_SECONDS:-600}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

is_version() { [[ "$1" =~ $SENTRY_VERSION_RE ]]; }

# ---------------------------------------------------------------- validation
require_abs_path SENTRY_DIR "$SENTRY_DIR" /data/self-hosted
require_abs_path SENTRY_STATE_DIR "$SENTRY_STATE_DIR" /data/sentry-deploy
[[ -n "$SENTRY_VERSION" ]] || die "SENTRY_VERSION is required: a self-hosted release tag such as 26.8.0"
is_version "$SENTRY_VERSION" ||
  die "SENTRY_VERSION='$SENTRY_VERSION' is not a self-hosted release tag like 26.8.0 (YY.M.N; branches such as master are not supported)"
[[ "$SENTRY_REPO_URL" =~ ^(https?|ssh|git|file)://[^[:space:]]+$|^[^[:space:]@]+@[^[:space:]:]+:[^[:space:]]+$ ]] ||
  die "SENTRY_REPO_URL='$SENTRY_REPO_URL' is not a git URL, e.g. https://github.com/getsentry/self-hosted.git"
require_seconds GIT_TIMEOUT_SECONDS "$GIT_TIMEOUT_SECONDS" 600
read -r -a hard_stops <<<"$SENTRY_HARD_STOPS"
read -r -a known_bad <<<"$SENTRY_KNOWN_BAD_VERSIONS"
for v in "${hard_stops[@]}"; do
  is_version "$v" || die "SENTRY_HARD_STOPS contains '$v', which is not a version like 24.8.0"
done
for v in "${known_bad[@]}"; do
  is_version "$v" || die "SENTRY_KNOWN_BAD_VERSIONS contains '$v', which is not a version like 25.12.0"
done

# -------------------------------------------------------------- upgrade path
target="$SENTRY_VERSION"
installed=""
installed_file="$HOST_ROOT$SENTRY_STATE_DIR/installed-version"
if [[ -f "$installed_file" ]]; then
  installed="$(tr -d '[:space:]' <"$installed_file")"
  is_version "$installed" ||
    die "$SENTRY_STATE_DIR/installed-version holds '$installed', not a version like 26.7.0; write the version that is really installed into it"
fi

for v in "${known_bad[@]}"; do
  if [[ "$v" == "$target" ]]; then
    die "SENTRY_VERSION=$target is a known-bad release (listed in SENTRY_KNOWN_BAD_VERSIONS: upgrades to it fail with migration-history errors); choose another release"
  fi
done

if [[ -n "$installed" && "$installed" != "$target" ]]; then
  if version_lt "$target" "$installed"; then
    die "SENTRY_VERSION=$target is older than the installed $installed: downgrades are not supported (database migrations only go forward). Keep SENTRY_VERSION=$installed, or restore a data-volume snapshot taken before the upgrade"
  fi
  mapfile -t stops < <(printf '%s\n' "${hard_stops[@]}" | sort -V -u)
  path=()
  for s in "${stops[@]}"; do
    [[ -n "$s" ]] || continue
    if version_lt "$installed" "$s" && version_lt "$s" "$target"; then
      path+=("$s")
    fi
  done
  if ((${#path[@]} > 0)); then
    route="$installed"
    for s in "${path[@]}"; do route+=" -> $s"; done
    route+=" -> $target"
    die "cannot upgrade $installed -> $target in one step: it would skip hard stop(s) ${path[*]}. Upgrade $route, deploying each version in turn (next: SENTRY_VERSION=${path[0]})"
  fi
  log "upgrade $installed -> $target is allowed"
elif [[ -z "$installed" ]]; then
  log "no installed version recorded; fresh install of $target"
fi

# ----------------------------------------------------------------- checkout
dir="$HOST_ROOT$SENTRY_DIR"
# git in the checkout; an array as well as g(), so `timeout` can run it too.
checkout_git=(git -c safe.directory="$dir" -c advice.detachedHead=false -C "$dir")
g() { "${checkout_git[@]}" "$@"; }

if [[ ! -e "$dir/.git" ]]; then
  if [[ -e "$dir" && -n "$(find "$dir" -mindepth 1 -maxdepth 1 -print -quit 2>/dev/null)" ]]; then
    die "SENTRY_DIR=$SENTRY_DIR exists, is not empty and is not a git checkout; move it away or choose another SENTRY_DIR"
  fi
  mkdir -p "$(dirname "$dir")"
  log "cloning $SENTRY_REPO_URL at $target into $SENTRY_DIR"
  timeout "$GIT_TIMEOUT_SECONDS" git -c advice.detachedHead=false clone -q --depth 1 --branch "$target" "$SENTRY_REPO_URL" "$dir" ||
    die "git clone of $SENTRY_REPO_URL at tag $target failed; check the tag exists (git ls-remote --tags $SENTRY_REPO_URL) and the host can reach it"
  log "self-hosted $target checked out in $SENTRY_DIR"
  exit 0
fi

mapfile -t modified < <(g diff --name-only HEAD --)
if ((${#modified[@]} > 0)); then
  die "tracked files are modified in $SENTRY_DIR: ${modified[*]}. Editing tracked files (e.g. .env) breaks checkouts: put overrides in .env.custom, sentry/config.yml, sentry/sentry.conf.py or docker-compose.override.yml, then restore with: git -C $SENTRY_DIR checkout -- ${modified[*]}"
fi

head="$(g rev-parse HEAD)"
tag_commit="$(g rev-parse -q --verify "refs/tags/$target^{commit}" || true)"
if [[ -n "$tag_commit" && "$tag_commit" == "$head" ]]; then
  log "$SENTRY_DIR is already at $target; nothing to do"
  exit 0
fi

current_url="$(g remote get-url origin 2>/dev/null || true)"
if [[ "$current_url" != "$SENTRY_REPO_URL" ]]; then
  log "setting origin to $SENTRY_REPO_URL (was ${current_url:-unset})"
  if [[ -n "$current_url" ]]; then g remote set-url origin "$SENTRY_REPO_URL"; else g remote add origin "$SENTRY_REPO_URL"; fi
fi
if [[ -z "$tag_commit" ]]; then
  timeout "$GIT_TIMEOUT_SECONDS" "${checkout_git[@]}" fetch -q --depth 1 origin "refs/tags/$target:refs/tags/$target" ||
    die "could not fetch tag $target from $SENTRY_REPO_URL; check it exists (git ls-remote --tags $SENTRY_REPO_URL)"
  tag_commit="$(g rev-parse "refs/tags/$target^{commit}")"
fi
previous="$(g describe --tags --exact-match HEAD 2>/dev/null || echo "${head:0:12}")"
g checkout -q --detach "$tag_commit"
[[ "$(g rev-parse HEAD)" == "$tag_commit" ]] || die "checkout of $target did not complete in $SENTRY_DIR"
log "self-hosted moved from $previous to $target in $SENTRY_DIR"
