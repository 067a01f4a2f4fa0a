#!/usr/bin/env bash
# install-heartbeat.sh: installs the heartbeat (heartbeat.sh, beside this
# script) as a systemd timer that runs it every HEARTBEAT_INTERVAL_SECONDS,
# and runs one heartbeat at once to prove it works.
#
# Writes
#   /etc/systemd/system/sentry-heartbeat.service  runs heartbeat.sh with this
#                                                 step's env file
#                                                 (/etc/sentry-deploy/install-heartbeat.env)
#   /etc/systemd/system/sentry-heartbeat.timer    every HEARTBEAT_INTERVAL_SECONDS,
#                                                 from boot on (Persistent across reboots)
#   $HEARTBEAT_URL_FILE                           the dead-man's-switch URL read
#                                                 from stdin (root-only, 0600);
#                                                 removed when stdin is empty
# and enables the timer (on a host without a running systemd, a container, it
# says so on stderr and starts nothing). With METRICS_NAMESPACE the heartbeat publishes through
# the AWS CLI (it signs the request and takes the instance role's credentials
# from IMDSv2 by itself): when `aws` is missing it is installed from the
# distribution (apt package awscli where the release has one: Debian, Ubuntu up
# to 23.10) or else as the snap aws-cli (Ubuntu 24.04 dropped the apt package;
# snapd is on every Ubuntu cloud image).
#
# Run by hand as root (the URL on stdin, never on the command line):
#   HEALTH_URL=http://127.0.0.1:9000/_health/ DATA_DIR=/data SENTRY_STATE_DIR=/data/sentry-deploy \
#   bash install-heartbeat.sh </dev/null
#
# Inputs (environment variables; heartbeat.sh's inputs are passed through to it):
#   HEARTBEAT_INTERVAL_SECONDS  default 60.
#   HEARTBEAT_URL_FILE          default /etc/sentry-deploy/heartbeat-url. Where the URL goes.
#   METRICS_NAMESPACE           default empty. With it, the AWS CLI is installed if missing.
#   HEALTH_URL, DATA_DIR, SENTRY_STATE_DIR, AWS_REGION, DISK_CRITICAL_PERCENT,
#   MEMORY_CRITICAL_PERCENT: see heartbeat.sh.
#   HOST_ROOT                   default empty. For tests only; leave empty.
# Standard input: the heartbeat URL (one line), or nothing.
set -euo pipefail

readonly SCRIPT=install-heartbeat
HOST_ROOT="${HOST_ROOT:-}"
HEARTBEAT_INTERVAL_SECONDS="${HEARTBEAT_INTERVAL_SECONDS:-60}"
METRICS_NAMESPACE="${METRICS_NAMESPACE:-}"
HEARTBEAT_URL_FILE="${HEARTBEAT_URL_FILE:-/etc/sentry-deploy/heartbeat-url}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

readonly LIB_DIR=/usr/local/lib/sentry-deploy
readonly ENV_FILE=/etc/sentry-deploy/install-heartbeat.env
readonly UNIT_DIR="$HOST_ROOT/etc/systemd/system"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

require_seconds HEARTBEAT_INTERVAL_SECONDS "$HEARTBEAT_INTERVAL_SECONDS" 60
require_abs_path HEARTBEAT_URL_FILE "$HEARTBEAT_URL_FILE" /etc/sentry-deploy/heartbeat-url
[[ -f "$here/heartbeat.sh" ]] || die "heartbeat.sh not found beside this script in $here; copy it along"

