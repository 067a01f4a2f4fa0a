#!/usr/bin/env bash
# docker29/sandbox.sh: a disposable Debian host for Docker Engine 29 (build.sh's binaries),
# laid out as Docker's apt packages lay it out, with the data directory as its own mount.
#
# The host is a chroot of host.sh's cached Debian root file system plus Debian's iptables
# (Docker needs it) and tinyproxy (the build proxy the mirror checks run), cached as a second
# tarball, in a network namespace of its own (loopback
# only: nothing it starts reaches the machine's network), and its own mount, PID and UTS
# namespaces. /proc, /sys (a sysfs of its network namespace), the machine's /sys/fs/cgroup and
# /dev are mounted in; /run is a tmpfs; /data is a loop-mounted ext4 image of its own
# (<dir>/data.img, sparse), like the data volume of a real host.
#
# Installed from build.sh's directory at the paths of the packages:
#   docker-ce             /usr/bin/dockerd, /usr/bin/docker-proxy,
#                         /lib/systemd/system/docker.service, docker.socket (moby's own)
#   docker-ce-cli         /usr/bin/docker
#   containerd.io         /usr/bin/containerd, ctr, containerd-shim-runc-v2, runc,
#                         /lib/systemd/system/containerd.service (containerd's own, ExecStart
#                         /usr/bin/containerd as the package has it), /etc/containerd/config.toml
#                         (the package's: disabled_plugins = ["cri"])
#   docker-compose-plugin /usr/libexec/docker/cli-plugins/docker-compose
#   docker-buildx-plugin  /usr/libexec/docker/cli-plugins/docker-buildx
# There is no systemd in the host: /usr/bin/systemctl is the stand-in systemctl beside this
# script, which starts and stops those units' ExecStart (see its header).
#
# Usage (as root, non-interactive):
#   sandbox.sh rootfs              build or reuse the cached root file system; prints its path
#   sandbox.sh start <dir> <build> [with-docker|without-docker]
#                                  unpack a fresh host into <dir>/root, install <build>'s
#                                  binaries (build.sh's output; not with without-docker, for
#                                  an install from apt: apt-repo.sh), boot the namespaces
#   sandbox.sh exec  <dir> CMD...  run CMD as root inside the host (clean environment)
#   sandbox.sh stop  <dir>         stop the daemons, end every process of the host, remove its
#                                  network namespace and mounts; keeps <dir> (rm it yourself)
#
# Environment: PULUMI_E2E_CACHE (default $HOME/.cache/sentry-e2e) holds the root file system;
# E2E_DOCKER29_DATA_SIZE (default 4G) is the size of the sparse /data image.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${PULUMI_E2E_CACHE:-$HOME/.cache/sentry-e2e}"
DATA_SIZE="${E2E_DOCKER29_DATA_SIZE:-4G}"
EXTRA_PACKAGES=(iptables tinyproxy)
ROOTFS_REV=1 # bump when the way the tarball is made changes

