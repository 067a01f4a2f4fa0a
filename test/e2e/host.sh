#!/usr/bin/env bash
# A disposable test host for the end-to-end test: a Debian root file system (debootstrap,
# cached as a tarball) booted inside its own network namespace (veth pair, private /30 of
# its own), its own mount and PID namespaces and a chroot, running a STOCK sshd (the
# package's sshd_config, no AcceptEnv changes) with a non-root `ubuntu` user that has
# passwordless sudo, like the AWS image's default user. Everything stays on this machine.
#
# Usage (as root, non-interactive):
#   host.sh rootfs [chroot|boot]   build or reuse the cached rootfs tarball of that flavour
#   host.sh boot   <dir>           like start, but the host boots with systemd as PID 1
#                                  (systemd-nspawn) and gets a data disk (loop device
#                                  HOST_DATA_LOOP over HOST_DATA_IMAGE, in host.env); Docker runs inside
#   host.sh poweroff <dir>         shut the booted host down (systemd poweroff)
#   host.sh poweron <dir> [--without-data-disk | --data-image FILE]
#                                                boot it again (with no data disk, or another disk image)
#   host.sh start  <dir>           unpack a fresh host into <dir>/root, boot it; writes
#                                  <dir>/host.env (HOST_ADDR, HOST_PORT, HOST_USER, HOST_KEY,
#                                  HOST_NS, HOST_ROOT) and <dir>/id_ed25519 (per-run key)
#   host.sh stop   <dir>           kill everything in the host, remove the namespace/veth,
#                                  unmount; keeps <dir> for inspection (rm it yourself)
#   host.sh exec   <dir> CMD...    run CMD as root inside the host (its namespaces + chroot)
#   host.sh ssh    <dir> CMD...    run CMD over real SSH as the host's user
#   host.sh kill-sshd <dir>        SIGKILL sshd: the listener and every session (fault test)
#   host.sh kill-sessions <dir>    SIGKILL only the per-connection sshd processes
#   host.sh start-sshd <dir>       (re)start the sshd listener
#   host.sh pids   <dir>           PIDs of every process in the host (host-side numbers)
#
# Environment: PULUMI_E2E_CACHE (default $HOME/.cache/sentry-e2e) holds the rootfs tarballs;
# E2E_DATA_DISK_SIZE (6G) is the booted host's sparse data disk;
# E2E_DEBIAN_SUITE (bookworm), E2E_DEBIAN_MIRROR (default: the Debian mirror this machine's
# apt already uses, from /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${PULUMI_E2E_CACHE:-$HOME/.cache/sentry-e2e}"
SUITE="${E2E_DEBIAN_SUITE:-bookworm}"
# The machine's own Debian mirror: the one its package manager is known to reach.
apt_mirror() {
    {
        sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | tr ' ' '\n'
        awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) print $i }' /etc/apt/sources.list 2>/dev/null
    } | grep -m1 -E '^https?://[^ ]*/debian/?$' || true
}
MIRROR="${E2E_DEBIAN_MIRROR:-$(apt_mirror)}"
# What the host scripts and the stand-ins need besides Debian's minimal base (bash,
# coreutils, util-linux, findutils, grep, sed, tar, gzip, apt are in it already).
PACKAGES="openssh-server,sudo,git,curl,ca-certificates,python3,procps,iproute2,e2fsprogs,less,gnupg"
# The booted host (`boot`) adds systemd as PID 1 and Debian's Docker Engine (docker.io 20.10,
# with containerd and runc) and what Docker and the data disk need; xz-utils for upstream's
# install.sh, nginx-light for the nginx stand-in image's root file system.
BOOT_PACKAGES="$PACKAGES,systemd,systemd-sysv,dbus,iptables,docker.io,kmod,xfsprogs,xz-utils,nginx-light,jq"
ROOTFS_REV=1 # bump when the way the tarball is made changes

log() { echo "host.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, chroot)"; }

