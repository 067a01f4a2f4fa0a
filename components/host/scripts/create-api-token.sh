#!/usr/bin/env bash
# create-api-token.sh: creates an API token for the first superuser with Sentry itself,
# for the Pulumi provider of Sentry's API (sentry:projects), and prints it on stdout.
# Runs only for stacks that declare projects, after check-health.sh.
#
# How: `sentry exec -c <python>` inside the running web container, with Sentry's own
# models (getsentry/sentry 26.8.0, src/sentry/models/apitoken.py): ApiToken.objects.create
# with token_type=AuthTokenType.USER (an `sntryu_` user auth token, as Settings > Personal
# Tokens makes), the scopes below, and expires_at=None (the model's default is now + 30
# days, after which the next `pulumi up` would fail). The manager stores only the token's
# hash; its plaintext is readable once, right after creation, so a token cannot be read
# back later: every run replaces the tokens of this name with a new one (that is also how it
# is rotated). The python code carries no secret; the token leaves the container only on its
# stdout, which this script passes on as its single stdout line. Messages go to stderr.
# Pulumi stores stdout as a secret (additionalSecretOutputs) and logs none of it.
#
# Run by hand as root (prints a new token and invalidates the one Pulumi holds; run
# `pulumi up` with a higher sentry:apiTokenRotation instead, unless you know why):
#   SENTRY_DIR=/data/self-hosted SENTRY_ADMIN_EMAIL=ops@example.com bash create-api-token.sh
#
# Inputs (environment):
#   SENTRY_DIR               required. The self-hosted checkout (Sentry running).
#   SENTRY_ADMIN_EMAIL       required. The superuser who owns the token.
#   SENTRY_API_TOKEN_NAME    default pulumi-sentry-api. The token's name; earlier tokens
#                            of this name and user are deleted.
#   SENTRY_API_TOKEN_SCOPES  required. Space-separated scopes, e.g. "org:read project:admin".
#   EXEC_TIMEOUT_SECONDS     default 300. Limit for the exec.
#   HOST_ROOT                default empty. For tests only; leave empty.
#                            Prefix for every absolute host path.
set -euo pipefail

readonly SCRIPT=create-api-token
HOST_ROOT="${HOST_ROOT:-}"
SENTRY_DIR="${SENTRY_DIR:-}"
SENTRY_ADMIN_EMAIL="${SENTRY_ADMIN_EMAIL:-}"
SENTRY_API_TOKEN_NAME="${SENTRY_API_TOKEN_NAME:-pulumi-sentry-api}"
SENTRY_API_TOKEN_SCOPES="${SENTRY_API_TOKEN_SCOPES:-}"
EXEC_TIMEOUT_SECONDS="${EXEC_TIMEOUT_SECONDS:-300}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

# Every message to stderr: stdout carries the token and nothing else.
note() { log "$@" >&2; }

require_abs_path SENTRY_DIR "$SENTRY_DIR" /data/self-hosted
[[ "$SENTRY_ADMIN_EMAIL" =~ $EMAIL_RE ]] ||
  die "SENTRY_ADMIN_EMAIL='$SENTRY_ADMIN_EMAIL' is not an email address like ops@example.com"
[[ "$SENTRY_API_TOKEN_NAME" =~ ^[A-Za-z0-9._-]{1,64}$ ]] ||
  die "SENTRY_API_TOKEN_NAME='$SENTRY_API_TOKEN_NAME' must be 1-64 letters, digits, '.', '_' or '-'"
[[ -n "$SENTRY_API_TOKEN_SCOPES" ]] || die "SENTRY_API_TOKEN_SCOPES is required, e.g. 'org:read project:admin'"
for scope in $SENTRY_API_TOKEN_SCOPES; do
  [[ "$scope" =~ ^(org|member|team|project|event|alerts):(read|write|admin)$ ]] ||
    die "SENTRY_API_TOKEN_SCOPES: '$scope' is not a Sentry scope such as project:admin"
