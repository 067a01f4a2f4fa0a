#!/usr/bin/env bash
# prune-snapshots.sh: keeps the newest KEEP pre-upgrade snapshots of a stack and
# deletes the older ones. The rule: snapshots tagged SentryPreUpgrade=STACK_NAME
# (and only those: DLM's daily snapshots and anything else are never touched),
# sorted by start time, newest first; the first KEEP stay. Run on AWS hosts by
# the deploy after the upgrade's health check passed, so a failed upgrade never
# prunes the snapshot it may need. The host's role may delete only snapshots
# carrying that tag (IAM condition aws:ResourceTag/SentryPreUpgrade).
#
# Run by hand as root (or anywhere with AWS credentials):
#   STACK_NAME=prod KEEP=3 AWS_REGION=eu-central-1 bash prune-snapshots.sh
#
# Inputs (environment variables):
#   STACK_NAME   required. The value of the SentryPreUpgrade tag (the stack name).
#   KEEP         default 3. How many of the newest to keep (at least 1).
#   AWS_REGION   required, e.g. eu-central-1.
#   DRY_RUN      default 0. 1: say what would be deleted, delete nothing.
#   HOST_ROOT    default empty. For tests only; leave empty (unused: no host paths).
set -euo pipefail

readonly SCRIPT=prune-snapshots
HOST_ROOT="${HOST_ROOT:-}"
STACK_NAME="${STACK_NAME:-}"
KEEP="${KEEP:-3}"
AWS_REGION="${AWS_REGION:-}"
DRY_RUN="${DRY_RUN:-0}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

[[ "$STACK_NAME" =~ ^[a-z][a-z0-9-]{0,23}$ ]] || die "STACK_NAME='$STACK_NAME' is not a stack name (lowercase letters, digits, dashes), e.g. prod"
[[ "$KEEP" =~ ^[1-9][0-9]*$ ]] || die "KEEP='$KEEP' must be a whole number of at least 1"
[[ "$AWS_REGION" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || die "AWS_REGION='$AWS_REGION' is not an AWS region name, e.g. eu-central-1"
[[ "$DRY_RUN" == 0 || "$DRY_RUN" == 1 ]] || die "DRY_RUN='$DRY_RUN' must be 0 or 1"
PATH="$PATH:/snap/bin"
command -v aws >/dev/null 2>&1 || die "the AWS CLI is not installed (install-heartbeat.sh installs it on AWS hosts)"

# "<StartTime>\t<SnapshotId>" lines, oldest first.
listing="$(aws ec2 describe-snapshots --region "$AWS_REGION" --owner-ids self \
  --filters "Name=tag:SentryPreUpgrade,Values=$STACK_NAME" \
  --query 'sort_by(Snapshots, &StartTime)[].[StartTime, SnapshotId]' --output text)" ||
  die "aws ec2 describe-snapshots failed; check the instance role (ec2:DescribeSnapshots)"
mapfile -t ids < <(awk 'NF >= 2 { print $2 }' <<<"$listing")
total=${#ids[@]}
if ((total <= KEEP)); then
  log "$total pre-upgrade snapshot(s) of $STACK_NAME; keeping all (KEEP=$KEEP)"
  exit 0
fi
old=("${ids[@]:0:total-KEEP}")
log "$total pre-upgrade snapshot(s) of $STACK_NAME; keeping the newest $KEEP, deleting ${#old[@]}: ${old[*]}"
for id in "${old[@]}"; do
  [[ "$id" =~ ^snap-[0-9a-f]+$ ]] || die "describe-snapshots returned '$id', not a snapshot id"
  if ((DRY_RUN)); then
    log "would delete $id (DRY_RUN=1)"
  else
    aws ec2 delete-snapshot --region "$AWS_REGION" --snapshot-id "$id" || die "could not delete $id (still in use by an AMI, or not tagged SentryPreUpgrade=$STACK_NAME)"
    log "deleted $id"
  fi
done