# The package list of a flavour: `chroot` (host.sh start) or `boot` (host.sh boot).
flavour_packages() { if [ "$1" = boot ]; then echo "$BOOT_PACKAGES"; else echo "$PACKAGES"; fi; }

rootfs_tarball() {
    local flavour="${1:-chroot}" key
    key=$(printf '%s\n' "$SUITE" "$MIRROR" "$(flavour_packages "$flavour")" "$ROOTFS_REV" "$(uname -m)" | sha256sum | cut -c1-12)
    if [ "$flavour" = boot ]; then echo "$CACHE_DIR/rootfs-boot-$SUITE-$key.tar.gz"; else echo "$CACHE_DIR/rootfs-$SUITE-$key.tar.gz"; fi
}

cmd_rootfs() {
    need_root
    local flavour="${1:-chroot}" tarball tmp packages
    case "$flavour" in chroot | boot) ;; *) die "unknown rootfs flavour '$flavour' (chroot or boot)" ;; esac
    tarball=$(rootfs_tarball "$flavour")
    if [ -s "$tarball" ]; then echo "$tarball"; return 0; fi
    # Suites run two at a time and may both find the cache cold: one builds, the other
    # waits here and then takes what the first one cached.
    mkdir -p "$CACHE_DIR"
    exec 8>"$tarball.lock"
    flock 8
    if [ -s "$tarball" ]; then exec 8>&-; echo "$tarball"; return 0; fi
    packages=$(flavour_packages "$flavour")
    command -v debootstrap >/dev/null || {
        log "installing debootstrap from Debian's packages"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 ||
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
    }
    mkdir -p "$CACHE_DIR"
    tmp=$(mktemp -d "$CACHE_DIR/rootfs-build.XXXXXX")
    log "debootstrap $SUITE ($flavour) into $tmp (a few minutes, once; cached at $tarball)"
    local start=$SECONDS
    [ -n "$MIRROR" ] || die "no Debian mirror in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list; set E2E_DEBIAN_MIRROR"
    if ! debootstrap --variant=minbase --include="$packages" "$SUITE" "$tmp/root" "$MIRROR" >"$tmp/debootstrap.log" 2>&1; then
        tail -n 30 "$tmp/debootstrap.log" >&2
        rm -rf "$tmp"
        die "debootstrap failed"
    fi
    # Bake the parts that are the same on every run: the user, sudo, sshd's runtime dir.
    # sshd_config stays exactly as the package ships it.
    chroot "$tmp/root" /bin/sh -ec '
        useradd --create-home --shell /bin/bash --uid 1000 ubuntu
        install -d -m 0700 -o ubuntu -g ubuntu /home/ubuntu/.ssh
        echo "ubuntu ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/90-cloud-init-users
        chmod 0440 /etc/sudoers.d/90-cloud-init-users
        rm -f /etc/ssh/ssh_host_*
        apt-get clean
        rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
    '
    if [ "$flavour" = boot ]; then
        # Installed, never started: a fresh host on which install-docker.sh writes daemon.json
        # before Docker's first start (the package's postinst could not start it in a chroot,
        # and disabling it keeps the first boot from doing so). nginx-light is only the source
        # of the nginx stand-in image. The host's sshd host keys are made per run.
        chroot "$tmp/root" /bin/sh -ec '
            systemctl disable docker.service docker.socket containerd.service nginx.service >/dev/null 2>&1
            systemctl enable ssh.service >/dev/null 2>&1
            systemctl mask systemd-networkd-wait-online.service systemd-resolved.service getty@tty1.service console-getty.service >/dev/null 2>&1 || true
            rm -rf /var/lib/docker /var/lib/containerd
            ln -sf /dev/null /etc/systemd/system/ssh.socket
        '
    fi
    echo "sentry-e2e-host" >"$tmp/root/etc/hostname"
    tar --numeric-owner -C "$tmp/root" -czf "$tmp/rootfs.tar.gz" .
    mv "$tmp/rootfs.tar.gz" "$tarball"
    rm -rf "$tmp"
    exec 8>&-
    log "rootfs cached in $((SECONDS - start)) s: $tarball ($(du -h "$tarball" | cut -f1))"
    echo "$tarball"
}

