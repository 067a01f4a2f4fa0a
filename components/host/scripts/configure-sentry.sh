#!/usr/bin/env bash
# configure-sentry.sh: writes this deployment's settings into a
# getsentry/self-hosted checkout without touching any tracked file.
#
# Creates sentry/config.yml and sentry/sentry.conf.py from their .example
# files when missing (as the installer does), then keeps one managed block,
# between "# BEGIN configure-sentry.sh managed block" and
# "# END configure-sentry.sh managed block" lines, at the end of:
#   sentry/config.yml      system.url-prefix, system.admin-email,
#                          auth.allow-registration, mail.from and
#                          system.rate-limit (when set), and with SENTRY_SMTP_HOST
#                          mail.backend, mail.host, mail.port, mail.username,
#                          mail.use-tls, mail.use-ssl (never mail.password)
#   sentry/sentry.conf.py  CSRF_TRUSTED_ORIGINS, SENTRY_FEATURES["auth:register"],
#                          SENTRY_OPTIONS["mail.from"] (when set), the
#                          TLS-proxy settings when SENTRY_TLS is proxy or acme,
#                          and with an SMTP password the lines that read
#                          SENTRY_OPTIONS["mail.password"] from its mounted file
#   .env.custom            COMPOSE_PROFILES, SENTRY_BIND,
#                          SENTRY_EVENT_RETENTION_DAYS, SENTRY_MAIL_HOST (when set),
#                          LAUNCHPAD_RPC_SHARED_SECRET (generated once per host);
#                          created with mode 0600 (it may also hold your secrets)
# The block is replaced in place on every run; everything outside it (upstream
# defaults, the installer's secret key, your own edits) is left as it is, and
# a re-run with the same inputs leaves every file byte-identical.
# With SENTRY_REDIS_MAXMEMORY and/or SENTRY_BEHIND_TLS_PROXY=true it also
# writes docker-compose.override.yml, one file for both (a file it owns: it
# refuses to overwrite one it did not write, and removes its own when neither
# is set):
#   redis   upstream's own redis command from docker-compose.yml, plus
#           --maxmemory SENTRY_REDIS_MAXMEMORY --maxmemory-policy volatile-lru
#   nginx   (SENTRY_BEHIND_TLS_PROXY=true) mounts nginx.behind-tls-proxy.conf
#           (untracked, written here) over /etc/nginx/nginx.conf: the checkout's
#           nginx.conf with its one `proxy_set_header X-Forwarded-Proto $scheme;`
#           replaced by the scheme the TLS proxy sent (a `map` on
#           $http_x_forwarded_proto: https or http, else $scheme), so Sentry's
#           SECURE_PROXY_SSL_HEADER sees https. Refused when the directive is not
#           there exactly once, or nginx no longer mounts ./nginx.conf.
#   tls-server (SENTRY_TLS=acme) the TLS server on this host: SENTRY_TLS_IMAGE
#           (Caddy 2) publishing ports 80 and 443, reading $TLS_SERVER_CADDYFILE
#           (untracked, written here from SENTRY_CADDYFILE), keeping certificates,
#           keys and the ACME account in SENTRY_TLS_DATA_DIR (on the data volume),
#           proxying to upstream's nginx on the compose network; nginx itself
#           answers on SENTRY_BIND=127.0.0.1:<port> only. Caddy renews in place
#           (nothing restarts); the CA must reach port 80 (HTTP-01) or 443.
#   web, taskworker (and worker where the tree has it), with an SMTP password:
#           mounts $SMTP_PASSWORD_FILE (root-only, written here from stdin)
#           read-only at /run/secrets/sentry-deploy-smtp-password. Only these
#           containers send mail; no other container sees the file.
# All of it is re-derived from the checked-out tree on every run (Pulumi runs this
# after every checkout), never copied from an older release.
#
# .env.custom is read by install.sh (install/_lib.sh sources it with bash, then
# .env for keys it does not set) and must be passed to every compose command:
#   docker compose --env-file .env --env-file .env.custom ...
# (plain `docker compose` reads only .env and silently drops these overrides).
#
# Run by hand as root, in the checkout or with SENTRY_DIR:
#   SENTRY_DIR=/data/self-hosted SENTRY_URL=http://203.0.113.10:9000 \
#   SENTRY_PROFILE=errors-only SENTRY_ADMIN_EMAIL=ops@example.com bash configure-sentry.sh
#
# Inputs (environment variables):
#   SENTRY_DIR                   default empty = current directory. The checkout.
#   SENTRY_URL                   required. Exact public origin users type:
#                                scheme://host[:port], no path, no trailing slash,
#                                lowercase, no default port (:80 on http, :443 on https).
#   SENTRY_CSRF_TRUSTED_ORIGINS  default empty. Extra origins, space-separated,
#                                same form as SENTRY_URL (https://*.example.com allowed).
#   SENTRY_PROFILE               required. errors-only or feature-complete.
#   SENTRY_BIND                  default 9000. Host port, or IP:PORT, nginx listens on.
#   SENTRY_RETENTION_DAYS        default 90. Event retention in days.
#   SENTRY_ADMIN_EMAIL           required. system.admin-email.
#   SENTRY_ALLOW_REGISTRATION    default false. true lets anyone sign up.
#   SENTRY_SYSTEM_RATE_LIMIT     default 0 (no limit, as upstream). Events per minute the whole
#                                install accepts (system.rate-limit); above it Relay answers 429
#                                with Retry-After, which the SDKs honour, instead of falling over.
#   SENTRY_MAIL_HOST             default empty. Mail domain (FQDN) for .env.custom:
#                                the smtp container's mail name and the default
#                                sender sentry@<it>. Not config.yml's mail.host,
#                                which stays 'smtp' (the bundled smtp container).
#   SENTRY_MAIL_FROM             default empty. Sender address for mail.from,
#                                e.g. sentry@example.com or "Sentry <sentry@example.com>".
#   SENTRY_REDIS_MAXMEMORY       default empty (Redis left unlimited, as upstream).
#                                Memory cap like 1gb or 512mb.
#   SENTRY_TLS                   default: proxy when SENTRY_BEHIND_TLS_PROXY=true, else none.
#                                none: plain HTTP. proxy: a TLS-terminating proxy in front (an
#                                ALB or yours) sends X-Forwarded-Proto; needs an https SENTRY_URL.
#                                acme: the TLS server on this host (above); needs SENTRY_DOMAIN,
#                                SENTRY_URL=https://<SENTRY_DOMAIN>, SENTRY_BIND=127.0.0.1:<port>,
#                                SENTRY_CADDYFILE and SENTRY_TLS_DATA_DIR.
#   SENTRY_BEHIND_TLS_PROXY      default false. The older switch: true = SENTRY_TLS=proxy.
#   SENTRY_DOMAIN                (acme) the name users type, e.g. sentry.example.com.
#   SENTRY_CADDYFILE             (acme) the TLS server's Caddyfile text (Pulumi renders it:
#                                render.ts renderCaddyfile); must serve SENTRY_DOMAIN.
#   SENTRY_TLS_DATA_DIR          (acme) absolute directory for certificates and keys, e.g.
#                                /data/tls (created 0700; kept when acme is switched off).
#   SENTRY_TLS_IMAGE             (acme) default caddy:2.11.9-alpine. A Caddy 2 image (pulled
#                                through SENTRY_IMAGE_MIRRORS when its registry has a mirror).
#   SENTRY_SMTP_HOST             default empty (mail goes to the bundled smtp container, as
#                                upstream). The SMTP server, e.g. email-smtp.us-east-1.amazonaws.com.
#   SENTRY_SMTP_PORT             default 587 (starttls), 465 (tls), 25 (none).
#   SENTRY_SMTP_SECURITY         default starttls. starttls (mail.use-tls), tls (implicit TLS,
#                                mail.use-ssl) or none.
#   SENTRY_SMTP_USERNAME         default empty (no login).
#   SENTRY_SMTP_PASSWORD_STDIN   default false. true: the SMTP password is the first line of
#                                stdin (never an argument or variable); it is written to
#                                $SMTP_PASSWORD_FILE (mode 0400, in a 0700 directory), never
#                                printed. false: that file is removed.
#   SENTRY_IMAGE_MIRRORS         default empty. Registry mirrors, space-separated
#                                REGISTRY=PREFIX pairs, e.g. "ghcr.io=mirror.example.cn/ghcr
#                                docker.io=mirror.example.cn/hub". Every image the checkout
#                                names from such a registry is pulled from PREFIX/<path>:
#                                the *_IMAGE variables of .env (SENTRY_IMAGE, RELAY_IMAGE,
#                                ...) through .env.custom, the images docker-compose.yml
#                                names directly (nginx, postgres, kafka, ...) and the
#                                *IMAGE build arguments (clickhouse's BASE_IMAGE) through
#                                docker-compose.override.yml. Both lists are read from the
#                                checked-out tree on every run.
#   HOST_ROOT                    default empty. For tests only; leave empty.
#                                Prefix for every absolute host path.
set -euo pipefail

