#!/usr/bin/env bash
# prepare-data.sh: prepares the data location for Docker and Sentry.
#
# With DATA_VOLUME_ID (an AWS EBS volume) or DATA_DEVICE (any block device):
# finds the device, creates a filesystem only when the device has none (never
# reformats), adds one fstab line for DATA_DIR by UUID with `nofail`, and
# mounts it. With neither, DATA_DIR is a plain directory on the existing
# filesystem. Then optionally sets up a swap file on DATA_DIR and creates
#   $DATA_DIR/docker          Docker's data root (see install-docker.sh)
#   $DATA_DIR/sentry-deploy   deploy state, root-only (0700)
# leaving $DATA_DIR/self-hosted free for checkout-self-hosted.sh.
# A volume that already holds an installation (restored from a snapshot) is
# mounted as it is and reported ("found an existing Sentry installation").
# A second run changes nothing.
#
# Run by hand as root:  DATA_DIR=/data DATA_VOLUME_ID=vol-0123456789abcdef0 bash prepare-data.sh
#
# Inputs (environment variables):
#   DATA_DIR             required, e.g. /data. Mount point (with a device) or
#                        plain directory (without one). Absolute, no spaces.
#   DATA_VOLUME_ID       default empty. AWS EBS volume id (vol-0123456789abcdef0).
#   DATA_VOLUME_SIZE_GB  default empty. The volume's size as provisioned; informational: it
#                        makes the Pulumi step run again after a resize, and this script grows
#                        the filesystem to fill the device on every run in any case.
#                        Found as /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol<hex>
#                        or by the NVMe serial vol<hex> (Nitro), or, on Xen
#                        instances without NVMe, as the single /dev/xvd[f-p] or
#                        /dev/sd[f-p] disk.
#   DATA_DEVICE          default empty. Explicit block device (own servers), e.g.
#                        /dev/sdb. Mutually exclusive with DATA_VOLUME_ID.
#   DATA_FS_TYPE         default ext4. ext4 or xfs; used only when the device
#                        has no filesystem yet (an existing one is kept).
#   DEVICE_WAIT_SECONDS  default 300. How long to wait for the volume to appear.
#   SWAP_SIZE_GB         default 0 (no swap file; an existing one is removed).
#                        Size in GiB of $DATA_DIR/swapfile; recreated when the
#                        size differs.
#   HOST_ROOT            default empty. For tests only; leave empty. Prefix
#                        for every absolute host path.
set -euo pipefail

readonly SCRIPT=prepare-data
HOST_ROOT="${HOST_ROOT:-}"
DATA_DIR="${DATA_DIR:-}"
DATA_VOLUME_ID="${DATA_VOLUME_ID:-}"
DATA_DEVICE="${DATA_DEVICE:-}"
DATA_FS_TYPE="${DATA_FS_TYPE:-ext4}"
DEVICE_WAIT_SECONDS="${DEVICE_WAIT_SECONDS:-300}"
SWAP_SIZE_GB="${SWAP_SIZE_GB:-0}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

# ---------------------------------------------------------------- validation
require_abs_path DATA_DIR "$DATA_DIR" /data
case "$DATA_DIR" in
/bin | /boot | /dev | /etc | /home | /lib | /lib64 | /opt | /proc | /root | /run | /sbin | /srv | /sys | /tmp | /usr | /var | /var/lib | /var/lib/docker | /mnt | /media)
  die "DATA_DIR='$DATA_DIR' is a system directory; use a dedicated path such as /data"
  ;;
esac
if [[ -n "$DATA_VOLUME_ID" && -n "$DATA_DEVICE" ]]; then
  die "DATA_VOLUME_ID='$DATA_VOLUME_ID' and DATA_DEVICE='$DATA_DEVICE' are both set; set only one (DATA_VOLUME_ID on AWS, DATA_DEVICE on your own server)"