log() { echo "docker29/sandbox.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, chroot, loop mounts)"

cmd_rootfs() {
    local base key tarball tmp start=$SECONDS
    base=$(bash "$HERE/../host.sh" rootfs)
    key=$(printf '%s\n' "$base" "${EXTRA_PACKAGES[*]}" "$ROOTFS_REV" | sha256sum | cut -c1-12)
    tarball="$CACHE_DIR/docker29-rootfs-$key.tar.gz"
    if [ -s "$tarball" ]; then echo "$tarball"; return 0; fi
    tmp=$(mktemp -d "$CACHE_DIR/docker29-rootfs-build.XXXXXX")
    log "adding ${EXTRA_PACKAGES[*]} from Debian's packages to $base (once; cached at $tarball)"
    mkdir "$tmp/root"
    tar --numeric-owner -C "$tmp/root" -xzf "$base"
    cp /etc/resolv.conf "$tmp/root/etc/resolv.conf"
    # apt in the chroot reaches Debian's mirror over the machine's network; no daemon runs.
    # shellcheck disable=SC2016 # expanded in the new mount namespace
    if ! unshare --mount --propagation private -- /bin/bash -ec '
        root="$1"; shift
        mount -t proc proc "$root/proc"
        mount --rbind /dev "$root/dev"
        chroot "$root" apt-get update -q
        # No package may start its service here (tinyproxy would listen on the machine'"'"'s network).
        printf "#!/bin/sh\nexit 101\n" >"$root/usr/sbin/policy-rc.d"
        chmod 0755 "$root/usr/sbin/policy-rc.d"
        DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -q --no-install-recommends "$@"
        rm -f "$root/usr/sbin/policy-rc.d"
        chroot "$root" apt-get clean
    ' rootfs "$tmp/root" "${EXTRA_PACKAGES[@]}" >"$tmp/apt.log" 2>&1; then
        tail -n 30 "$tmp/apt.log" >&2
        rm -rf "$tmp"
        die "apt-get install ${EXTRA_PACKAGES[*]} in the root file system failed"
    fi
    rm -rf "$tmp/root/var/lib/apt/lists/"* "$tmp/root/etc/resolv.conf"
    echo "sentry-e2e-docker29" >"$tmp/root/etc/hostname"
    tar --numeric-owner -C "$tmp/root" -czf "$tmp/rootfs.tar.gz" .
    mv "$tmp/rootfs.tar.gz" "$tarball"
    rm -rf "$tmp"
    log "root file system cached in $((SECONDS - start)) s: $tarball"
    echo "$tarball"
}

# install_packages ROOT BUILD: build.sh's binaries and the units at the packages' paths.
install_packages() {
    local root="$1" build="$2" b
    for b in dockerd docker-proxy docker containerd ctr containerd-shim-runc-v2 runc; do
        install -m 0755 "$build/bin/$b" "$root/usr/bin/$b"
    done
    install -D -m 0755 "$build/bin/docker-compose" "$root/usr/libexec/docker/cli-plugins/docker-compose"
    install -m 0755 "$build/bin/docker-buildx" "$root/usr/libexec/docker/cli-plugins/docker-buildx"
    install -D -m 0644 "$build/units/docker.service" "$root/lib/systemd/system/docker.service"
    install -m 0644 "$build/units/docker.socket" "$root/lib/systemd/system/docker.socket"
    sed 's#^ExecStart=/usr/local/bin/containerd$#ExecStart=/usr/bin/containerd#' "$build/units/containerd.service" >"$root/lib/systemd/system/containerd.service"
    grep -qx 'ExecStart=/usr/bin/containerd' "$root/lib/systemd/system/containerd.service" ||
        die "containerd.service has no ExecStart=/usr/local/bin/containerd line to point at /usr/bin/containerd"
    install -d -m 0755 "$root/etc/containerd"
    printf '%s\n' 'disabled_plugins = ["cri"]' >"$root/etc/containerd/config.toml"
    # docker-ce's postinst: the group that may use the socket.
    chroot "$root" groupadd --system docker
}

load_env() {
    [ -f "$1/sandbox.env" ] || die "$1/sandbox.env not found (sandbox not started?)"
    # shellcheck disable=SC1091
    . "$1/sandbox.env"
}

in_sandbox() {
    local dir="$1"; shift
    load_env "$dir"
    nsenter --target "$SANDBOX_HOLDER" --mount --pid --uts --net --root --wd -- \
        env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}

cmd_start() {
    local dir="$1" build="$2" packages="${3:-with-docker}" tarball n ns root pid holder=""
    if [ -z "$dir" ] || [ ! -s "$build/VERSIONS" ] || [[ ! "$packages" =~ ^(with-docker|without-docker)$ ]]; then
        die "usage: sandbox.sh start <dir> <build.sh's directory> [with-docker|without-docker]"
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ ! -e "$dir/sandbox.env" ] || die "$dir already holds a sandbox; stop it first"
    tarball=$(cmd_rootfs)
    root="$dir/root"
    mkdir -p "$root"
    # Without documentation and translations (as dpkg's path-exclude would): half the time.
    tar --numeric-owner -C "$root" --exclude=./usr/share/doc --exclude=./usr/share/locale \
        --exclude=./usr/share/man --exclude=./usr/share/info -xzf "$tarball"
    if [ "$packages" = with-docker ]; then install_packages "$root" "$build"; fi
    install -m 0755 "$HERE/systemctl" "$root/usr/bin/systemctl"
    printf '127.0.0.1 localhost sentry-e2e-docker29\n' >"$root/etc/hosts"
    install -d -m 0755 "$root/data"
    rm -f "$dir/data.img"
    truncate -s "$DATA_SIZE" "$dir/data.img"
    mkfs.ext4 -q -F -L sentry-data "$dir/data.img"

    n=$(( ($$ % 200) + 20 ))
    while ip netns list | grep -qw "sentryd29-$n"; do n=$(( n % 250 + 1 )); done
    ns="sentryd29-$n"
    ip netns add "$ns"
    ip -n "$ns" link set lo up

    # The holder: PID 1 of the host's PID namespace and owner of its mount namespace; the
    # mounts die with it (the loop device is freed by autoclear). It starts in this machine's
    # network namespace, whose /sys/fs/cgroup it binds (`ip netns exec` would hide it), mounts a
    # sysfs of the host's network namespace, then joins that namespace for good.
    # shellcheck disable=SC2016 # the script runs in the new namespaces; its inputs are "$@"
    unshare --mount --pid --uts --fork --propagation private -- /bin/bash -c '
        set -e
        root="$1" img="$2" ns="$3"
        hostname sentry-e2e-docker29
        mount --bind "$root" "$root" # runc needs / to be a mount point (it makes it rslave)
        mount -t proc proc "$root/proc"
        nsenter --net="/run/netns/$ns" mount -t sysfs sysfs "$root/sys"
        mount --rbind /sys/fs/cgroup "$root/sys/fs/cgroup"
        mount --rbind /dev "$root/dev"
        mount -t tmpfs -o mode=0755 run "$root/run"
        mkdir -p "$root/run/lock"
        mount -o loop "$img" "$root/data"
        exec nsenter --net="/run/netns/$ns" chroot "$root" /bin/bash -c "echo ready >/.holder-ready; trap \"exit 0\" TERM; while :; do sleep 3600 & wait \$!; done"
    ' holder "$root" "$dir/data.img" "$ns" </dev/null >"$dir/holder.log" 2>&1 &
    for _ in $(seq 1 100); do [ -f "$root/.holder-ready" ] && break; sleep 0.1; done
    [ -f "$root/.holder-ready" ] || { cat "$dir/holder.log" >&2; ip netns del "$ns"; die "sandbox namespaces did not come up"; }
    rm -f "$root/.holder-ready"
    for pid in $(ip netns pids "$ns"); do
        if [ "$(awk '/^NSpid:/ {print $NF}' "/proc/$pid/status" 2>/dev/null)" = 1 ]; then holder=$pid; fi
    done
    [ -n "$holder" ] || die "could not find the sandbox's init process"
    printf 'SANDBOX_NS=%s\nSANDBOX_ROOT=%s\nSANDBOX_HOLDER=%s\n' "$ns" "$root" "$holder" >"$dir/sandbox.env"
    log "sandbox up: netns $ns, root $root, /data on $dir/data.img"
}