load_env() {
    local dir="$1"
    [ -f "$dir/host.env" ] || die "$dir/host.env not found (host not started?)"
    # shellcheck disable=SC1091
    . "$dir/host.env"
}

# Run a command inside the host's namespaces (net via the named netns; mount+pid via the
# namespace holder process) and chroot.
in_host() {
    local dir="$1"; shift
    load_env "$dir"
    local holder
    holder=$(cat "$dir/holder.pid")
    if [ "${HOST_KIND:-}" = boot ]; then
        # `cd /`: nsenter's --wd names the caller's directory, which does not exist in the host.
        nsenter --target "$holder" --mount --pid --uts --ipc --net --cgroup --root -- /bin/sh -c 'cd / && exec "$@"' in-host "$@"
    else
        nsenter --target "$holder" --mount --pid --uts --net --root --wd=/ -- "$@"
    fi
}

# Unpacks a fresh root from `tarball` into <dir>/root, makes the per-run SSH key and host
# keys, the network namespace and its veth pair, and writes <dir>/host.env.
setup_host_dir() {
    local dir="$1" tarball="$2"
    # A /30 of our own, chosen per run so that parallel runs do not collide.
    local n ns veth_out veth_in addr_out addr_in
    n=$(( ($$ % 200) + 20 ))
    while ip netns list | grep -qw "sentrye2e$n"; do n=$(( n % 250 + 1 )); done
    ns="sentrye2e$n"
    veth_out="se2e${n}o"; veth_in="se2e${n}i"
    addr_out="10.213.$n.1"; addr_in="10.213.$n.2"

    local root="$dir/root"
    mkdir -p "$root"
    tar --numeric-owner -C "$root" -xzf "$tarball"

    # Per-run SSH key for the user, fresh host keys.
    rm -f "$dir/id_ed25519" "$dir/id_ed25519.pub"
    ssh-keygen -q -t ed25519 -N '' -C "sentry-e2e-$n" -f "$dir/id_ed25519"
    install -m 0600 -o 1000 -g 1000 "$dir/id_ed25519.pub" "$root/home/ubuntu/.ssh/authorized_keys"
    chroot "$root" ssh-keygen -A >/dev/null
    install -d -m 0755 "$root/run/sshd"
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    printf '127.0.0.1 localhost\n%s sentry-e2e-host\n' "$addr_in" >"$root/etc/hosts"

    ip netns add "$ns"
    ip link add "$veth_out" type veth peer name "$veth_in"
    ip link set "$veth_in" netns "$ns"
    ip addr add "$addr_out/30" dev "$veth_out"
    ip link set "$veth_out" up
    ip -n "$ns" addr add "$addr_in/30" dev "$veth_in"
    ip -n "$ns" link set "$veth_in" up
    ip -n "$ns" link set lo up

    cat >"$dir/host.env" <<EOF
HOST_ADDR=$addr_in
HOST_PORT=22
HOST_USER=ubuntu
HOST_KEY=$dir/id_ed25519
HOST_NS=$ns
HOST_ROOT=$root
HOST_VETH=$veth_out
EOF
    load_env "$dir"
}

# `host.sh start|boot <dir>`: checks <dir> is free, makes the host there from the flavour's
# root file system (setup_host_dir) and leaves its absolute path in CREATED_DIR.
new_host_dir() {
    local command="$1" dir="$2" flavour="$3"
    [ -n "$dir" ] || die "usage: host.sh $command <dir>"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ ! -e "$dir/host.env" ] || die "$dir already holds a host; stop it first"
    local tarball
    tarball=$(cmd_rootfs "$flavour")
    setup_host_dir "$dir" "$tarball"
    CREATED_DIR="$dir"
}