fi
if [[ -n "$DATA_VOLUME_ID" ]] && ! [[ "$DATA_VOLUME_ID" =~ ^vol-([0-9a-f]{8}|[0-9a-f]{17})$ ]]; then
  die "DATA_VOLUME_ID='$DATA_VOLUME_ID' is not an EBS volume id like vol-0123456789abcdef0"
fi
if [[ -n "$DATA_DEVICE" ]] && ! [[ "$DATA_DEVICE" =~ ^/dev/[A-Za-z0-9._:/-]+$ ]]; then
  die "DATA_DEVICE='$DATA_DEVICE' must be a block device path under /dev, e.g. /dev/sdb"
fi
case "$DATA_FS_TYPE" in
ext4 | xfs) ;;
*) die "DATA_FS_TYPE='$DATA_FS_TYPE' is not supported; use ext4 or xfs" ;;
esac
[[ "$DEVICE_WAIT_SECONDS" =~ ^[0-9]+$ ]] || die "DEVICE_WAIT_SECONDS='$DEVICE_WAIT_SECONDS' is not a whole number of seconds; e.g. 300"
if ! [[ "$SWAP_SIZE_GB" =~ ^(0|[1-9][0-9]{0,3})$ ]]; then
  die "SWAP_SIZE_GB='$SWAP_SIZE_GB' must be a whole number of GiB (0 disables swap), e.g. 16"
fi
if [[ -z "$HOST_ROOT" && "$EUID" -ne 0 ]]; then
  die "must run as root (it formats, mounts and edits /etc/fstab); use sudo"
fi

readonly MOUNT_POINT="$HOST_ROOT$DATA_DIR"
readonly FSTAB="$HOST_ROOT/etc/fstab"
readonly MOUNTS="$HOST_ROOT/proc/self/mounts"
readonly SWAPS="$HOST_ROOT/proc/swaps"
readonly FS_LABEL=sentry-data

# ------------------------------------------------------------------- helpers