# ----------------------------------------------------------- the URL (secret)
url="$(head -n 1 | tr -d '[:space:]' || true)"
url_path="$HOST_ROOT$HEARTBEAT_URL_FILE"
if [[ -n "$url" ]]; then
  [[ "$url" =~ ^https?://[^[:space:]]+$ ]] || die "the heartbeat URL on stdin is not an http(s) URL (not shown: it is a credential)"
  install -d -m 0700 "$(dirname "$url_path")"
  (umask 077 && printf '%s\n' "$url" >"$url_path.tmp")
  mv -f "$url_path.tmp" "$url_path"
  log "heartbeat URL stored in $HEARTBEAT_URL_FILE (root only)"
elif [[ -e "$url_path" ]]; then
  rm -f "$url_path"
  log "no heartbeat URL given: removed $HEARTBEAT_URL_FILE"
fi

# ------------------------------------------------------------------ aws CLI
if [[ -n "$METRICS_NAMESPACE" ]] && ! command -v aws >/dev/null 2>&1; then
  if apt-cache policy awscli 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    log "installing the AWS CLI (apt package awscli) to publish metrics"
    DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600 install awscli >/dev/null ||
      die "apt-get install awscli failed; install the AWS CLI by hand and re-run"
  elif command -v snap >/dev/null 2>&1; then
    log "installing the AWS CLI (snap aws-cli; this release has no apt package) to publish metrics"
    snap install aws-cli --classic >/dev/null || die "snap install aws-cli --classic failed; install the AWS CLI by hand and re-run"
  else
    die "the AWS CLI is needed to publish metrics to $METRICS_NAMESPACE and neither apt (awscli) nor snap offers it here; install it by hand and re-run"
  fi
  command -v aws >/dev/null 2>&1 || [[ -x /snap/bin/aws ]] || die "the AWS CLI was installed but 'aws' is not on PATH"
fi

# ------------------------------------------------------------- systemd units
# write_unit NAME CONTENT: writes the unit when it differs; sets changed=1 then.
changed=0
write_unit() {
  local target="$UNIT_DIR/$1"
  if [[ "$(cat "$target" 2>/dev/null || true)" != "$2" ]]; then
    mkdir -p "$UNIT_DIR"
    printf '%s\n' "$2" >"$target.tmp"
    chmod 0644 "$target.tmp"
    mv -f "$target.tmp" "$target"
    changed=1
    log "wrote /etc/systemd/system/$1"
  fi
}

write_unit sentry-heartbeat.service "[Unit]
Description=Sentry heartbeat: health, disks and memory to CloudWatch or a dead-man's switch
After=network-online.target docker.service
Wants=network-online.target

[Service]
Type=oneshot
Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin
ExecStart=/bin/bash -c 'set -a; . $ENV_FILE; set +a; exec $LIB_DIR/heartbeat.sh'
TimeoutStartSec=50
Nice=10"

write_unit sentry-heartbeat.timer "[Unit]
Description=Sentry heartbeat every ${HEARTBEAT_INTERVAL_SECONDS}s

[Timer]
OnBootSec=60
OnUnitActiveSec=${HEARTBEAT_INTERVAL_SECONDS}
AccuracySec=5
Persistent=true

[Install]
WantedBy=timers.target"

if [[ -d "$HOST_ROOT/run/systemd/system" ]]; then
  if ((changed)); then systemctl daemon-reload; fi
  systemctl enable sentry-heartbeat.timer >/dev/null 2>&1 || systemctl enable sentry-heartbeat.timer
  systemctl restart sentry-heartbeat.timer
else
  # A host without a running systemd (a container): the units are written, nothing starts them.
  echo "$SCRIPT: WARNING: systemd is not running here, so the heartbeat timer cannot run; nothing reports this host's health. Run it from cron instead: * * * * * root bash -c 'set -a; . $ENV_FILE; set +a; exec $LIB_DIR/heartbeat.sh'" >&2
fi

# One heartbeat now, in this shell (the unit would hide its output in the journal).
log "first heartbeat:"
PATH="$PATH:/snap/bin" bash "$here/heartbeat.sh" || die "the first heartbeat failed (see above); the timer is installed and retries every ${HEARTBEAT_INTERVAL_SECONDS}s (journalctl -u sentry-heartbeat)"
log "heartbeat installed: every ${HEARTBEAT_INTERVAL_SECONDS}s (systemctl list-timers sentry-heartbeat.timer)"