cmd_start() {
    need_root
    new_host_dir start "${1:-}" chroot
    local dir="$CREATED_DIR"
    local ns="$HOST_NS" root="$HOST_ROOT"

    # The holder: PID 1 of the host's PID namespace, owner of its mount namespace. It mounts
    # /proc, a small /dev and /tmp inside the root and then sleeps; sshd and everything it
    # starts live in these namespaces, so `stop` can end them all and `pids` can list them.
    # shellcheck disable=SC2016 # the script runs in the new namespaces; its inputs are "$@"
    ip netns exec "$ns" unshare --mount --pid --uts --fork --propagation private -- /bin/bash -c '
        set -e
        root="$1"
        mount --make-rprivate /
        hostname sentry-e2e-host
        mount -t proc proc "$root/proc"
        mount -t tmpfs -o mode=0755,size=16m dev "$root/dev"
        for d in null zero full random urandom tty; do
            touch "$root/dev/$d"; mount --bind "/dev/$d" "$root/dev/$d"
        done
        mkdir -p "$root/dev/pts" "$root/dev/shm"
        mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
        ln -sf pts/ptmx "$root/dev/ptmx"
        ln -sf /proc/self/fd "$root/dev/fd"
        ln -sf /proc/self/fd/0 "$root/dev/stdin"; ln -sf /proc/self/fd/1 "$root/dev/stdout"; ln -sf /proc/self/fd/2 "$root/dev/stderr"
        mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
        mount -t tmpfs -o mode=0755 run "$root/run"
        mkdir -p "$root/run/sshd" "$root/run/lock"
        chmod 1777 "$root/run/lock"
        echo ready > "$root/.holder-ready"
        exec chroot "$root" /bin/bash -c "trap \"exit 0\" TERM; while :; do sleep 3600 & wait \$!; done"
    ' holder "$root" </dev/null >"$dir/holder.log" 2>&1 &
    # $! is `ip netns exec`; the namespace's PID 1 is the bash that unshare forked.
    for _ in $(seq 1 100); do [ -f "$root/.holder-ready" ] && break; sleep 0.1; done
    [ -f "$root/.holder-ready" ] || { cat "$dir/holder.log" >&2; die "host namespaces did not come up"; }
    rm -f "$root/.holder-ready"
    local holder=""
    for pid in $(ip netns pids "$ns"); do
        if [ "$(awk '/^NSpid:/ {print $NF}' "/proc/$pid/status" 2>/dev/null)" = 1 ]; then holder=$pid; fi
    done
    [ -n "$holder" ] || die "could not find the host's init process"
    echo "$holder" >"$dir/holder.pid"

    cmd_start_sshd "$dir"
    log "host up: ssh -i $dir/id_ed25519 ubuntu@$HOST_ADDR (netns $ns, root $root)"
}

# ------------------------------------------------------------ the booted host (systemd)

# The options under which Debian's dockerd runs inside the container on this kind of machine
# (cgroup v1 hybrid host whose PID 1 is not systemd; measured, see README.md "The booted host"):
#   --capability=CAP_NET_ADMIN    iptables (dockerd's NAT chains) and bridges; not in nspawn's
#                                 default set when the network namespace is ours, not nspawn's
#   --system-call-filter=add_key keyctl bpf
#                                 runc joins a session keyring (add_key/keyctl) and, on cgroup
#                                 v2, attaches a BPF device filter (bpf); nspawn's filter
#                                 refuses all three with EPERM
#   SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
#                                 a cgroup v2 tree of the container's own: nspawn mounts the
#                                 v1 controllers read-only, so runc cannot make its cgroups
#                                 ("mkdir /sys/fs/cgroup/cpuset/docker: read-only file system");
#                                 on v2 (in a cgroup namespace) it can, without controllers
#   SYSTEMD_NSPAWN_API_VFS_WRITABLE=network
#                                 /proc/sys/net writable (dockerd sets ip_forward and per-
#                                 interface IPv6 knobs; /proc/sys is read-only otherwise)
# Not needed: DeviceAllow= for the data disk (without a scope unit, --keep-unit and
# --register=no, nspawn applies no device policy; the loop device is bound in with --bind),
# /dev/fuse, extra syscalls or capabilities beyond these.
export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 SYSTEMD_NSPAWN_API_VFS_WRITABLE=network
nspawn_options() {
    local dir="$1"
    load_env "$dir"
    NSPAWN_OPTS=(
        --boot --register=no --keep-unit --console=passive --link-journal=no
        --directory="$HOST_ROOT" --machine="$HOST_NS" --hostname=sentry-e2e-host
        --network-namespace-path="/run/netns/$HOST_NS"
        --capability=CAP_NET_ADMIN --system-call-filter="add_key keyctl bpf"
    )
    if [ -n "${HOST_DATA_LOOP:-}" ] && [ -b "$HOST_DATA_LOOP" ]; then
        NSPAWN_OPTS+=(--bind="$HOST_DATA_LOOP")
    fi
}