done
require_seconds EXEC_TIMEOUT_SECONDS "$EXEC_TIMEOUT_SECONDS" 300

dir="$HOST_ROOT$SENTRY_DIR"
[[ -f "$dir/docker-compose.yml" && -f "$dir/.env.custom" ]] ||
  die "$SENTRY_DIR is not a configured self-hosted checkout (docker-compose.yml or .env.custom missing)"
cd "$dir"
unset_compose_overrides

# Runs in Sentry's Django context (`sentry exec`). Exit 3: no such superuser.
read -r -d '' PY <<'PYTHON' || true
import os
import sys

try:
    from sentry.users.models.user import User
except ImportError:  # releases before the users app moved
    from sentry.models.user import User
from sentry.models.apitoken import ApiToken
from sentry.types.token import AuthTokenType

email = os.environ["SENTRY_DEPLOY_EMAIL"]
name = os.environ["SENTRY_DEPLOY_TOKEN_NAME"]
scopes = os.environ["SENTRY_DEPLOY_TOKEN_SCOPES"].split()
user = User.objects.filter(email__iexact=email, is_superuser=True, is_active=True).order_by("id").first()
if user is None:
    sys.stderr.write("no active superuser with email %s\n" % email)
    sys.exit(3)
removed = 0
for old in ApiToken.objects.filter(user_id=user.id, name=name, application__isnull=True):
    old.delete()
    removed += 1
token = ApiToken.objects.create(
    user_id=user.id,
    name=name,
    scope_list=scopes,
    token_type=AuthTokenType.USER,
    expires_at=None,
)
sys.stderr.write("replaced %d earlier token(s) named %s\n" % (removed, name))
sys.stdout.write("SENTRY_API_TOKEN=%s\n" % token.plaintext_token)
PYTHON

errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
rc=0
output="$(
  timeout "$EXEC_TIMEOUT_SECONDS" "${SENTRY_COMPOSE[@]}" exec -T \
    -e SENTRY_DEPLOY_EMAIL="$SENTRY_ADMIN_EMAIL" \
    -e SENTRY_DEPLOY_TOKEN_NAME="$SENTRY_API_TOKEN_NAME" \
    -e SENTRY_DEPLOY_TOKEN_SCOPES="$SENTRY_API_TOKEN_SCOPES" \
    web sentry exec -c "$PY" </dev/null 2>"$errors"
)" || rc=$?

token="$(printf '%s\n' "$output" | sed -n 's/^SENTRY_API_TOKEN=//p' | tail -n 1)"
# Whatever else was printed, shown without any token in it.
shown="$({ printf '%s\n' "$output" | grep -v '^SENTRY_API_TOKEN=' || true; cat "$errors"; } | sed -E 's/sntryu_[0-9a-f]+/sntryu_********/g' | grep -v '^$' | tail -n 20 || true)"
if ((rc != 0)); then
  [[ -n "$shown" ]] && printf '%s\n' "$shown" >&2
  ((rc == 124)) && die "sentry exec did not finish within EXEC_TIMEOUT_SECONDS=$EXEC_TIMEOUT_SECONDS"
  ((rc == 3)) && die "Sentry has no active superuser $SENTRY_ADMIN_EMAIL; create-admin.sh makes it"
  die "sentry exec failed (exit $rc); is Sentry running? Check: cd $SENTRY_DIR && docker compose --env-file .env --env-file .env.custom ps web"
fi
if ! [[ "$token" =~ ^sntryu_[0-9a-f]{64}$ ]]; then
  [[ -n "$shown" ]] && printf '%s\n' "$shown" >&2
  die "sentry exec printed no user auth token (sntryu_ followed by 64 hex digits)"
fi
[[ -n "$shown" ]] && printf '%s\n' "$shown" >&2
note "API token $SENTRY_API_TOKEN_NAME for $SENTRY_ADMIN_EMAIL created (scopes: $SENTRY_API_TOKEN_SCOPES)"
printf '%s\n' "$token"