readonly SCRIPT=configure-sentry
HOST_ROOT="${HOST_ROOT:-}"
SENTRY_DIR="${SENTRY_DIR:-}"
SENTRY_URL="${SENTRY_URL:-}"
SENTRY_CSRF_TRUSTED_ORIGINS="${SENTRY_CSRF_TRUSTED_ORIGINS:-}"
SENTRY_PROFILE="${SENTRY_PROFILE:-}"
SENTRY_BIND="${SENTRY_BIND:-9000}"
SENTRY_RETENTION_DAYS="${SENTRY_RETENTION_DAYS:-90}"
SENTRY_ADMIN_EMAIL="${SENTRY_ADMIN_EMAIL:-}"
SENTRY_ALLOW_REGISTRATION="${SENTRY_ALLOW_REGISTRATION:-false}"
SENTRY_SYSTEM_RATE_LIMIT="${SENTRY_SYSTEM_RATE_LIMIT:-0}"
SENTRY_MAIL_HOST="${SENTRY_MAIL_HOST:-}"
SENTRY_MAIL_FROM="${SENTRY_MAIL_FROM:-}"
SENTRY_REDIS_MAXMEMORY="${SENTRY_REDIS_MAXMEMORY:-}"
SENTRY_BEHIND_TLS_PROXY="${SENTRY_BEHIND_TLS_PROXY:-false}"
SENTRY_IMAGE_MIRRORS="${SENTRY_IMAGE_MIRRORS:-}"
SENTRY_TLS="${SENTRY_TLS:-}"
SENTRY_DOMAIN="${SENTRY_DOMAIN:-}"
SENTRY_CADDYFILE="${SENTRY_CADDYFILE:-}"
SENTRY_TLS_DATA_DIR="${SENTRY_TLS_DATA_DIR:-}"
SENTRY_TLS_IMAGE="${SENTRY_TLS_IMAGE:-caddy:2.11.9-alpine}"
SENTRY_SMTP_HOST="${SENTRY_SMTP_HOST:-}"
SENTRY_SMTP_SECURITY="${SENTRY_SMTP_SECURITY:-starttls}"
SENTRY_SMTP_PORT="${SENTRY_SMTP_PORT:-}"
SENTRY_SMTP_USERNAME="${SENTRY_SMTP_USERNAME:-}"
SENTRY_SMTP_PASSWORD_STDIN="${SENTRY_SMTP_PASSWORD_STDIN:-false}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

readonly BEGIN_TAG="# BEGIN configure-sentry.sh managed block"
readonly END_TAG="# END configure-sentry.sh managed block"
readonly OVERRIDE_TAG="# Managed by configure-sentry.sh"
readonly HOST_RE='([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*'

