#!/usr/bin/env bash
# Keeps extra SSH public keys for humans in a managed block of a user's authorized_keys.
# Keys outside the block (such as the one Pulumi itself connects with) are never touched;
# an empty key list empties the block. Idempotent: a second run leaves the file unchanged.
#
# Inputs (environment):
#   SSH_USER         user whose ~/.ssh/authorized_keys is managed (required)
#   SSH_PUBLIC_KEYS  newline-separated OpenSSH public keys (optional; empty removes them)
#   HOST_ROOT        prefix for every host path, for tests only; leave empty
#
# Run by hand: sudo SSH_USER=ubuntu SSH_PUBLIC_KEYS="$(cat key.pub)" ./authorize-ssh-keys.sh
set -euo pipefail

: "${SSH_USER:?SSH_USER is required: the user whose authorized_keys holds the extra keys, e.g. ubuntu}"
SSH_PUBLIC_KEYS="${SSH_PUBLIC_KEYS:-}"
HOST_ROOT="${HOST_ROOT:-}"

begin="# BEGIN sentry-deploy managed keys"
end="# END sentry-deploy managed keys"

home="$(getent passwd "$SSH_USER" | cut -d: -f6 || true)"
if [[ -z "$home" ]]; then
  echo "authorize-ssh-keys: user '$SSH_USER' does not exist on this host; set SSH_USER to the login user" >&2
  exit 1
fi

key_pattern='^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+=*( .*)?$'
block="$begin"$'\n'
count=0
while IFS= read -r key; do
  [[ -z "$key" ]] && continue
  if ! [[ "$key" =~ $key_pattern ]]; then
    echo "authorize-ssh-keys: '${key:0:40}...' in SSH_PUBLIC_KEYS is not an OpenSSH public key" >&2
    exit 1
  fi
  block+="$key"$'\n'
  count=$((count + 1))
done <<<"$SSH_PUBLIC_KEYS"
block+="$end"

ssh_dir="${HOST_ROOT}${home}/.ssh"
file="$ssh_dir/authorized_keys"
install -d -m 0700 "$ssh_dir"
touch "$file"

# Everything outside our block, as it was.
others="$(awk -v b="$begin" -v e="$end" '$0==b{skip=1; next} $0==e{skip=0; next} !skip' "$file")"
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
  echo "authorize-ssh-keys: $count managed key(s) for $SSH_USER"
else
  echo "authorize-ssh-keys: unchanged ($count managed key(s) for $SSH_USER)"
fi
if [[ -z "$HOST_ROOT" ]]; then
  chown -R "$SSH_USER:" "$ssh_dir"
fi