# Sets DEVICE to the block device of DATA_VOLUME_ID if it is attached yet.
find_volume_device() {
  local serial="vol${DATA_VOLUME_ID#vol-}" link line name ser type
  local -a xen_candidates=()
  local have_nvme=0
  DEVICE=""
  link="$HOST_ROOT/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${serial}"
  if [[ -e "$link" ]]; then
    DEVICE="$(readlink -f "$link")"
    return 0
  fi
  # Nitro: the NVMe serial number is the volume id without its dash.
  while IFS= read -r line; do
    [[ "$line" =~ NAME=\"([^\"]*)\" ]] || continue
    name="${BASH_REMATCH[1]}"
    ser="" type=""
    [[ "$line" =~ SERIAL=\"([^\"]*)\" ]] && ser="${BASH_REMATCH[1]}"
    [[ "$line" =~ TYPE=\"([^\"]*)\" ]] && type="${BASH_REMATCH[1]}"
    [[ "$name" == nvme* ]] && have_nvme=1
    if [[ "$ser" == "$serial" || "$ser" == "$DATA_VOLUME_ID" ]]; then
      DEVICE="$HOST_ROOT/dev/$name"
      return 0
    fi
    if [[ "$type" == disk && "$name" =~ ^(xvd|sd)[f-p]$ ]]; then
      xen_candidates+=("$name")
    fi
  done < <(lsblk -dnP -o NAME,SERIAL,TYPE 2>/dev/null || true)
  # Xen instances have no NVMe and no volume id on the device: the volume shows
  # up under the API device name (/dev/sdf -> /dev/xvdf). Accept it only when
  # it is unambiguous.
  if ((have_nvme == 0 && ${#xen_candidates[@]} == 1)); then
    DEVICE="$HOST_ROOT/dev/${xen_candidates[0]}"
    log "no NVMe device for $DATA_VOLUME_ID; using the only Xen data disk /dev/${xen_candidates[0]}"
    return 0
  fi
  if ((have_nvme == 0 && ${#xen_candidates[@]} > 1)); then
    die "cannot tell which of ${xen_candidates[*]} is $DATA_VOLUME_ID on this Xen instance; set DATA_DEVICE=/dev/<name> instead of DATA_VOLUME_ID"
  fi
  return 1
}

# Replaces (in place) or appends the fstab line whose field $1 equals $2 with
# line $3; an empty $3 removes it. Writes only when the content changes, and
# then lets systemd regenerate its mount units from fstab.
fstab_set() {
  local field="$1" key="$2" newline="$3" tmp
  mkdir -p "$(dirname "$FSTAB")"
  [[ -e "$FSTAB" ]] || : >"$FSTAB"
  tmp="$(mktemp "$FSTAB.XXXXXX")"
  awk -v f="$field" -v k="$key" -v nl="$newline" '
    $0 !~ /^[[:space:]]*#/ && $f == k { if (!done && nl != "") print nl; done = 1; next }
    { print }
    END { if (!done && nl != "") print nl }
  ' "$FSTAB" >"$tmp"
  if cmp -s "$tmp" "$FSTAB"; then
    rm -f "$tmp"
    return 0
  fi
  [[ -e "$FSTAB.before-$SCRIPT" ]] || cp -p "$FSTAB" "$FSTAB.before-$SCRIPT"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$FSTAB"
  log "updated /etc/fstab for $key"
  if command -v systemctl >/dev/null 2>&1; then
    systemctl daemon-reload
  fi
}

mounted_source() { # prints the source mounted at $1, if any
  awk -v mp="$1" '$2 == mp { src = $1 } END { if (src != "") print src }' "$MOUNTS" 2>/dev/null || true
}

# df_kb COLUMN: a column of `df -Pk` for the filesystem holding DATA_DIR, in KiB
# (2 = size, 4 = available).
df_kb() { df -Pk "$MOUNT_POINT" | awk -v c="$1" 'NR == 2 { print $c }'; }

swap_active() {
  awk -v f="$1" 'NR > 1 && $1 == f { found = 1 } END { exit !found }' "$SWAPS" 2>/dev/null
}

# -------------------------------------------------------------- block device
DEVICE=""
if [[ -n "$DATA_VOLUME_ID" ]]; then
  deadline=$((SECONDS + DEVICE_WAIT_SECONDS))
  until find_volume_device; do
    if ((SECONDS >= deadline)); then
      die "EBS volume $DATA_VOLUME_ID did not appear within ${DEVICE_WAIT_SECONDS}s (looked for /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol${DATA_VOLUME_ID#vol-} and NVMe serial vol${DATA_VOLUME_ID#vol-}); check the volume is attached to this instance, or raise DEVICE_WAIT_SECONDS"
    fi
    sleep 1
  done
  log "EBS volume $DATA_VOLUME_ID is ${DEVICE#"$HOST_ROOT"}"
elif [[ -n "$DATA_DEVICE" ]]; then
  [[ -e "$HOST_ROOT$DATA_DEVICE" ]] || die "DATA_DEVICE='$DATA_DEVICE' does not exist; list disks with lsblk"
  DEVICE="$(readlink -f "$HOST_ROOT$DATA_DEVICE")"
fi

if [[ -n "$DEVICE" ]]; then
  dev_name="${DEVICE#"$HOST_ROOT"}" # the device as the host names it, for messages
  dev_type="$(lsblk -dn -o TYPE "$DEVICE" 2>/dev/null || true)"
  [[ -n "$dev_type" ]] || die "$dev_name is not a block device (lsblk does not know it)"

  # Probe the device itself (-p, no cache). Exit 2 = no signature at all.
  probe_rc=0
  probe="$(blkid -p -o export "$DEVICE" 2>/dev/null)" || probe_rc=$?
  case "$probe_rc" in
  0 | 2) ;;
  *) die "blkid could not identify $dev_name unambiguously (exit $probe_rc); inspect it with 'wipefs -n $dev_name' and fix it by hand" ;;
  esac
  fs_type="$(sed -n 's/^TYPE=//p' <<<"$probe")"
  pt_type="$(sed -n 's/^PTTYPE=//p' <<<"$probe")"
  if [[ -z "$fs_type" && -n "$pt_type" ]]; then
    die "$dev_name has a $pt_type partition table but no filesystem; refusing to format it. Point DATA_DEVICE at a partition, or wipe the device yourself"
  fi
  if [[ -z "$fs_type" ]]; then
    command -v "mkfs.$DATA_FS_TYPE" >/dev/null 2>&1 ||
      die "mkfs.$DATA_FS_TYPE not found; install e2fsprogs (ext4) or xfsprogs (xfs)"
    log "creating $DATA_FS_TYPE filesystem on empty device $dev_name"
    "mkfs.$DATA_FS_TYPE" -q -L "$FS_LABEL" "$DEVICE"
    probe="$(blkid -p -o export "$DEVICE")"
    fs_type="$(sed -n 's/^TYPE=//p' <<<"$probe")"
  fi
  case "$fs_type" in
  ext2 | ext3 | ext4 | xfs | btrfs) ;;
  *) die "$dev_name holds '$fs_type', not a filesystem this script mounts; refusing to touch it" ;;
  esac
  if [[ "$fs_type" != "$DATA_FS_TYPE" ]]; then
    log "keeping the existing $fs_type filesystem on $dev_name (DATA_FS_TYPE=$DATA_FS_TYPE applies to empty devices only)"
  fi
  uuid="$(sed -n 's/^UUID=//p' <<<"$probe")"
  [[ -n "$uuid" ]] || die "no filesystem UUID found on $dev_name"

  pass=0
  [[ "$fs_type" == ext* ]] && pass=2
  fstab_set 2 "$DATA_DIR" "UUID=$uuid $DATA_DIR $fs_type defaults,nofail 0 $pass"

  current="$(mounted_source "$MOUNT_POINT")"
  if [[ -n "$current" ]]; then
    if [[ "$(readlink -f "$current")" != "$DEVICE" ]]; then
      die "DATA_DIR=$DATA_DIR is already mounted from ${current#"$HOST_ROOT"}, not from $dev_name; unmount it or fix DATA_DIR/DATA_VOLUME_ID/DATA_DEVICE"
    fi
    log "$DATA_DIR already mounted from $dev_name"
  else
    mkdir -p "$MOUNT_POINT"
    if [[ -n "$(find "$MOUNT_POINT" -mindepth 1 -maxdepth 1 ! -name lost+found -print -quit)" ]]; then
      die "DATA_DIR=$DATA_DIR is not empty and not mounted; mounting the volume would hide its files. Move them away or choose another DATA_DIR"
    fi
    mount -t "$fs_type" "$DEVICE" "$MOUNT_POINT"
    log "mounted $dev_name ($fs_type, UUID=$uuid) on $DATA_DIR"
  fi

  # A volume grown since (sentry:dataVolumeSizeGb, or a bigger disk on your server): grow the
  # mounted filesystem online to fill it. Both tools do nothing when there is nothing to grow.
  case "$fs_type" in
  ext*) grow=(resize2fs "$DEVICE") ;;
  xfs) grow=(xfs_growfs "$MOUNT_POINT") ;;
  *) grow=() ;;
  esac
  if ((${#grow[@]} > 0)); then
    command -v "${grow[0]}" >/dev/null 2>&1 || die "${grow[0]} not found; install e2fsprogs (ext4) or xfsprogs (xfs)"
    before_kb="$(df_kb 2)"
    "${grow[@]}" >/dev/null 2>&1 || die "could not grow the $fs_type filesystem on $dev_name (${grow[*]#"$HOST_ROOT"}); run it by hand to see why"
    after_kb="$(df_kb 2)"
    if ((after_kb > before_kb)); then
      log "grew the filesystem on $DATA_DIR from $((before_kb / 1024)) MB to $((after_kb / 1024)) MB"
    fi
  fi
else
  mkdir -p "$MOUNT_POINT"
  log "no data device given; using directory $DATA_DIR on the existing filesystem"
fi

# ----------------------------------------------------------------- swap file
swapfile="$MOUNT_POINT/swapfile"
if ((SWAP_SIZE_GB > 0)); then
  want_bytes=$((SWAP_SIZE_GB * 1024 * 1024 * 1024))
  if [[ -e "$swapfile" ]] && [[ "$(stat -c %s "$swapfile")" != "$want_bytes" ]]; then
    log "swap file size differs from SWAP_SIZE_GB=$SWAP_SIZE_GB; recreating it"
    if swap_active "$swapfile"; then swapoff "$swapfile"; fi
    rm -f "$swapfile"
  fi
  if [[ ! -e "$swapfile" ]]; then
    avail_kb="$(df_kb 4)"
    if ((avail_kb * 1024 < want_bytes + 1024 * 1024 * 1024)); then
      die "not enough free space on $DATA_DIR for a ${SWAP_SIZE_GB} GiB swap file ($((avail_kb / 1024)) MB free); lower SWAP_SIZE_GB or grow the volume"
    fi
    # Build it under a temporary name so a half-made file is never used.
    tmp="$swapfile.partial"
    rm -f "$tmp"
    (umask 077 && fallocate -l "${SWAP_SIZE_GB}G" "$tmp") ||
      (umask 077 && dd if=/dev/zero of="$tmp" bs=1M count=$((SWAP_SIZE_GB * 1024)) status=none)
    chmod 0600 "$tmp"
    mkswap "$tmp" >/dev/null
    mv -f "$tmp" "$swapfile"
    log "created ${SWAP_SIZE_GB} GiB swap file $DATA_DIR/swapfile"
  fi
  [[ "$(stat -c %a "$swapfile")" == 600 ]] || chmod 0600 "$swapfile"
  fstab_set 1 "$DATA_DIR/swapfile" "$DATA_DIR/swapfile none swap sw,nofail 0 0"
  if ! swap_active "$swapfile"; then
    swapon "$swapfile"
    log "swap file enabled"
  fi
else
  if [[ -e "$swapfile" ]] && swap_active "$swapfile"; then swapoff "$swapfile"; fi
  fstab_set 1 "$DATA_DIR/swapfile" ""
  if [[ -e "$swapfile" ]]; then
    rm -f "$swapfile"
    log "removed swap file (SWAP_SIZE_GB=0)"
  fi
fi

# ------------------------------------------------------------- directories
[[ -d "$MOUNT_POINT/docker" ]] || mkdir -m 0711 "$MOUNT_POINT/docker"
[[ -d "$MOUNT_POINT/sentry-deploy" ]] || mkdir -m 0700 "$MOUNT_POINT/sentry-deploy"
[[ "$(stat -c %a "$MOUNT_POINT/sentry-deploy")" == 700 ]] || chmod 0700 "$MOUNT_POINT/sentry-deploy"

# A volume restored from a snapshot (sentry:dataSnapshotId), or a server reinstalled on
# its old data disk: say what was found. Nothing here changes it; install-sentry.sh
# reads the same marker and does not re-run the installer when the version matches.
if [[ -f "$MOUNT_POINT/sentry-deploy/installed" ]]; then
  found="$(tr -s '[:space:]' ' ' <"$MOUNT_POINT/sentry-deploy/installed" | sed 's/ $//')"
  log "found an existing Sentry installation on $DATA_DIR: $found (kept as it is: no format, no reinstall of the same version)"
fi

log "ready: $DATA_DIR (docker data root $DATA_DIR/docker, state $DATA_DIR/sentry-deploy, swap ${SWAP_SIZE_GB} GiB)"