# The container's PID 1 (systemd), as a PID of this machine.
leader_pid() {
    local dir="$1" pid nspawn
    load_env "$dir"
    nspawn=$(cat "$dir/nspawn.pid" 2>/dev/null || true)
    for pid in $(ip netns pids "$HOST_NS" 2>/dev/null); do
        # The child of this boot's systemd-nspawn, never one left from an earlier boot.
        if [ "$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" = "$nspawn" ] &&
            [ "$(awk '/^NSpid:/ {print $NF}' "/proc/$pid/status" 2>/dev/null)" = 1 ] &&
            [ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" != "" ] &&
            grep -q systemd "/proc/$pid/comm" 2>/dev/null; then
            echo "$pid"; return 0
        fi
    done
    return 1
}

# Boots the container (systemd-nspawn in the background) and waits for sshd.
boot_container() {
    local dir="$1"
    nspawn_options "$dir"
    rm -f "$dir/nspawn.pid"
    setsid systemd-nspawn "${NSPAWN_OPTS[@]}" </dev/null >>"$dir/nspawn.log" 2>&1 &
    echo $! >"$dir/nspawn.pid"
    local leader=""
    for _ in $(seq 1 100); do
        leader=$(leader_pid "$dir") && break
        kill -0 "$(cat "$dir/nspawn.pid")" 2>/dev/null || { tail -n 30 "$dir/nspawn.log" >&2; die "systemd-nspawn exited while booting"; }
        sleep 0.1
    done
    [ -n "$leader" ] || { tail -n 30 "$dir/nspawn.log" >&2; die "the host's systemd did not start"; }
    echo "$leader" >"$dir/holder.pid"
    wait_for_sshd "$dir"
}

cmd_boot() {
    need_root
    command -v systemd-nspawn >/dev/null || die "systemd-nspawn not found; apt-get install systemd-container"
    new_host_dir boot "${1:-}" boot
    local dir="$CREATED_DIR"
    # The data disk: a sparse file on this machine behind a loop device, handed to the host as
    # a block device (prepare-data.sh formats and mounts it, fstab by UUID).
    truncate -s "${E2E_DATA_DISK_SIZE:-6G}" "$dir/data.img"
    local loop
    loop=$(losetup --find --show "$dir/data.img")
    {
        echo "HOST_DATA_LOOP=$loop"
        echo "HOST_DATA_IMAGE=$dir/data.img"
        echo "HOST_KIND=boot"
    } >>"$dir/host.env"
    install -D -m 0755 "$HERE/boot/fstab-devices-generator" "$HOST_ROOT/etc/systemd/system-generators/e2e-fstab-devices"
    # This machine's hard limit of open files (no CAP_SYS_RESOURCE to raise it) is below
    # upstream's `ulimits: nofile`: runc in the host clamps it (boot/runc-nofile-clamp).
    chroot "$HOST_ROOT" dpkg-divert --quiet --local --rename --divert /usr/sbin/runc.distrib --add /usr/sbin/runc
    install -m 0755 "$HERE/boot/runc-nofile-clamp" "$HOST_ROOT/usr/sbin/runc"
    boot_container "$dir"
    log "host booted: ssh -i $dir/id_ed25519 ubuntu@$HOST_ADDR (netns $HOST_NS, root $HOST_ROOT, data disk $loop)"
}

# Powers the booted host off (systemd's own shutdown) and waits for nspawn to exit.
cmd_poweroff() {
    local dir="$1" pid
    load_env "$dir"
    pid=$(cat "$dir/nspawn.pid" 2>/dev/null || true)
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then log "host is not running"; return 0; fi
    in_host "$dir" systemctl poweroff --no-block || kill -s RTMIN+4 "$(cat "$dir/holder.pid")"
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then log "host did not power off in 30 s; killing it"; kill -KILL "$pid"; fi
    # Nothing of this boot may outlive it: the next boot looks for its systemd among the
    # namespace's processes, and an old one still dying there would be taken for it.
    local left
    for _ in $(seq 1 100); do
        left=$(ip netns pids "$HOST_NS" 2>/dev/null || true)
        [ -n "$left" ] || break
        # shellcheck disable=SC2086 # a list of PIDs
        kill -KILL $left 2>/dev/null || true
        sleep 0.1
    done
    rm -f "$dir/nspawn.pid" "$dir/holder.pid"
    log "host powered off"
}

# Boots the powered-off host again: with its data disk (HOST_DATA_IMAGE: boot's data.img at first),
# with --without-data-disk none (the disk is detached first), or with --data-image FILE
# another disk image in its place (a copy of data.img taken earlier: a volume restored from a
# snapshot), which stays its data disk for later boots.
cmd_poweron() {
    local dir="$1" mode="${2:-}" image
    load_env "$dir"
    image="${HOST_DATA_IMAGE:?host.env has no HOST_DATA_IMAGE: not a booted host}"
    case "$mode" in
        "" | --without-data-disk) ;;
        --data-image)
            image="${3:?poweron --data-image needs the image file}"
            [ -f "$image" ] || die "no disk image at $image"
            image="$(cd "$(dirname "$image")" && pwd)/$(basename "$image")"
            ;;
        *) die "poweron: unknown option '$mode' (--without-data-disk or --data-image FILE)" ;;
    esac
    if [ -n "$mode" ] || [ -z "${HOST_DATA_LOOP:-}" ] || ! losetup "$HOST_DATA_LOOP" >/dev/null 2>&1; then
        [ -z "${HOST_DATA_LOOP:-}" ] || losetup -d "$HOST_DATA_LOOP" 2>/dev/null || true
        sed -i '/^HOST_DATA_LOOP=/d' "$dir/host.env"
        if [ "$mode" != --without-data-disk ]; then
            sed -i '/^HOST_DATA_IMAGE=/d' "$dir/host.env"
            echo "HOST_DATA_LOOP=$(losetup --find --show "$image")" >>"$dir/host.env"
            echo "HOST_DATA_IMAGE=$image" >>"$dir/host.env"
        fi
    fi
    boot_container "$dir"
    log "host booted again${mode:+ ($mode${3:+ $3})}"
}

