#!/usr/bin/env bash
# Builds (once) a throwaway Debian root with sshd and PAM, for test/bastion-host.test.ts, and prints its path.
# Cached under the OS temp dir; a half-built root is never reused (the marker file is written last).
# Exit 3 when debootstrap cannot run here (not installed, not root, no mirror), with the reason on stderr.
set -euo pipefail
suite="${HMK_DEBOOTSTRAP_SUITE:-bookworm}"
mirror="${HMK_DEBOOTSTRAP_MIRROR:-http://deb.debian.org/debian}"
packages="openssh-server,openssh-client,procps"
root="${TMPDIR:-/tmp}/hmk-bastion-root-${suite}-v1"
if [[ -f "$root/.hmk-complete" ]]; then echo "$root"; exit 0; fi
command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install -y debootstrap)" >&2; exit 3; }
[[ "$(id -u)" == 0 ]] || { echo "debootstrap needs root" >&2; exit 3; }
exec 9>"$root.lock"
flock 9
if [[ -f "$root/.hmk-complete" ]]; then echo "$root"; exit 0; fi
rm -rf "$root"
if ! debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >"$root.log" 2>&1; then
  echo "debootstrap failed (see $root.log): $(tail -n 3 "$root.log" | tr '\n' ' ')" >&2
  exit 3
fi
# No daemon may start inside the root while packages install or tests run.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
touch "$root/.hmk-complete"
echo "$root"
