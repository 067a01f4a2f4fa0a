#!/usr/bin/env bash
# heartbeat.sh: one heartbeat of the Sentry host. Run every minute by the
# sentry-heartbeat.timer that install-heartbeat.sh installs; safe to run by hand.
#
# It measures
#   Sentry's health      GET HEALTH_URL (Sentry's /_health/ on the host itself,
#                        through nginx): healthy = HTTP 200 with body `ok` within 10 s
#   data disk usage      percent used of the filesystem holding DATA_DIR
#   root disk usage      percent used of /
#   memory               percent of MemTotal not available (MemAvailable)
#   swap                 percent of SwapTotal in use (0 without swap)
# and reports them
#   - to CloudWatch (METRICS_NAMESPACE set): one `aws cloudwatch put-metric-data`
#     call with the metrics Heartbeat (always 1: the host is alive and can
#     publish), HealthCheck (1 healthy, 0 not; left out during a maintenance
#     window, see below), DataDiskUsedPercent, RootDiskUsedPercent,
#     MemoryUsedPercent, SwapUsedPercent. The instance role may put metrics into
#     this namespace only (IAM condition cloudwatch:namespace).
#   - to a dead-man's-switch URL (the file HEARTBEAT_URL_FILE holds one):
#     a GET of that URL only when everything is fine (healthy, both disks below
#     DISK_CRITICAL_PERCENT, memory below MEMORY_CRITICAL_PERCENT). The service
#     (healthchecks.io, Cronitor, Better Stack, Uptime Kuma push, ...) alerts when
#     the pings stop, which also covers a dead host.
# and prints one line: "heartbeat: healthy=1 data=41% root=23% mem=62% swap=0% ...".
#
# Maintenance window: stop-for-upgrade.sh writes $SENTRY_STATE_DIR/maintenance-until
# (epoch seconds) before it stops Sentry for an upgrade. Until then HealthCheck is
# not published (the unhealthy alarm treats missing data as fine; the heartbeat
# itself keeps going), and the first healthy answer ends the window early.
#
# Exit status: 0 when the heartbeat was reported (whatever it says), 1 when it
# could not be measured or published.
#
# Run by hand as root:
#   set -a; . /etc/sentry-deploy/install-heartbeat.env; set +a
#   bash /usr/local/lib/sentry-deploy/heartbeat.sh
#
# Inputs (environment variables):
#   HEALTH_URL               required, e.g. http://127.0.0.1:9000/_health/
#   DATA_DIR                 required, e.g. /data. The data volume's mount point.
#   SENTRY_STATE_DIR         required, e.g. /data/sentry-deploy (maintenance marker).
#   METRICS_NAMESPACE        default empty (no CloudWatch). e.g. SentryDeploy/sentry-prod
#   AWS_REGION               required with METRICS_NAMESPACE, e.g. eu-central-1
#   HEARTBEAT_URL_FILE       default /etc/sentry-deploy/heartbeat-url. A root-only
#                            file holding the dead-man's-switch URL; absent: no ping.
#   DISK_CRITICAL_PERCENT    default 90. A disk at or above it withholds the ping.
#   MEMORY_CRITICAL_PERCENT  default 95. Memory at or above it withholds the ping.
#   HOST_ROOT                default empty. For tests only; leave empty.
#                            Prefix for every absolute host path.
set -euo pipefail

readonly SCRIPT=heartbeat
HOST_ROOT="${HOST_ROOT:-}"
HEALTH_URL="${HEALTH_URL:-}"
DATA_DIR="${DATA_DIR:-}"
SENTRY_STATE_DIR="${SENTRY_STATE_DIR:-}"
METRICS_NAMESPACE="${METRICS_NAMESPACE:-}"
AWS_REGION="${AWS_REGION:-}"
HEARTBEAT_URL_FILE="${HEARTBEAT_URL_FILE:-/etc/sentry-deploy/heartbeat-url}"
DISK_CRITICAL_PERCENT="${DISK_CRITICAL_PERCENT:-90}"
MEMORY_CRITICAL_PERCENT="${MEMORY_CRITICAL_PERCENT:-95}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

