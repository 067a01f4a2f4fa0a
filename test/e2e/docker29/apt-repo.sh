#!/usr/bin/env bash
# docker29/apt-repo.sh: lays out an apt repository the way Docker's own is laid out
# (https://download.docker.com/linux/<os>/: dists/<codename>/stable/binary-<arch>/Packages,
# InRelease, pool/, and the signing key at <os>/gpg), holding build.sh's Docker Engine 29 as
# the five packages install-docker.sh installs: docker-ce, docker-ce-cli, containerd.io,
# docker-buildx-plugin, docker-compose-plugin. Each package puts its files where Docker's own
# package does (the table in sandbox.sh's header); docker-ce's postinst creates the docker group
# as Docker's does. The repository is signed with a key made for this run.
#
# It stands in for a company's mirror of Docker's apt repository (sentry:mirrors.dockerApt):
# apt-get, its signature check and dpkg are real on the host that installs from it; the packages
# are built here from build.sh's binaries, not downloaded from Docker.
#
# Usage: apt-repo.sh <build.sh's directory> <out dir> [codename, default bookworm]
#   prints <out dir>; serve <out dir> and set DOCKER_APT_REPO_URL=<url of out dir>/linux
# Needs dpkg-deb, dpkg-scanpackages (dpkg-dev) and gpg.
set -euo pipefail

build="${1:?usage: apt-repo.sh <build dir> <out dir> [codename]}"
out="${2:?usage: apt-repo.sh <build dir> <out dir> [codename]}"
codename="${3:-bookworm}"
os=debian arch=amd64

log() { echo "docker29/apt-repo.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ -s "$build/VERSIONS" ] || die "$build is not build.sh's directory (no VERSIONS)"
for tool in dpkg-deb dpkg-scanpackages gpg; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install dpkg-dev gpg)"
done
version=$("$build/bin/dockerd" --version | sed -n -E 's/^Docker version ([0-9.]+),.*/\1/p')
[ -n "$version" ] || die "could not read the Docker version from $build/bin/dockerd"
compose_version=$("$build/bin/docker-compose" version --short | tr -d v)
buildx_version=$("$build/bin/docker-buildx" version | awk '{ print $2 }' | tr -d v)
containerd_version=$("$build/bin/containerd" --version | awk '{ print $3 }' | tr -d v)

rm -rf "$out"
repo="$out/linux/$os"
pool="$repo/pool/stable/$arch"
mkdir -p "$pool" "$repo/dists/$codename/stable/binary-$arch"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# package NAME VERSION DEPENDS FILE=PATH...: a .deb in the pool with FILE installed at PATH.
package() {
    local name="$1" pkg_version="$2" depends="$3" dir="$work/$1" spec src dest
    shift 3
    mkdir -p "$dir/DEBIAN"
    for spec in "$@"; do
        src="${spec%%=*}" dest="${spec#*=}"
        install -D -m "$([ -x "$src" ] && echo 0755 || echo 0644)" "$src" "$dir$dest"
    done
    {
        echo "Package: $name"
        echo "Version: $pkg_version-1~$os.12~$codename"
        echo "Architecture: $arch"
        echo "Maintainer: sentry-deploy end-to-end tests <e2e@example.invalid>"
        [ -z "$depends" ] || echo "Depends: $depends"
        echo "Description: $name $pkg_version (test build of the Docker apt package, from the Go module proxy)"
    } >"$dir/DEBIAN/control"
    if [ "$name" = containerd.io ]; then echo /etc/containerd/config.toml >"$dir/DEBIAN/conffiles"; fi
    if [ "$name" = docker-ce ]; then
        printf '#!/bin/sh\nset -e\ngetent group docker >/dev/null || groupadd --system docker\n' >"$dir/DEBIAN/postinst"
        chmod 0755 "$dir/DEBIAN/postinst"
    fi
    dpkg-deb --root-owner-group -Znone -b "$dir" "$pool/${name}_${pkg_version}_$arch.deb" >/dev/null
}

printf '%s\n' 'disabled_plugins = ["cri"]' >"$work/config.toml"
sed 's#^ExecStart=/usr/local/bin/containerd$#ExecStart=/usr/bin/containerd#' "$build/units/containerd.service" >"$work/containerd.service"
b="$build/bin"
package containerd.io "$containerd_version" "" \
    "$b/containerd=/usr/bin/containerd" "$b/ctr=/usr/bin/ctr" "$b/containerd-shim-runc-v2=/usr/bin/containerd-shim-runc-v2" \
    "$b/runc=/usr/bin/runc" "$work/containerd.service=/lib/systemd/system/containerd.service" "$work/config.toml=/etc/containerd/config.toml"
package docker-ce-cli "$version" "" "$b/docker=/usr/bin/docker"
package docker-ce "$version" "docker-ce-cli, containerd.io" \
    "$b/dockerd=/usr/bin/dockerd" "$b/docker-proxy=/usr/bin/docker-proxy" \
    "$build/units/docker.service=/lib/systemd/system/docker.service" "$build/units/docker.socket=/lib/systemd/system/docker.socket"
package docker-buildx-plugin "$buildx_version" "" "$b/docker-buildx=/usr/libexec/docker/cli-plugins/docker-buildx"
package docker-compose-plugin "$compose_version" "" "$b/docker-compose=/usr/libexec/docker/cli-plugins/docker-compose"

# The index and the signed Release, as apt reads them.
index="dists/$codename/stable/binary-$arch"
(cd "$repo" && dpkg-scanpackages --arch "$arch" pool/stable >"$index/Packages" 2>/dev/null)
gzip -9 -k "$repo/$index/Packages"
{
    echo "Origin: sentry-deploy e2e (a stand-in for Docker's apt repository)"
    echo "Label: Docker CE"
    echo "Suite: $codename"
    echo "Codename: $codename"
    echo "Architectures: $arch"
    echo "Components: stable"
    echo "Date: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')"
    echo "SHA256:"
    for f in Packages Packages.gz; do
        printf ' %s %s stable/binary-%s/%s\n' "$(sha256sum <"$repo/$index/$f" | cut -d' ' -f1)" "$(stat -c %s "$repo/$index/$f")" "$arch" "$f"
    done
} >"$repo/dists/$codename/Release"
export GNUPGHOME="$work/gnupg"
install -d -m 0700 "$GNUPGHOME"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' --quick-gen-key "sentry-deploy e2e apt signing <e2e@example.invalid>" ed25519 sign never
gpg --batch --quiet --armor --export >"$repo/gpg"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' --clearsign -o "$repo/dists/$codename/InRelease" "$repo/dists/$codename/Release"
log "Docker $version, containerd $containerd_version, Compose $compose_version, Buildx $buildx_version as apt packages for $os $codename: $out"
echo "$out"