wait_for_sshd() {
    local dir="$1"
    load_env "$dir"
    for _ in $(seq 1 150); do
        if ip netns exec "$HOST_NS" bash -c "exec 3<>/dev/tcp/$HOST_ADDR/$HOST_PORT" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    die "sshd did not start listening on $HOST_ADDR:$HOST_PORT"
}

cmd_start_sshd() {
    local dir="$1"
    load_env "$dir"
    # sshd -D would keep a foreground process; plain sshd daemonizes inside the namespaces.
    in_host "$dir" /usr/sbin/sshd -E /var/log/sshd.log
    for _ in $(seq 1 50); do
        if ip netns exec "$HOST_NS" bash -c "exec 3<>/dev/tcp/$HOST_ADDR/$HOST_PORT" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    die "sshd did not start listening on $HOST_ADDR:$HOST_PORT (see $HOST_ROOT/var/log/sshd.log)"
}

# Host-side PIDs of the host's processes whose command matches an ERE.
host_pids_matching() {
    local dir="$1" re="$2"
    load_env "$dir"
    local pid
    for pid in $(ip netns pids "$HOST_NS"); do
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -Eq -- "$re"; then echo "$pid"; fi
    done
}

# kill_pids "PID PID ...": SIGKILL each listed process that still exists.
kill_pids() {
    local list
    read -r -d '' -a list <<<"$1" || true
    [ "${#list[@]}" -eq 0 ] || kill -KILL "${list[@]}" 2>/dev/null || true
}

