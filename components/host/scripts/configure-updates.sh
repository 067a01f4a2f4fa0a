#!/usr/bin/env bash
# configure-updates.sh: security updates install by themselves, Docker changes
# only when this program changes it, and the host reboots only in a window you chose.
#
#   - unattended-upgrades is installed (Ubuntu's cloud images have it already) and
#     switched on: /etc/apt/apt.conf.d/20auto-upgrades (daily package lists and
#     upgrades, the distribution's default origins: the -security pocket). When it
#     is missing and apt-get cannot install it (no reachable mirror), a WARNING on
#     stderr says so and the step goes on.
#   - Docker's packages (HOLD_PACKAGES, those installed) are held with `apt-mark
#     hold` and listed in Unattended-Upgrade::Package-Blacklist: neither
#     unattended-upgrades nor a hand-typed `apt-get upgrade` restarts the Docker
#     daemon (and with it every Sentry container) behind your back. To upgrade
#     Docker on purpose: apt-mark unhold <packages>, upgrade, re-run this step.
#   - Automatic reboots (a new kernel, libc) happen only when REBOOT_WINDOW is
#     set: Unattended-Upgrade::Automatic-Reboot "true" at REBOOT_WINDOW (the host's
#     local time; Ubuntu's cloud images run in UTC). Unset, no reboot happens and
#     /var/run/reboot-required tells you one is due. After a reboot Docker starts
#     from the data volume (install-docker.sh binds it to the mount) and brings the
#     Sentry containers back (their restart policy).
# Settings go to /etc/apt/apt.conf.d/52sentry-deploy-unattended, after the
# distribution's 50unattended-upgrades. A second run changes nothing.
#
# Run by hand as root:  REBOOT_WINDOW=04:30 bash configure-updates.sh
#
# Inputs (environment variables):
#   REBOOT_WINDOW   default empty (never reboot automatically). HH:MM, e.g. 04:30.
#   HOLD_PACKAGES   default "docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin"
#                   (what install-docker.sh installs). Held when installed.
#   HOST_ROOT       default empty. For tests only; leave empty.
#                   Prefix for every absolute host path.
set -euo pipefail

readonly SCRIPT=configure-updates
HOST_ROOT="${HOST_ROOT:-}"
REBOOT_WINDOW="${REBOOT_WINDOW:-}"
HOLD_PACKAGES="${HOLD_PACKAGES:-docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

if [[ -n "$REBOOT_WINDOW" ]] && ! [[ "$REBOOT_WINDOW" =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]]; then
  die "REBOOT_WINDOW='$REBOOT_WINDOW' must be a time HH:MM (24 h), e.g. 04:30, or empty for no automatic reboot"
fi
read -r -a packages <<<"$HOLD_PACKAGES"
for p in "${packages[@]}"; do
  [[ "$p" =~ ^[a-z0-9][a-z0-9.+-]+$ ]] || die "HOLD_PACKAGES holds '$p', not a Debian package name"
done

readonly APT_CONF="$HOST_ROOT/etc/apt/apt.conf.d"

# write_if_changed FILE CONTENT
write_if_changed() {
  if [[ "$(cat "$1" 2>/dev/null || true)" != "$2" ]]; then
    mkdir -p "$(dirname "$1")"
    printf '%s\n' "$2" >"$1.tmp"
    chmod 0644 "$1.tmp"
    mv -f "$1.tmp" "$1"
    log "wrote ${1#"$HOST_ROOT"}"
  fi
}

installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" || "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "hold ok installed" ]]; }

uu_missing=0
if ! installed unattended-upgrades; then
  log "installing unattended-upgrades"
  if ! DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600 install unattended-upgrades >/dev/null 2>&1; then
    # Every Ubuntu cloud image has it; a server without a reachable mirror may not. The
    # deploy goes on (the settings below apply once it is installed), but says so loudly.
    uu_missing=1
    echo "$SCRIPT: WARNING: unattended-upgrades is not installed and apt-get could not install it: security updates will NOT install by themselves until you run: apt-get install unattended-upgrades" >&2
  fi
fi

write_if_changed "$APT_CONF/20auto-upgrades" 'APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";'

blacklist=""
for p in "${packages[@]}"; do blacklist+="    \"^${p//./\\.}\$\";"$'\n'; done
if [[ -n "$REBOOT_WINDOW" ]]; then
  reboot="Unattended-Upgrade::Automatic-Reboot \"true\";
Unattended-Upgrade::Automatic-Reboot-WithUsers \"true\";
Unattended-Upgrade::Automatic-Reboot-Time \"$REBOOT_WINDOW\";"
else
  reboot='Unattended-Upgrade::Automatic-Reboot "false";'
fi
write_if_changed "$APT_CONF/52sentry-deploy-unattended" "// Written by configure-updates.sh (sentry-deploy); changes are overwritten.
$reboot
Unattended-Upgrade::Package-Blacklist {
${blacklist%$'\n'}
};"

to_hold=()
for p in "${packages[@]}"; do
  if installed "$p" && ! grep -qxF -- "$p" <<<"$(apt-mark showhold 2>/dev/null || true)"; then to_hold+=("$p"); fi
done
if ((${#to_hold[@]} > 0)); then
  apt-mark hold "${to_hold[@]}" >/dev/null || die "apt-mark hold ${to_hold[*]} failed"
  log "held ${to_hold[*]} (Docker changes only when this program changes it)"
fi
((uu_missing == 0)) || log "unattended-upgrades missing (see the warning above); its settings are written for when it is installed"
log "unattended security upgrades on; ${REBOOT_WINDOW:+automatic reboots at $REBOOT_WINDOW}${REBOOT_WINDOW:-no automatic reboot (check /var/run/reboot-required)}; held: $(apt-mark showhold 2>/dev/null | tr '\n' ' ')"
