#!/usr/bin/env bash
# create-admin.sh: creates the first Sentry superuser; an existing user counts
# as success and is left unchanged (its password is not rotated).
#
# The password is read from this script's STDIN (first line) and reaches
# Sentry only through pipes: never through argv (visible in `ps` on the host
# and in the container) or the environment. `sentry createuser` prompts for a
# password when --password is not given (click.prompt with hide_input and a
# confirmation prompt); without a terminal, Python's getpass falls back to
# reading lines from stdin, so the password is written twice to the stdin of
#   docker compose --env-file .env --env-file .env.custom exec -T web \
#     sentry createuser --email <SENTRY_ADMIN_EMAIL> --superuser
# Output is shown with any occurrence of the password masked.
# Sentry must be running (start-sentry.sh).
#
# Run by hand as root:
#   printf '%s\n' "$PASSWORD" | SENTRY_DIR=/data/self-hosted \
#     SENTRY_ADMIN_EMAIL=ops@example.com bash create-admin.sh
#
# Inputs:
#   stdin                first line: the password (required, 1-128 characters).
#   SENTRY_DIR           required (environment). The self-hosted checkout.
#   SENTRY_ADMIN_EMAIL   required (environment). The user's email (login).
#   EXEC_TIMEOUT_SECONDS default 300 (environment). Limit for the exec.
#   HOST_ROOT            default empty. For tests only; leave empty.
#                        Prefix for every absolute host path.
set -euo pipefail

readonly SCRIPT=create-admin
HOST_ROOT="${HOST_ROOT:-}"
SENTRY_DIR="${SENTRY_DIR:-}"
SENTRY_ADMIN_EMAIL="${SENTRY_ADMIN_EMAIL:-}"
EXEC_TIMEOUT_SECONDS="${EXEC_TIMEOUT_SECONDS:-300}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

require_abs_path SENTRY_DIR "$SENTRY_DIR" /data/self-hosted
[[ -n "$SENTRY_ADMIN_EMAIL" ]] || die "SENTRY_ADMIN_EMAIL is required: the superuser's email address, e.g. ops@example.com"
[[ "$SENTRY_ADMIN_EMAIL" =~ $EMAIL_RE ]] ||
  die "SENTRY_ADMIN_EMAIL='$SENTRY_ADMIN_EMAIL' is not an email address like ops@example.com"
require_seconds EXEC_TIMEOUT_SECONDS "$EXEC_TIMEOUT_SECONDS" 300

password=""
IFS= read -r password || true
password="${password%$'\r'}"
[[ -n "$password" ]] ||
  die "no password on stdin: pass it as the first line of standard input (never as an argument or variable)"
((${#password} <= 128)) || die "the password on stdin is longer than 128 characters, which Sentry's user model rejects"

dir="$HOST_ROOT$SENTRY_DIR"
[[ -f "$dir/docker-compose.yml" && -f "$dir/.env.custom" ]] ||
  die "$SENTRY_DIR is not a configured self-hosted checkout (docker-compose.yml or .env.custom missing); run checkout-self-hosted.sh and configure-sentry.sh first"
cd "$dir"
unset_compose_overrides

rc=0
# printf is a bash builtin: the password appears in no process's argv.
output="$(
  printf '%s\n%s\n' "$password" "$password" |
    timeout "$EXEC_TIMEOUT_SECONDS" "${SENTRY_COMPOSE[@]}" \
      exec -T web sentry createuser --email "$SENTRY_ADMIN_EMAIL" --superuser 2>&1
)" || rc=$?
output="${output//"$password"/********}"
# Drop getpass's noise about the missing terminal and the prompts.
shown="$(printf '%s\n' "$output" | grep -v -E 'GetPassWarning|warn\(|Password input may be echoed|^(Password|Repeat for confirmation): *$' | tail -n 20 || true)"

if [[ "$output" == *"exists, use --force-update"* ]]; then
  # Newer Sentry exits 0 here; older releases exited 3 or 1.
  log "user $SENTRY_ADMIN_EMAIL already exists; left unchanged (password not rotated)"
  exit 0
fi
if ((rc != 0)); then
  [[ -n "$shown" ]] && printf '%s\n' "$shown" >&2
  if ((rc == 124)); then
    die "sentry createuser did not finish within EXEC_TIMEOUT_SECONDS=$EXEC_TIMEOUT_SECONDS"
  fi
  die "sentry createuser failed (exit $rc); is Sentry running (start-sentry.sh)? Check: cd $SENTRY_DIR && docker compose --env-file .env --env-file .env.custom ps web"
fi
[[ -n "$shown" ]] && printf '%s\n' "$shown"
log "superuser $SENTRY_ADMIN_EMAIL is ready"