# ---------------------------------------------------------------- validation
[[ "$HEALTH_URL" =~ ^https?://[^[:space:]]+$ ]] || die "HEALTH_URL='$HEALTH_URL' must be an http(s) URL, e.g. http://127.0.0.1:9000/_health/"
require_abs_path DATA_DIR "$DATA_DIR" /data
require_abs_path SENTRY_STATE_DIR "$SENTRY_STATE_DIR" /data/sentry-deploy
require_abs_path HEARTBEAT_URL_FILE "$HEARTBEAT_URL_FILE" /etc/sentry-deploy/heartbeat-url
if [[ -n "$METRICS_NAMESPACE" ]]; then
  [[ "$METRICS_NAMESPACE" =~ ^[A-Za-z0-9._/#:-]{1,255}$ && "$METRICS_NAMESPACE" != AWS/* ]] ||
    die "METRICS_NAMESPACE='$METRICS_NAMESPACE' is not a custom CloudWatch namespace (letters, digits, . _ / # : -; not AWS/...), e.g. SentryDeploy/sentry-prod"
  [[ "$AWS_REGION" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || die "AWS_REGION='$AWS_REGION' is not an AWS region name, e.g. eu-central-1 (needed with METRICS_NAMESPACE)"
fi
for v in DISK_CRITICAL_PERCENT MEMORY_CRITICAL_PERCENT; do
  [[ "${!v}" =~ ^([1-9][0-9]?|100)$ ]] || die "$v='${!v}' must be a whole percentage from 1 to 100, e.g. 90"
done

# ------------------------------------------------------------------ measures

# used_percent PATH: percent of the filesystem holding PATH in use, as df counts
# it (used / (used + available), rounded up).
used_percent() {
  local used avail
  read -r used avail < <(df -Pk "$1" | awk 'NR == 2 { print $3, $4 }') || true
  [[ "$used" =~ ^[0-9]+$ && "$avail" =~ ^[0-9]+$ ]] || die "df -Pk $1 printed no usage; is ${1#"$HOST_ROOT"} mounted?"
  if ((used + avail == 0)); then echo 0; else echo $(((used * 100 + used + avail - 1) / (used + avail))); fi
}

meminfo() { awk -v k="$1:" '$1 == k { print $2 }' "$HOST_ROOT/proc/meminfo"; }

healthy=0
health_note=""
body_file="$(mktemp)"
trap 'rm -f "$body_file" "${metrics_file:-}"' EXIT
code="$(curl -s -o "$body_file" --write-out '%{http_code}' --max-time 10 "$HEALTH_URL" 2>/dev/null || true)"
body="$(head -c 64 "$body_file" | tr -d '[:space:]')"
if [[ "$code" == 200 && "$body" == ok ]]; then
  healthy=1
else
  health_note=" (HTTP ${code:-none}${body:+, body \"$body\"} from $HEALTH_URL)"
fi

[[ -d "$HOST_ROOT$DATA_DIR" ]] || die "DATA_DIR=$DATA_DIR does not exist"
data_pct="$(used_percent "$HOST_ROOT$DATA_DIR")"
root_pct="$(used_percent "$HOST_ROOT/")"

mem_total="$(meminfo MemTotal)"
mem_avail="$(meminfo MemAvailable)"
swap_total="$(meminfo SwapTotal)"
swap_free="$(meminfo SwapFree)"
[[ "$mem_total" =~ ^[1-9][0-9]*$ && "$mem_avail" =~ ^[0-9]+$ ]] || die "no MemTotal/MemAvailable in /proc/meminfo"
mem_pct=$(((mem_total - mem_avail) * 100 / mem_total))
swap_pct=0
if [[ "$swap_total" =~ ^[1-9][0-9]*$ && "$swap_free" =~ ^[0-9]+$ ]]; then
  swap_pct=$(((swap_total - swap_free) * 100 / swap_total))
fi

# ------------------------------------------------------------- maintenance
maintenance=0
marker="$HOST_ROOT$SENTRY_STATE_DIR/maintenance-until"
if [[ -f "$marker" ]]; then
  until_epoch="$(tr -d '[:space:]' <"$marker")"
  if ((healthy == 1)); then
    rm -f "$marker" # Sentry answers again: the upgrade is over
  elif [[ "$until_epoch" =~ ^[0-9]+$ ]] && (($(date +%s) < until_epoch)); then
    maintenance=1
  fi
fi

summary="healthy=$healthy data=${data_pct}% root=${root_pct}% mem=${mem_pct}% swap=${swap_pct}%"
((maintenance == 0)) || summary+=" maintenance=until-$(date -u -d "@$until_epoch" +%H:%MZ 2>/dev/null || echo "$until_epoch")"

# ----------------------------------------------------------------- publish
rc=0
published=""
if [[ -n "$METRICS_NAMESPACE" ]]; then
  metrics_file="$(mktemp)"
  {
    printf '['
    printf '{"MetricName":"Heartbeat","Value":1,"Unit":"Count"}'
    ((maintenance == 1)) || printf ',{"MetricName":"HealthCheck","Value":%d,"Unit":"None"}' "$healthy"
    printf ',{"MetricName":"DataDiskUsedPercent","Value":%d,"Unit":"Percent"}' "$data_pct"
    printf ',{"MetricName":"RootDiskUsedPercent","Value":%d,"Unit":"Percent"}' "$root_pct"
    printf ',{"MetricName":"MemoryUsedPercent","Value":%d,"Unit":"Percent"}' "$mem_pct"
    printf ',{"MetricName":"SwapUsedPercent","Value":%d,"Unit":"Percent"}' "$swap_pct"
    printf ']\n'
  } >"$metrics_file"
  if aws cloudwatch put-metric-data --region "$AWS_REGION" --namespace "$METRICS_NAMESPACE" --metric-data "file://$metrics_file" >/dev/null; then
    published+=" cloudwatch=$METRICS_NAMESPACE"
  else
    echo "$SCRIPT: could not publish to CloudWatch namespace $METRICS_NAMESPACE in $AWS_REGION (aws cloudwatch put-metric-data failed; check the instance role and outbound HTTPS)" >&2
    rc=1
  fi
fi

url_file="$HOST_ROOT$HEARTBEAT_URL_FILE"
if [[ -s "$url_file" ]]; then
  url="$(head -n 1 "$url_file" | tr -d '[:space:]')"
  problems=()
  ((healthy == 1)) || problems+=("Sentry unhealthy$health_note")
  ((data_pct < DISK_CRITICAL_PERCENT)) || problems+=("data disk ${data_pct}% >= ${DISK_CRITICAL_PERCENT}%")
  ((root_pct < DISK_CRITICAL_PERCENT)) || problems+=("root disk ${root_pct}% >= ${DISK_CRITICAL_PERCENT}%")
  ((mem_pct < MEMORY_CRITICAL_PERCENT)) || problems+=("memory ${mem_pct}% >= ${MEMORY_CRITICAL_PERCENT}%")
  if ((${#problems[@]} > 0)); then
    # No ping: the service raises the alarm when pings stop. The URL is a credential;
    # it is never printed.
    published+=" ping=withheld"
    summary+=" problems: $(IFS=';'; echo "${problems[*]}")"
  elif curl -fsS -o /dev/null --max-time 10 --retry 2 "$url" 2>/dev/null; then
    published+=" ping=sent"
  else
    echo "$SCRIPT: the heartbeat URL in $HEARTBEAT_URL_FILE did not answer 2xx (not shown: it is a credential)" >&2
    rc=1
  fi
elif ((healthy == 0)); then
  summary+="$health_note"
fi

log "$summary${published:- (nowhere to publish: set METRICS_NAMESPACE or write $HEARTBEAT_URL_FILE)}"
exit "$rc"
