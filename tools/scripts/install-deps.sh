#!/usr/bin/env bash
# Installs, from Debian 12's packages only, whatever the build and the tests need.
# Idempotent: when every package is present it does nothing (no apt-get update either).
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git
  # libraries
  libboost-dev libboost-program-options-dev libyaml-cpp-dev librocksdb-dev libucx-dev
  libfmt-dev libspdlog-dev libre2-dev libxxhash-dev libssl-dev doctest-dev
  # tests and benchmarks: real clients and a real peer
  libhiredis-dev python3 python3-redis python3-pytest redis-server redis-tools
  procps iproute2
  # /metrics: promtool checks the exposition, a real prometheus scrapes it
  prometheus
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# Packages that ship a service (prometheus) must not start it: the tests run their own,
# on loopback. policy-rc.d tells Debian's maintainer scripts not to start services.
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  added_policy=yes
fi
status=0
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" || status=$?
[ -n "$added_policy" ] && $sudo rm -f "$policy"
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
exit $status