cmd_kill_sshd() {
    local dir="$1" pids
    pids=$(host_pids_matching "$dir" '^sshd: |^/usr/sbin/sshd')
    kill_pids "$pids"
    log "killed sshd: ${pids:-(none)}"
}

cmd_kill_sessions() {
    local dir="$1" pids
    # Per-connection processes are titled "sshd: ubuntu ..." (listener: "sshd: /usr/sbin/sshd ...").
    pids=$(host_pids_matching "$dir" '^sshd: [a-z_][a-z0-9_-]*( |@|$)' | sort -u)
    kill_pids "$pids"
    log "killed ssh sessions: ${pids:-(none)}"
}

cmd_stop() {
    local dir="$1"
    [ -f "$dir/host.env" ] || { log "nothing to stop in $dir"; return 0; }
    load_env "$dir"
    if [ "${HOST_KIND:-}" = boot ] && [ -f "$dir/nspawn.pid" ]; then
        kill -KILL "$(cat "$dir/nspawn.pid")" 2>/dev/null || true
    fi
    if [ -f "$dir/holder.pid" ]; then
        # Killing the PID namespace's init kills everything in it; its mounts go with it.
        kill -KILL "$(cat "$dir/holder.pid")" 2>/dev/null || true
    fi
    local pid
    for pid in $(ip netns pids "$HOST_NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    sleep 0.2
    ip link del "$HOST_VETH" 2>/dev/null || true
    ip netns del "$HOST_NS" 2>/dev/null || true
    if [ -n "${HOST_DATA_LOOP:-}" ]; then losetup -d "$HOST_DATA_LOOP" 2>/dev/null || true; fi
    mv "$dir/host.env" "$dir/host.env.stopped"
    rm -f "$dir/holder.pid"
    log "host stopped ($HOST_NS)"
}

cmd_ssh() {
    local dir="$1"; shift
    load_env "$dir"
    # exec: ssh's exit status is ours (255: connection lost), and a signal to us reaches ssh.
    exec ssh -i "$HOST_KEY" -p "$HOST_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10 \
        "$HOST_USER@$HOST_ADDR" "$@"
}

main() {
    local cmd="${1:-}"; shift || true
    case "$cmd" in
    rootfs) cmd_rootfs "${1:-chroot}" ;;
    start) cmd_start "${1:-}" ;;
    boot) cmd_boot "${1:-}" ;;
    poweroff) cmd_poweroff "${1:?dir}" ;;
    poweron) cmd_poweron "${1:?dir}" "${2:-}" "${3:-}" ;;
    stop) cmd_stop "${1:?dir}" ;;
    exec) local d="${1:?dir}"; shift; in_host "$d" "$@" ;;
    ssh) local d="${1:?dir}"; shift; cmd_ssh "$d" "$@" ;;
    kill-sshd) cmd_kill_sshd "${1:?dir}" ;;
    kill-sessions) cmd_kill_sessions "${1:?dir}" ;;
    start-sshd) cmd_start_sshd "${1:?dir}" ;;
    pids) load_env "${1:?dir}"; ip netns pids "$HOST_NS" ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
}
main "$@"
