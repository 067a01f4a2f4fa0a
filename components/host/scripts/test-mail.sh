#!/usr/bin/env bash
# test-mail.sh: sends a test message to the admin address through Sentry itself
# and reports the SMTP server's answer; a failure names the setting to check.
#
# Runs a short Python probe with `sentry exec` in the running web container
#   docker compose --env-file .env --env-file .env.custom exec -T web sentry exec
# (the probe on stdin), so it uses what Sentry itself loaded: its mail.* options
# from sentry/config.yml and mail.password from the file only the mail-sending
# containers mount (configure-sentry.sh). It first checks that those options are
# the ones this deploy set (a mismatch means a setting outside the managed block
# wins, or web was not recreated), then talks SMTP with Python's smtplib, the
# library Django's SMTP backend (Sentry's mail.backend 'smtp') sends with:
# connect (TLS for security tls), STARTTLS (starttls), login (with a username),
# MAIL FROM mail.from, RCPT TO the admin, DATA. Every answer of the server is
# printed; the password never is (any occurrence in the output is masked).
# Without SENTRY_SMTP_HOST there is nothing to test (Sentry hands mail to the
# bundled smtp container, as upstream) and it says so. Sentry must be running.
#
# Pulumi runs this after check-health, again only when the mail settings, the
# admin address or the SMTP password change.
#
# Run by hand as root:
#   SENTRY_DIR=/data/self-hosted SENTRY_ADMIN_EMAIL=ops@example.com \
#     SENTRY_SMTP_HOST=smtp.example.com SENTRY_SMTP_PORT=587 SENTRY_SMTP_SECURITY=starttls \
#     SENTRY_SMTP_USERNAME=sentry SENTRY_MAIL_FROM=sentry@example.com bash test-mail.sh
#
# Inputs (environment variables; the same values configure-sentry.sh was given):
#   SENTRY_DIR             required. The self-hosted checkout.
#   SENTRY_ADMIN_EMAIL     required with SENTRY_SMTP_HOST. Where the test message goes.
#   SENTRY_SMTP_HOST       default empty (nothing to test).
#   SENTRY_SMTP_PORT       default 587 (starttls), 465 (tls), 25 (none).
#   SENTRY_SMTP_SECURITY   default starttls. starttls, tls or none.
#   SENTRY_SMTP_USERNAME   default empty (no login).
#   SENTRY_MAIL_FROM       required with SENTRY_SMTP_HOST. The sender (mail.from).
#   SMTP_TIMEOUT_SECONDS   default 30. Per SMTP operation.
#   EXEC_TIMEOUT_SECONDS   default 180. Limit for the whole exec.
#   HOST_ROOT              default empty. For tests only; leave empty.
#                          Prefix for every absolute host path.
set -euo pipefail

readonly SCRIPT=test-mail
HOST_ROOT="${HOST_ROOT:-}"
SENTRY_DIR="${SENTRY_DIR:-}"
SENTRY_ADMIN_EMAIL="${SENTRY_ADMIN_EMAIL:-}"
SENTRY_SMTP_HOST="${SENTRY_SMTP_HOST:-}"
SENTRY_SMTP_SECURITY="${SENTRY_SMTP_SECURITY:-starttls}"
SENTRY_SMTP_PORT="${SENTRY_SMTP_PORT:-}"
SENTRY_SMTP_USERNAME="${SENTRY_SMTP_USERNAME:-}"
SENTRY_MAIL_FROM="${SENTRY_MAIL_FROM:-}"
SMTP_TIMEOUT_SECONDS="${SMTP_TIMEOUT_SECONDS:-30}"
EXEC_TIMEOUT_SECONDS="${EXEC_TIMEOUT_SECONDS:-180}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

require_abs_path SENTRY_DIR "$SENTRY_DIR" /data/self-hosted
require_seconds SMTP_TIMEOUT_SECONDS "$SMTP_TIMEOUT_SECONDS" 30
require_seconds EXEC_TIMEOUT_SECONDS "$EXEC_TIMEOUT_SECONDS" 180
if [[ -z "$SENTRY_SMTP_HOST" ]]; then
  log "no SMTP server configured (sentry:mail none): Sentry hands mail to the bundled smtp container, which delivers directly and is often blocked (port 25); nothing to test"
  exit 0