cmd_stop() {
    local dir="$1" pid
    [ -f "$dir/sandbox.env" ] || { log "nothing to stop in $dir"; return 0; }
    load_env "$dir"
    # Containers first (runc removes their cgroups, which live in the machine's hierarchy),
    # then the daemons the way systemd would stop them.
    # shellcheck disable=SC2016 # runs in the sandbox
    in_sandbox "$dir" /bin/sh -c 'if [ -S /var/run/docker.sock ]; then ids=$(docker ps -aq); [ -z "$ids" ] || docker rm -f $ids >/dev/null; fi
        systemctl stop docker containerd' >/dev/null 2>&1 || true
    kill -KILL "$SANDBOX_HOLDER" 2>/dev/null || true
    for pid in $(ip netns pids "$SANDBOX_NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    sleep 0.2
    ip netns del "$SANDBOX_NS" 2>/dev/null || true
    mv "$dir/sandbox.env" "$dir/sandbox.env.stopped"
    log "sandbox stopped ($SANDBOX_NS)"
}

main() {
    local cmd="${1:-}"; shift || true
    case "$cmd" in
    rootfs) cmd_rootfs ;;
    start) cmd_start "${1:-}" "${2:-}" "${3:-}" ;;
    stop) cmd_stop "${1:?dir}" ;;
    exec) local d="${1:?dir}"; shift; in_sandbox "$d" "$@" ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
}
main "$@"