# check_origin NAME VALUE [allow_wildcard]: an origin as browsers send it.
check_origin() {
  local name="$1" value="$2" wildcard="${3:-}" host_re="$HOST_RE" scheme port
  [[ -n "$wildcard" ]] && host_re="(\*\.)?$HOST_RE"
  local re="^(https?)://($host_re|\[[0-9a-f:.]+\])(:([0-9]{1,5}))?$"
  if ! [[ "$value" =~ $re ]]; then
    if [[ "${value,,}" == "$value" ]]; then
      die "$name='$value' is not an origin: use scheme://host[:port] with no path and no trailing slash, e.g. https://sentry.example.com or http://203.0.113.10:9000"
    fi
    die "$name='$value' must be lowercase (browsers send the origin in lowercase), e.g. ${value,,}"
  fi
  scheme="${BASH_REMATCH[1]}"
  port="${BASH_REMATCH[-1]}"
  if [[ -n "$port" ]]; then
    if ((10#$port < 1 || 10#$port > 65535)) || [[ "$port" == 0* ]]; then
      die "$name='$value' has an invalid port '$port'"
    fi
    if [[ "$scheme:$port" == http:80 || "$scheme:$port" == https:443 ]]; then
      die "$name='$value' names the default port; browsers omit it from the origin, so drop ':$port'"
    fi
  fi
}

is_bool() { [[ "$1" == true || "$1" == false ]]; }

# ---------------------------------------------------------------- validation
[[ -n "$SENTRY_URL" ]] || die "SENTRY_URL is required: the exact public origin users open, e.g. http://203.0.113.10:9000 or https://sentry.example.com"
check_origin SENTRY_URL "$SENTRY_URL"
read -r -a extra_origins <<<"$SENTRY_CSRF_TRUSTED_ORIGINS"
for o in "${extra_origins[@]}"; do
  check_origin SENTRY_CSRF_TRUSTED_ORIGINS "$o" wildcard
done
case "$SENTRY_PROFILE" in
errors-only | feature-complete) ;;
"") die "SENTRY_PROFILE is required: errors-only (2 CPUs / 7000 MB minimum) or feature-complete (4 CPUs / 14000 MB minimum)" ;;
*) die "SENTRY_PROFILE='$SENTRY_PROFILE' must be errors-only or feature-complete" ;;
esac
if ! [[ "$SENTRY_BIND" =~ ^(([0-9]{1,3}\.){3}[0-9]{1,3}:)?([1-9][0-9]{0,4})$ ]] || ((BASH_REMATCH[3] > 65535)); then
  die "SENTRY_BIND='$SENTRY_BIND' must be a port (9000) or IP:PORT (127.0.0.1:9000)"
fi
bind_port="${BASH_REMATCH[3]}"
[[ "$SENTRY_RETENTION_DAYS" =~ ^[1-9][0-9]{0,4}$ ]] ||
  die "SENTRY_RETENTION_DAYS='$SENTRY_RETENTION_DAYS' must be a positive whole number of days, e.g. 90"
[[ -n "$SENTRY_ADMIN_EMAIL" ]] || die "SENTRY_ADMIN_EMAIL is required: the address shown as Sentry's administrator, e.g. ops@example.com"
[[ "$SENTRY_ADMIN_EMAIL" =~ $EMAIL_RE ]] || die "SENTRY_ADMIN_EMAIL='$SENTRY_ADMIN_EMAIL' is not an email address like ops@example.com"
is_bool "$SENTRY_ALLOW_REGISTRATION" || die "SENTRY_ALLOW_REGISTRATION='$SENTRY_ALLOW_REGISTRATION' must be true or false"
[[ "$SENTRY_SYSTEM_RATE_LIMIT" =~ ^(0|[1-9][0-9]{0,8})$ ]] ||
  die "SENTRY_SYSTEM_RATE_LIMIT='$SENTRY_SYSTEM_RATE_LIMIT' must be a whole number of events per minute (0 = no limit), e.g. 6000"
is_bool "$SENTRY_BEHIND_TLS_PROXY" || die "SENTRY_BEHIND_TLS_PROXY='$SENTRY_BEHIND_TLS_PROXY' must be true or false"
case "$SENTRY_TLS" in
"") SENTRY_TLS=$([[ "$SENTRY_BEHIND_TLS_PROXY" == true ]] && echo proxy || echo none) ;;
none)
  [[ "$SENTRY_BEHIND_TLS_PROXY" == false ]] ||
    die "SENTRY_TLS=none contradicts SENTRY_BEHIND_TLS_PROXY=true; set SENTRY_TLS=proxy (a TLS proxy in front) or drop SENTRY_BEHIND_TLS_PROXY"
  ;;
proxy | acme) ;;
alb) die "SENTRY_TLS='alb' is the program's name for a load balancer in front; on the host that is SENTRY_TLS=proxy" ;;
*) die "SENTRY_TLS='$SENTRY_TLS' must be none, proxy (TLS terminated in front) or acme (the TLS server on this host)" ;;
esac
# Behind proxy and acme alike Sentry sees https through nginx (secure cookies, X-Forwarded-Proto).
[[ "$SENTRY_TLS" != none ]] && SENTRY_BEHIND_TLS_PROXY=true
if [[ "$SENTRY_TLS" == acme ]]; then
  [[ -n "$SENTRY_DOMAIN" ]] || die "SENTRY_TLS=acme needs SENTRY_DOMAIN, the name users type (e.g. sentry.example.com)"
  [[ "$SENTRY_DOMAIN" =~ ^$HOST_RE$ && "$SENTRY_DOMAIN" == *.* ]] ||
    die "SENTRY_DOMAIN='$SENTRY_DOMAIN' must be a lowercase domain name like sentry.example.com"
  [[ "$SENTRY_URL" == "https://$SENTRY_DOMAIN" ]] ||
    die "SENTRY_TLS=acme serves https://$SENTRY_DOMAIN, but SENTRY_URL='$SENTRY_URL'; set SENTRY_URL=https://$SENTRY_DOMAIN"
  [[ "$SENTRY_BIND" =~ ^127\.0\.0\.1:[0-9]+$ ]] ||
    die "SENTRY_TLS=acme puts the TLS server on ports 80 and 443, with nginx behind it on loopback; set SENTRY_BIND=127.0.0.1:<port> (got '$SENTRY_BIND')"
  [[ -n "$SENTRY_CADDYFILE" ]] || die "SENTRY_TLS=acme needs SENTRY_CADDYFILE, the TLS server's Caddyfile (the deployment renders it)"
  grep -qxF "$SENTRY_DOMAIN {" <<<"$SENTRY_CADDYFILE" ||
    die "SENTRY_CADDYFILE has no site block for SENTRY_DOMAIN='$SENTRY_DOMAIN' (a line '$SENTRY_DOMAIN {'); render it for this domain"
  require_abs_path SENTRY_TLS_DATA_DIR "$SENTRY_TLS_DATA_DIR" /data/tls
  [[ "$SENTRY_TLS_IMAGE" =~ ^[a-z0-9][a-z0-9._/:@-]*$ ]] ||
    die "SENTRY_TLS_IMAGE='$SENTRY_TLS_IMAGE' is not an image reference like caddy:2.11.9-alpine"