fi
[[ -n "$SENTRY_ADMIN_EMAIL" ]] || die "SENTRY_ADMIN_EMAIL is required: where the test message goes, e.g. ops@example.com"
[[ "$SENTRY_ADMIN_EMAIL" =~ $EMAIL_RE ]] || die "SENTRY_ADMIN_EMAIL='$SENTRY_ADMIN_EMAIL' is not an email address like ops@example.com"
case "$SENTRY_SMTP_SECURITY" in
starttls) default_port=587 use_tls=True use_ssl=False ;;
tls) default_port=465 use_tls=False use_ssl=True ;;
none) default_port=25 use_tls=False use_ssl=False ;;
*) die "SENTRY_SMTP_SECURITY='$SENTRY_SMTP_SECURITY' must be starttls, tls or none" ;;
esac
[[ -n "$SENTRY_SMTP_PORT" ]] || SENTRY_SMTP_PORT=$default_port
[[ "$SENTRY_SMTP_PORT" =~ ^[1-9][0-9]{0,4}$ ]] || die "SENTRY_SMTP_PORT='$SENTRY_SMTP_PORT' must be a port, e.g. $default_port"
[[ -n "$SENTRY_MAIL_FROM" ]] || die "SENTRY_MAIL_FROM is required with SENTRY_SMTP_HOST: the sender address (mail.from)"
# Values go into Python string literals: refuse what would need escaping.
for v in SENTRY_SMTP_HOST SENTRY_SMTP_USERNAME SENTRY_MAIL_FROM; do
  [[ "${!v}" =~ ^[^\"\'\\[:cntrl:]]*$ ]] || die "$v must not contain quotes, backslashes or control characters"
done

dir="$HOST_ROOT$SENTRY_DIR"
[[ -f "$dir/docker-compose.yml" && -f "$dir/.env.custom" ]] ||
  die "$SENTRY_DIR is not a configured self-hosted checkout (docker-compose.yml or .env.custom missing); run configure-sentry.sh first"
cd "$dir"
unset_compose_overrides

# The probe, run by `sentry exec` (which first calls sentry.runner.configure()). Every
# line it means for us starts with SENTRY_DEPLOY_MAIL; its exit status says what failed.
probe() {
  cat <<EOF
import email.message, email.utils, smtplib, ssl, sys
from sentry import options

def say(*parts):
    print("SENTRY_DEPLOY_MAIL", *parts, flush=True)

def text(reply):
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)

wanted = {"mail.host": "$SENTRY_SMTP_HOST", "mail.port": $SENTRY_SMTP_PORT, "mail.username": "$SENTRY_SMTP_USERNAME", "mail.use-tls": $use_tls, "mail.use-ssl": $use_ssl, "mail.from": "$SENTRY_MAIL_FROM"}
for key, value in wanted.items():
    got = options.get(key)
    if got != value:
        say("MISMATCH", key, repr(got), repr(value))
        sys.exit(10)
say("BACKEND", options.get("mail.backend"))
host, port, user = options.get("mail.host"), int(options.get("mail.port")), options.get("mail.username")
password = options.get("mail.password") or ""
context = ssl.create_default_context()
try:
    if options.get("mail.use-ssl"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=$SMTP_TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=$SMTP_TIMEOUT_SECONDS)
    code, reply = smtp.ehlo()
    say("CONNECTED", code, text(reply).splitlines()[0] if reply else "")
except ssl.SSLError as e:
    say("TLS_FAILED", e)
    sys.exit(12)
except (OSError, smtplib.SMTPException) as e:
    say("CONNECT_FAILED", type(e).__name__, e)
    sys.exit(11)
try:
    if options.get("mail.use-tls"):
        if not smtp.has_extn("starttls"):
            say("STARTTLS_MISSING", "the server does not offer STARTTLS")
            sys.exit(12)
        code, reply = smtp.starttls(context=context)
        say("STARTTLS", code, text(reply))
        smtp.ehlo()
except (ssl.SSLError, ssl.CertificateError) as e:
    say("TLS_FAILED", e)
    sys.exit(12)
try:
    if user:
        code, reply = smtp.login(user, password)
        say("LOGIN", code, text(reply))
except smtplib.SMTPAuthenticationError as e:
    say("LOGIN_FAILED", e.smtp_code, text(e.smtp_error))
    sys.exit(13)
except smtplib.SMTPNotSupportedError as e:
    say("LOGIN_FAILED", "the server offers no AUTH", e)
    sys.exit(13)
sender = email.utils.parseaddr(options.get("mail.from"))[1]
message = email.message.EmailMessage()
message["Subject"] = "Sentry test message"
message["From"] = options.get("mail.from")
message["To"] = "$SENTRY_ADMIN_EMAIL"
message["Date"] = email.utils.formatdate()
message["Message-ID"] = email.utils.make_msgid(domain=sender.rpartition("@")[2] or None)
message.set_content("This message was sent by the deployment through Sentry's mail settings, to check that mail works.\n\nmail.host: %s\nmail.port: %s\n" % (host, port))
try:
    code, reply = smtp.mail(sender)
    say("MAIL_FROM", code, text(reply))
    if code != 250:
        sys.exit(14)
    code, reply = smtp.rcpt("$SENTRY_ADMIN_EMAIL")
    say("RCPT_TO", code, text(reply))
    if code not in (250, 251):
        sys.exit(15)
    code, reply = smtp.data(message.as_bytes())
    say("DATA", code, text(reply))
    if code != 250:
        sys.exit(16)
    smtp.quit()
except smtplib.SMTPException as e:
    say("SMTP_ERROR", type(e).__name__, e)
    sys.exit(16)
say("ACCEPTED", code, text(reply))
EOF
}

rc=0
output="$(probe | timeout "$EXEC_TIMEOUT_SECONDS" "${SENTRY_COMPOSE[@]}" exec -T web sentry exec 2>&1)" || rc=$?
# The password is never printed by the probe; mask it anyway, should a server echo it.
if [[ -r "$SMTP_PASSWORD_FILE" ]]; then
  password="$(head -n 1 "$SMTP_PASSWORD_FILE")"
  [[ -z "$password" ]] || output="${output//"$password"/********}"
fi
answers="$(sed -n 's/^SENTRY_DEPLOY_MAIL //p' <<<"$output")"
[[ -z "$answers" ]] || printf '%s\n' "$answers" | sed 's/^/  /'
last="$(tail -n 1 <<<"$answers")"

server="$SENTRY_SMTP_HOST:$SENTRY_SMTP_PORT ($SENTRY_SMTP_SECURITY)"
case "$rc" in
0)
  [[ "$last" == ACCEPTED* ]] || die "the probe ended without the server's answer to the message; output: $(tail -n 5 <<<"$output")"
  log "the SMTP server $server accepted the test message to $SENTRY_ADMIN_EMAIL: ${last#ACCEPTED }"
  ;;
10) die "Sentry's mail settings are not the ones this deploy set (${last#MISMATCH }: Sentry's value, then the deploy's): a mail.* line outside configure-sentry.sh's block in sentry/config.yml wins, or web runs with an older configuration (run start-sentry.sh)" ;;
11) die "could not connect to the SMTP server $server (${last#CONNECT_FAILED }): check the SMTP host and port (SENTRY_SMTP_HOST/SENTRY_SMTP_PORT, sentry:smtp host and port) and that this host may connect out to port $SENTRY_SMTP_PORT (firewall, security group, provider blocks)" ;;
12) die "TLS with the SMTP server $server failed (${last#* }): check the SMTP security setting (SENTRY_SMTP_SECURITY, sentry:smtp security: starttls on port 587, tls on port 465) and the server's certificate" ;;
13) die "the SMTP server $server refused the login of '$SENTRY_SMTP_USERNAME' (${last#LOGIN_FAILED }): check the SMTP username and password (SENTRY_SMTP_USERNAME, sentry:smtp username, sentry:smtpPassword; with SES, the SMTP credentials of this region)" ;;
14) die "the SMTP server $server refused the sender $SENTRY_MAIL_FROM (${last#MAIL_FROM }): check the sender address (SENTRY_MAIL_FROM, the mail from setting); with SES its domain must be a verified identity" ;;
15) die "the SMTP server $server refused the recipient $SENTRY_ADMIN_EMAIL (${last#RCPT_TO }): check the admin address (SENTRY_ADMIN_EMAIL, sentry:adminEmail); in the SES sandbox every recipient must be verified" ;;
16) die "the SMTP server $server refused the message (${last#* }); its answer above says why" ;;
124) die "the test message did not finish within EXEC_TIMEOUT_SECONDS=$EXEC_TIMEOUT_SECONDS; check that the SMTP server $server answers (SENTRY_SMTP_HOST/SENTRY_SMTP_PORT)" ;;
*)
  printf '%s\n' "$output" | tail -n 20 >&2
  die "sentry exec in web failed (exit $rc) before talking to the SMTP server; is Sentry running (start-sentry.sh)? Check: cd $SENTRY_DIR && docker compose --env-file .env --env-file .env.custom ps web"
  ;;
esac
