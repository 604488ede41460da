#!/usr/bin/env bash
# Installs the host components Skiff's tests use (Debian/Ubuntu, as root): datastore (etcd), container
# runtime (containerd, runc, CNI plugins), image tooling (umoci, skopeo, busybox-static, docker-registry, htpasswd from apache2-utils) and
# networking (nftables, iptables, iproute2, curl, conntrack) and wrk (the network benchmark's load generator). See /work/shared/reference/host-components.md.
# Idempotent: packages already installed are not touched, and `apt-get update` runs only when something is
# missing. Every package is optional: one that cannot be installed is reported (tests needing it skip) and
# the script still exits 0. Package services are not started (policy-rc.d), so no daemon is left running.
set -uo pipefail

PACKAGES=(
  etcd-server etcd-client
  containerd runc containernetworking-plugins
  umoci skopeo busybox-static docker-registry apache2-utils
  nftables iptables iproute2 curl openssl conntrack
  wrk
)

say() { echo "system packages: $*"; }

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  say "not a Debian-like system (no dpkg/apt-get); install ${PACKAGES[*]} yourself — tests that need them will be skipped"
  exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  say "all ${#PACKAGES[@]} present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  say "missing ${missing[*]}; run this script as root to install them (tests that need them will be skipped)"
  exit 0
fi

# Keep package installs from starting services (docker-registry, containerd, etcd): tests start their own.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && own_policy=1
fi
cleanup() { if [ "$own_policy" -eq 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
say "missing ${missing[*]}"
say "apt-get update ..."
if ! apt-get update -qq >/tmp/skiff-apt-update.log 2>&1; then
  say "apt-get update failed (see /tmp/skiff-apt-update.log); trying to install from the existing package lists"
fi

apt_install() {
  apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" \
    >>/tmp/skiff-apt-install.log 2>&1
}

say "installing ${missing[*]} ..."
: >/tmp/skiff-apt-install.log
if apt_install "${missing[@]}"; then
  say "installed ${missing[*]}"
  exit 0
fi

# One at a time, so one unavailable package does not block the rest.
ok=()
failed=()
for p in "${missing[@]}"; do
  if installed "$p" || apt_install "$p"; then ok+=("$p"); else failed+=("$p"); fi
done
[ ${#ok[@]} -gt 0 ] && say "installed ${ok[*]}"
if [ ${#failed[@]} -gt 0 ]; then
  say "could not install ${failed[*]} (see /tmp/skiff-apt-install.log); tests that need them will be skipped"
fi
exit 0