fi
if [[ -n "$SENTRY_SMTP_HOST" ]]; then
  [[ "${SENTRY_SMTP_HOST,,}" =~ ^$HOST_RE$ ]] ||
    die "SENTRY_SMTP_HOST='$SENTRY_SMTP_HOST' must be a host name or address like email-smtp.us-east-1.amazonaws.com"
  case "$SENTRY_SMTP_SECURITY" in
  starttls) default_port=587 ;;
  tls) default_port=465 ;;
  none) default_port=25 ;;
  *) die "SENTRY_SMTP_SECURITY='$SENTRY_SMTP_SECURITY' must be starttls (port 587), tls (implicit TLS, port 465) or none" ;;
  esac
  SENTRY_SMTP_PORT="${SENTRY_SMTP_PORT:-$default_port}"
  if ! [[ "$SENTRY_SMTP_PORT" =~ ^[1-9][0-9]{0,4}$ ]] || ((SENTRY_SMTP_PORT > 65535)); then
    die "SENTRY_SMTP_PORT='$SENTRY_SMTP_PORT' must be a port, e.g. $default_port for $SENTRY_SMTP_SECURITY"
  fi
  [[ "$SENTRY_SMTP_USERNAME" =~ ^[^[:space:][:cntrl:]]*$ ]] ||
    die "SENTRY_SMTP_USERNAME must not contain spaces or control characters"
  is_bool "$SENTRY_SMTP_PASSWORD_STDIN" || die "SENTRY_SMTP_PASSWORD_STDIN='$SENTRY_SMTP_PASSWORD_STDIN' must be true or false"
  if [[ -n "$SENTRY_SMTP_USERNAME" && "$SENTRY_SMTP_PASSWORD_STDIN" == false ]]; then
    die "SENTRY_SMTP_USERNAME='$SENTRY_SMTP_USERNAME' is set but no password comes on stdin; set SENTRY_SMTP_PASSWORD_STDIN=true and pipe the password in (first line of stdin)"
  fi
elif [[ "$SENTRY_SMTP_PASSWORD_STDIN" == true || -n "$SENTRY_SMTP_USERNAME" ]]; then
  die "an SMTP username or password was given without SENTRY_SMTP_HOST; set the SMTP server too"
fi
smtp_password=""
if [[ "$SENTRY_SMTP_PASSWORD_STDIN" == true ]]; then
  IFS= read -r smtp_password || true
  smtp_password="${smtp_password%$'\r'}"
  [[ -n "$smtp_password" ]] ||
    die "SENTRY_SMTP_PASSWORD_STDIN=true but there is no password on stdin: pass it as the first line of standard input (never as an argument or variable)"
fi
if [[ -n "$SENTRY_MAIL_HOST" ]] && ! [[ "${SENTRY_MAIL_HOST,,}" =~ ^$HOST_RE$ && "$SENTRY_MAIL_HOST" == *.* ]]; then
  die "SENTRY_MAIL_HOST='$SENTRY_MAIL_HOST' must be a fully qualified domain name like mail.example.com"
fi
if [[ -n "$SENTRY_MAIL_FROM" ]]; then
  mail_addr="$SENTRY_MAIL_FROM"
  if [[ "$SENTRY_MAIL_FROM" =~ ^[A-Za-z0-9][A-Za-z0-9\ ._-]*\ \<([^<>]+)\>$ ]]; then mail_addr="${BASH_REMATCH[1]}"; fi
  [[ "$mail_addr" =~ $EMAIL_RE ]] ||
    die "SENTRY_MAIL_FROM='$SENTRY_MAIL_FROM' must be an address (sentry@example.com) or 'Name <sentry@example.com>'"
fi
if [[ -n "$SENTRY_REDIS_MAXMEMORY" ]]; then
  [[ "${SENTRY_REDIS_MAXMEMORY,,}" =~ ^[1-9][0-9]*(b|k|kb|m|mb|g|gb)?$ ]] ||
    die "SENTRY_REDIS_MAXMEMORY='$SENTRY_REDIS_MAXMEMORY' must be a Redis memory size like 1gb or 512mb (or empty for no cap)"
  SENTRY_REDIS_MAXMEMORY="${SENTRY_REDIS_MAXMEMORY,,}"
