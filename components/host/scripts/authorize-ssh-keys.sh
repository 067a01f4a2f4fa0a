#!/usr/bin/env bash
# authorize-ssh-keys.sh: keeps extra SSH public keys for humans in a managed
# block of a user's ~/.ssh/authorized_keys. Keys outside the block (such as the
# one Pulumi itself connects with) are never touched; an empty key list empties
# the block. Idempotent: a second run leaves the file byte-identical.
#
# Run by hand as root:
#   SSH_USER=ubuntu SSH_PUBLIC_KEYS="$(cat alice.pub bob.pub)" bash authorize-ssh-keys.sh
#
# Inputs (environment variables):
#   SSH_USER         required. The login user whose authorized_keys holds the keys, e.g. ubuntu.
#   SSH_PUBLIC_KEYS  default empty. OpenSSH public keys, one per line; empty
#                    removes the managed keys.
#   HOST_ROOT        default empty. For tests only; leave empty.
#                    Prefix for every absolute host path (the user's home included).
set -euo pipefail

readonly SCRIPT=authorize-ssh-keys
HOST_ROOT="${HOST_ROOT:-}"
SSH_USER="${SSH_USER:-}"
SSH_PUBLIC_KEYS="${SSH_PUBLIC_KEYS:-}"

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script

readonly BEGIN_MARK="# BEGIN sentry-deploy managed keys"
readonly END_MARK="# END sentry-deploy managed keys"
readonly KEY_RE='^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+=*( .*)?$'

# ---------------------------------------------------------------- validation
[[ -n "$SSH_USER" ]] || die "SSH_USER is required: the login user whose authorized_keys holds the extra keys, e.g. ubuntu"
home="$(getent passwd "$SSH_USER" | cut -d: -f6 || true)"
[[ -n "$home" ]] || die "user '$SSH_USER' does not exist on this host; set SSH_USER to the login user"

block="$BEGIN_MARK"$'\n'
count=0
while IFS= read -r key; do
  [[ -z "$key" ]] && continue
  [[ "$key" =~ $KEY_RE ]] || die "'${key:0:40}...' in SSH_PUBLIC_KEYS is not an OpenSSH public key"
  block+="$key"$'\n'
  count=$((count + 1))
done <<<"$SSH_PUBLIC_KEYS"
block+="$END_MARK"

# ---------------------------------------------------------------- the file
ssh_dir="$HOST_ROOT$home/.ssh"
file="$ssh_dir/authorized_keys"
install -d -m 0700 "$ssh_dir"
touch "$file"

# Everything outside our block, as it was.
others="$(awk -v b="$BEGIN_MARK" -v e="$END_MARK" '$0==b{skip=1; next} $0==e{skip=0; next} !skip' "$file")"
if ((count > 0)); then
  desired="${others:+$others$'\n'}$block"
else
  desired="$others"
fi

if [[ "$(cat "$file")" != "$desired" ]]; then
  tmp="$(mktemp "$ssh_dir/.authorized_keys.XXXXXX")"
  printf '%s\n' "$desired" | sed '/./,$!d' >"$tmp"
  chmod 0600 "$tmp"
  mv -f "$tmp" "$file"
  log "$count managed key(s) for $SSH_USER"
else
  log "unchanged ($count managed key(s) for $SSH_USER)"
fi
if [[ -z "$HOST_ROOT" ]]; then
  chown -R "$SSH_USER:" "$ssh_dir"
fi