fi
parse_image_mirrors SENTRY_IMAGE_MIRRORS "$SENTRY_IMAGE_MIRRORS"
if [[ "$SENTRY_BEHIND_TLS_PROXY" == true && "$SENTRY_URL" != https://* ]]; then
  die "SENTRY_TLS=$SENTRY_TLS (SENTRY_BEHIND_TLS_PROXY=true) marks cookies secure, which breaks login over '$SENTRY_URL'; use the proxy's https:// origin as SENTRY_URL"
fi

if [[ -n "$SENTRY_DIR" ]]; then
  [[ "$SENTRY_DIR" == /* ]] || die "SENTRY_DIR='$SENTRY_DIR' must be an absolute path, e.g. /data/self-hosted"
  dir="$HOST_ROOT$SENTRY_DIR"
else
  dir="$PWD"
fi
for f in .env docker-compose.yml sentry/config.example.yml sentry/sentry.conf.example.py; do
  [[ -f "$dir/$f" ]] || die "${SENTRY_DIR:-$PWD} is not a self-hosted checkout ($f is missing); run checkout-self-hosted.sh first or set SENTRY_DIR"
done
cd "$dir"

# ------------------------------------------------------------------- helpers
changed=()
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# install_if_changed NEW TARGET [MODE]: replaces TARGET with NEW (keeping
# TARGET's owner and mode; MODE, default 0644, for a new file) only when the
# content differs.
install_if_changed() {
  local new="$1" target="$2" mode="${3:-0644}"
  if [[ -e "$target" ]] && cmp -s "$new" "$target"; then
    return 0
  fi
  if [[ -e "$target" ]]; then
    chmod --reference="$target" "$new"
    chown --reference="$target" "$new" 2>/dev/null || true
  else
    chmod "$mode" "$new"
  fi
  cp -p "$new" "$target.configure-sentry.tmp"
  mv -f "$target.configure-sentry.tmp" "$target"
  changed+=("$target")
}

# set_managed_block FILE BLOCKFILE [MODE]: replaces the managed block in FILE
# with BLOCKFILE (which carries the BEGIN/END lines), or appends it. A new
# FILE gets MODE (default 0644).
set_managed_block() {
  local file="$1" block="$2" mode="${3:-0644}" src="$1" out="$work/out" rc=0
  if [[ ! -e "$file" ]]; then
    src="$work/empty"
    : >"$src"
  fi
  awk -v b="$BEGIN_TAG" -v e="$END_TAG" -v blockfile="$block" '
    function emit(  l) { while ((getline l < blockfile) > 0) print l; close(blockfile) }
    index($0, b) == 1 { if (state != 0) bad = 1; state = 1; emit(); next }
    index($0, e) == 1 { if (state != 1) bad = 1; state = 2; next }
    state == 1 { next }
    { print; last = $0 }
    END {
      if (state == 1) bad = 1
      if (bad) exit 3
      if (state == 0) { if (NR > 0 && last != "") print ""; emit() }
    }
  ' "$src" >"$out" || rc=$?
  if ((rc == 3)); then
    die "$file has unmatched or repeated '$BEGIN_TAG'/'$END_TAG' lines; fix them by hand (keep one pair) and re-run"
  elif ((rc != 0)); then
    die "could not update $file"
  fi
  install_if_changed "$out" "$file" "$mode"
}

# note_outside FILE REGEX WHAT: mentions settings outside the managed block
# that the block overrides (it comes last, so it wins).
note_outside() {
  local file="$1" regex="$2" lines
  lines="$(NOTE_RE="$regex" awk -v b="$BEGIN_TAG" -v e="$END_TAG" '
    index($0, b) == 1 { inside = 1; next }
    index($0, e) == 1 { inside = 0; next }
    !inside && $0 ~ ENVIRON["NOTE_RE"] { printf "%s%d", sep, NR; sep = "," }
  ' "$file")"
  if [[ -n "$lines" ]]; then
    log "note: $file also sets $3 outside the managed block (line $lines); the managed block comes later and wins"
  fi
}

yaml_str() { printf "'%s'" "${1//\'/\'\'}"; }

# ------------------------------------------------------------ config files
for target in sentry/config.yml sentry/sentry.conf.py; do
  if [[ ! -f "$target" ]]; then
    example="${target%.*}.example.${target##*.}"
    cp -n "$example" "$target"
    log "created $target from $example"
  fi
done

header="$BEGIN_TAG (edits inside are overwritten on the next deploy)"

{
  echo "$header"
  echo "system.url-prefix: $(yaml_str "$SENTRY_URL")"
  echo "system.admin-email: $(yaml_str "$SENTRY_ADMIN_EMAIL")"
  echo "auth.allow-registration: $SENTRY_ALLOW_REGISTRATION"
  if [[ "$SENTRY_SYSTEM_RATE_LIMIT" != 0 ]]; then
    echo "system.rate-limit: $SENTRY_SYSTEM_RATE_LIMIT"
  fi
  if [[ -n "$SENTRY_MAIL_FROM" ]]; then
    echo "mail.from: $(yaml_str "$SENTRY_MAIL_FROM")"
  fi
  if [[ -n "$SENTRY_SMTP_HOST" ]]; then
    echo "mail.backend: 'smtp'"
    echo "mail.host: $(yaml_str "$SENTRY_SMTP_HOST")"
    echo "mail.port: $SENTRY_SMTP_PORT"
    echo "mail.username: $(yaml_str "$SENTRY_SMTP_USERNAME")"
    echo "mail.use-tls: $([[ "$SENTRY_SMTP_SECURITY" == starttls ]] && echo true || echo false)"
    echo "mail.use-ssl: $([[ "$SENTRY_SMTP_SECURITY" == tls ]] && echo true || echo false)"
  fi
  echo "$END_TAG"
} >"$work/config.yml.block"
set_managed_block sentry/config.yml "$work/config.yml.block"
note_outside sentry/config.yml '^(system\.url-prefix|system\.admin-email|auth\.allow-registration|mail\.from|system\.rate-limit)[[:space:]]*:' \
  "system.url-prefix/system.admin-email/auth.allow-registration/mail.from/system.rate-limit"
if [[ -n "$SENTRY_SMTP_HOST" ]]; then
  note_outside sentry/config.yml '^mail\.(backend|host|port|username|use-tls|use-ssl)[[:space:]]*:' "mail.*"
fi
# config.yml wins over sentry.conf.py: a mail.password there would hide the mounted one.
note_outside sentry/config.yml '^mail\.password[[:space:]]*:' "mail.password (which wins over the password file this script keeps)"

origins=("$SENTRY_URL")
for o in "${extra_origins[@]}"; do
  [[ " ${origins[*]} " == *" $o "* ]] || origins+=("$o")
done
py_list=""
for o in "${origins[@]}"; do py_list+="${py_list:+, }\"$o\""; done
py_bool=False
[[ "$SENTRY_ALLOW_REGISTRATION" == true ]] && py_bool=True
{
  echo "$header"
  echo "CSRF_TRUSTED_ORIGINS = [$py_list]"
  echo "SENTRY_FEATURES[\"auth:register\"] = $py_bool"
  if [[ -n "$SENTRY_MAIL_FROM" ]]; then
    # Upstream's sentry.conf.py derives mail.from from SENTRY_MAIL_HOST; set it
    # here too so both files agree whichever one Sentry lets win.
    echo "SENTRY_OPTIONS[\"mail.from\"] = \"$SENTRY_MAIL_FROM\""
  fi
  if [[ "$SENTRY_BEHIND_TLS_PROXY" == true ]]; then
    echo 'SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")'
    echo "USE_X_FORWARDED_HOST = True"
    echo "SESSION_COOKIE_SECURE = True"
    echo "CSRF_COOKIE_SECURE = True"
    echo "SOCIAL_AUTH_REDIRECT_IS_HTTPS = True"
  fi
  if [[ -n "$smtp_password" ]]; then
    echo "# mail.password: from a root-only file mounted only into the services that send mail."
    echo "try:"
    echo "    with open(\"$SMTP_PASSWORD_TARGET\") as _sentry_deploy_f:"
    printf '%s\n' '        SENTRY_OPTIONS["mail.password"] = _sentry_deploy_f.read().rstrip("\n")'
    echo "except FileNotFoundError:"
    echo "    pass"
  fi
  echo "$END_TAG"
} >"$work/sentry.conf.py.block"
set_managed_block sentry/sentry.conf.py "$work/sentry.conf.py.block"
note_outside sentry/sentry.conf.py '^(CSRF_TRUSTED_ORIGINS|SENTRY_FEATURES\[.auth:register.\]|SECURE_PROXY_SSL_HEADER|USE_X_FORWARDED_HOST|SESSION_COOKIE_SECURE|CSRF_COOKIE_SECURE|SOCIAL_AUTH_REDIRECT_IS_HTTPS)[[:space:]]*=' \
  "CSRF/registration/TLS-proxy settings"

# ---------------------------------------------------------------- .env.custom
# Values are validated above to need no quoting in bash or in compose env files.
# Upstream's .env ships LAUNCHPAD_RPC_SHARED_SECRET=supersecret for every install; give this
# host its own, generated once on the host (it never travels through Pulumi) and kept.
launchpad_secret=""
if [[ -f .env.custom ]]; then
  launchpad_secret="$(sed -n 's/^LAUNCHPAD_RPC_SHARED_SECRET=\([0-9a-f]\{64\}\)$/\1/p' .env.custom | tail -n 1)"
fi
if [[ -z "$launchpad_secret" ]]; then
  launchpad_secret="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
fi
# env_images: NAME=REF for each *_IMAGE variable .env sets to a literal image (SENTRY_IMAGE, ...).
env_images() { sed -n -E 's/^([A-Z][A-Z0-9_]*_IMAGE)=([^[:space:]"'"'"'$]+)$/\1=\2/p' .env; }
{
  echo "$header"
  echo "COMPOSE_PROFILES=$SENTRY_PROFILE"
  echo "SENTRY_BIND=$SENTRY_BIND"
  echo "SENTRY_EVENT_RETENTION_DAYS=$SENTRY_RETENTION_DAYS"
  echo "LAUNCHPAD_RPC_SHARED_SECRET=$launchpad_secret"
  if [[ -n "$SENTRY_MAIL_HOST" ]]; then
    echo "SENTRY_MAIL_HOST=$SENTRY_MAIL_HOST"
  fi
  # SENTRY_IMAGE_MIRRORS: the images .env names (ghcr.io/getsentry/*), from a mirror.
  while IFS='=' read -r name ref; do
    mirrored="$(mirror_image "$ref")"
    [[ "$mirrored" == "$ref" ]] || echo "$name=$mirrored"
  done < <(env_images)
  echo "$END_TAG"
} >"$work/env.block"
set_managed_block .env.custom "$work/env.block" 0600
note_outside .env.custom '^(export[[:space:]]+)?(COMPOSE_PROFILES|SENTRY_BIND|SENTRY_EVENT_RETENTION_DAYS|SENTRY_MAIL_HOST)=' \
  "COMPOSE_PROFILES/SENTRY_BIND/SENTRY_EVENT_RETENTION_DAYS/SENTRY_MAIL_HOST"

# ------------------------------------------------- docker-compose.override.yml
# Everything below is derived from the checked-out tree on every run (this step
# re-runs after every checkout), so an upgrade never keeps an override made for
# the previous release.
override=docker-compose.override.yml
ours=0
if [[ -f "$override" ]] && [[ "$(head -n 1 "$override")" == "$OVERRIDE_TAG"* ]]; then ours=1; fi
wants=()
[[ -n "$SENTRY_REDIS_MAXMEMORY" ]] && wants+=(SENTRY_REDIS_MAXMEMORY)
[[ "$SENTRY_BEHIND_TLS_PROXY" == true ]] && wants+=(SENTRY_BEHIND_TLS_PROXY)
# SENTRY_IMAGE_MIRRORS: "<service> image <ref>" and "<service> arg <NAME> <ref>" for every
# literal image docker-compose.yml names under services: (not the *-local images the
# installer builds, not ${VAR} references, which .env.custom covers).
compose_images() {
  awk '
    /^services:/ { inside = 1; next }
    /^[^[:space:]#]/ { inside = 0 }
    !inside { next }
    /^  [a-z0-9][a-z0-9_.-]*:[[:space:]]*$/ { service = $1; sub(/:$/, "", service); next }
    {
      line = $0; gsub(/["\047]/, "", line)
      if (match(line, /^    image:[[:space:]]*[^[:space:]]+[[:space:]]*$/)) {
        ref = line; sub(/^    image:[[:space:]]*/, "", ref); sub(/[[:space:]]*$/, "", ref)
        print service, "image", ref
      } else if (match(line, /^        [A-Z_]*IMAGE:[[:space:]]*[^[:space:]]+[[:space:]]*$/)) {
        name = line; sub(/^[[:space:]]*/, "", name); ref = name
        sub(/:.*$/, "", name); sub(/^[A-Z_]*IMAGE:[[:space:]]*/, "", ref); sub(/[[:space:]]*$/, "", ref)
        print service, "arg", name, ref
      }
    }
  ' docker-compose.yml | awk '$NF !~ /\$/ && $NF !~ /-local$/'
}
mirrored_services=()
if ((${#IMAGE_MIRRORS[@]} > 0)); then
  while read -r service kind a b; do
    ref="${b:-$a}"
    [[ "$(mirror_image "$ref")" != "$ref" ]] && mirrored_services+=("$service")
  done < <(compose_images)
  ((${#mirrored_services[@]} > 0)) && wants+=(SENTRY_IMAGE_MIRRORS)
  # The checkout's images from registries that have no mirror here: said on every run, so a
  # host without free egress learns which pulls will go out (and hang) before install.sh does.
  declare -A unmirrored=()
  while read -r ref; do
    [[ "$(mirror_image "$ref")" == "$ref" ]] || continue
    registry="$(image_registry "$ref")"
    unmirrored["$registry"]+="${unmirrored[$registry]:+, }$ref"
  done < <({ compose_images | awk '{ print $NF }'; env_images | cut -d= -f2-; } | sort -u)
  while read -r registry; do
    [[ -n "$registry" ]] || continue
    hub=""
    [[ "$registry" == docker.io ]] && hub=" (or through daemon.json's registry-mirrors, when install-docker.sh set DOCKER_REGISTRY_MIRRORS)"
    log "no mirror for $registry in SENTRY_IMAGE_MIRRORS: ${unmirrored[$registry]} will be pulled from $registry itself$hub; add $registry=<mirror>/<path> to SENTRY_IMAGE_MIRRORS (sentry:mirrors.registries) to take them from a mirror"
  done < <(printf '%s\n' "${!unmirrored[@]}" | sort)
fi
[[ "$SENTRY_TLS" == acme ]] && wants+=(SENTRY_TLS=acme)
[[ -n "$smtp_password" ]] && wants+=(SMTP password)
if ((${#wants[@]} > 0)) && [[ -e "$override" && "$ours" == 0 ]]; then
  die "$override exists and was not written by this script; move it away and re-run (this script then writes it, for ${wants[*]}), or unset ${wants[*]}"
fi

# service_block SERVICE: the docker-compose.yml lines of one service.
service_block() {
  awk -v s="  $1:" '
    $0 == s || index($0, s " ") == 1 || index($0, s "\t") == 1 { inside = 1; next }
    inside && /^  [^[:space:]#]/ { inside = 0 }
    inside && /^[^[:space:]#]/ { inside = 0 }
    inside { print }
  ' docker-compose.yml
}

{
  echo "$OVERRIDE_TAG (${wants[*]}); edits are overwritten."
  echo "services:"
} >"$work/override"

if [[ -n "$SENTRY_REDIS_MAXMEMORY" ]]; then
  # Find how upstream starts Redis: in 26.8.0 the `redis` service (a valkey
  # image) runs `command: ["valkey-server", "/usr/local/etc/redis/redis.conf"]`
  # with the tracked redis.conf bind-mounted read-only.
  redis_cmd="$(service_block redis | sed -n 's/^    command:[[:space:]]*//p' | head -n 1)"
  cmd_re='^\[[[:space:]]*"([a-z-]+-server)"[[:space:]]*,[[:space:]]*"(/[^"]+\.conf)"[[:space:]]*\][[:space:]]*$'
  if ! [[ "$redis_cmd" =~ $cmd_re ]]; then
    die "docker-compose.yml no longer starts the redis service as [\"<redis|valkey>-server\", \"<config file>\"] (found: '${redis_cmd:-no command}'); update the override in configure-sentry.sh, or leave SENTRY_REDIS_MAXMEMORY empty"
  fi
  server_bin="${BASH_REMATCH[1]}"
  server_conf="${BASH_REMATCH[2]}"
  cat >>"$work/override" <<EOF
  # Caps Redis memory: upstream's tracked redis.conf sets \`maxmemory 0\` (no limit),
  # and a full Redis has taken Sentry hosts down. The redis service runs
  # \`$server_bin $server_conf\` with that file bind-mounted read-only;
  # arguments after the config file override its directives, so this repeats
  # upstream's command and appends the cap instead of editing a tracked file.
  # Policy volatile-lru (upstream's own choice in redis.conf): Redis is both a
  # cache and a processing store here, so only keys with a TTL (caches, rate
  # limits, event-processing entries) are evicted, never keys without one.
  redis:
    command:
      - "$server_bin"
      - "$server_conf"
      - "--maxmemory"
      - "$SENTRY_REDIS_MAXMEMORY"
      - "--maxmemory-policy"
      - "volatile-lru"
EOF
fi

# Behind a TLS proxy: upstream's nginx.conf sends `X-Forwarded-Proto $scheme`,
# always http here, so SECURE_PROXY_SSL_HEADER never matches. Derive an
# nginx.conf from the checkout's own with that one directive replaced by the
# scheme the proxy sent (https or http; anything else falls back to $scheme),
# and mount it over upstream's. The tracked file stays as it is.
derived="$TLS_PROXY_NGINX_CONF"
if [[ "$SENTRY_BEHIND_TLS_PROXY" == true ]]; then
  nginx_block="$(service_block nginx)"
  if ! grep -Eq '^[[:space:]]+source: \./nginx\.conf[[:space:]]*$' <<<"$nginx_block" ||
    ! grep -Eq '^[[:space:]]+target: /etc/nginx/nginx\.conf[[:space:]]*$' <<<"$nginx_block"; then
    die "docker-compose.yml's nginx service no longer bind-mounts ./nginx.conf at /etc/nginx/nginx.conf; update configure-sentry.sh, or set SENTRY_BEHIND_TLS_PROXY=false"
  fi
  [[ -f nginx.conf ]] || die "nginx.conf is missing from the checkout; run checkout-self-hosted.sh again"
  # shellcheck disable=SC2016 # a literal $scheme, as nginx.conf spells it
  proto_re='^[[:space:]]*proxy_set_header[[:space:]]+X-Forwarded-Proto[[:space:]]+\$scheme;[[:space:]]*$'
  found="$(grep -Ec "$proto_re" nginx.conf || true)"
  if [[ "$found" != 1 ]]; then
    die "nginx.conf sets 'proxy_set_header X-Forwarded-Proto \$scheme;' $found times, not once; update configure-sentry.sh for this release, or set SENTRY_BEHIND_TLS_PROXY=false"
  fi
  PROTO_RE="$proto_re" awk '
    NR == 1 {
      print "# Derived by configure-sentry.sh from this checkout'"'"'s nginx.conf (SENTRY_BEHIND_TLS_PROXY=true);"
      print "# re-derived on every deploy, edits are overwritten. Only X-Forwarded-Proto differs."
    }
    $0 ~ ENVIRON["PROTO_RE"] {
      indent = $0
      sub(/[^[:space:]].*$/, "", indent)
      print indent "map $http_x_forwarded_proto $sentry_deploy_forwarded_proto {"
      print indent "\tdefault $scheme;"
      print indent "\thttps https;"
      print indent "\thttp http;"
      print indent "}"
      print indent "proxy_set_header X-Forwarded-Proto $sentry_deploy_forwarded_proto;"
      next
    }
    { print }
  ' nginx.conf >"$work/nginx.conf"
  install_if_changed "$work/nginx.conf" "$derived"
  cat >>"$work/override" <<EOF
  # SENTRY_BEHIND_TLS_PROXY=true: nginx reads $derived, this checkout's
  # nginx.conf with X-Forwarded-Proto taken from the TLS proxy instead of \$scheme.
  nginx:
    volumes:
      - type: bind
        read_only: true
        source: ./$derived
        target: /etc/nginx/nginx.conf
EOF
elif [[ -e "$derived" ]]; then
  rm -f "$derived"
  changed+=("$derived (removed: SENTRY_BEHIND_TLS_PROXY=false)")
fi

if ((${#mirrored_services[@]} > 0)); then
  echo "  # SENTRY_IMAGE_MIRRORS: the images docker-compose.yml names directly, from a mirror." >>"$work/override"
  while read -r service kind a b; do
    if [[ "$kind" == image ]]; then mirrored="$(mirror_image "$a")"; else mirrored="$(mirror_image "$b")"; fi
    [[ "$mirrored" != "${b:-$a}" ]] || continue
    if [[ "$kind" == image ]]; then
      lines="    image: \"$mirrored\""
    else
      lines="$(printf '    build:\n      args:\n        %s: "%s"' "$a" "$mirrored")"
    fi
    if grep -qx "  $service:" "$work/override"; then
      # A service the override already names (redis, nginx): its image goes into that block.
      SERVICE="  $service:" LINES="$lines" awk '{ print } $0 == ENVIRON["SERVICE"] { print ENVIRON["LINES"] }' \
        "$work/override" >"$work/override.new"
      mv -f "$work/override.new" "$work/override"
    else
      printf '  %s:\n%s\n' "$service" "$lines" >>"$work/override"
    fi
  done < <(compose_images)
fi

# The TLS server on this host (SENTRY_TLS=acme): Caddy in the compose project, in
# front of upstream's nginx. Its Caddyfile is bind-mounted (start-sentry.sh
# recreates it alone when the file changes); its certificates live on the data
# volume and a renewal rewrites only them, so nothing restarts.
caddyfile="$TLS_SERVER_CADDYFILE"
if [[ "$SENTRY_TLS" == acme ]]; then
  printf '%s\n' "${SENTRY_CADDYFILE%$'\n'}" >"$work/Caddyfile"
  install_if_changed "$work/Caddyfile" "$caddyfile"
  tls_dir="$HOST_ROOT$SENTRY_TLS_DATA_DIR"
  for d in "$tls_dir" "$tls_dir/data" "$tls_dir/config"; do
    if [[ ! -d "$d" ]]; then
      install -d -m 0700 "$d"
      changed+=("${d#"$HOST_ROOT"}")
    fi
  done
  cat >>"$work/override" <<EOF
  # SENTRY_TLS=acme: the TLS server. It answers on ports 80 and 443 (the ACME CA
  # must reach port 80 for HTTP-01 or 443 for TLS-ALPN-01), obtains and renews the
  # certificate of $SENTRY_DOMAIN, redirects http:// to https:// and proxies to
  # nginx (which answers on SENTRY_BIND=$SENTRY_BIND only) with X-Forwarded-Proto https.
  $TLS_SERVER_SERVICE:
    image: "$(mirror_image "$SENTRY_TLS_IMAGE")"
    restart: unless-stopped
    command: ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
    environment:
      XDG_DATA_HOME: /data
      XDG_CONFIG_HOME: /config
    ports:
      - "80:80/tcp"
      - "443:443/tcp"
    depends_on:
      - nginx
    volumes:
      - type: bind
        read_only: true
        source: ./$caddyfile
        target: /etc/caddy/Caddyfile
      - type: bind
        source: $SENTRY_TLS_DATA_DIR/data
        target: /data
      - type: bind
        source: $SENTRY_TLS_DATA_DIR/config
        target: /config
EOF
elif [[ -e "$caddyfile" ]]; then
  rm -f "$caddyfile"
  changed+=("$caddyfile (removed: SENTRY_TLS=$SENTRY_TLS; certificates kept in the TLS data directory)")
fi

# The SMTP password: a root-only file, mounted read-only only into the services
# that send mail (web for requests and `sentry exec`, taskworker for queued mail,
# worker in trees that still have it). It never enters an env file, the
# environment of a container, a command line or this script's output.
secret_file="$SMTP_PASSWORD_FILE"
if [[ -n "$smtp_password" ]]; then
  mail_services=()
  for svc in web taskworker worker; do
    if grep -q "^  $svc:" docker-compose.yml; then mail_services+=("$svc"); fi
  done
  [[ " ${mail_services[*]} " == *" web "* ]] ||
    die "docker-compose.yml has no web service to mount the SMTP password into; update configure-sentry.sh for this release"
  install -d -m 0700 "$(dirname "$secret_file")"
  (
    umask 077
    printf '%s\n' "$smtp_password" >"$work/smtp-password"
  )
  install_if_changed "$work/smtp-password" "$secret_file" 0400
  for svc in "${mail_services[@]}"; do
    cat >>"$work/override" <<EOF
  # The SMTP password (sentry.conf.py reads it into mail.password); only the
  # services that send mail see it.
  $svc:
    volumes:
      - type: bind
        read_only: true
        source: ./$secret_file
        target: $SMTP_PASSWORD_TARGET
EOF
  done
elif [[ -e "$secret_file" ]]; then
  rm -f "$secret_file"
  rmdir "$(dirname "$secret_file")" 2>/dev/null || true
  changed+=("$secret_file (removed: no SMTP password)")
fi

if ((${#wants[@]} > 0)); then
  install_if_changed "$work/override" "$override"
elif [[ "$ours" == 1 ]]; then
  rm -f "$override"
  changed+=("$override (removed: no SENTRY_REDIS_MAXMEMORY, no TLS in front, no SMTP password, no SENTRY_IMAGE_MIRRORS)")
fi

# ------------------------------------------------------------------- summary
url_port="${SENTRY_URL##*:}"
[[ "$url_port" =~ ^[0-9]+$ ]] || url_port=$([[ "$SENTRY_URL" == https://* ]] && echo 443 || echo 80)
if [[ "$SENTRY_TLS" == none && "$url_port" != "$bind_port" ]]; then
  log "note: SENTRY_URL uses port $url_port but nginx listens on SENTRY_BIND=$SENTRY_BIND; fine only if something forwards $url_port to it"
fi
if ((${#changed[@]} > 0)); then
  log "updated: ${changed[*]#"$dir/"}"
else
  log "no changes"
fi
mail_summary="the bundled smtp container"
[[ -z "$SENTRY_SMTP_HOST" ]] || mail_summary="$SENTRY_SMTP_HOST:$SENTRY_SMTP_PORT ($SENTRY_SMTP_SECURITY)"
log "profile $SENTRY_PROFILE, url $SENTRY_URL, registration $SENTRY_ALLOW_REGISTRATION, redis cap ${SENTRY_REDIS_MAXMEMORY:-none}, tls $SENTRY_TLS, mail $mail_summary"
if [[ "$SENTRY_TLS" == acme ]]; then
  log "TLS server $SENTRY_TLS_IMAGE for $SENTRY_DOMAIN: the ACME CA must reach this host on port 80 (HTTP-01) or 443 (TLS-ALPN-01), and $SENTRY_DOMAIN must resolve to it; certificates in $SENTRY_TLS_DATA_DIR/data/caddy/certificates"
fi
